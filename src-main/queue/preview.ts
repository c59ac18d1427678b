/**
 * The queue as `vfab info queue` and the app show it: for each queued job, the plotter that will
 * take it (assignQueue, with plotting plotters free when their job's estimate runs out and
 * plotters holding a paused or interrupted job taking nothing), or why none can; and for jobs on
 * a plotter, which plotter holds their sheet. From journals and plans only: no port is opened.
 */
import type { Engine } from '../engine';
import { holdersOf, sheetHolders } from '../plotters/holders';
import { configuredPlotters } from '../plotters/plotters';
import { assignQueue, type Assignment, type QueueSlot } from './eligibility';
import { QueueReader } from './queued';
import type { PlotterView } from './runner';
import type { JobTarget } from './target';

export interface QueuePreview {
  /** Queued jobs, in queue order. */
  assignments: Assignment[];
  targets: Map<string, JobTarget>;
  /** ARMED, PLOTTING and PAUSED jobs: the plotter their journal names. */
  onPlotter: Map<string, string>;
}

/**
 * `run`: a queue run under way in this process; only its plotters take jobs, and a plotter it
 * holds (a paused job) or cannot reach takes none. `reader`: one kept between calls reads each
 * queued plan once.
 */
export function queuePreview(
  engine: Engine,
  run?: readonly PlotterView[],
  reader = new QueueReader(engine.store, engine.paths.jobsDir),
): QueuePreview {
  const plotters = configuredPlotters(engine.config);
  const names = plotters.map((p) => p.name);
  const holders = sheetHolders(engine.store, {
    jobsDir: engine.paths.jobsDir,
    stuckAfterS: engine.config.recovery.stuck_after_s,
  });
  const now = Date.now();
  const slots: QueueSlot[] = plotters.map((p) => {
    const held = holdersOf(holders, p, names);
    const waiting = held.find((h) => h.kind === 'interrupted');
    const facts = { name: p.name, model: p.model, sheet: p.sheet };
    if (run) {
      const s = run.find((v) => v.plotter.name === p.name)?.state;
      if (!s) return { plotter: facts, freeInS: null, why: 'not in this queue run' };
      if (s.kind === 'holding')
        return { plotter: facts, freeInS: null, why: `holds job ${s.job} (${s.why})` };
      if (s.kind === 'offline')
        return { plotter: facts, freeInS: null, why: `offline: ${s.reason}` };
    }
    if (waiting)
      return { plotter: facts, freeInS: null, why: `holds ${waiting.state} job ${waiting.id}` };
    const live = held[0];
    if (!live) return { plotter: facts, freeInS: 0 };
    const estimate = engine.store.get(live.id)?.estimate_s ?? 0;
    const elapsed = (now - (Date.parse(live.owner?.owner.since ?? '') || now)) / 1000;
    return { plotter: facts, freeInS: Math.max(0, estimate - elapsed) };
  });
  const queue = reader.read();
  const onPlotter = new Map<string, string>();
  for (const h of holders) {
    const named = h.mark?.plotter ?? h.mark?.device;
    if (named) onPlotter.set(h.id, named);
  }
  return {
    assignments: assignQueue(queue, slots),
    targets: new Map(queue.map((j) => [j.id, j.target])),
    onPlotter,
  };
}
