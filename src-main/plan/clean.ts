/**
 * Clean-up before ordering: drop repeated points and zero-length paths, drop paths drawn twice,
 * join paths whose ends touch, and optionally simplify. Inputs are never mutated; a path that
 * needs no change is passed through as the same array.
 */
import { PointGrid } from './spatial';
import type { Polyline } from '../svg/types';

/** Points closer than this are the same point (float noise from transforms, not geometry). */
const SAME_POINT_MM = 1e-9;

/**
 * The path without points that repeat the last kept point; null when fewer than two points are
 * left (nothing of length to draw).
 */
export function withoutRepeats(path: Polyline): Polyline | null {
  const n = path.length >> 1;
  if (n < 2) return null;
  const eps2 = SAME_POINT_MM * SAME_POINT_MM;
  let out: Float64Array | null = null;
  let w = 1;
  for (let i = 1; i < n; i++) {
    const last = out ?? path;
    const dx = path[2 * i]! - last[2 * (w - 1)]!,
      dy = path[2 * i + 1]! - last[2 * (w - 1) + 1]!;
    if (dx * dx + dy * dy > eps2) {
      if (out) {
        out[2 * w] = path[2 * i]!;
        out[2 * w + 1] = path[2 * i + 1]!;
      }
      w++;
    } else if (!out) {
      // First repeat: copy lazily so clean paths are passed through without allocation.
      out = path.slice(0, path.length);
    }
  }
  if (w < 2) return null;
  return out ? out.slice(0, 2 * w) : path;
}

const bits = new Float64Array(1);
const bitWords = new Uint32Array(bits.buffer);

/** Order-sensitive hash of the points, read forwards or backwards; -0 hashes as 0. */
function pointsHash(path: Polyline, backwards: boolean): number {
  const n = path.length >> 1;
  let h = 0x811c9dc5 ^ n;
  for (let k = 0; k < n; k++) {
    const i = backwards ? n - 1 - k : k;
    for (let c = 0; c < 2; c++) {
      bits[0] = path[2 * i + c]! + 0;
      h = Math.imul(h ^ bitWords[0]!, 0x01000193);
      h = Math.imul(h ^ bitWords[1]!, 0x01000193);
    }
  }
  return h >>> 0;
}

function samePoints(a: Polyline, b: Polyline, backwards: boolean): boolean {
  if (a.length !== b.length) return false;
  const n = a.length >> 1;
  for (let k = 0; k < n; k++) {
    const i = backwards ? n - 1 - k : k;
    if (a[2 * k] !== b[2 * i] || a[2 * k + 1] !== b[2 * i + 1]) return false;
  }
  return true;
}

/**
 * Paths with exactly the points of an earlier path, in either direction, are dropped, except
 * those `keep` names (by index in `paths`).
 */
export function withoutDuplicates(
  paths: readonly Polyline[],
  keep?: (i: number) => boolean,
): Polyline[] {
  const buckets = new Map<number, number[]>();
  const out: Polyline[] = [];
  for (const [k, path] of paths.entries()) {
    const f = pointsHash(path, false),
      b = pointsHash(path, true);
    const key = Math.min(f, b);
    const bucket = buckets.get(key);
    if (
      !keep?.(k) &&
      bucket?.some((i) => samePoints(out[i]!, path, false) || samePoints(out[i]!, path, true))
    )
      continue;
    if (bucket) bucket.push(out.length);
    else buckets.set(key, [out.length]);
    out.push(path);
  }
  return out;
}

/** Whether (ax, ay) and (bx, by) are within `tolerance` (exactly equal when it is 0). */
function near(ax: number, ay: number, bx: number, by: number, tolerance: number): boolean {
  const dx = ax - bx,
    dy = ay - by;
  return dx * dx + dy * dy <= tolerance * tolerance;
}

