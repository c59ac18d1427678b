/**
 * The service's queue runner (src-main/queue/runner.ts, one per process): queue.start runs it in
 * the background, queue.stop and the service's shutdown stop it, and every client follows it
 * through `queue.event`. Its jobs' transitions and progress also go out as job.changed and
 * plot.progress, so the queue's rows follow them as they follow a plot started from a row.
 */
import type { Engine } from '../engine';
import { VfabError } from '../errors';
import type { PlotterSpec } from '../plotters/plotters';
import type { RunnerEvent } from '../queue/events';
import {
  createQueueRunner,
  DEFAULT_PAGE_DELAY_S,
  type PlotterView,
  type QueueRunner,
} from '../queue/runner';
import type { Params, QueueRunOptions, QueueRunSummary, QueueStatus } from './contract';
import type { EventHub } from './events';
import { withTimeout } from './plots';

export interface ServiceQueue {
  /** Starts a run in the background; BUSY while one runs. */
  start(p: Params<'queue.start'>): QueueStatus;
  /** 'finish' answers at once; 'pause' waits (at most the stop wait) for the plots to let go. */
  stop(mode: 'finish' | 'pause'): Promise<QueueStatus>;
  status(): QueueStatus;
  /** Confirms the paper change of `plotter` (every plotter waiting, when absent); returns those confirmed. */
  paperChanged(plotter?: string): string[];
  /** The run's plotters and their states; undefined when no run is under way. */
  views(): PlotterView[] | undefined;
  /** Jobs the run plots now. */
  plotting(): string[];
  /** What the run does on this plotter that keeps a single plot off it now, or undefined. */
  busyWith(plotter: PlotterSpec): string | undefined;
  /** Signal path for every plot of the run; refuses new runs from now on. */
  shutdown(reason: string): Promise<void>;
}

interface Run {
  runner: QueueRunner;
  options: QueueRunOptions;
  since: string;
  stopping: QueueStatus['stopping'];
  /** Resolves once the run has ended and `last` holds its summary. */
  ended: Promise<void>;
}

/** The job whose state a runner event reports a change of. */
function changedJob(e: RunnerEvent): string | undefined {
  switch (e.type) {
    case 'job.started':
    case 'job.completed':
    case 'job.paused':
    case 'job.failed':
    case 'job.interrupted':
      return e.job;
    default:
      return undefined;
  }
}

export function createServiceQueue(
  engine: Engine,
  hub: EventHub,
  changed: (id: string) => void,
  opts: { stopWaitMs: number },
): ServiceQueue {
  let run: Run | undefined;
  let last: QueueRunSummary | null = null;
  let closing = false;

  const forward = (e: RunnerEvent) => {
    hub.emit('queue.event', e);
    if (e.type === 'plot.progress') hub.emit('plot.progress', { id: e.job, ...e.progress });
    const job = changedJob(e);
    if (job) changed(job);
  };

  const status = (): QueueStatus => {
    const views = run?.runner.plotters() ?? [];
    return {
      running: run !== undefined,
      since: run?.since ?? null,
      options: run?.options ?? null,
      stopping: run?.stopping ?? null,
      plotters: views,
      waitingForPaper: run?.runner.waitingForPaper() ?? [],
      last,
    };
  };

  const viewOf = (plotter: PlotterSpec) =>
    run?.runner
      .plotters()
      .find(
        (v) =>
          v.plotter.name === plotter.name ||
          (plotter.port !== null && v.plotter.port === plotter.port),
      );

  return {
    start(p) {
      if (closing) throw new VfabError('BUSY', 'vfab is shutting down; the queue was not started.');
      if (run)
        throw new VfabError(
          'BUSY',
          `The queue is running already (since ${run.since}, on ${run.options.plotters.join(', ')}): stop it first, or let it finish.`,
        );
      const unattended = p.unattended ?? false;
      const pageDelayS = p.pageDelayS ?? DEFAULT_PAGE_DELAY_S;
      const watch = p.watch ?? false;
      const runner = createQueueRunner(engine, {
        ...(p.plotters ? { plotters: p.plotters } : {}),
        ...(p.speed ? { speed: p.speed } : {}),
        unattended,
        pageDelayS,
        watch,
      });
      const off = runner.subscribe(forward);
      const since = new Date().toISOString();
      let done;
      try {
        done = runner.run();
      } catch (err) {
        off();
        throw err;
      }
      const options = {
        plotters: runner.plotters().map((v) => v.plotter.name),
        unattended,
        pageDelayS,
        watch,
        speed: p.speed ?? null,
      };
      const mine: Run = {
        runner,
        options,
        since,
        stopping: null,
        ended: done.then((s) => {
          off();
          last = { ...s, startedAt: since, endedAt: new Date().toISOString() };
          if (run === mine) run = undefined;
        }),
      };
      run = mine;
      return status();
    },

    async stop(mode) {
      const r = run;
      if (!r)
        throw new VfabError('INVALID_STATE', 'The queue is not running: there is nothing to stop.');
      if (r.stopping === null || (mode === 'pause' && r.stopping === 'finish')) r.stopping = mode;
      void r.runner.stop(mode);
      if (mode === 'pause') await withTimeout(r.ended, opts.stopWaitMs);
      return status();
    },

    status,

    paperChanged(plotter) {
      if (!run)
        throw new VfabError(
          'INVALID_STATE',
          'The queue is not running: no plotter waits for paper. Start the queue first.',
        );
      const waiting = run.runner.waitingForPaper();
      if (plotter === undefined) {
        if (!waiting.length)
          throw new VfabError('INVALID_STATE', 'No plotter is waiting for paper now.');
      } else {
        const view = run.runner.plotters().find((v) => v.plotter.name === plotter);
        if (!view)
          throw new VfabError(
            'INVALID_STATE',
            `Plotter '${plotter}' is not part of this queue run (${run.options.plotters.join(', ')}).`,
          );
        if (!waiting.includes(plotter))
          throw new VfabError(
            'INVALID_STATE',
            `Plotter '${plotter}' is not waiting for paper (it is ${view.state.kind.replace('_', ' ')}).`,
          );
      }
      return run.runner.paperChanged(plotter, 'app');
    },

    views: () => run?.runner.plotters(),

    plotting: () =>
      (run?.runner.plotters() ?? []).flatMap((v) =>
        v.state.kind === 'plotting' ? [v.state.job] : [],
      ),

    busyWith(plotter) {
      const s = viewOf(plotter)?.state;
      if (s?.kind === 'plotting') return `the queue is plotting job '${s.job}' there`;
      if (s?.kind === 'waiting_paper')
        return `the queue waits there for a paper change before job '${s.next}'`;
      if (s?.kind === 'connecting') return 'the queue is connecting to it';
      return undefined;
    },

    async shutdown(reason) {
      closing = true;
      const r = run;
      if (!r) return;
      r.stopping = 'signal';
      void r.runner.shutdown(reason);
      await r.ended;
    },
  };
}
