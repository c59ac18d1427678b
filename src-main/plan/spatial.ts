/**
 * A uniform grid over a fixed set of points (path endpoints), stored CSR-style in typed arrays so
 * 100k points cost a few hundred kB. It answers "nearest live point" for greedy ordering (points
 * are removed as paths are used) and "k nearest points" for the neighbour lists of the local
 * search. A uniform grid suffices because plot endpoints are spread over one sheet of paper.
 */
export class PointGrid {
  private readonly minX: number;
  private readonly minY: number;
  private readonly inv: number;
  private readonly cols: number;
  private readonly rows: number;
  private readonly cellStart: Int32Array;
  private readonly cellCount: Int32Array;
  private readonly items: Int32Array;
  private readonly slot: Int32Array;
  live: number;

  /** `ids` are the points to index (default all); `xs`/`ys` hold coordinates by point id. */
  constructor(
    private readonly xs: Float64Array,
    private readonly ys: Float64Array,
    ids?: Int32Array,
    perCell = 2,
  ) {
    const n = ids ? ids.length : xs.length;
    let minX = Infinity,
      minY = Infinity,
      maxX = -Infinity,
      maxY = -Infinity;
    for (let k = 0; k < n; k++) {
      const i = ids ? ids[k]! : k;
      const x = xs[i]!,
        y = ys[i]!;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    if (n === 0) minX = minY = maxX = maxY = 0;
    const w = Math.max(maxX - minX, 1e-9),
      h = Math.max(maxY - minY, 1e-9);
    // About `perCell` points per cell on average, so a ring scan touches few empty cells.
    const cell = Math.max(
      Math.sqrt((w * h * perCell) / Math.max(n, 1)),
      Math.max(w, h) / 2048,
      1e-6,
    );
    this.minX = minX;
    this.minY = minY;
    this.inv = 1 / cell;
    this.cols = Math.min(Math.floor(w * this.inv) + 1, 4096);
    this.rows = Math.min(Math.floor(h * this.inv) + 1, 4096);
    const cells = this.cols * this.rows;
    this.cellStart = new Int32Array(cells + 1);
    this.cellCount = new Int32Array(cells);
    this.items = new Int32Array(n);
    this.slot = new Int32Array(xs.length).fill(-1);
    const cellOf = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const i = ids ? ids[k]! : k;
      const c = this.cellIndex(xs[i]!, ys[i]!);
      cellOf[k] = c;
      this.cellCount[c]!++;
    }
    for (let c = 0; c < cells; c++) this.cellStart[c + 1] = this.cellStart[c]! + this.cellCount[c]!;
    const fill = this.cellStart.slice(0, cells);
    for (let k = 0; k < n; k++) {
      const i = ids ? ids[k]! : k;
      const at = fill[cellOf[k]!]!++;
      this.items[at] = i;
      this.slot[i] = at;
    }
    this.live = n;
  }

  private col(x: number): number {
    const c = Math.floor((x - this.minX) * this.inv);
    return c < 0 ? 0 : c >= this.cols ? this.cols - 1 : c;
  }

  private row(y: number): number {
    const r = Math.floor((y - this.minY) * this.inv);
    return r < 0 ? 0 : r >= this.rows ? this.rows - 1 : r;
  }

  private cellIndex(x: number, y: number): number {
    return this.row(y) * this.cols + this.col(x);
  }

  has(id: number): boolean {
    return this.slot[id]! >= 0;
  }

  /** Swap-removes the point from its cell's live range. */
  remove(id: number): void {
    const at = this.slot[id]!;
    if (at < 0) return;
    const c = this.cellIndex(this.xs[id]!, this.ys[id]!);
    const last = this.cellStart[c]! + --this.cellCount[c]!;
    const moved = this.items[last]!;
    this.items[at] = moved;
    this.slot[moved] = at;
    this.items[last] = id;
    this.slot[id] = -1;
    this.live--;
  }

