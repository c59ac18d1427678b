import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simplify } from '../src-main/plan/clean';
import { MIN_GAP_MM } from '../src-main/plan/min-gap';
import {
  greedyNearestNeighbour,
  optimizePaths,
  penDownLength,
  travelLength,
  type OptimizationPreset,
} from '../src-main/plan/optimize';
import type { Polyline } from '../src-main/svg/types';
import { seeded } from './helpers/crash-rig';

const P = (...xy: number[]): Polyline => Float64Array.from(xy);
const plain = (paths: Polyline[]) => paths.map((p) => Array.from(p));

/** Segment multiset, each segment written with its lesser endpoint first; zero-length ones skipped. */
function segments(paths: readonly Polyline[]): Map<string, { count: number; length: number }> {
  const out = new Map<string, { count: number; length: number }>();
  for (const p of paths) {
    for (let i = 2; i + 1 < p.length; i += 2) {
      const a = [p[i - 2]!, p[i - 1]!],
        b = [p[i]!, p[i + 1]!];
      if (a[0] === b[0] && a[1] === b[1]) continue;
      const [u, v] = a[0]! < b[0]! || (a[0] === b[0] && a[1]! < b[1]!) ? [a, b] : [b, a];
      const key = `${u[0]},${u[1]},${v[0]},${v[1]}`;
      const e = out.get(key) ?? { count: 0, length: Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!) };
      e.count++;
      out.set(key, e);
    }
  }
  return out;
}

/**
 * Ink check: every input segment is drawn (at least once when `dropsAllowed` — duplicates may be
 * dropped — else as often as in the input), and anything extra is a join no longer than `tol`.
 */
function expectInkKept(
  input: readonly Polyline[],
  output: readonly Polyline[],
  tol: number,
  dropsAllowed: boolean,
): void {
  const before = segments(input),
    after = segments(output);
  for (const [key, { count }] of before) {
    const got = after.get(key)?.count ?? 0;
    if (dropsAllowed ? got < 1 : got < count)
      throw new Error(`segment ${key} lost: ${count} in, ${got} out`);
  }
  for (const [key, { count, length }] of after) {
    const extra = count - (before.get(key)?.count ?? 0);
    if (extra > 0 && length > tol + 1e-12) throw new Error(`segment ${key} added (${length} mm)`);
  }
}

// Coordinates on a coarse grid with a small jitter: ends often touch exactly or within tolerance,
// and duplicates, reversals and repeated points all occur.
const coord = fc
  .tuple(fc.integer({ min: 0, max: 6 }), fc.constantFrom(0, 0, 0, 0.02))
  .map(([i, j]) => i * 5 + j);
const point = fc.tuple(coord, coord);
/** Some paths closed (last point = first), so loop rotation is exercised. */
const closable = (pts: [number, number][], close: boolean) =>
  Float64Array.from((close ? [...pts, pts[0]!] : pts).flat());
const path = fc
  .tuple(fc.array(point, { minLength: 1, maxLength: 6 }), fc.boolean())
  .map(([pts, close]) => closable(pts, close));
const pathsArb = fc.array(path, { maxLength: 40 }).chain((ps) =>
  // Some copies, some reversed, to exercise duplicate removal.
  fc.array(fc.nat({ max: 4 }), { minLength: ps.length, maxLength: ps.length }).map((ks) => {
    const out: Polyline[] = [];
    ps.forEach((p, i) => {
      out.push(p);
      if (ks[i] === 0) out.push(p.slice());
      if (ks[i] === 1) out.push(reverse(p));
    });
    return out;
  }),
);
// Fine coordinates (µm): duplicates and touching ends are rare, so greedy starts from the same input.
const fine = (max: number) => fc.integer({ min: 0, max: max * 1000 }).map((i) => i / 1000);
const freePoint = fc.tuple(fine(300), fine(200));
const freePath = fc
  .tuple(fc.array(freePoint, { minLength: 2, maxLength: 5 }), fc.boolean())
  .map(([pts, close]) => closable(pts, close));
