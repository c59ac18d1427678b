/**
 * The plots a service runs in the background, one AbortController each (docs/recovery.md, invariant 6):
 * a pause or abort is that controller's reason, and shutdown gives every plot the signal path
 * and waits for all of them, so the pen is up and the journal written before the process ends.
 */
import type { Engine } from '../engine';
import { VfabError } from '../errors';
import type { JobState } from '../jobs/states';
import type { PlotProgress, StopRequest } from '../plotter/runner';
import { plotterForJob, runPlotSession, type PlotSessionOptions } from '../app/plot-session';
import { lostReason, type DeviceLinks } from './device-links';
import { createThrottle } from '../util/throttle';
import type { EventHub } from './events';

export type PlotStart = Pick<
  PlotSessionOptions,
  'device' | 'speed' | 'recovery' | 'backUpStrokes' | 'carriageAtHome' | 'layerOnly'
>;

export interface BackgroundPlots {
  has(id: string): boolean;
  ids(): string[];
  /** Starts the plot and returns at once; events report how it goes. */
  start(id: string, session: PlotStart): void;
  /** Aborts the plot with `reason` and waits (at most the stop wait) for it to let go; returns the job's state then. */
  stop(id: string, reason: StopRequest): Promise<JobState>;
  /** Signal path for every plot; refuses new ones from now on. */
  shutdown(reason: string): Promise<void>;
}

export function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

export function createBackgroundPlots(
  engine: Engine,
  hub: EventHub,
  changed: (id: string) => void,
  opts: { progressIntervalMs: number; stopWaitMs: number; links: DeviceLinks },
): BackgroundPlots {
  const progress = createThrottle<PlotProgress>(opts.progressIntervalMs, (id, p) =>
    hub.emit('plot.progress', { id, ...p }),
  );
  const active = new Map<string, { ctl: AbortController; done: Promise<void> }>();
  let stopping = false;

  return {
    has: (id) => active.has(id),
    ids: () => [...active.keys()],
    start(id, session) {
      if (stopping)
        throw new VfabError('BUSY', `vfab is shutting down; job '${id}' was not started.`);
      if (active.has(id)) throw new VfabError('BUSY', `Job '${id}' is already being plotted.`);
      const ctl = new AbortController();
      const plotter = plotterForJob(engine, id, session.device ?? undefined).name;
      const done = runPlotSession(engine, id, {
        ...session,
        signal: ctl.signal,
        onProgress: (p) => progress.push(id, p),
        onEvent: (event) => {
          // Progress first: a listener that sees 'complete' has already seen 100 %.
          progress.flush(id);
          if (event === 'start' || event === 'resume') opts.links.answered(plotter);
          // An interruption is told once, below, with its error.
          if (event !== 'interrupt') hub.emit('plot.event', { id, event });
          // The state a plot ends in is announced once, below, when the plotter is free again: a
          // page that plots the next job on that news is not refused BUSY.
          if (event === 'start' || event === 'resume') changed(id);
        },
      })
        .then(
          (result) => {
            if (result.state !== 'PLOTTING') return;
            // The link's trouble in words for the person at the plotter; the protocol detail stays in the log.
            const lost = opts.links.interrupted(result.plotter, id, result.reason)
              ? lostReason(result.reason)
              : undefined;
            hub.emit('plot.event', {
              id,
              event: 'interrupt',
              error: lost ? `plot interrupted: ${lost}` : result.error,
            });
          },
          // The session has logged it (notify/notifier.ts), unless it was a refusal (BUSY).
          (err: unknown) =>
            hub.emit('plot.event', {
              id,
              event: 'fail',
              error: (err as Error)?.message ?? String(err),
            }),
        )
        .finally(() => {
          progress.end(id);
          active.delete(id);
          changed(id);
        });
      active.set(id, { ctl, done });
    },
    async stop(id, reason) {
      const plot = active.get(id);
      if (plot) {
        plot.ctl.abort(reason);
        await withTimeout(plot.done, opts.stopWaitMs);
      }
      return engine.jobs.state(id);
    },
    async shutdown(reason) {
      stopping = true;
      const plots = [...active.values()];
      for (const plot of plots) plot.ctl.abort({ shutdown: reason } satisfies StopRequest);
      await Promise.all(plots.map((plot) => plot.done));
    },
  };
}