  /**
   * The nearest live point to (x, y); -1 when none. Ties go to the lower id, except that the first
   * coincident point found wins (scan order is fixed, so results are still reproducible). Scans
   * square rings of cells outwards until the ring is farther than the best found.
   */
  nearest(x: number, y: number): number {
    if (this.live === 0) return -1;
    const cx = this.col(x),
      cy = this.row(y);
    const maxRing = Math.max(this.cols, this.rows);
    let best = -1,
      bestD = Infinity;
    for (let ring = 0; ring <= maxRing; ring++) {
      if (best >= 0) {
        // Every cell in this ring is at least (ring - 1) cells away from the query's cell edge.
        const reach = (ring - 1) / this.inv;
        if (reach > 0 && reach * reach > bestD) break;
      }
      const x0 = cx - ring,
        x1 = cx + ring,
        y0 = cy - ring,
        y1 = cy + ring;
      for (let gy = Math.max(y0, 0); gy <= Math.min(y1, this.rows - 1); gy++) {
        const edgeRow = gy === y0 || gy === y1;
        const step = edgeRow ? 1 : x1 - x0;
        for (let gx = x0; gx <= x1; gx += step) {
          if (gx < 0 || gx >= this.cols) continue;
          const c = gy * this.cols + gx;
          const s = this.cellStart[c]!,
            e = s + this.cellCount[c]!;
          for (let k = s; k < e; k++) {
            const id = this.items[k]!;
            const dx = this.xs[id]! - x,
              dy = this.ys[id]! - y;
            const d = dx * dx + dy * dy;
            if (d < bestD || (d === bestD && id < best)) {
              bestD = d;
              best = id;
              // Nothing beats a coincident point; stopping here keeps a hub of thousands of
              // coincident ends from being rescanned for every query (still deterministic).
              if (d === 0) return best;
            }
          }
          if (step === 0) break;
        }
      }
    }
    return best;
  }

  /**
   * Up to k live points nearest to point `self` (excluding it and `skip`), nearest first, written
   * into `out`; returns how many. Insertion into a small sorted buffer: k is ~5-16.
   */
  kNearest(self: number, skip: number, k: number, out: Int32Array, outD: Float64Array): number {
    const x = this.xs[self]!,
      y = this.ys[self]!;
    const cx = this.col(x),
      cy = this.row(y);
    const maxRing = Math.max(this.cols, this.rows);
    let found = 0;
    for (let ring = 0; ring <= maxRing; ring++) {
      if (found === k) {
        const reach = (ring - 1) / this.inv;
        if (reach > 0 && reach * reach > outD[k - 1]!) break;
      }
      const x0 = cx - ring,
        x1 = cx + ring,
        y0 = cy - ring,
        y1 = cy + ring;
      for (let gy = Math.max(y0, 0); gy <= Math.min(y1, this.rows - 1); gy++) {
        const edgeRow = gy === y0 || gy === y1;
        const step = edgeRow ? 1 : x1 - x0;
        for (let gx = x0; gx <= x1; gx += step) {
          if (gx < 0 || gx >= this.cols) continue;
          const c = gy * this.cols + gx;
          const s = this.cellStart[c]!,
            e = s + this.cellCount[c]!;
          for (let q = s; q < e; q++) {
            const id = this.items[q]!;
            if (id === self || id === skip) continue;
            const dx = this.xs[id]! - x,
              dy = this.ys[id]! - y;
            const d = dx * dx + dy * dy;
            if (found === k && !(d < outD[k - 1]! || (d === outD[k - 1]! && id < out[k - 1]!)))
              continue;
            let at = found < k ? found++ : k - 1;
            while (at > 0 && (outD[at - 1]! > d || (outD[at - 1]! === d && out[at - 1]! > id))) {
              out[at] = out[at - 1]!;
              outD[at] = outD[at - 1]!;
              at--;
            }
            out[at] = id;
            outD[at] = d;
          }
          if (step === 0) break;
        }
      }
    }
    return found;
  }

  /** Calls `visit` with each non-empty cell's live points (a view, valid during the call). */
  forEachCell(visit: (ids: Int32Array) => void): void {
    for (let c = 0; c < this.cellCount.length; c++) {
      const count = this.cellCount[c]!;
      if (count > 0) visit(this.items.subarray(this.cellStart[c]!, this.cellStart[c]! + count));
    }
  }

  /** Live points within `r` of (x, y), in no particular order (used for merging touching ends). */
  within(x: number, y: number, r: number, visit: (id: number, d2: number) => void): void {
    const gx0 = this.col(x - r),
      gx1 = this.col(x + r),
      gy0 = this.row(y - r),
      gy1 = this.row(y + r);
    const r2 = r * r;
    for (let gy = gy0; gy <= gy1; gy++) {
      for (let gx = gx0; gx <= gx1; gx++) {
        const c = gy * this.cols + gx;
        const s = this.cellStart[c]!,
          e = s + this.cellCount[c]!;
        for (let q = s; q < e; q++) {
          const id = this.items[q]!;
          const dx = this.xs[id]! - x,
            dy = this.ys[id]! - y;
          const d2 = dx * dx + dy * dy;
          if (d2 <= r2) visit(id, d2);
        }
      }
    }
  }
}
