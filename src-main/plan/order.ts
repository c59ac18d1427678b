/**
 * Path ordering: which path to draw next and in which direction, to shorten pen-up travel. The
 * greedy start may enter closed loops at any vertex; the local search then works on path endpoints
 * only: endpoint 2p is path p's first point, 2p+1 its last; a tour position holds a path and `dir`
 * says whether it is drawn backwards. Position 0 is a fixed "depot" (the pen's position before the
 * layer), so the tour is open: it starts there and ends anywhere.
 */
import { PointGrid } from './spatial';

export interface Tour {
  /** order[0] is the depot (index n); order[1..n] are the paths. */
  order: Int32Array;
  /** dir[p] = 1 when path p is drawn from its last point to its first. */
  dir: Uint8Array;
}

/** Endpoint coordinates for n paths plus the depot (ids 2n and 2n+1, both at the start). */
export interface Endpoints {
  n: number;
  xs: Float64Array;
  ys: Float64Array;
}

/**
 * Where a path may be entered: its two ends for an open path (the far end means drawing it
 * backwards), any vertex for a closed loop (it is drawn round from there and ends where it began).
 * Candidates of path p are first[p]..first[p+1]-1.
 */
export interface Entries {
  n: number;
  xs: Float64Array;
  ys: Float64Array;
  /** Vertex index of the candidate in the path as given. */
  vertex: Int32Array;
  /** Where the pen is after drawing the path from this candidate. */
  exitX: Float64Array;
  exitY: Float64Array;
  first: Int32Array;
  /** 1 for a closed loop (entered anywhere), 0 for an open path (entered at either end). */
  closed: Uint8Array;
}

export interface GreedyTour extends Tour {
  /** The vertex each path is entered at (0 or its last vertex for open paths). */
  entry: Int32Array;
}

/**
 * Greedy nearest neighbour with reversal: from the current point, draw the path with the nearest
 * entry candidate next. The grid is rebuilt as it empties so late searches do not crawl over
 * empty cells.
 */
export function greedyTour(c: Entries, startX: number, startY: number): GreedyTour {
  const { n, xs, ys } = c;
  const total = c.first[n]!;
  const owner = new Int32Array(total);
  for (let p = 0; p < n; p++) owner.fill(p, c.first[p]!, c.first[p + 1]!);
  const order = new Int32Array(n + 1);
  const dir = new Uint8Array(n + 1);
  const entry = new Int32Array(n);
  order[0] = n;
  let grid = new PointGrid(xs, ys, idsUpTo(total));
  let builtWith = total;
  let x = startX,
    y = startY;
  for (let k = 1; k <= n; k++) {
    if (grid.live < builtWith >> 2 && grid.live > 64) {
      const live = new Int32Array(grid.live);
      let w = 0;
      for (let id = 0; id < total; id++) if (grid.has(id)) live[w++] = id;
      grid = new PointGrid(xs, ys, live);
      builtWith = live.length;
    }
    const id = grid.nearest(x, y);
    const p = owner[id]!;
    order[k] = p;
    entry[p] = c.vertex[id]!;
    // Entering an open path at its last vertex means drawing it backwards.
    dir[p] = !c.closed[p] && c.vertex[id] !== 0 ? 1 : 0;
    for (let q = c.first[p]!; q < c.first[p + 1]!; q++) grid.remove(q);
    x = c.exitX[id]!;
    y = c.exitY[id]!;
  }
  return { order, dir, entry };
}

function idsUpTo(n: number): Int32Array {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  return ids;
}

export interface ImproveOptions {
  /** Neighbour-list size per endpoint. */
  neighbours: number;
  /**
   * Work limit, in paths examined: the search stops there even if more improvements exist. A
   * count rather than a clock keeps the result the same on every machine and every run.
   */
  maxSteps: number;
  /** performance.now() after which to stop regardless: a guard for slow machines. */
  deadline: number;
  /** Spend budget left at a local optimum on kicks (iterated local search). */
  kicks?: boolean;
  onProgress?: (fraction: number) => void;
}

/**
 * 2-opt and or-opt local search, driven by neighbour lists and a work queue of paths whose
 * surroundings changed. Moves are first-improvement; 2-opt reverses a stretch of the position array
 * (which also flips each path's direction); or-opt slides the stretch between a short segment and
 * its new place.
 *
 * 2-opt(lo, hi): reverse positions lo+1..hi; the edges after lo and after hi become
 * exit(lo)→exit(hi) and entry(lo+1)→entry(hi+1). Or-opt: move positions s..e (1–3 paths), as is
 * or reversed, to after position p. Mutates `tour`; returns the steps used.
 */
