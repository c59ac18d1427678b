/**
 * Layer optimisation: clean the paths (see clean.ts), then order and orient them to shorten
 * pen-up travel (see order.ts). Ink is never lost: every drawn segment survives, possibly
 * reversed, plus joins of at most `mergeToleranceMm` where touching paths became one stroke;
 * only an explicit `simplifyToleranceMm` moves ink, and then by at most that much. Once ordered,
 * pen-up hops shorter than `minGapMm` are drawn pen-down (AxiDraw's `min_gap`).
 */
import {
  bridges,
  endCoordinates,
  joinConsecutive,
  joinShortGaps,
  mergeTouching,
  simplify,
  withoutDuplicates,
  withoutRepeats,
} from './clean';
import { MIN_GAP_MM } from './min-gap';
import {
  greedyTour,
  improveTour,
  tourTravel,
  type Endpoints,
  type Entries,
  type Tour,
} from './order';
import type { Polyline } from '../svg/types';

export type OptimizationPreset = 'fast' | 'default' | 'best';

export interface OptimizeOptions {
  preset: OptimizationPreset;
  /** Paths whose ends are this close are joined into one stroke. Default 0.05 mm. */
  mergeToleranceMm?: number;
  /** Douglas–Peucker tolerance; 0 = off. Default 0, or 0.01 mm for `best`. */
  simplifyToleranceMm?: number;
  /** Pen-up hops shorter than this are drawn pen-down, joining the paths; 0 = off. Default MIN_GAP_MM. */
  minGapMm?: number;
  /**
   * Local-search budget for the layer; defaults per preset (fast 0 = greedy only). Spent as a
   * fixed amount of work (see STEPS_PER_MS), so results do not depend on machine speed.
   */
  timeBudgetMs?: number;
  /** Pen position before the layer. Default [0, 0] (home). */
  start?: readonly [number, number];
  onProgress?: (fraction: number) => void;
}

export interface OptimizeStats {
  pathsIn: number;
  pathsOut: number;
  pointsIn: number;
  pointsOut: number;
  penDownMm: number;
  /** Pen-up travel visiting the input in its order, from `start`. */
  travelBeforeMm: number;
  /** Never more than travelBeforeMm: see `order`. */
  travelAfterMm: number;
  /**
   * `optimized`: cleaned, joined and reordered. `input`: the file's own order was shorter, so it
   * is kept as given (duplicates included), with only its continuous strokes joined.
   */
  order: 'optimized' | 'input';
  liftsBefore: number;
  liftsAfter: number;
  /** Joins made between touching paths. */
  merged: number;
  /** Pen-up hops shorter than `minGapMm` drawn pen-down instead (absent in older plans: none). */
  joins?: number;
  droppedDuplicates: number;
  droppedZeroLength: number;
  ms: number;
}

/**
 * Local-search steps per millisecond of budget: about what a 2020s laptop core does on text-like
 * layers. The budget is spent as a step count so a layer plans the same everywhere; the clock is
 * only a backstop, at DEADLINE_FACTOR times the budget plus DEADLINE_SLACK_MS (so a busy machine
 * does not hit it and change the result).
 */
const STEPS_PER_MS = 100;
const DEADLINE_FACTOR = 3;
const DEADLINE_SLACK_MS = 2000;

/** `kicks`: iterated local search with what budget is left at a local optimum (see improveTour). */
const PRESETS: Record<
  OptimizationPreset,
  { budgetMs: number; neighbours: number; simplifyMm: number; kicks: boolean }
> = {
  fast: { budgetMs: 0, neighbours: 6, simplifyMm: 0, kicks: false },
  default: { budgetMs: 1500, neighbours: 8, simplifyMm: 0, kicks: false },
  best: { budgetMs: 8000, neighbours: 12, simplifyMm: 0.01, kicks: true },
};

/**
 * Cleans, joins and orders one layer's paths. The result may share arrays with the input (paths
 * that needed no change); neither is ever mutated. `end` is where the pen is after the layer.
 */
