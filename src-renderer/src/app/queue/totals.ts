import type { IndexedJob } from '../../../../src-main/jobs/store';

export interface PenNeed {
  name: string;
  color: string | null;
  /** Queued jobs that draw with it. */
  jobs: number;
}

export interface QueueTotals {
  /** Jobs waiting to plot (QUEUED). */
  count: number;
  /** Plot time of those with an estimate, in seconds of real time at their plotters' speeds. */
  seconds: number;
  /** The same at speed 1, as the rows' estimates are: differs only where a virtual plotter runs faster. */
  plotterSeconds: number;
  /** Pen-down length of those with a plan, in millimetres. */
  inkMm: number;
  /** Queued jobs without an estimate or without pens known: their share is missing from the sums. */
  unestimated: number;
  penless: number;
  /** Each pen once, in the order the queue first needs it. */
  pens: PenNeed[];
}

/**
 * What the queue adds up to. `speedOf(id)`: how many times faster than real time the plotter
 * that takes the job runs (estimates are plotter time at speed 1; a virtual plotter may run faster).
 */
export function queueTotals(
  jobs: readonly IndexedJob[],
  speedOf: (id: string) => number,
): QueueTotals {
  const totals: QueueTotals = {
    count: 0,
    seconds: 0,
    plotterSeconds: 0,
    inkMm: 0,
    unestimated: 0,
    penless: 0,
    pens: [],
  };
  const pens = new Map<string, PenNeed>();
  for (const j of jobs) {
    if (j.state !== 'QUEUED') continue;
    totals.count++;
    if (j.estimate_s == null) totals.unestimated++;
    else {
      totals.seconds += j.estimate_s / speedOf(j.id);
      totals.plotterSeconds += j.estimate_s;
    }
    totals.inkMm += j.pen_down_mm ?? 0;
    if (!j.pens) totals.penless++;
    for (const p of j.pens ?? []) {
      const need = pens.get(p.name) ?? { name: p.name, color: p.color, jobs: 0 };
      need.jobs++;
      pens.set(p.name, need);
    }
  }
  totals.pens = [...pens.values()];
  return totals;
}