/** Whether path i's last point is within `tolerance` of path j's first. */
function leadsTo(paths: readonly Polyline[], i: number, j: number, tolerance: number): boolean {
  const a = paths[i]!,
    b = paths[j]!;
  return near(a[a.length - 2]!, a[a.length - 1]!, b[0]!, b[1]!, tolerance);
}

/**
 * The paths that carry the file's own stroke across a gap: drawn from where the previous path
 * ends to where the next begins, which do not touch each other. Dropping such a path as a
 * duplicate would break one continuous stroke into two (a stipple or TSP walk that goes back
 * over a step), costing a lift and a hop that drawing it again does not.
 */
export function bridges(paths: readonly Polyline[], tolerance: number): (i: number) => boolean {
  return (i) =>
    i > 0 &&
    i + 1 < paths.length &&
    leadsTo(paths, i - 1, i, tolerance) &&
    leadsTo(paths, i, i + 1, tolerance) &&
    !leadsTo(paths, i - 1, i + 1, tolerance);
}

/**
 * The paths in their given order and direction, each joined to the one before when it starts
 * within `tolerance` of where that one ends: the file's own order with its continuous strokes
 * drawn as one, which is never more pen-up travel than the file as given.
 */
export function joinConsecutive(
  paths: readonly Polyline[],
  tolerance: number,
): { paths: Polyline[]; merged: number } {
  return joinRuns(paths, (i) => tolerance > 0 && leadsTo(paths, i - 1, i, tolerance));
}

/**
 * AxiDraw's `min_gap`: in the order given, a pen-up hop shorter than `minGapMm` is drawn pen-down
 * instead, the two paths joined by the straight segment across the gap (both ends kept). Cheaper
 * than a lift and a lower, and too short to be seen; travel only shrinks. 0 joins nothing.
 */
export function joinShortGaps(
  paths: readonly Polyline[],
  minGapMm: number,
): { paths: Polyline[]; joins: number } {
  const { paths: out, merged } = joinRuns(
    paths,
    (i) => minGapMm > 0 && gapBefore(paths, i) < minGapMm,
  );
  return { paths: out, joins: merged };
}

/** Pen-up distance from the end of path i - 1 to the start of path i. */
function gapBefore(paths: readonly Polyline[], i: number): number {
  const a = paths[i - 1]!,
    b = paths[i]!;
  return Math.hypot(b[0]! - a[a.length - 2]!, b[1]! - a[a.length - 1]!);
}

/** Runs of consecutive paths drawn as one stroke, path i joined to i - 1 where `joins(i)`. */
function joinRuns(
  paths: readonly Polyline[],
  joins: (i: number) => boolean,
): { paths: Polyline[]; merged: number } {
  const out: Polyline[] = [];
  let merged = 0;
  for (let from = 0; from < paths.length;) {
    let to = from + 1;
    while (to < paths.length && joins(to)) to++;
    merged += to - from - 1;
    out.push(
      to - from === 1
        ? paths[from]!
        : concatenate(
            paths,
            Array.from({ length: to - from }, (_, k) => 2 * (from + k)),
          ),
    );
    from = to;
  }
  return { paths: out, merged };
}

/**
 * One stroke through the given path ends: endpoint 2p enters path p forwards, 2p + 1 backwards.
 * A point that repeats the last one written (the touching ends of two paths) is written once.
 */
function concatenate(paths: readonly Polyline[], ends: readonly number[]): Polyline {
  let points = 0;
  for (const at of ends) points += paths[at >> 1]!.length >> 1;
  const buf = new Float64Array(points * 2);
  const eps2 = SAME_POINT_MM * SAME_POINT_MM;
  let w = 0;
  for (const at of ends) {
    const path = paths[at >> 1]!,
      m = path.length >> 1,
      backwards = (at & 1) === 1;
    for (let k = 0; k < m; k++) {
      const i = backwards ? m - 1 - k : k;
      const x = path[2 * i]!,
        y = path[2 * i + 1]!;
      if (k === 0 && w > 0) {
        const dx = x - buf[2 * w - 2]!,
          dy = y - buf[2 * w - 1]!;
        if (dx * dx + dy * dy <= eps2) continue;
      }
      buf[2 * w] = x;
      buf[2 * w + 1] = y;
      w++;
    }
  }
  return w === points ? buf : buf.slice(0, 2 * w);
}

