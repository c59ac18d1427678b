/** plot.* and recovery.*: starting, pausing, resuming and aborting plots, and what was interrupted. */
import { abortResting, admitPlot, admitResume, requestPause } from '../../app/jobs';
import { plotterForJob, refuseHeldCarriage } from '../../app/plot-session';
import { VfabError } from '../../errors';
import { refuseUnready, sheetUsed } from '../../plotters/ready';
import { classifyJobs } from '../../recovery/classify';
import type { HandlersFor, ServiceParts } from './context';

export function plotHandlers(parts: ServiceParts): HandlersFor<'plot'> & HandlersFor<'recovery'> {
  const { engine, plots, queue, changed } = parts;

  const refuseRunning = (id: string) => {
    if (plots.has(id)) throw new VfabError('BUSY', `Job '${id}' is already being plotted.`);
  };

  /** The device lock keeps a single plot and the queue apart; this says which job holds the plotter before trying. */
  const refuseQueuePlotter = (id: string, device: string | undefined) => {
    const plotter = plotterForJob(engine, id, device);
    const doing = queue.busyWith(plotter);
    if (doing)
      throw new VfabError(
        'BUSY',
        `Plotter '${plotter.name}' is taken by the queue: ${doing}. Stop the queue (or let it finish), or plot job '${id}' on another plotter.`,
      );
  };

  return {
    'plot.start': async (p) => {
      refuseRunning(p.id);
      const { fresh, recovery } = admitPlot(engine, p.id);
      refuseQueuePlotter(p.id, p.device);
      const plotter = plotterForJob(engine, p.id, p.device);
      await refuseHeldCarriage(engine, plotter, p.id);
      refuseRunning(p.id); // asked again while the carriage was looked at
      if (fresh) refuseUnready(engine.config, engine.paths.dataDir, plotter.name, p.id);
      plots.start(p.id, {
        device: p.device ?? null,
        speed: p.speed,
        carriageAtHome: p.carriageAtHome,
        recovery,
        ...(p.layer !== undefined && { layerOnly: p.layer }),
      });
      if (fresh) sheetUsed(engine.config, engine.paths.dataDir, plotter.name, p.id);
      return { id: p.id, started: true };
    },

    'plot.resume': async (p) => {
      refuseRunning(p.id);
      const c = admitResume(engine, p.id);
      refuseQueuePlotter(p.id, p.device);
      await refuseHeldCarriage(engine, plotterForJob(engine, p.id, p.device), p.id);
      refuseRunning(p.id);
      plots.start(p.id, {
        device: p.device ?? null,
        speed: p.speed,
        carriageAtHome: p.carriageAtHome,
        backUpStrokes: p.backUpStrokes,
        recovery: c.cause !== 'paused',
      });
      return { id: p.id, started: true };
    },

    'plot.pause': async (p) => {
      if (plots.has(p.id)) return { id: p.id, state: await plots.stop(p.id, 'pause') };
      // Another vfab process plots it: ask it the way `vfab pause` does.
      const { state, requested } = requestPause(engine, p.id);
      return requested ? { id: p.id, state, requested } : { id: p.id, state };
    },

    'plot.abort': async (p) => {
      if (plots.has(p.id)) return { id: p.id, state: await plots.stop(p.id, 'abort') };
      const state = abortResting(engine, p.id);
      changed(p.id);
      return { id: p.id, state };
    },

    'recovery.scan': () => ({
      jobs: classifyJobs(engine.store, {
        jobsDir: engine.paths.jobsDir,
        stuckAfterS: engine.config.recovery.stuck_after_s,
      }),
    }),
  };
}
