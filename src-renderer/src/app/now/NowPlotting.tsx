import { useEffect, useState } from 'react';
import type { JobInfo } from '../../../../src-main/api/contract';
import type { IndexedJob } from '../../../../src-main/jobs/store';
import { api } from '../../client';
import { duration } from '../format';
import { ActionButton } from '../queue/ActionButton';
import type { RowAction } from '../queue/actions';
import { pauseStepText } from '../queue/pauseStep';
import { isLive } from '../queue/plotGate';
import { useJobAction } from '../queue/useJobAction';
import { useDetail } from '../store/detail';
import { useJobs } from '../store/jobs';
import { layerText, plotStartedAt } from './nowText';

/** Re-renders every second while shown: elapsed time moves on between progress events. */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function NowJob({ job }: { job: IndexedJob }) {
  const progress = useJobs((s) => s.progress[job.id]);
  const condition = useJobs((s) => s.conditions[job.id]);
  const speed = useJobs((s) => s.speeds[job.id] ?? 1);
  const busy = useJobs((s) => s.busy[job.id]);
  const showDetail = useDetail((s) => s.show);
  const run = useJobAction(job);
  const now = useNow();
  const [info, setInfo] = useState<JobInfo>();
  useEffect(() => {
    let live = true;
    api.call('jobs.get', { id: job.id }).then(
      (i) => live && setInfo(i),
      () => undefined,
    );
    return () => void (live = false);
  }, [job.id, job.state]);

  const step = pauseStepText(condition);
  const layers = info?.plan?.layers ?? [];
  const where =
    step ??
    layerText(layers, progress?.layer) ??
    (layers.length ? `${layers.length} layers` : undefined);
  const since = info ? plotStartedAt(info.journal.history) : undefined;
  const actions: RowAction[] = step ? ['continue', 'abort'] : ['pause', 'abort'];
  const pct = progress ? Math.round(Math.min(1, Math.max(0, progress.fraction)) * 100) : undefined;
  return (
    <div className="now-job" data-testid="now-job" data-job={job.id}>
      <span className="now-label">{step ? 'Waiting for you' : 'Now plotting'}</span>
      <button
        type="button"
        className="link now-name"
        onClick={() => showDetail(job.id)}
        title={`Show details of ${job.source_name ?? job.id}`}
      >
        {job.source_name ?? job.id}
      </button>
      {where ? (
        <span className={step ? 'now-where now-step' : 'now-where'} data-testid="now-layer">
          {where}
        </span>
      ) : null}
      <span className="now-time" data-testid="now-time">
        {since !== undefined ? `${duration((now - since) / 1000)} elapsed` : ''}
        {since !== undefined && progress ? ' · ' : ''}
        {progress ? `${duration(progress.etaS / speed)} left` : ''}
      </span>
      {pct !== undefined ? (
        <progress
          className="now-progress"
          max={100}
          value={pct}
          aria-label={`${job.source_name ?? job.id}: ${pct}% done`}
        />
      ) : null}
      <span className="now-actions">
        {actions.map((a) => (
          <ActionButton
            key={a}
            action={a}
            state={job.state}
            condition={condition}
            busy={busy}
            run={run}
          />
        ))}
      </span>
    </div>
  );
}

/**
 * Pinned to the bottom of the window, above every panel: the plot under way (or waiting for a pen)
 * with its layer, pen, time and the buttons to stop it, wherever the rest of the page is scrolled.
 */
export function NowPlotting() {
  const jobs = useJobs((s) => s.jobs);
  const conditions = useJobs((s) => s.conditions);
  const current = jobs.filter(
    (j) => isLive(j, conditions[j.id]) || (j.state === 'PAUSED' && conditions[j.id]?.step),
  );
  if (!current.length) return null;
  return (
    <section className="now-plotting" aria-label="Now plotting" data-testid="now-plotting">
      {current.map((j) => (
        <NowJob key={j.id} job={j} />
      ))}
    </section>
  );
}