function find(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    parent[i] = parent[parent[i]!]!;
    i = parent[i]!;
  }
  return i;
}

/**
 * Both ends of every path as coordinate arrays: path p starts at index 2p and ends at 2p + 1.
 * `extra` slots are left at the end for callers that add points of their own (a start position).
 */
export function endCoordinates(
  paths: readonly Polyline[],
  extra = 0,
): { xs: Float64Array; ys: Float64Array } {
  const n = paths.length;
  const xs = new Float64Array(2 * n + extra),
    ys = new Float64Array(2 * n + extra);
  for (let p = 0; p < n; p++) {
    const path = paths[p]!,
      last = path.length - 2;
    xs[2 * p] = path[0]!;
    ys[2 * p] = path[1]!;
    xs[2 * p + 1] = path[last]!;
    ys[2 * p + 1] = path[last + 1]!;
  }
  return { xs, ys };
}

/**
 * Joins paths whose ends lie within `tolerance` into chains, reversing paths as needed, so a
 * chain is drawn as one stroke with one lift. Both touching points are kept (unless they are the
 * same point), so no drawn segment moves; the join adds at most `tolerance` of ink. Joins that
 * would close a ring of several paths are skipped, which keeps every chain a simple walk.
 */
export function mergeTouching(
  paths: readonly Polyline[],
  tolerance: number,
): { paths: Polyline[]; merged: number } {
  const n = paths.length;
  if (n < 2 || !(tolerance > 0)) return { paths: [...paths], merged: 0 };
  const { xs, ys } = endCoordinates(paths);
  const link = new Int32Array(2 * n).fill(-1);
  const parent = new Int32Array(n);
  for (let p = 0; p < n; p++) parent[p] = p;
  let merged = 0;
  const join = (a: number, b: number): boolean => {
    const ra = find(parent, a >> 1),
      rb = find(parent, b >> 1);
    if (ra === rb) return false;
    link[a] = b;
    link[b] = a;
    parent[rb] = ra;
    merged++;
    return true;
  };

  // The file's own continuity goes first: a path that starts where the one before it ends
  // continues its stroke. Where a walk crosses itself, other pairings at the crossing would split
  // it into pieces with ends far apart. Consecutive joins never close a ring.
  for (let p = 0; p + 1 < n; p++) {
    if (near(xs[2 * p + 1]!, ys[2 * p + 1]!, xs[2 * p + 2]!, ys[2 * p + 2]!, tolerance))
      join(2 * p + 1, 2 * p + 2);
  }

  // Then ends that touch exactly, so they win over ends that merely come close. Equal points
  // share a grid cell: sorting each cell by place and pairing off each run of equal points also
  // copes with a hub where thousands of strokes meet (a radial pattern) without a scan per end.
  const grid = new PointGrid(xs, ys);
  const pending: number[] = [];
  grid.forEachCell((cell) => {
    if (cell.length < 2) return;
    const byPlace = Array.from(cell).sort((a, b) => xs[a]! - xs[b]! || ys[a]! - ys[b]! || a - b);
    for (let r = 0; r < byPlace.length;) {
      const x = xs[byPlace[r]!]!,
        y = ys[byPlace[r]!]!;
      pending.length = 0;
      for (; r < byPlace.length && xs[byPlace[r]!] === x && ys[byPlace[r]!] === y; r++) {
        const a = byPlace[r]!;
        if (link[a]! >= 0) continue;
        let k = 0;
        while (k < pending.length && !join(pending[k]!, a)) k++;
        if (k < pending.length) pending.splice(k, 1);
        else pending.push(a);
      }
    }
  });

  // Then each end still free joins the nearest free end within the tolerance.
  for (let a = 0; a < 2 * n; a++) {
    if (link[a]! >= 0) continue;
    const root = find(parent, a >> 1);
    let best = -1,
      bestD = Infinity;
    grid.within(xs[a]!, ys[a]!, tolerance, (b, d2) => {
      if (link[b]! >= 0 || find(parent, b >> 1) === root) return;
      if (d2 < bestD || (d2 === bestD && b < best)) {
        best = b;
        bestD = d2;
      }
    });
    if (best >= 0) join(a, best);
  }
  if (merged === 0) return { paths: [...paths], merged: 0 };

  const out: Polyline[] = [];
  const done = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    if (done[p]) continue;
    const free = link[2 * p]! < 0 ? 2 * p : link[2 * p + 1]! < 0 ? 2 * p + 1 : -1;
    if (free < 0) continue; // interior of a chain: reached from one of its ends
    if (link[free ^ 1]! < 0) {
      done[p] = 1;
      out.push(paths[p]!);
      continue;
    }
    const ends: number[] = [];
    for (let at = free; at >= 0; at = link[at ^ 1]!) {
      ends.push(at);
      done[at >> 1] = 1;
    }
    out.push(concatenate(paths, ends));
  }
  return { paths: out, merged };
}