export function optimizePaths(
  paths: readonly Polyline[],
  opts: OptimizeOptions,
): { paths: Polyline[]; stats: OptimizeStats; end: [number, number] } {
  const t0 = performance.now();
  const preset = PRESETS[opts.preset];
  const start = opts.start ?? [0, 0];
  // The search's own measure of progress can step back as it finds new work; callers want a bar.
  let shown = 0;
  const progress =
    opts.onProgress &&
    ((f: number) => {
      if (f > shown) opts.onProgress!((shown = f));
    });

  const cleaned: Polyline[] = [];
  for (const [i, path] of paths.entries()) {
    // NaN would poison every distance comparison downstream; the SVG reader never produces it.
    for (const v of path)
      if (!Number.isFinite(v)) throw new RangeError(`path ${i} has a non-finite coordinate (${v})`);
    const c = withoutRepeats(path);
    if (c) cleaned.push(c);
  }
  const mergeTolerance = opts.mergeToleranceMm ?? 0.05;
  const unique = withoutDuplicates(cleaned, bridges(cleaned, mergeTolerance));
  const { paths: touching, merged } = mergeTouching(unique, mergeTolerance);
  // Ends closer than the min gap are joined before ordering too (reversing a path where its end
  // meets another's): the tour then has fewer, longer strokes to place, which the joins after
  // ordering alone do not reach (measured in bench/plan.ts). Strictly shorter, as AxiDraw's rule.
  const minGap = opts.minGapMm ?? MIN_GAP_MM;
  const { paths: joined, merged: joinedEnds } =
    minGap > mergeTolerance
      ? mergeTouching(touching, below(minGap))
      : { paths: touching, merged: 0 };
  const tolerance = opts.simplifyToleranceMm ?? preset.simplifyMm;
  const simplified = (ps: Polyline[]) =>
    tolerance > 0 ? ps.map((p) => simplify(p, tolerance)) : ps;
  const simple = simplified(joined);
  progress?.(0.1);

  // Greedy start, letting closed loops be entered at any vertex (rotated to start there). Greedy
  // choices cascade, so that is not always shorter than plain greedy: keep the shorter of the two,
  // which also makes "never worse than greedy nearest neighbour" a guarantee.
  const candidates = entries(simple, true);
  const greedy = greedyTour(candidates, start[0], start[1]);
  const rotated = simple.map((p, i) =>
    candidates.closed[i] && greedy.entry[i] ? rotateLoop(p, greedy.entry[i]!) : p,
  );
  const hasLoops = candidates.closed.includes(1);
  const plainGreedy = hasLoops ? greedyTour(entries(simple, false), start[0], start[1]) : greedy;
  const useRotated =
    !hasLoops ||
    tourTravel(endpoints(rotated, start), greedy) <=
      tourTravel(endpoints(simple, start), plainGreedy);
  const work = useRotated ? rotated : [...simple];
  const tour: Tour = useRotated ? greedy : plainGreedy;
  progress?.(0.2);
  const budget = opts.timeBudgetMs ?? preset.budgetMs;
  const steps = work.length > 2 ? Math.round(budget * STEPS_PER_MS) : 0;
  const improve = (maxSteps: number, kicks: boolean, from: number, to: number) =>
    improveTour(endpoints(work, start), tour, {
      neighbours: preset.neighbours,
      kicks,
      maxSteps,
      deadline: t0 + budget * DEADLINE_FACTOR + DEADLINE_SLACK_MS,
      onProgress: progress && ((f) => progress(from + (to - from) * f)),
    });
  const used = steps > 0 ? improve(steps, false, 0.2, 0.5) : 0;
  // The search moved loops next to new neighbours: re-pick their start vertices, then let the
  // search use what that changed (and kick, for `best`).
  const rerotated = rotateLoops(work, tour, start);
  if ((rerotated || preset.kicks) && used < steps) improve(steps - used, preset.kicks, 0.5, 1);
  const tourMm = tourTravel(endpoints(work, start), tour);
  // Greedy plus local search is nearly always far shorter than the file's order, but not provably
  // so (a dropped duplicate can leave a gap the file's order did not have). Keeping the file's
  // order, its continuous strokes joined, whenever that is shorter makes "never worse than the
  // input" a guarantee at every preset.
  const given = joinConsecutive(cleaned, mergeTolerance);
  const givenPaths = simplified(given.paths);
  const givenMm = travelLength(givenPaths, start);
  const keepGiven = givenMm < tourMm;
  const { paths: out, joins: gapJoins } = joinShortGaps(
    keepGiven ? givenPaths : applyTour(work, tour),
    minGap,
  );
  const joins = gapJoins + (keepGiven ? 0 : joinedEnds);
  progress?.(1);

  const last = out[out.length - 1];
  const end: [number, number] = last
    ? [last[last.length - 2]!, last[last.length - 1]!]
    : [start[0], start[1]];
  return {
    paths: out,
    end,
    stats: {
      pathsIn: paths.length,
      pathsOut: out.length,
      pointsIn: countPoints(paths),
      pointsOut: countPoints(out),
      penDownMm: penDownLength(out),
      travelBeforeMm: travelLength(paths, start),
      travelAfterMm: joins > 0 ? travelLength(out, start) : keepGiven ? givenMm : tourMm,
      order: keepGiven ? 'input' : 'optimized',
      liftsBefore: paths.length,
      liftsAfter: out.length,
      merged: keepGiven ? given.merged : merged,
      joins,
      droppedDuplicates: keepGiven ? 0 : cleaned.length - unique.length,
      droppedZeroLength: paths.length - cleaned.length,
      ms: performance.now() - t0,
    },
  };
}

