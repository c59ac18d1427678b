import type { IndexedJob } from '../../../../src-main/jobs/store';
import { isActive } from '../../../../src-main/shared/job-states';
import { useConfirm, type ConfirmRequest } from '../store/confirm';
import { useDetail } from '../store/detail';
import { useJobs } from '../store/jobs';
import { useRecovery } from '../store/recovery';
import type { JobCondition } from '../../../../src-main/recovery/classify';
import { actionWords, type RowAction } from './actions';

/**
 * The actions that cannot be taken back ask first, naming the job and what is lost, in the words
 * of the button pressed. Plotting a finished or stopped job again loses nothing: it does not ask.
 */
function question(
  a: RowAction,
  name: string,
  state: string,
  condition: JobCondition | undefined,
): ConfirmRequest | undefined {
  const { label } = actionWords(a, state, condition);
  // "Abort job", "Remove job"; a phrase such as "Start over" says it already.
  const ask = (body: string) => ({
    title: `${label} ${name}?`,
    body,
    confirm: label.includes(' ') ? label : `${label} job`,
  });
  if (a === 'abort') {
    return ask(
      isActive(state)
        ? 'The plot stops with the pen up and the job ends ABORTED: what is on paper stays, and it cannot be continued, only restarted from the beginning.'
        : 'The job ends ABORTED: it will not be plotted unless it is restarted.',
    );
  }
  if (a === 'restart' && isActive(state))
    return ask(
      'It is planned again and plots from the beginning; its progress so far is dropped. Put in fresh paper before plotting it.',
    );
  if (a === 'remove')
    return ask('The job, its plan, journal and snapshots are deleted. This cannot be undone.');
  return undefined;
}

/** What a job's action buttons do, in its row, its detail and the Now-plotting bar alike. */
export function useJobAction(
  job: Pick<IndexedJob, 'id' | 'state' | 'source_name'>,
): (a: RowAction) => Promise<void> {
  const condition = useJobs((s) => s.conditions[job.id]);
  const act = useJobs((s) => s.act);
  const openRecovery = useRecovery((s) => s.open);
  const showDetail = useDetail((s) => s.show);
  const ask = useConfirm((s) => s.ask);
  return async (a) => {
    if (a === 'recover') return condition ? openRecovery([condition]) : undefined;
    if (a === 'plan') return showDetail(job.id, 'plan');
    const q = question(a, job.source_name ?? job.id, job.state, condition);
    if (q && !(await ask(q))) return;
    await act(job.id, a);
  };
}