export function improveTour(ep: Endpoints, tour: Tour, opts: ImproveOptions): number {
  const { n, xs, ys } = ep;
  if (n < 3) return 0;
  const { order, dir } = tour;
  const pos = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) pos[order[i]!] = i;
  const k = opts.neighbours;
  const nb = neighbourLists(ep, k);

  // Endpoint ids by position: where the pen enters / leaves the path at position i.
  const entry = (i: number) => 2 * order[i]! + dir[order[i]!]!;
  const exit = (i: number) => 2 * order[i]! + 1 - dir[order[i]!]!;
  const d = (a: number, b: number) => {
    const dx = xs[a]! - xs[b]!,
      dy = ys[a]! - ys[b]!;
    return Math.sqrt(dx * dx + dy * dy);
  };
  /** Cost of leaving endpoint a for the path at position j; nothing follows the last position. */
  const to = (a: number, j: number) => (j > n ? 0 : d(a, entry(j)));

  // Net change of tour length, and the span of positions touched, since the last kick began.
  let gained = 0,
    lo = 0,
    hi = -1;
  const reverse = (i: number, j: number) => {
    if (i < lo) lo = i;
    if (j > hi) hi = j;
    for (; i < j; i++, j--) {
      const a = order[i]!,
        b = order[j]!;
      order[i] = b;
      order[j] = a;
      pos[b] = i;
      pos[a] = j;
      dir[a]! ^= 1;
      dir[b]! ^= 1;
    }
    if (i === j) dir[order[i]!]! ^= 1;
  };

  const seg = new Int32Array(3);
  const place = (i: number, q: number) => {
    if (i < lo) lo = i;
    if (i > hi) hi = i;
    order[i] = q;
    pos[q] = i;
  };

  const queue = new Int32Array(n + 1);
  const queued = new Uint8Array(n + 1);
  let head = 0,
    size = 0;
  const push = (p: number) => {
    if (queued[p]) return;
    queued[p] = 1;
    queue[(head + size++) % (n + 1)] = p;
  };
  for (let i = 0; i <= n; i++) push(order[i]!);
  const touch = (...positions: number[]) => {
    for (const i of positions) if (i >= 0 && i <= n) push(order[i]!);
  };

  const EPS = 1e-7;
  const twoOpt = (i: number, j: number): boolean => {
    if (i >= j || i < 0 || j > n) return false;
    const delta =
      d(exit(i), exit(j)) +
      (j < n ? d(entry(i + 1), entry(j + 1)) : 0) -
      to(exit(i), i + 1) -
      to(exit(j), j + 1);
    if (delta > -EPS) return false;
    touch(i, i + 1, j, j + 1);
    reverse(i + 1, j);
    gained += delta;
    return true;
  };
  const orOpt = (s: number, e: number, p: number, reversed: boolean): boolean => {
    if (s < 1 || e > n || s > e || p < 0 || p > n || (p >= s - 1 && p <= e)) return false;
    const removed = to(exit(s - 1), s) + to(exit(e), e + 1) - to(exit(s - 1), e + 1);
    const added = reversed
      ? d(exit(p), exit(e)) + (p < n ? d(entry(s), entry(p + 1)) : 0) - to(exit(p), p + 1)
      : d(exit(p), entry(s)) + to(exit(e), p + 1) - to(exit(p), p + 1);
    if (added - removed > -EPS) return false;
    gained += added - removed;
    touch(s - 1, s, e, e + 1, p, p + 1);
    // Slide the paths between the segment and p over by the segment's length, then drop it in.
    const len = e - s + 1;
    for (let m = 0; m < len; m++) seg[m] = order[s + m]!;
    let at: number;
    if (p > e) {
      for (let i = e + 1; i <= p; i++) place(i - len, order[i]!);
      at = p - len + 1;
    } else {
      for (let i = s - 1; i > p; i--) place(i + len, order[i]!);
      at = p + 1;
    }
    for (let m = 0; m < len; m++) {
      const q = seg[reversed ? len - 1 - m : m]!;
      place(at + m, q);
      if (reversed) dir[q]! ^= 1;
    }
    return true;
  };

  /** Tries the moves that create an edge between endpoint `a` (of the path at i) and each near endpoint. */
  const improveAround = (i: number): boolean => {
    for (const leaving of [true, false]) {
      if (!leaving && i === 0) continue; // the depot is only left, never entered
      const a = leaving ? exit(i) : entry(i);
      // The edge at `a` that a move would remove; a new edge must be shorter for any gain.
      const current = leaving ? to(a, i + 1) : d(exit(i - 1), a);
      for (let t = 0; t < k; t++) {
        const c = nb[a * k + t]!;
        if (c < 0) break;
        const dc = d(a, c);
        if (dc >= current) break;
        const q = c >> 1,
          j = pos[q]!;
        if (j === i || j === 0) continue;
        const cLeaves = exit(j) === c;
        if (leaving && cLeaves) {
          // a → c, both exits: 2-opt, or bring a chain ending at c (reversed) after i, or i's chain after j.
          if (twoOpt(Math.min(i, j), Math.max(i, j))) return true;
          for (let m = 0; m < 3; m++) {
            if (orOpt(j - m, j, i, true) || orOpt(i - m, i, j, true)) return true;
          }
        } else if (leaving) {
          // a → c, c an entry: bring the chain starting at c after i, or i's chain before j.
          for (let m = 0; m < 3; m++) {
            if (orOpt(j, j + m, i, false) || orOpt(i - m, i, j - 1, false)) return true;
          }
        } else if (!cLeaves) {
          // Both entries: 2-opt, or reversed chains starting at i or j placed next to the other.
          if (twoOpt(Math.min(i, j) - 1, Math.max(i, j) - 1)) return true;
          for (let m = 0; m < 3; m++) {
            if (orOpt(i, i + m, j - 1, true) || orOpt(j, j + m, i - 1, true)) return true;
          }
        } else {
          // c → a: i's chain after j, or the chain ending at c before i.
          for (let m = 0; m < 3; m++) {
            if (orOpt(i, i + m, j, false) || orOpt(j - m, j, i - 1, false)) return true;
          }
        }
      }
    }
    return false;
  };

  let steps = 0;
  /** Works through the queue; false when the budget ran out first. */
  const drain = (): boolean => {
    while (size > 0) {
      if (++steps > opts.maxSteps) return false;
      if ((steps & 255) === 0) {
        if (performance.now() > opts.deadline) return false;
        opts.onProgress?.(opts.kicks ? steps / opts.maxSteps : 1 - size / (n + 1));
      }
      const p = queue[head]!;
      head = (head + 1) % (n + 1);
      size--;
      queued[p] = 0;
      if (improveAround(pos[p]!)) push(p);
    }
    return true;
  };
  if (!drain() || !opts.kicks || n < 8) return steps;

  // Iterated local search: at a local optimum, swap two short neighbouring stretches of the tour
  // (a "double bridge", which 2-opt and or-opt cannot undo in one move), re-optimise around it,
  // and keep the result only if the tour got shorter. Undo restores just the touched span.
  const savedOrder = order.slice(),
    savedDir = dir.slice();
  const rnd = mulberry32(0x5eed);
  const span = Math.min(50, n >> 2);
  // Past ~100 kicks per path the gains are negligible; stop rather than burn the whole budget.
  for (let kicks = 1; steps < opts.maxSteps && kicks <= 100 * n; kicks++) {
    if ((kicks & 15) === 0 && performance.now() > opts.deadline) break;
    steps++;
    gained = 0;
    lo = n + 1;
    hi = -1;
    const lb = 1 + Math.floor(rnd() * span),
      lc = 1 + Math.floor(rnd() * span);
    const a = Math.floor(rnd() * (n - lb - lc + 1)); // B = a+1..b, C = b+1..c, c <= n
    const b = a + lb,
      c = b + lc;
    gained +=
      d(exit(a), entry(b + 1)) +
      d(exit(c), entry(a + 1)) +
      to(exit(b), c + 1) -
      d(exit(a), entry(a + 1)) -
      d(exit(b), entry(b + 1)) -
      to(exit(c), c + 1);
    reverse(a + 1, c);
    reverse(a + 1, a + lc);
    reverse(a + lc + 1, c);
    touch(a, a + 1, a + lc, a + lc + 1, c, c + 1);
    const finished = drain();
    if (gained < -EPS) {
      for (let i = lo; i <= hi; i++) {
        const q = order[i]!;
        savedOrder[i] = q;
        savedDir[q] = dir[q]!;
      }
    } else {
      for (let i = lo; i <= hi; i++) {
        const q = savedOrder[i]!;
        order[i] = q;
        pos[q] = i;
        dir[q] = savedDir[q]!;
      }
    }
    if (!finished) break;
  }
  return steps;
}

