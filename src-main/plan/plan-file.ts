/**
 * `plan.json`: what the plotter will draw, layer by layer, in plotting order, with the settings
 * that produced it. Versioned so a later vfab can refuse (or convert) an older shape explicitly.
 */
import fs from 'node:fs';
import { VfabError } from '../errors';
import { writeFileAtomic } from '../util/atomic';
import type { LayerEstimate } from './estimate';
import type { OptimizationPreset, OptimizeStats } from './optimize';
import type { FitMode, Orientation } from './paper';
import { NO_CODES } from '../svg/layers';
import type { LayerCodes, LayerSource, Polyline } from '../svg/types';
import type { AxiDrawModel } from './models';
import type { PenChangeMode, PenMap } from './pens';

export const PLAN_FORMAT = 1;

export interface PlanSettings {
  preset: OptimizationPreset;
  /** A paper name, W×H, or `document`: the SVG's own page (see paperFor). */
  paper: string;
  /** Absent: follow the drawing (landscape when it is wider than tall). */
  orientation?: Orientation;
  marginMm: number;
  fit: FitMode;
  model: AxiDrawModel;
  toleranceMm: number;
  /** Douglas–Peucker simplification, mm; absent: the preset's default. */
  simplifyMm?: number;
  /** Pen-up hops shorter than this were drawn pen-down (config plot.min_gap_mm); absent in plans made before it: none were. */
  minGapMm?: number;
  /** `--cornering`: AxiDraw's cornering factor, pinned for this job's estimate and plot; absent: the plotter's device.cornering, as for speeds. */
  cornering?: number;
  /** AxiDraw's auto_rotate: turn a portrait document 90°, and a drawing that fits only turned. Absent (older plans): no. */
  autoRotate?: boolean;
  /** Which changes of layer number pause for a pen swap; absent (older plans): `pause`. */
  penChange?: PenChangeMode;
  /** Config `pens:` when planned: layer number → pen. */
  pens?: PenMap;
}

/** The few numbers listing and estimates need, readable without the paths. */
export interface PlanSummary {
  paper: string;
  paperWidthMm: number;
  paperHeightMm: number;
  /** The drawing was turned 90° counter-clockwise (its top to the left) to fit. */
  rotated?: boolean;
  scale: number;
  layerCount: number;
  pathCount: number;
  pointCount: number;
  penDownMm: number;
  travelMm: number;
  travelBeforeMm: number;
  lifts: number;
  estimateS: number;
}

/** Codes are null when the label has none; plans written before them have no such fields and read as null. */
export interface PlanLayer extends LayerCodes {
  name: string;
  pen: number | null;
  /** Stop before this layer: a `!` layer, or a pen change (plan/pens.ts). */
  pauseBefore: boolean;
  pause: 'layer_pause' | 'pen_change' | null;
  color: string | null;
  /** The pen config `pens:` maps this layer's number to, shown at the pause before it. */
  penName?: string;
  source: LayerSource;
  stats: OptimizeStats;
  estimate: LayerEstimate;
  paths: Polyline[];
}

export interface Plan {
  format: typeof PLAN_FORMAT;
  job: string;
  createdAt: string;
  settings: PlanSettings;
  summary: PlanSummary;
  layers: PlanLayer[];
}

/** Micrometres are far below what a plotter resolves (1/80 mm per step) and keep the file small. */
const round3 = (v: number) => Math.round(v * 1000) / 1000;

export function writePlan(file: string, plan: Plan): void {
  const json = {
    ...plan,
    layers: plan.layers.map((l) => ({ ...l, paths: l.paths.map((p) => Array.from(p, round3)) })),
  };
  writeFileAtomic(file, `${JSON.stringify(json)}\n`);
}

export function readPlan(file: string): Plan {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new VfabError(
      'DATA',
      `Cannot read the plan ${file}: ${(err as Error).message}. Re-plan the job with 'vfab plan <job>'.`,
    );
  }
  const plan = raw as Plan & { layers: (Omit<PlanLayer, 'paths'> & { paths: number[][] })[] };
  if (plan?.format !== PLAN_FORMAT || !Array.isArray(plan.layers)) {
    throw new VfabError(
      'DATA',
      `${file} is not a plan this vfab understands (format ${String(plan?.format)}, expected ${PLAN_FORMAT}). Re-plan the job with 'vfab plan <job>'.`,
    );
  }
  return {
    ...plan,
    layers: plan.layers.map((l) => ({
      ...NO_CODES,
      ...l,
      paths: l.paths.map((p) => Float64Array.from(p)),
    })),
  };
}

export type PlanOverview = Omit<Plan, 'layers'> & { layers: Omit<PlanLayer, 'paths'>[] };

/** A plan without its paths, for `info job`; undefined when missing or unreadable. */
export function readPlanOverview(file: string): PlanOverview | undefined {
  try {
    const plan = JSON.parse(fs.readFileSync(file, 'utf8')) as Plan;
    if (plan.format !== PLAN_FORMAT) return undefined;
    return {
      ...plan,
      layers: plan.layers.map(({ paths: _paths, ...layer }) => ({ ...NO_CODES, ...layer })),
    };
  } catch {
    return undefined;
  }
}

/** The paper as people read it: "A4 landscape", and how the drawing sits on it when turned. */
export function paperLabel(s: Pick<PlanSummary, 'paper' | 'rotated'>): string {
  return s.rotated ? `${s.paper}, drawing turned 90°` : s.paper;
}