/** Just below `v` (by one rounding step): ends within it are closer than `v`. */
function below(v: number): number {
  return v * (1 - Number.EPSILON);
}

/** Pen-up distance drawing `paths` in order from `start`. */
export function travelLength(
  paths: readonly Polyline[],
  start: readonly [number, number] = [0, 0],
): number {
  let [x, y] = start;
  let total = 0;
  for (const p of paths) {
    if (p.length < 2) continue;
    total += Math.hypot(p[0]! - x, p[1]! - y);
    x = p[p.length - 2]!;
    y = p[p.length - 1]!;
  }
  return total;
}

export function penDownLength(paths: readonly Polyline[]): number {
  let total = 0;
  for (const p of paths) {
    for (let i = 2; i + 1 < p.length; i += 2)
      total += Math.hypot(p[i]! - p[i - 2]!, p[i + 1]! - p[i - 1]!);
  }
  return total;
}

/**
 * Plain greedy nearest neighbour with reversal (no clean-up, no local search): the benchmark
 * baseline. Paths without points have no position and are kept at the end.
 */
export function greedyNearestNeighbour(
  paths: readonly Polyline[],
  start: readonly [number, number] = [0, 0],
): Polyline[] {
  const drawn = paths.filter((p) => p.length >= 2);
  return [
    ...applyTour(drawn, greedyTour(entries(drawn, false), start[0], start[1])),
    ...paths.filter((p) => p.length < 2),
  ];
}

/** Closed: at least a triangle whose last point is exactly its first (so rotating keeps every segment). */
function isLoop(path: Polyline): boolean {
  const n = path.length;
  return n >= 8 && path[0] === path[n - 2] && path[1] === path[n - 1];
}