const freePaths = fc.uniqueArray(freePath, {
  maxLength: 60,
  selector: (p) => [Array.from(p).join(), Array.from(reverse(p)).join()].sort()[0],
});
const preset = fc.constantFrom<OptimizationPreset>('fast', 'default', 'best');

/** A stroke cut into one path per step, as stipple and TSP-art files are written. */
function steps(points: readonly (readonly [number, number])[]): Polyline[] {
  return points.slice(1).map((q, i) => P(points[i]![0], points[i]![1], q[0], q[1]));
}
// A walk on a coarse grid, one path per step, that crosses itself and steps back over its own
// steps (a drawn-twice segment in the middle of one continuous stroke), as in a stipple drawing.
const walkArb = fc
  .array(fc.constantFrom<[number, number]>([1, 0], [-1, 0], [0, 1], [0, -1], [1, 1]), {
    minLength: 1,
    maxLength: 80,
  })
  .map((moves) => {
    const points: [number, number][] = [[10, 10]];
    for (const [dx, dy] of moves) {
      const [x, y] = points.at(-1)!;
      points.push([Math.min(20, Math.max(0, x + dx * 3)), Math.min(20, Math.max(0, y + dy * 3))]);
    }
    return steps(points);
  });

function reverse(p: Polyline): Polyline {
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i += 2) {
    out[p.length - 2 - i] = p[i]!;
    out[p.length - 1 - i] = p[i + 1]!;
  }
  return out;
}

