import type { IndexedJob } from '../../../../src-main/jobs/store';
import { ActionButton } from '../queue/ActionButton';
import { actionsFor, type RowAction } from '../queue/actions';
import { plotBlockedBy } from '../queue/plotGate';
import { useJobAction } from '../queue/useJobAction';
import { useJobs } from '../store/jobs';

/** The job's actions where its details are read, the same as its row's; `except`: shown elsewhere in the panel. */
export function JobActions({ job, except }: { job: IndexedJob; except?: RowAction }) {
  const condition = useJobs((s) => s.conditions[job.id]);
  const busy = useJobs((s) => s.busy[job.id]);
  const blocked = useJobs((s) => plotBlockedBy(job.id, s.jobs, s.conditions));
  const run = useJobAction(job);
  const actions = actionsFor(job.state, condition).filter(
    (a) => a !== except && (a !== 'recover' || condition),
  );
  return (
    <div className="job-actions detail-actions" data-testid="detail-actions">
      {actions.map((a) => (
        <ActionButton
          key={a}
          action={a}
          state={job.state}
          condition={condition}
          busy={busy}
          blocked={blocked}
          run={run}
        />
      ))}
    </div>
  );
}