/** Entry candidates for greedy: both ends of open paths; every vertex of loops when `rotate`. */
function entries(paths: readonly Polyline[], rotate: boolean): Entries {
  const n = paths.length;
  const first = new Int32Array(n + 1);
  const closed = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    closed[p] = rotate && isLoop(paths[p]!) ? 1 : 0;
    first[p + 1] = first[p]! + (closed[p] ? (paths[p]!.length >> 1) - 1 : 2);
  }
  const total = first[n]!;
  const xs = new Float64Array(total),
    ys = new Float64Array(total);
  const exitX = new Float64Array(total),
    exitY = new Float64Array(total);
  const vertex = new Int32Array(total);
  for (let p = 0; p < n; p++) {
    const path = paths[p]!,
      last = (path.length >> 1) - 1;
    for (let c = first[p]!, k = 0; c < first[p + 1]!; c++, k++) {
      const v = closed[p] ? k : k === 0 ? 0 : last;
      const exit = closed[p] ? v : last - v;
      vertex[c] = v;
      xs[c] = path[2 * v]!;
      ys[c] = path[2 * v + 1]!;
      exitX[c] = path[2 * exit]!;
      exitY[c] = path[2 * exit + 1]!;
    }
  }
  return { n, xs, ys, vertex, exitX, exitY, first, closed };
}

/** The closed loop drawn from vertex v round to v again: the same segments, in the same order. */
function rotateLoop(path: Polyline, v: number): Polyline {
  const m = (path.length >> 1) - 1; // distinct vertices; the last point repeats the first
  const out = new Float64Array(path.length);
  for (let k = 0; k <= m; k++) {
    const i = (v + k) % m;
    out[2 * k] = path[2 * i]!;
    out[2 * k + 1] = path[2 * i + 1]!;
  }
  return out;
}

/**
 * For each loop in tour order, starts it at the vertex that minimises the hop in from the previous
 * path plus the hop out to the next. Rotates `paths` entries in place; says whether any changed.
 */
function rotateLoops(paths: Polyline[], tour: Tour, start: readonly [number, number]): boolean {
  const { order, dir } = tour;
  const n = paths.length;
  let [x, y] = start;
  let changed = false;
  for (let i = 1; i <= n; i++) {
    const p = order[i]!;
    let path = paths[p]!;
    if (isLoop(path)) {
      let nx = NaN,
        ny = NaN;
      if (i < n) {
        const q = order[i + 1]!,
          next = paths[q]!,
          at = dir[q] ? next.length - 2 : 0;
        nx = next[at]!;
        ny = next[at + 1]!;
      }
      const m = (path.length >> 1) - 1;
      let best = 0,
        bestCost = Infinity;
      for (let v = 0; v < m; v++) {
        const vx = path[2 * v]!,
          vy = path[2 * v + 1]!;
        const cost = Math.hypot(vx - x, vy - y) + (i < n ? Math.hypot(nx - vx, ny - vy) : 0);
        if (cost < bestCost) {
          bestCost = cost;
          best = v;
        }
      }
      if (best !== 0) {
        path = paths[p] = rotateLoop(path, best);
        changed = true;
      }
    }
    const at = dir[p] ? 0 : path.length - 2;
    x = path[at]!;
    y = path[at + 1]!;
  }
  return changed;
}

function endpoints(paths: readonly Polyline[], start: readonly [number, number]): Endpoints {
  const n = paths.length;
  const { xs, ys } = endCoordinates(paths, 2);
  xs[2 * n] = xs[2 * n + 1] = start[0];
  ys[2 * n] = ys[2 * n + 1] = start[1];
  return { n, xs, ys };
}

function applyTour(paths: readonly Polyline[], tour: Tour): Polyline[] {
  const out: Polyline[] = [];
  for (let i = 1; i < tour.order.length; i++) {
    const p = tour.order[i]!;
    out.push(tour.dir[p] ? reversed(paths[p]!) : paths[p]!);
  }
  return out;
}

function reversed(path: Polyline): Polyline {
  const n = path.length >> 1;
  const out = new Float64Array(path.length);
  for (let i = 0; i < n; i++) {
    out[2 * i] = path[2 * (n - 1 - i)]!;
    out[2 * i + 1] = path[2 * (n - 1 - i) + 1]!;
  }
  return out;
}

function countPoints(paths: readonly Polyline[]): number {
  let total = 0;
  for (const p of paths) total += p.length >> 1;
  return total;
}
