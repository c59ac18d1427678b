/** plotters.* and queue.*: the plotters as the queue sees them, their sheets, and the queue runner. */
import { freshPlot } from '../../app/jobs';
import { plotterForJob } from '../../app/plot-session';
import type { Engine } from '../../engine';
import { jobFiles } from '../../jobs/workspace';
import { configuredPlotters, plottersNamed } from '../../plotters/plotters';
import {
  asksReady,
  confirmReady,
  forgetReady,
  readyNeeded,
  readyQuestion,
} from '../../plotters/ready';
import { queuePreview } from '../../queue/preview';
import { QueueReader } from '../../queue/queued';
import { listPlotters } from '../plotters';
import type { HandlersFor, ServiceParts } from './context';

export function plotterHandlers({
  engine,
  opts,
  queue,
}: ServiceParts): HandlersFor<'plotters'> & HandlersFor<'queue'> {
  // Kept between queue.preview calls (each job's plan read once), anew when an import swapped the store.
  let reader: { store: Engine['store']; reader: QueueReader } | undefined;
  const queueReader = () => {
    if (reader?.store !== engine.store)
      reader = { store: engine.store, reader: new QueueReader(engine.store, engine.paths.jobsDir) };
    return reader.reader;
  };

  return {
    'plotters.list': async () => ({
      plotters: await listPlotters(
        engine,
        queue.views(),
        (name) =>
          opts.plotterCamera?.(name) ?? {
            streamUrl: null,
            reason: 'this window has no live view of plotter cameras',
          },
      ),
    }),

    'plotters.paperChanged': (p) => {
      const named =
        p.plotter === undefined
          ? undefined
          : plottersNamed(engine.config, [p.plotter]).map((x) => x.name); // NOT_FOUND for a plotter that is none
      // New paper: whatever was confirmed about the old sheet no longer holds.
      forgetReady(
        engine.paths.dataDir,
        named ?? configuredPlotters(engine.config).map((x) => x.name),
      );
      // With ready checks on, a paper change means something outside the queue too: the next plot asks again.
      if (asksReady(engine.config) && !queue.status().running) return { confirmed: [] };
      return { confirmed: queue.paperChanged(p.plotter) };
    },

    'plotters.ready': (p) => {
      const plotter = plotterForJob(engine, p.id, p.device).name;
      return {
        plotter,
        needed:
          (freshPlot(engine, p.id) && readyNeeded(engine.config, engine.paths.dataDir, plotter)) ||
          null,
        question: readyQuestion(jobFiles(engine.paths.jobsDir, p.id).plan),
      };
    },

    'plotters.confirmReady': (p) => {
      const plotter = plottersNamed(engine.config, [p.plotter])[0]!.name;
      return { plotter, confirmedAt: confirmReady(engine.paths.dataDir, plotter) };
    },

    'queue.start': (p) => queue.start(p),

    'queue.stop': (p) => queue.stop(p.mode),

    'queue.status': () => queue.status(),

    'queue.preview': () => {
      const preview = queuePreview(engine, queue.views(), queueReader());
      return {
        jobs: preview.assignments.map((a) => ({
          id: a.job,
          target: preview.targets.get(a.job) ?? 'any',
          plotter: a.plotter,
          startsInS: a.startsInS ?? null,
          reason: a.reason ?? null,
        })),
        onPlotter: Object.fromEntries(preview.onPlotter),
      };
    },
  };
}
