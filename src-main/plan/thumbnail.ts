/**
 * A plan made small enough for a queue row's picture: every path snapped to a grid of a few
 * dozen cells across the paper, so a 300,000-point drawing becomes a few thousand points that
 * look the same at thumbnail size. Layers, their order and pen colours stay as planned. Pure.
 */
import type { Plan } from './plan-file';
import type { Polyline } from '../svg/types';

/** Cells along the paper's longer side: finer than a row's picture has pixels at 2× density. */
export const THUMBNAIL_CELLS = 128;
/** Coarser than this the picture no longer shows the drawing: the budget is kept by leaving paths out. */
const MIN_CELLS = 32;
/** Points in a thumbnail at most: its payload stays under ~90 kB of base64. */
export const THUMBNAIL_MAX_POINTS = 8000;

/** Grid coordinates of one path with repeats and straight-through points dropped; a path inside one cell is a dot (two equal points). */
function snap(path: Polyline, cellMm: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < path.length; i += 2) {
    const x = Math.round(path[i]! / cellMm);
    const y = Math.round(path[i + 1]! / cellMm);
    const n = out.length;
    if (n >= 2 && out[n - 2] === x && out[n - 1] === y) continue;
    // The middle of three points on one straight run adds nothing.
    if (n >= 4) {
      const ax = out[n - 4]!;
      const ay = out[n - 3]!;
      const bx = out[n - 2]!;
      const by = out[n - 1]!;
      if (
        (bx - ax) * (y - ay) === (by - ay) * (x - ax) &&
        (bx - ax) * (x - bx) + (by - ay) * (y - by) >= 0
      ) {
        out[n - 2] = x;
        out[n - 1] = y;
        continue;
      }
    }
    out.push(x, y);
  }
  if (out.length === 2) out.push(out[0]!, out[1]!);
  return out;
}

function snapLayers(plan: Plan, cellMm: number): number[][][] {
  return plan.layers.map((l) => {
    // The same stroke drawn twice (hatching, copies) is one stroke in the picture.
    const seen = new Set<string>();
    const paths: number[][] = [];
    for (const p of l.paths) {
      if (p.length < 2) continue;
      const s = snap(p, cellMm);
      const key = s.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      paths.push(s);
    }
    return paths;
  });
}

const pointsIn = (layers: number[][][]) =>
  layers.reduce((n, l) => n + l.reduce((m, p) => m + p.length / 2, 0), 0);

/** The plan with its paths snapped to `cells` cells along the paper's longer side (coarser while over `maxPoints`). */
export function thumbnailPlan(
  plan: Plan,
  cells = THUMBNAIL_CELLS,
  maxPoints = THUMBNAIL_MAX_POINTS,
): Plan {
  const longest = Math.max(plan.summary.paperWidthMm, plan.summary.paperHeightMm, 1e-3);
  let cellMm = longest / cells;
  let layers = snapLayers(plan, cellMm);
  for (let c = cells >> 1; pointsIn(layers) > maxPoints && c >= MIN_CELLS; c >>= 1) {
    cellMm = longest / c;
    layers = snapLayers(plan, cellMm);
  }
  let budget = maxPoints;
  return {
    ...plan,
    layers: plan.layers.map((l, i) => ({
      ...l,
      paths: layers[i]!.filter((p) => (budget -= p.length / 2) >= 0).map((p) =>
        Float64Array.from(p, (v) => v * cellMm),
      ),
    })),
  };
}