describe('optimizePaths properties', () => {
  it('keeps every drawn segment; adds only joins within the merge tolerance or the min gap', () => {
    fc.assert(
      fc.property(
        pathsArb,
        preset,
        fc.constantFrom(0, 0.05),
        fc.constantFrom(0, MIN_GAP_MM),
        (paths, p, tol, minGapMm) => {
          const { paths: out } = optimizePaths(paths, {
            preset: p,
            mergeToleranceMm: tol,
            minGapMm,
            simplifyToleranceMm: 0,
          });
          expectInkKept(paths, out, Math.max(tol, minGapMm), true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps the exact segment multiset when nothing is duplicated', () => {
    fc.assert(
      fc.property(freePaths, preset, (paths, p) => {
        const { paths: out, stats } = optimizePaths(paths, { preset: p, simplifyToleranceMm: 0 });
        expectInkKept(paths, out, MIN_GAP_MM, false);
        // Joins add at most the tolerance each, min-gap joins at most the gap.
        expect(stats.penDownMm).toBeGreaterThanOrEqual(penDownLength(paths) - 1e-9);
        expect(stats.penDownMm).toBeLessThanOrEqual(
          penDownLength(paths) + stats.merged * 0.05 + stats.joins! * MIN_GAP_MM + 1e-9,
        );
      }),
      { numRuns: 200 },
    );
  });

  it('never travels more than the input order (without merging) or greedy nearest neighbour', () => {
    fc.assert(
      fc.property(freePaths, freePoint, (paths, start) => {
        const { paths: out, stats } = optimizePaths(paths, {
          preset: 'default',
          start,
          mergeToleranceMm: 0,
        });
        const travel = travelLength(out, start);
        expect(travel).toBeCloseTo(stats.travelAfterMm, 6);
        expect(travel).toBeLessThanOrEqual(travelLength(paths, start) + 1e-6);
        expect(travel).toBeLessThanOrEqual(
          travelLength(greedyNearestNeighbour(paths, start), start) + 1e-6,
        );
      }),
      { numRuns: 200 },
    );
  });

  it('never travels more than the input order, merging on, at every preset', () => {
    fc.assert(
      fc.property(
        fc.oneof(pathsArb, walkArb),
        fc.option(point, { nil: undefined }),
        preset,
        (paths, start, p) => {
          const { paths: out, stats } = optimizePaths(paths, {
            preset: p,
            ...(start && { start }),
          });
          const from = start ?? [0, 0];
          expect(travelLength(out, from)).toBeCloseTo(stats.travelAfterMm, 6);
          expect(stats.travelAfterMm).toBeLessThanOrEqual(stats.travelBeforeMm + 1e-6);
          expect(stats.travelBeforeMm).toBeCloseTo(travelLength(paths, from), 9);
        },
      ),
      { numRuns: 400, seed: 1616 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(pathsArb, preset, (paths, p) => {
        const a = optimizePaths(paths, { preset: p });
        const b = optimizePaths(
          paths.map((x) => x.slice()),
          { preset: p },
        );
        expect(plain(b.paths)).toEqual(plain(a.paths));
        expect(b.end).toEqual(a.end);
      }),
      { numRuns: 100 },
    );
  });
});

describe('optimizePaths budget', () => {
  it('spends the budget as work, not time: a search cut short is still reproducible', () => {
    let s = 3;
    const rnd = () => ((s = (Math.imul(s, 48271) >>> 0) % 2147483647), s / 2147483647);
    const paths = Array.from({ length: 3000 }, () => {
      const x = rnd() * 300,
        y = rnd() * 200;
      return P(x, y, x + rnd() * 3, y + rnd() * 3);
    });
    const run = () => optimizePaths(paths, { preset: 'best', timeBudgetMs: 30 });
    const a = run(),
      b = run();
    expect(b.stats.travelAfterMm).toBe(a.stats.travelAfterMm);
    expect(plain(b.paths)).toEqual(plain(a.paths));
    const greedy = optimizePaths(paths, { preset: 'fast' }).stats.travelAfterMm;
    expect(a.stats.travelAfterMm).toBeLessThan(greedy);
  });
});

describe('optimizePaths clean-up', () => {
  it('merges a chain of touching paths, in either direction, into one stroke', () => {
    const paths = [P(10, 0, 20, 0), P(0, 0, 10, 0), P(20.03, 0, 30, 0), P(40, 0, 30, 0)];
    const { paths: out, stats } = optimizePaths(paths, { preset: 'default' });
    expect(out).toHaveLength(1);
    expect(stats.merged).toBe(3);
    expect(stats.liftsBefore).toBe(4);
    expect(stats.liftsAfter).toBe(1);
    const pts = plain(out)[0]!;
    const forwards = [0, 0, 10, 0, 20, 0, 20.03, 0, 30, 0, 40, 0];
    expect([forwards, plain([reverse(Float64Array.from(forwards))])[0]]).toContainEqual(pts);
  });

  it('does not merge ends farther apart than the tolerance', () => {
    const { paths: out } = optimizePaths([P(0, 0, 10, 0), P(10.1, 0, 20, 0)], {
      preset: 'fast',
      minGapMm: 0,
    });
    expect(out).toHaveLength(2);
  });

  it('drops duplicate paths, forwards or reversed', () => {
    const a = P(0, 0, 5, 5, 10, 0);
    const { paths: out, stats } = optimizePaths([a, a.slice(), reverse(a), P(50, 50, 60, 60)], {
      preset: 'fast',
      mergeToleranceMm: 0,
    });
    expect(out).toHaveLength(2);
    expect(stats.droppedDuplicates).toBe(2);
  });

  it('drops zero-length paths and repeated points', () => {
    const { paths: out, stats } = optimizePaths(
      [P(1, 1), P(2, 2, 2, 2, 2 + 1e-12, 2), P(0, 0, 0, 0, 5, 0, 5, 0)],
      { preset: 'fast' },
    );
    expect(stats.droppedZeroLength).toBe(2);
    expect(plain(out)).toEqual([[0, 0, 5, 0]]);
    expect(stats.pointsIn).toBe(8);
    expect(stats.pointsOut).toBe(2);
  });

  it('reverses a path when its far end is nearer', () => {
    const { paths: out, end } = optimizePaths([P(100, 0, 1, 0)], { preset: 'default' });
    expect(plain(out)).toEqual([[1, 0, 100, 0]]);
    expect(end).toEqual([100, 0]);
  });

  it('starts a closed loop at the vertex nearest the pen', () => {
    const square = P(50, 50, 60, 50, 60, 60, 50, 60, 50, 50);
    const { paths: out, stats } = optimizePaths([square], { preset: 'fast', start: [70, 70] });
    expect(plain(out)).toEqual([[60, 60, 50, 60, 50, 50, 60, 50, 60, 60]]);
    expect(stats.travelAfterMm).toBeCloseTo(Math.hypot(10, 10), 9);
  });

  it('orders a scrambled row of strokes with little travel', () => {
    const row = Array.from({ length: 50 }, (_, i) => P(i * 2, 0, i * 2 + 1, 0));
    const scrambled = row.map((_, i) => row[(i * 17) % 50]!);
    const { stats } = optimizePaths(scrambled, { preset: 'default', mergeToleranceMm: 0 });
    expect(stats.travelAfterMm).toBeCloseTo(49, 6);
    expect(stats.travelBeforeMm).toBeGreaterThan(1000);
  });

  it('draws a stipple serpentine that steps back over itself as one stroke, never travelling more than its order', () => {
    // Rows of 1 mm steps, each fifth point with a 0.5 mm tick out and back: the back half of each
    // tick repeats the segment before it, in the middle of one continuous stroke.
    const points: [number, number][] = [];
    for (let row = 0; row < 10; row++) {
      for (let i = 0; i <= 20; i++) {
        const x = 20 + (row % 2 ? 20 - i : i),
          y = 30 + row;
        points.push([x, y]);
        if (i % 5 === 0) points.push([x, y + 0.5], [x, y]);
      }
    }
    points.push([20, 40]);
    const paths = steps(points);
    for (const p of ['fast', 'default', 'best'] as const) {
      const { paths: out, stats } = optimizePaths(paths, { preset: p, simplifyToleranceMm: 0 });
      expect(stats.travelBeforeMm).toBeCloseTo(Math.hypot(20, 30), 9);
      expect(stats.travelAfterMm).toBeLessThanOrEqual(stats.travelBeforeMm);
      expect(travelLength(out)).toBeCloseTo(stats.travelAfterMm, 9);
      expect(out).toHaveLength(1);
      expect(stats.order).toBe('optimized');
      expectInkKept(paths, out, 0, false);
    }
  });

  it('keeps a walk that crosses itself at every point one stroke when its ends only nearly touch', () => {
    // A grid walked by rows, then again by columns, one path per step, every end off by up to
    // 0.01 mm (transform noise): at each crossing four ends are within the merge tolerance.
    const rand = seeded(3);
    const jitter = () => (rand() - 0.5) * 0.02;
    const points: [number, number][] = [];
    for (let r = 0; r < 10; r++)
      for (let i = 0; i < 10; i++) points.push([3 * (r % 2 ? 9 - i : i), 3 * r]);
    for (let c = 9; c >= 0; c--)
      for (let i = 0; i < 10; i++) points.push([3 * c, 3 * (c % 2 ? i : 9 - i)]);
    const paths = steps(points).map((p) => p.map((v) => v + jitter()));
    for (const p of ['fast', 'default', 'best'] as const) {
      const { paths: out, stats } = optimizePaths(paths, { preset: p, start: [-1, -1] });
      expect(out).toHaveLength(1);
      expect(stats.travelAfterMm).toBeLessThanOrEqual(stats.travelBeforeMm);
    }
  });

  it('keeps the file order as given, duplicates and all, when it is the shorter', () => {
    // The way back over the first stroke leads nowhere the next path starts, so the clean-up drops
    // it as a duplicate; every order of what is left then travels more than the file's 1 mm.
    const paths = [P(0, 0, 10, 0), P(10, 0, 0, 0), P(1, 0, 1, 10)];
    for (const p of ['fast', 'default', 'best'] as const) {
      const { paths: out, stats } = optimizePaths(paths, { preset: p });
      expect(stats.order).toBe('input');
      expect(stats.droppedDuplicates).toBe(0);
      expect(stats.merged).toBe(1);
      expect(stats.travelAfterMm).toBeCloseTo(1, 9);
      expect(plain(out)).toEqual([
        [0, 0, 10, 0, 0, 0],
        [1, 0, 1, 10],
      ]);
    }
  });

  it('refuses non-finite coordinates', () => {
    expect(() => optimizePaths([P(0, 0, 1, 1), P(0, NaN, 2, 2)], { preset: 'fast' })).toThrow(
      /path 1 has a non-finite/,
    );
  });

  it('handles an empty layer', () => {
    const { paths, stats, end } = optimizePaths([], { preset: 'best', start: [3, 4] });
    expect(paths).toEqual([]);
    expect(end).toEqual([3, 4]);
    expect(stats.travelAfterMm).toBe(0);
  });

  it('reports progress up to 1', () => {
    const seen: number[] = [];
    optimizePaths([P(0, 0, 1, 1), P(5, 5, 6, 6), P(2, 2, 3, 3)], {
      preset: 'default',
      onProgress: (f) => seen.push(f),
    });
    expect(seen.at(-1)).toBe(1);
    expect(seen.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= seen[i - 1]!))).toBe(true);
  });
});

describe('simplify', () => {
  /** Distance from a point to a polyline. */
  function distance(x: number, y: number, line: Polyline): number {
    let best = Infinity;
    for (let i = 2; i < line.length; i += 2) {
      const ax = line[i - 2]!,
        ay = line[i - 1]!,
        dx = line[i]! - ax,
        dy = line[i + 1]! - ay;
      const len2 = dx * dx + dy * dy;
      const t = len2 ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2)) : 0;
      best = Math.min(best, Math.hypot(ax + t * dx - x, ay + t * dy - y));
    }
    return best;
  }

  it('keeps every original point within the tolerance, and the endpoints', () => {
    fc.assert(
      fc.property(freePath, fc.double({ min: 0.001, max: 20, noNaN: true }), (line, tol) => {
        const s = simplify(line, tol);
        expect([s[0], s[1], s.at(-2), s.at(-1)]).toEqual([
          line[0],
          line[1],
          line.at(-2),
          line.at(-1),
        ]);
        for (let i = 0; i < line.length; i += 2)
          expect(distance(line[i]!, line[i + 1]!, s)).toBeLessThanOrEqual(tol + 1e-9);
      }),
    );
  });

  it('drops near-collinear points and keeps closed loops closed', () => {
    expect(plain([simplify(P(0, 0, 5, 0.005, 10, 0), 0.01)])).toEqual([[0, 0, 10, 0]]);
    const loop = simplify(P(0, 0, 0.004, 0.001, 0.005, 0.005, 0.001, 0.004, 0, 0), 0.01);
    expect(loop.length).toBe(6);
    expect([loop[0], loop[1]]).toEqual([loop[4], loop[5]]);
  });

  it("is used by 'best' by default and moves ink by at most its tolerance", () => {
    const wobbly = P(0, 0, 10, 0.004, 20, 0);
    expect(optimizePaths([wobbly], { preset: 'best' }).stats.pointsOut).toBe(2);
    expect(optimizePaths([wobbly], { preset: 'default' }).stats.pointsOut).toBe(3);
  });
});

describe('greedyNearestNeighbour', () => {
  it('visits the nearest endpoint next, reversing paths', () => {
    const out = greedyNearestNeighbour([P(10, 0, 11, 0), P(3, 0, 1, 0), P(5, 0, 6, 0)]);
    expect(plain(out)).toEqual([
      [1, 0, 3, 0],
      [5, 0, 6, 0],
      [10, 0, 11, 0],
    ]);
  });

  it('scales to 50k paths', () => {
    let s = 7;
    const rnd = () => ((s = (Math.imul(s, 48271) >>> 0) % 2147483647), s / 2147483647);
    const paths = Array.from({ length: 50_000 }, () => {
      const x = rnd() * 300,
        y = rnd() * 200;
      return P(x, y, x + rnd(), y + rnd());
    });
    const t = performance.now();
    const out = greedyNearestNeighbour(paths);
    expect(performance.now() - t).toBeLessThan(3000);
    expect(out).toHaveLength(50_000);
    expect(travelLength(out)).toBeLessThan(travelLength(paths) / 10);
  });
});
