import { ProgressBar } from '../queue/ProgressBar';
import { StateBadge } from '../queue/StateBadge';
import { useJobs } from '../store/jobs';

/** The resumed plot, live, until it ends. */
export function Watch({ id }: { id: string }) {
  const state = useJobs((s) => s.jobs.find((j) => j.id === id)?.state);
  const progress = useJobs((s) => s.progress[id]);
  const error = useJobs((s) => s.rowErrors[id]);
  const speed = useJobs((s) => s.speeds[id] ?? 1);
  return (
    <div className="watch">
      <p className="big-state">{state ? <StateBadge state={state} /> : null}</p>
      {progress && state !== 'COMPLETED' ? (
        <ProgressBar
          fraction={progress.fraction}
          etaS={progress.etaS / speed}
          label={`${id} progress`}
        />
      ) : null}
      {state === 'COMPLETED' ? <p>The drawing is finished.</p> : null}
      {error ? (
        <p className="row-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
