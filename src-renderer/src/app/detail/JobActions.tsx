import type { IndexedJob } from '../../../../src-main/jobs/store';
import { ACTION_LABEL, actionsFor, type RowAction } from '../queue/actions';
import { plotBlockedBy } from '../queue/plotGate';
import { useJobAction } from '../queue/useJobAction';
import { useJobs } from '../store/jobs';

/** The job's actions where its details are read, the same as its row's; `except`: shown elsewhere in the panel. */
export function JobActions({ job, except }: { job: IndexedJob; except?: RowAction }) {
  const condition = useJobs((s) => s.conditions[job.id]);
  const busy = useJobs((s) => s.busy[job.id]);
  const blocked = useJobs((s) => plotBlockedBy(job.id, s.jobs, s.conditions));
  const run = useJobAction(job);
  const actions = actionsFor(job.state, condition).filter((a) => a !== except && (a !== 'recover' || condition));
  return (
    <div className="job-actions detail-actions" data-testid="detail-actions">
      {actions.map((a) => (
        <button key={a} type="button" className={`btn btn-${a}`} disabled={busy !== undefined || (a === 'plot' && blocked !== undefined)} title={a === 'plot' ? blocked : undefined} onClick={() => void run(a)}>
          {busy === a ? `${ACTION_LABEL[a]}…` : ACTION_LABEL[a]}
        </button>
      ))}
    </div>
  );
}
