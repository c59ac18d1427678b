/**
 * Which plotter may take which queued job, and which will (a preview). Pure: plans and plotters
 * in, answers out. A plotter takes a job when the job's target names it (or its model, or any),
 * the sheet loaded on it is the one the job was planned for (when the plotter says which; a job on
 * its document's own page of no standard size takes any loaded sheet that page fits on, since
 * nobody loads a 100 × 100 mm sheet), and the drawing lies within the carriage's travel. A job no plotter can take is never given to one.
 */
import type { AxiDrawModel } from '../plan/models';
import { boundsOf, DOCUMENT_PAPER, paperNameOf, PLOTTER_TRAVEL, type Bounds } from '../plan/paper';
import type { Plan } from '../plan/plan-file';
import { sheetHolds, sheetLabel, sheetMatches, type Sheet } from '../plan/sheet';
import type { JobTarget } from './target';

/** What eligibility needs of a plan. */
export interface PlanFacts {
  /** The sheet as placed on the machine, its name ("A4 landscape"), and whether it is the document's own page of no standard size. */
  sheet: { widthMm: number; heightMm: number; label: string; customPage: boolean };
  /** The drawing's extent in mm from home; null for an empty drawing. */
  bounds: Bounds | null;
  estimateS: number;
}

export interface QueuedJob extends PlanFacts {
  id: string;
  target: JobTarget;
  /** Why no plotter can take it whatever it is (its plan cannot be read). */
  problem?: string;
}

/** What eligibility needs of a plotter. */
export interface PlotterFacts {
  name: string;
  model: AxiDrawModel;
  sheet: Sheet | null;
}

export type Eligibility = { ok: true } | { ok: false; reason: string };

export function planFacts(plan: Plan): PlanFacts {
  const s = plan.summary;
  return {
    sheet: {
      widthMm: s.paperWidthMm,
      heightMm: s.paperHeightMm,
      label: s.paper,
      customPage:
        plan.settings.paper === DOCUMENT_PAPER && !paperNameOf(s.paperWidthMm, s.paperHeightMm),
    },
    bounds: boundsOf(plan.layers) ?? null,
    estimateS: s.estimateS,
  };
}

/** Rounding of flattened curves: a point this far past the travel still counts as inside. */
const EDGE_MM = 0.1;
const r = (v: number) => Math.round(v * 10) / 10;

export function eligibility(job: QueuedJob, plotter: PlotterFacts): Eligibility {
  if (job.problem) return { ok: false, reason: job.problem };
  const t = job.target;
  if (t !== 'any' && 'plotter' in t && t.plotter !== plotter.name)
    return { ok: false, reason: `queued for plotter ${t.plotter}` };
  if (t !== 'any' && 'model' in t && t.model !== plotter.model)
    return { ok: false, reason: `queued for an ${t.model}, this is an ${plotter.model}` };
  const { widthMm: w, heightMm: h, customPage } = job.sheet;
  if (
    plotter.sheet &&
    !sheetMatches(plotter.sheet, w, h) &&
    !(customPage && sheetHolds(plotter.sheet, w, h))
  ) {
    const what = customPage
      ? `the job's page, ${job.sheet.label}, is larger`
      : `the job is planned for ${job.sheet.label} (${r(w)} × ${r(h)} mm)`;
    return { ok: false, reason: `loaded with ${sheetLabel(plotter.sheet)}, ${what}` };
  }
  const [tx, ty] = PLOTTER_TRAVEL[plotter.model];
  const b = job.bounds;
  if (
    b &&
    (b.minX < -EDGE_MM || b.minY < -EDGE_MM || b.maxX > tx + EDGE_MM || b.maxY > ty + EDGE_MM)
  ) {
    return {
      ok: false,
      reason: `the drawing reaches ${r(b.maxX)} × ${r(b.maxY)} mm, an ${plotter.model} travels ${tx} × ${ty} mm`,
    };
  }
  return { ok: true };
}

/** A plotter as the preview sees it. */
export interface QueueSlot {
  plotter: PlotterFacts;
  /** Seconds until it can take a job (0: free now); null: it takes none now (offline, holds a paused job), `why` says why. */
  freeInS: number | null;
  why?: string;
}

export interface Assignment {
  job: string;
  /** The plotter that will take it; null when none can, `reason` says why. */
  plotter: string | null;
  /** Seconds until it starts, from the estimates (paper changes not counted). */
  startsInS?: number;
  reason?: string;
}

/**
 * Which plotter will take each job, in queue order: each job goes to the eligible plotter free
 * soonest (ties: the first listed), which is then busy for the job's estimate. The runner decides
 * the same way as plotters come free, so this is what the queue view shows before it runs.
 */
export function assignQueue(
  queue: readonly QueuedJob[],
  slots: readonly QueueSlot[],
): Assignment[] {
  const freeAt = slots.map((s) => s.freeInS);
  return queue.map((job) => {
    const verdicts = slots.map((s) => eligibility(job, s.plotter));
    let best = -1;
    verdicts.forEach((v, i) => {
      if (v.ok && freeAt[i] !== null && (best < 0 || freeAt[i]! < freeAt[best]!)) best = i;
    });
    if (best < 0) return { job: job.id, plotter: null, reason: noneReason(slots, verdicts) };
    const startsInS = freeAt[best]!;
    freeAt[best] = startsInS + job.estimateS;
    return { job: job.id, plotter: slots[best]!.plotter.name, startsInS };
  });
}

function noneReason(slots: readonly QueueSlot[], verdicts: readonly Eligibility[]): string {
  if (!slots.length) return 'no plotter';
  const why = slots.map((s, i) => {
    const v = verdicts[i]!;
    return `${s.plotter.name}: ${v.ok ? (s.why ?? 'takes no job now') : v.reason}`;
  });
  return why.length === 1 ? why[0]! : `no plotter can take it (${why.join('; ')})`;
}