/** Small seeded PRNG (mulberry32): kicks are random but the same on every run. */
function mulberry32(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The k nearest endpoints of every endpoint (and of the depot), -1 padded. */
function neighbourLists(ep: Endpoints, k: number): Int32Array {
  const { n, xs, ys } = ep;
  const ids = idsUpTo(2 * n);
  const grid = new PointGrid(xs, ys, ids);
  const nb = new Int32Array((2 * n + 2) * k).fill(-1);
  const out = new Int32Array(k),
    outD = new Float64Array(k);
  for (let a = 0; a <= 2 * n + 1; a++) {
    // A path's own other end is never a useful neighbour (the depot's ids are not in the grid).
    const found = grid.kNearest(a, a ^ 1, k, out, outD);
    nb.set(out.subarray(0, found), a * k);
  }
  return nb;
}

/** Pen-up distance of the tour: from the depot, between consecutive paths. */
export function tourTravel(ep: Endpoints, tour: Tour): number {
  const { n, xs, ys } = ep;
  let total = 0;
  for (let i = 1; i <= n; i++) {
    const prev = tour.order[i - 1]!,
      cur = tour.order[i]!;
    const a = 2 * prev + 1 - tour.dir[prev]!,
      b = 2 * cur + tour.dir[cur]!;
    total += Math.hypot(xs[a]! - xs[b]!, ys[a]! - ys[b]!);
  }
  return total;
}
