/**
 * The planned drawing as typed arrays, and where "done" ends in it. Pure: no DOM, no API.
 *
 * A position is the plan's (layer, path within the layer, point within the path) of the last
 * point on paper, as `plot.progress` events and checkpoints name it; everything up to and
 * including that point is drawn, everything after it remains.
 */
import type { PlanPreview } from '../../../../src-main/plan/preview';

export interface DrawingLayer {
  name: string;
  color: string | null;
  /** x, y pairs in mm. */
  xy: Float32Array;
  /** Path p is pairs starts[p] .. starts[p + 1] − 1. */
  starts: Uint32Array;
}

export interface Drawing {
  id: string;
  widthMm: number;
  heightMm: number;
  points: number;
  layers: DrawingLayer[];
}

export interface Position {
  layer: number | null;
  path: number | null;
  point: number | null;
}

function bytes(base64: string): ArrayBuffer {
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

export function decodePreview(p: PlanPreview): Drawing {
  return {
    id: p.id,
    widthMm: p.paperWidthMm,
    heightMm: p.paperHeightMm,
    points: p.points,
    layers: p.layers.map((l) => ({
      name: l.name,
      color: l.color,
      xy: new Float32Array(bytes(l.xy)),
      starts: new Uint32Array(bytes(l.starts)),
    })),
  };
}

/**
 * A position as one number that grows along the plot: the global index of the last point on
 * paper (layers back to back), or −1 for nothing drawn. Out-of-range parts are clamped, so a
 * position from another plan of the same job never throws.
 */
export function pointIndex(d: Drawing, pos: Position | null | undefined): number {
  if (!pos || pos.layer === null || pos.layer < 0) return -1;
  let before = 0;
  const layer = Math.min(pos.layer, d.layers.length - 1);
  for (let l = 0; l < layer; l++) before += d.layers[l]!.starts.at(-1)!;
  if (layer < pos.layer) return before + d.layers[layer]!.starts.at(-1)! - 1;
  const starts = d.layers[layer]!.starts;
  const paths = starts.length - 1;
  if (pos.path === null) return before - 1;
  const path = Math.min(pos.path, paths - 1);
  if (path < 0) return before - 1;
  const first = starts[path]!;
  const count = starts[path + 1]! - first;
  const point = path < pos.path ? count - 1 : Math.min(pos.point ?? 0, count - 1);
  return before + first + point;
}

/** Calls `fn(layer, from, to)` with layer-local pair ranges [from, to) covering global points [from, to). */
export function eachLayerRange(
  d: Drawing,
  from: number,
  to: number,
  fn: (layer: number, from: number, to: number) => void,
): void {
  let offset = 0;
  d.layers.forEach((l, i) => {
    const n = l.starts.at(-1)!;
    const a = Math.max(from - offset, 0);
    const b = Math.min(to - offset, n);
    if (a < b) fn(i, a, b);
    offset += n;
  });
}

/** The path holding layer-local pair `k` (binary search over starts). */
export function pathOf(starts: Uint32Array, k: number): number {
  let lo = 0;
  let hi = starts.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= k) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Where "redraw the last N strokes" resumes, as the runner's backUpFrom does it: from the start of
 * the stroke `done` is in, and N − 1 strokes before it. Returns the position the resume starts
 * from as a point index: that stroke's first point (reached pen up; nothing drawn to it), or −1.
 */
export function backUpPoint(d: Drawing, done: number, strokes: number): number {
  if (strokes <= 0 || done < 0) return done;
  const starts: number[] = [];
  let offset = 0;
  for (const l of d.layers) {
    for (let p = 0; p + 1 < l.starts.length; p++)
      if (l.starts[p + 1]! > l.starts[p]!) starts.push(offset + l.starts[p]!);
    offset += l.starts.at(-1)!;
  }
  let i = starts.length - 1;
  while (i >= 0 && starts[i]! > done) i--;
  const j = i - (strokes - 1);
  return j < 0 ? -1 : starts[j]!;
}