/** Squared distance from (px, py) to the segment (ax, ay)-(bx, by). */
function segmentDistance2(
  px: number,
  py: number,
  ax: number,
  ay: number,
  bx: number,
  by: number,
): number {
  const dx = bx - ax,
    dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = ax + t * dx - px,
    ey = ay + t * dy - py;
  return ex * ex + ey * ey;
}

/**
 * Douglas–Peucker: every dropped point lies within `tolerance` of the simplified line. Endpoints
 * are kept; a closed path keeps its farthest point too, so it stays a loop however small.
 */
export function simplify(path: Polyline, tolerance: number): Polyline {
  const n = path.length >> 1;
  if (n < 3 || !(tolerance > 0)) return path;
  const keep = new Uint8Array(n);
  keep[0] = keep[n - 1] = 1;
  const stack: number[] = [];
  if (path[0] === path[2 * n - 2] && path[1] === path[2 * n - 1]) {
    let far = 1,
      farD = -1;
    for (let i = 1; i < n - 1; i++) {
      const dx = path[2 * i]! - path[0]!,
        dy = path[2 * i + 1]! - path[1]!;
      if (dx * dx + dy * dy > farD) {
        farD = dx * dx + dy * dy;
        far = i;
      }
    }
    keep[far] = 1;
    stack.push(0, far, far, n - 1);
  } else {
    stack.push(0, n - 1);
  }
  const tol2 = tolerance * tolerance;
  while (stack.length) {
    const j = stack.pop()!,
      i = stack.pop()!;
    let worst = -1,
      worstD = tol2;
    for (let k = i + 1; k < j; k++) {
      const d = segmentDistance2(
        path[2 * k]!,
        path[2 * k + 1]!,
        path[2 * i]!,
        path[2 * i + 1]!,
        path[2 * j]!,
        path[2 * j + 1]!,
      );
      if (d > worstD) {
        worstD = d;
        worst = k;
      }
    }
    if (worst < 0) continue;
    keep[worst] = 1;
    stack.push(i, worst, worst, j);
  }
  let kept = 0;
  for (let i = 0; i < n; i++) kept += keep[i]!;
  if (kept === n) return path;
  const out = new Float64Array(kept * 2);
  let w = 0;
  for (let i = 0; i < n; i++) {
    if (!keep[i]) continue;
    out[w++] = path[2 * i]!;
    out[w++] = path[2 * i + 1]!;
  }
  return out;
}
