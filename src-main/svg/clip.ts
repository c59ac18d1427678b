/**
 * Clipping open polylines by filled regions, exactly (up to float rounding). Polygon boolean
 * libraries clip polygons against polygons; a pen draws open strokes, so we split each segment
 * where it crosses any boundary edge of the region and keep the pieces whose midpoint lies
 * inside. Inside/outside can only change at a crossing, so the inside test runs once per
 * crossing, not once per segment. Edges sit in a uniform grid, so a query costs the edges near
 * it, not all of them: a clip-heavy file stays linear in its size.
 */
import type { Polyline } from './types';

export type FillRule = 'nonzero' | 'evenodd';

/** Boundary edges of closed rings in a uniform grid of cells. */
export class EdgeGrid {
  /** x0, y0, x1, y1 per edge. */
  readonly edges: Float64Array;
  readonly count: number;
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
  private readonly cols: number;
  private readonly rows: number;
  private readonly cellW: number;
  private readonly cellH: number;
  /** Edges of cell c: items[start[c] .. start[c + 1]). */
  private readonly start: Int32Array;
  private readonly items: Int32Array;
  /** Query stamps, so an edge in several cells is visited once per query. */
  private readonly seen: Int32Array;
  private stamp = 0;

  /** Rings are polylines; each is closed back to its start (a fill closes open subpaths). */
  constructor(rings: readonly Polyline[]) {
    let n = 0;
    for (const r of rings) if (r.length >= 4) n += r.length / 2;
    const e = new Float64Array(n * 4);
    let k = 0;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const r of rings) {
      if (r.length < 4) continue;
      const len = r.length;
      for (let i = 0; i < len; i += 2) {
        const j = (i + 2) % len;
        const x0 = r[i]!;
        const y0 = r[i + 1]!;
        const x1 = r[j]!;
        const y1 = r[j + 1]!;
        if (x0 === x1 && y0 === y1) continue;
        e[k++] = x0;
        e[k++] = y0;
        e[k++] = x1;
        e[k++] = y1;
        minX = Math.min(minX, x0, x1);
        minY = Math.min(minY, y0, y1);
        maxX = Math.max(maxX, x0, x1);
        maxY = Math.max(maxY, y0, y1);
      }
    }
    this.edges = e.subarray(0, k);
    this.count = k / 4;
    this.minX = minX;
    this.minY = minY;
    this.maxX = maxX;
    this.maxY = maxY;
    const side = Math.max(1, Math.min(512, Math.ceil(Math.sqrt(this.count))));
    this.cols = side;
    this.rows = side;
    this.cellW = (maxX - minX) / side || 1;
    this.cellH = (maxY - minY) / side || 1;
    // Two passes (count, then fill) into flat arrays: no per-cell allocation.
    const start = new Int32Array(side * side + 1);
    const visit = (fn: (cell: number, edge: number) => void): void => {
      for (let i = 0; i < this.count; i++) {
        const c1 = this.col(Math.max(e[4 * i]!, e[4 * i + 2]!));
        const r1 = this.row(Math.max(e[4 * i + 1]!, e[4 * i + 3]!));
        for (let r = this.row(Math.min(e[4 * i + 1]!, e[4 * i + 3]!)); r <= r1; r++) {
          for (let c = this.col(Math.min(e[4 * i]!, e[4 * i + 2]!)); c <= c1; c++)
            fn(r * side + c, i);
        }
      }
    };
    visit((cell) => start[cell + 1]!++);
    for (let c = 0; c < side * side; c++) start[c + 1]! += start[c]!;
    const items = new Int32Array(start[side * side]!);
    const fill = start.slice(0, side * side);
    visit((cell, edge) => {
      items[fill[cell]!++] = edge;
    });
    this.start = start;
    this.items = items;
    this.seen = new Int32Array(this.count);
  }

  private col(x: number): number {
    return Math.min(this.cols - 1, Math.max(0, Math.floor((x - this.minX) / this.cellW)));
  }

  private row(y: number): number {
    return Math.min(this.rows - 1, Math.max(0, Math.floor((y - this.minY) / this.cellH)));
  }

  /** Calls fn with each edge whose cell overlaps the box. */
  forEdgesIn(x0: number, y0: number, x1: number, y1: number, fn: (edge: number) => void): void {
    if (!this.count || x1 < this.minX || x0 > this.maxX || y1 < this.minY || y0 > this.maxY) return;
    const stamp = ++this.stamp;
    const c0 = this.col(x0);
    const c1 = this.col(x1);
    const r1 = this.row(y1);
    for (let r = this.row(y0); r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.cols + c;
        for (let j = this.start[cell]!; j < this.start[cell + 1]!; j++) {
          const i = this.items[j]!;
          if (this.seen[i] === stamp) continue;
          this.seen[i] = stamp;
          fn(i);
        }
      }
    }
  }

  /** Whether (x, y) lies on a boundary edge (within float rounding). */
  onEdge(x: number, y: number): boolean {
    const e = this.edges;
    const tol = ON_EDGE * Math.max(1, Math.abs(x), Math.abs(y));
    let hit = false;
    this.forEdgesIn(x - tol, y - tol, x + tol, y + tol, (i) => {
      if (hit) return;
      const ax = e[4 * i]!;
      const ay = e[4 * i + 1]!;
      const dx = e[4 * i + 2]! - ax;
      const dy = e[4 * i + 3]! - ay;
      const t = Math.min(1, Math.max(0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
      hit = Math.hypot(ax + t * dx - x, ay + t * dy - y) <= tol;
    });
    return hit;
  }

  /** Winding number of the rings around (x, y), by a ray towards +x. */
  winding(x: number, y: number): number {
    if (x > this.maxX || x < this.minX || y < this.minY || y > this.maxY) return 0;
    const e = this.edges;
    let w = 0;
    this.forEdgesIn(x, y, this.maxX, y, (i) => {
      const ax = e[4 * i]!;
      const ay = e[4 * i + 1]!;
      const bx = e[4 * i + 2]!;
      const by = e[4 * i + 3]!;
      // Half-open in y, so a ray through a vertex counts it once.
      if (ay <= y === by <= y) return;
      const cx = ax + ((y - ay) * (bx - ax)) / (by - ay);
      if (cx > x) w += by > ay ? 1 : -1;
    });
    return w;
  }
}

/** One filled shape of a clip path, itself possibly clipped (clip-path on a clipPath's child). */
export interface ClipArea {
  grid: EdgeGrid;
  rule: FillRule;
  within: ClipRegion[];
}

/** A clipPath as resolved for one user space: the union of its areas, within its own clip if any. */
export interface ClipRegion {
  areas: ClipArea[];
  within: ClipRegion[];
}

/** The boundary counts as inside: a line drawn exactly on a clip's edge (a frame) is kept. */
function insideArea(a: ClipArea, x: number, y: number): boolean {
  const w = a.grid.winding(x, y);
  const filled = a.rule === 'evenodd' ? (w & 1) === 1 : w !== 0;
  return (filled || a.grid.onEdge(x, y)) && insideAll(a.within, x, y);
}

function insideAll(regions: readonly ClipRegion[], x: number, y: number): boolean {
  return regions.every(
    (r) => r.areas.some((a) => insideArea(a, x, y)) && insideAll(r.within, x, y),
  );
}

function collectRings(regions: readonly ClipRegion[], out: EdgeGrid[]): void {
  for (const r of regions) {
    for (const a of r.areas) {
      out.push(a.grid);
      collectRings(a.within, out);
    }
    collectRings(r.within, out);
  }
}

/**
 * The intersection of clip regions in effect for an element (its own clip and its ancestors'),
 * shared by everything under it; `child` caches the stacks built on top of this one.
 */
export class ClipStack {
  private readonly grids: EdgeGrid[];
  private readonly children = new Map<ClipRegion, ClipStack>();

  private constructor(readonly regions: readonly ClipRegion[]) {
    const grids: EdgeGrid[] = [];
    collectRings(regions, grids);
    this.grids = grids;
  }

  static of(parent: ClipStack | null, region: ClipRegion): ClipStack {
    if (!parent) return new ClipStack([region]);
    let s = parent.children.get(region);
    if (!s) {
      s = new ClipStack([...parent.regions, region]);
      parent.children.set(region, s);
    }
    return s;
  }

  inside(x: number, y: number): boolean {
    return insideAll(this.regions, x, y);
  }

  /** Parameters t in [0, 1] along a→b where it meets a boundary edge, sorted. */
  crossings(ax: number, ay: number, bx: number, by: number): number[] {
    const ts: number[] = [];
    const rx = bx - ax;
    const ry = by - ay;
    for (const g of this.grids) {
      const e = g.edges;
      g.forEdgesIn(Math.min(ax, bx), Math.min(ay, by), Math.max(ax, bx), Math.max(ay, by), (i) => {
        const qx = e[4 * i]!;
        const qy = e[4 * i + 1]!;
        const sx = e[4 * i + 2]! - qx;
        const sy = e[4 * i + 3]! - qy;
        const den = rx * sy - ry * sx;
        // Parallel edges (collinear overlaps included) end at vertices the neighbours report.
        if (den === 0) return;
        const t = ((qx - ax) * sy - (qy - ay) * sx) / den;
        const u = ((qx - ax) * ry - (qy - ay) * rx) / den;
        if (t >= -EPS && t <= 1 + EPS && u >= -EPS && u <= 1 + EPS)
          ts.push(Math.min(1, Math.max(0, t)));
      });
    }
    return ts.sort((a, b) => a - b);
  }
}

const EPS = 1e-9;
/** Relative distance within which a point counts as on an edge. */
const ON_EDGE = 1e-9;

/** The parts of the polylines inside the clip; a closed polyline cut once stays one stroke. */
export function clipPolylines(paths: readonly Polyline[], clip: ClipStack): Polyline[] {
  const out: Polyline[] = [];
  for (const p of paths) clipOne(p, clip, out);
  return out;
}

function clipOne(p: Polyline, clip: ClipStack, out: Polyline[]): void {
  const pieces: number[][] = [];
  let cur: number[] | null = null;
  let startsAtStart = false;
  let endsAtEnd = false;
  /** -1 unknown (just crossed a boundary), 0 outside, 1 inside. */
  let status = -1;
  const flush = (): void => {
    if (cur && cur.length >= 4) pieces.push(cur);
    cur = null;
  };
  const n = p.length;
  for (let i = 0; i + 3 < n; i += 2) {
    const ax = p[i]!;
    const ay = p[i + 1]!;
    const bx = p[i + 2]!;
    const by = p[i + 3]!;
    if (ax === bx && ay === by) continue;
    const ts = clip.crossings(ax, ay, bx, by);
    if (ts.length && ts[0]! <= EPS) status = -1;
    const cuts = [0];
    for (const t of ts)
      if (t > EPS && t < 1 - EPS && t - cuts[cuts.length - 1]! > EPS) cuts.push(t);
    cuts.push(1);
    for (let k = 0; k + 1 < cuts.length; k++) {
      if (k > 0) status = -1;
      const t0 = cuts[k]!;
      const t1 = cuts[k + 1]!;
      if (status < 0) {
        const tm = (t0 + t1) / 2;
        status = clip.inside(ax + tm * (bx - ax), ay + tm * (by - ay)) ? 1 : 0;
      }
      if (status === 1) {
        if (!cur) {
          cur = k === 0 ? [ax, ay] : [ax + t0 * (bx - ax), ay + t0 * (by - ay)];
          if (i === 0 && k === 0) startsAtStart = true;
        } else if (k > 0) cur.length -= 2; // a cut between two inside pieces is no vertex
        if (k + 1 === cuts.length - 1) cur.push(bx, by);
        else cur.push(ax + t1 * (bx - ax), ay + t1 * (by - ay));
        endsAtEnd = i + 4 === n && k + 2 === cuts.length;
      } else flush();
    }
    if (ts.length && ts[ts.length - 1]! >= 1 - EPS) status = -1;
  }
  flush();
  const closed = n >= 6 && p[0] === p[n - 2] && p[1] === p[n - 1];
  if (closed && pieces.length > 1 && startsAtStart && endsAtEnd) {
    const last = pieces.pop()!;
    const first = pieces.shift()!;
    pieces.unshift([...last, ...first.slice(2)]);
  }
  for (const piece of pieces) out.push(Float64Array.from(piece));
}
