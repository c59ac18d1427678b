import type { IndexedJob } from '../../../../src-main/jobs/store';
import { useConfirm, type ConfirmRequest } from '../store/confirm';
import { useDetail } from '../store/detail';
import { useJobs } from '../store/jobs';
import { useRecovery } from '../store/recovery';
import type { RowAction } from './actions';

/** The actions that cannot be taken back ask first, naming the job and what is lost. */
const ASK: Partial<Record<RowAction, (name: string, state: string) => ConfirmRequest>> = {
  abort: (name, state) => ({
    title: `Abort ${name}?`,
    body:
      state === 'PLOTTING' || state === 'ARMED' || state === 'PAUSED'
        ? 'The plot stops with the pen up and the job ends ABORTED: what is on paper stays, and it cannot be continued, only restarted from the beginning.'
        : 'The job ends ABORTED: it will not be plotted unless it is restarted.',
    confirm: 'Abort job',
  }),
  restart: (name) => ({
    title: `Restart ${name}?`,
    body: 'It is planned again and plots from the beginning; its progress so far is dropped. Put in fresh paper before plotting it.',
    confirm: 'Restart job',
  }),
  remove: (name) => ({
    title: `Remove ${name}?`,
    body: 'The job, its plan, journal and snapshots are deleted. This cannot be undone.',
    confirm: 'Remove job',
  }),
};

/** What a job's action buttons do, in its row, its detail and the Now-plotting bar alike. */
export function useJobAction(job: Pick<IndexedJob, 'id' | 'state' | 'source_name'>): (a: RowAction) => Promise<void> {
  const condition = useJobs((s) => s.conditions[job.id]);
  const act = useJobs((s) => s.act);
  const openRecovery = useRecovery((s) => s.open);
  const showDetail = useDetail((s) => s.show);
  const ask = useConfirm((s) => s.ask);
  return async (a) => {
    if (a === 'recover') return condition ? openRecovery([condition]) : undefined;
    if (a === 'plan') return showDetail(job.id, 'plan');
    const question = ASK[a]?.(job.source_name ?? job.id, job.state);
    if (question && !(await ask(question))) return;
    await act(job.id, a);
  };
}
