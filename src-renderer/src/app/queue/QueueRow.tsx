import { memo } from 'react';
import type { IndexedJob } from '../../../../src-main/jobs/store';
import { duration, millimetres, plural } from '../format';
import { useDetail } from '../store/detail';
import { useJobs } from '../store/jobs';
import { usePlotters, type QueueAssignment } from '../store/plotters';
import { ActionButton } from './ActionButton';
import { actionsFor } from './actions';
import { DragHandle } from './DragHandle';
import { pauseStepText } from './pauseStep';
import { plotBlockedBy } from './plotGate';
import { ProgressBar } from './ProgressBar';
import { StateBadge } from './StateBadge';
import { rowStory } from './story';
import { useJobAction } from './useJobAction';
import { Thumbnail } from './Thumbnail';

/** Which plotter will take a queued job (or why none can), or which one the job is on. */
function plotterText(
  state: string,
  assignment: QueueAssignment | undefined,
  on: string | undefined,
  speed: number,
): { text: string; none?: boolean } | undefined {
  if (state === 'QUEUED' && assignment) {
    if (!assignment.plotter)
      return { text: `No plotter: ${assignment.reason ?? 'none can take it'}`, none: true };
    // Estimates are plotter time at speed 1.
    const soon = assignment.startsInS
      ? ` in about ${duration(assignment.startsInS / speed)}`
      : ' next';
    return { text: `→ ${assignment.plotter}${soon}` };
  }
  if (on && (state === 'ARMED' || state === 'PLOTTING' || state === 'PAUSED'))
    return { text: `on ${on}` };
  return undefined;
}

/** Memoised: scrolling re-renders the list, not the rows that stay in view. `movable`: shown in plot order, with a handle to move it. */
export const QueueRow = memo(function QueueRow({
  job,
  movable = false,
}: {
  job: IndexedJob;
  movable?: boolean;
}) {
  const progress = useJobs((s) => s.progress[job.id]);
  const condition = useJobs((s) => s.conditions[job.id]);
  const error = useJobs((s) => s.rowErrors[job.id]);
  const startedSpeed = useJobs((s) => s.speeds[job.id]);
  const busy = useJobs((s) => s.busy[job.id]);
  const blocked = useJobs((s) => plotBlockedBy(job.id, s.jobs, s.conditions));
  const assignment = usePlotters((s) => s.assignments[job.id]);
  const on = usePlotters((s) => s.onPlotter[job.id]);
  const plotterSpeed = usePlotters(
    (s) => s.plotters.find((p) => p.name === assignment?.plotter)?.speed ?? 1,
  );
  // A job the queue plots (on a page opened meanwhile too) runs at its plotter's speed.
  const onSpeed = usePlotters((s) => s.plotters.find((p) => p.name === on)?.speed);
  const speed = startedSpeed ?? onSpeed ?? 1;
  const showDetail = useDetail((s) => s.show);
  const run = useJobAction(job);
  const step = pauseStepText(condition);
  const live =
    progress && (job.state === 'PLOTTING' || job.state === 'ARMED' || job.state === 'PAUSED');
  const name = job.source_name ?? job.id;
  const where = plotterText(job.state, assignment, on, plotterSpeed);
  const story = rowStory(job, condition, error);

  return (
    <div
      className={movable ? 'job-row job-row-movable' : 'job-row'}
      data-testid="job-row"
      data-job={job.id}
      data-state={job.state}
    >
      {movable ? <DragHandle id={job.id} name={name} /> : null}
      <Thumbnail id={job.id} plannedAt={job.planned_at} />
      <div className="job-state">
        <StateBadge state={job.state} />
      </div>
      <div className="job-drawing">
        <div className="job-title">
          <button
            type="button"
            className="link"
            onClick={() => showDetail(job.id)}
            title={`${name}: show details`}
          >
            {name}
          </button>
          <span className="job-id" title={job.id}>
            {job.id}
          </span>
        </div>
        {live ? (
          <ProgressBar
            fraction={progress.fraction}
            etaS={progress.etaS / speed}
            label={`${job.id} progress`}
          />
        ) : null}
        {/* A pen change is a step of the plot: its words (which pen) stand under the progress it keeps. */}
        {step && !error ? (
          <span className="row-step" data-testid="pause-step">
            {step}
          </span>
        ) : story && !live ? (
          <span
            className={`row-story row-story-${story.tone}`}
            data-testid="row-story"
            title={story.title}
            role={error ? 'alert' : undefined}
          >
            {story.text}
          </span>
        ) : null}
      </div>
      <span
        className="job-paper"
        title={job.paper ? `Paper: ${job.paper}` : 'Not planned: no paper yet'}
      >
        {job.paper ?? '—'}
      </span>
      <span className="job-layers">
        {job.layer_count != null ? plural(job.layer_count, 'layer') : '—'}
      </span>
      <span className="job-time" title="Plot time at speed 1">
        <span className="visually-hidden">plot time </span>
        {duration(job.estimate_s)}
      </span>
      <span className="job-ink" title="Ink: the length drawn with the pen down">
        <span className="visually-hidden">ink </span>
        {millimetres(job.pen_down_mm)}
      </span>
      {where ? (
        <span
          className={where.none ? 'job-where row-plotter-none' : 'job-where'}
          data-testid="row-plotter"
          title={where.text}
        >
          {where.text}
        </span>
      ) : null}
      <div className="job-actions">
        {/* Recovery starts from the scan's view of the job; until it arrives (a moment), there is nothing to show. */}
        {actionsFor(job.state, condition)
          .filter((a) => a !== 'recover' || condition)
          .map((a) => (
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
    </div>
  );
});
