/**
 * The drawing as the app shows it: every planned path of every layer, in plot order and in
 * millimetres on the paper, packed as base64 so a 300,000-point drawing crosses IPC or the
 * WebSocket as a few MB of text instead of a JSON array per point.
 *
 * Indices are the plan's own: path p of layer l here is path p of layer l in `plot.progress` and
 * in checkpoints, and point i is the i-th (x, y) pair, so the renderer draws "what is on paper"
 * from a progress event without asking again.
 */
import type { Plan } from './plan-file';

export interface PreviewLayer {
  name: string;
  pen: number | null;
  color: string | null;
  pauseBefore: boolean;
  paths: number;
  /** base64 of little-endian float32 x, y pairs in mm, all paths back to back. */
  xy: string;
  /** base64 of little-endian uint32: path p is pairs starts[p] .. starts[p+1] − 1 (paths + 1 values). */
  starts: string;
}

export interface PlanPreview {
  id: string;
  paperWidthMm: number;
  paperHeightMm: number;
  points: number;
  layers: PreviewLayer[];
}

const base64 = (a: Float32Array | Uint32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export function planPreview(id: string, plan: Plan): PlanPreview {
  let total = 0;
  const layers = plan.layers.map((l): PreviewLayer => {
    const starts = new Uint32Array(l.paths.length + 1);
    let pairs = 0;
    l.paths.forEach((p, i) => {
      starts[i] = pairs;
      pairs += p.length >> 1;
    });
    starts[l.paths.length] = pairs;
    const xy = new Float32Array(pairs * 2);
    l.paths.forEach((p, i) => xy.set(p.subarray(0, (p.length >> 1) * 2), starts[i]! * 2));
    total += pairs;
    return {
      name: l.name,
      pen: l.pen,
      color: l.color,
      pauseBefore: l.pauseBefore,
      paths: l.paths.length,
      xy: base64(xy),
      starts: base64(starts),
    };
  });
  return {
    id,
    paperWidthMm: plan.summary.paperWidthMm,
    paperHeightMm: plan.summary.paperHeightMm,
    points: total,
    layers,
  };
}
