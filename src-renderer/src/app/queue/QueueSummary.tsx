import { useMemo } from 'react';
import type { IndexedJob } from '../../../../src-main/jobs/store';
import { duration, millimetres, plural } from '../format';
import { usePlotters } from '../store/plotters';
import { visibleJobs } from '../store/jobs';
import { queueTotals } from './totals';

/** What the queue adds up to, above the list: how many jobs wait, how long and how much ink they take, and which pens to have at hand. */
export function QueueSummary({ jobs }: { jobs: IndexedJob[] }) {
  const assignments = usePlotters((s) => s.assignments);
  const plotters = usePlotters((s) => s.plotters);
  const totals = useMemo(() => {
    const speeds = new Map(plotters.map((p) => [p.name, p.speed]));
    return queueTotals(
      visibleJobs(jobs, 'QUEUED'),
      (id) => speeds.get(assignments[id]?.plotter ?? '') ?? 1,
    );
  }, [jobs, assignments, plotters]);
  if (!jobs.length) return null;
  if (!totals.count) {
    return (
      <p className="queue-summary queue-summary-idle" data-testid="queue-summary" data-count="0">
        Nothing waits to plot. Queue a READY job to have it plotted in turn.
      </p>
    );
  }
  const missing = (n: number, what: string) =>
    n ? (
      <span className="muted">
        {' '}
        ({plural(n, 'job')} without {what})
      </span>
    ) : null;
  return (
    <section
      className="queue-summary"
      aria-label="Queue totals"
      data-testid="queue-summary"
      data-count={totals.count}
      data-seconds={Math.round(totals.seconds)}
      data-ink-mm={Math.round(totals.inkMm)}
    >
      <dl>
        <div>
          <dt>Waiting to plot</dt>
          <dd data-testid="summary-count">{plural(totals.count, 'job')}</dd>
        </div>
        <div>
          <dt>Plot time</dt>
          <dd data-testid="summary-time">
            {duration(totals.seconds)}
            {Math.round(totals.seconds) !== Math.round(totals.plotterSeconds) ? (
              <span className="muted">
                {' '}
                (virtual plotters run faster; {duration(totals.plotterSeconds)} on real ones)
              </span>
            ) : null}
            {missing(totals.unestimated, 'an estimate')}
          </dd>
        </div>
        <div>
          <dt>Ink</dt>
          <dd data-testid="summary-ink">{millimetres(totals.inkMm)}</dd>
        </div>
        <div className="summary-pens">
          <dt>Pens</dt>
          <dd data-testid="summary-pens">
            {totals.pens.length ? (
              <ul>
                {totals.pens.map((p) => (
                  <li key={p.name} data-testid="summary-pen" data-pen={p.name} data-jobs={p.jobs}>
                    <span
                      className="pen-swatch"
                      aria-hidden="true"
                      style={p.color ? { background: p.color } : undefined}
                    />
                    {p.name}
                    <span className="muted"> ({plural(p.jobs, 'job')})</span>
                  </li>
                ))}
              </ul>
            ) : (
              'not known yet'
            )}
            {totals.pens.length ? missing(totals.penless, 'pens known') : null}
          </dd>
        </div>
      </dl>
    </section>
  );
}
