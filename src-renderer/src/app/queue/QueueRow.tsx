import { memo } from 'react';
import type { IndexedJob } from '../../../../src-main/jobs/store';
import { duration, millimetres, plural } from '../format';
import { useDetail } from '../store/detail';
import { useJobs } from '../store/jobs';
import { usePlotters, type QueueAssignment } from '../store/plotters';
import { ACTION_LABEL, actionsFor } from './actions';
import { DragHandle } from './DragHandle';
import { pauseStepText } from './pauseStep';
import { plotBlockedBy } from './plotGate';
import { ProgressBar } from './ProgressBar';
import { StateBadge } from './StateBadge';
import { useJobAction } from './useJobAction';

/** Which plotter will take a queued job (or why none can), or which one the job is on. */
function plotterText(state: string, assignment: QueueAssignment | undefined, on: string | undefined, speed: number): { text: string; none?: boolean } | undefined {
  if (state === 'QUEUED' && assignment) {
    if (!assignment.plotter) return { text: `No plotter: ${assignment.reason ?? 'none can take it'}`, none: true };
    // Estimates are plotter time at speed 1.
    const soon = assignment.startsInS ? ` in about ${duration(assignment.startsInS / speed)}` : ' next';
    return { text: `→ ${assignment.plotter}${soon}` };
  }
  if (on && (state === 'ARMED' || state === 'PLOTTING' || state === 'PAUSED')) return { text: `on ${on}` };
  return undefined;
}

/** Memoised: scrolling re-renders the list, not the rows that stay in view. `movable`: shown in plot order, with a handle to move it. */
export const QueueRow = memo(function QueueRow({ job, movable = false }: { job: IndexedJob; movable?: boolean }) {
  const progress = useJobs((s) => s.progress[job.id]);
  const condition = useJobs((s) => s.conditions[job.id]);
  const error = useJobs((s) => s.rowErrors[job.id]);
  const startedSpeed = useJobs((s) => s.speeds[job.id]);
  const busy = useJobs((s) => s.busy[job.id]);
  const blocked = useJobs((s) => plotBlockedBy(job.id, s.jobs, s.conditions));
  const assignment = usePlotters((s) => s.assignments[job.id]);
  const on = usePlotters((s) => s.onPlotter[job.id]);
  const plotterSpeed = usePlotters((s) => s.plotters.find((p) => p.name === assignment?.plotter)?.speed ?? 1);
  // A job the queue plots (on a page opened meanwhile too) runs at its plotter's speed.
  const onSpeed = usePlotters((s) => s.plotters.find((p) => p.name === on)?.speed);
  const speed = startedSpeed ?? onSpeed ?? 1;
  const showDetail = useDetail((s) => s.show);
  const run = useJobAction(job);
  const step = pauseStepText(condition);
  const live = progress && (job.state === 'PLOTTING' || job.state === 'ARMED' || job.state === 'PAUSED');
  const name = job.source_name ?? job.id;
  const where = plotterText(job.state, assignment, on, plotterSpeed);

  return (
    <div className={movable ? 'job-row job-row-movable' : 'job-row'} data-testid="job-row" data-job={job.id} data-state={job.state}>
      {movable ? <DragHandle id={job.id} name={name} /> : null}
      <StateBadge state={job.state} />
      <div className="job-name">
        <button type="button" className="link" onClick={() => showDetail(job.id)} title="Show details">
          {name}
        </button>
        <span className="job-id">{job.id}</span>
        {error ? (
          <span className="row-error" role="alert" title={error}>
            {error}
          </span>
        ) : condition?.kind === 'interrupted' && condition.cause !== 'paused' ? (
          <span className="row-note">interrupted — needs recovery</span>
        ) : step ? (
          <span className="row-step" data-testid="pause-step">
            {step}
          </span>
        ) : job.state === 'FAILED' && job.last_reason ? (
          <span className="row-error" title={job.last_reason}>
            {job.last_reason}
          </span>
        ) : null}
      </div>
      <div className="job-meta">
        {live ? (
          <ProgressBar fraction={progress.fraction} etaS={progress.etaS / speed} label={`${job.id} progress`} />
        ) : (
          <span>
            {job.paper ?? 'no paper yet'}
            {job.layer_count != null ? ` · ${plural(job.layer_count, 'layer')}` : ''} · {job.estimate_s != null ? duration(job.estimate_s) : 'no estimate'}
            {job.pen_down_mm != null ? ` · ${millimetres(job.pen_down_mm)} ink` : ''}
          </span>
        )}
        {where ? (
          <span className={where.none ? 'row-plotter row-plotter-none' : 'row-plotter'} data-testid="row-plotter" title={where.text}>
            {where.text}
          </span>
        ) : null}
      </div>
      <div className="job-actions">
        {/* Recovery starts from the scan's view of the job; until it arrives (a moment), there is nothing to show. */}
        {actionsFor(job.state, condition).filter((a) => a !== 'recover' || condition).map((a) => (
          <button key={a} type="button" className={`btn btn-${a}`} disabled={busy !== undefined || (a === 'plot' && blocked !== undefined)} title={a === 'plot' ? blocked : undefined} onClick={() => void run(a)}>
            {busy === a ? `${ACTION_LABEL[a]}…` : ACTION_LABEL[a]}
          </button>
        ))}
      </div>
    </div>
  );
});
