import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimatePaths } from '../src-main/plan/estimate';
import type { MotionProfile } from '../src-main/plan/motion';
import type { Polyline } from '../src-main/svg/types';
import {
  DEFAULT_MERGE_TOLERANCE_MM,
  DEFAULT_MIN_MOVE_S,
  MAX_STEP_RATE,
  MoveKind,
  mmToSteps,
  planMotion,
  programDuration,
  sourceOf,
  stepsToMm,
  type MotionLayer,
  type MotionProgram,
} from '../src-main/plan/planner';
import { ebbCommand, lmParameters } from '../src-main/plotter/lm';
import { profile, straight } from './helpers/motion';

const P = (...xy: number[]): Polyline => Float64Array.from(xy);
const K = 80;

/** Round numbers so closed forms are easy to read; no pen-lift time unless a test adds it. */

const isMove = (kind: number) => kind === MoveKind.Draw || kind === MoveKind.Travel;

function movingSeconds(p: MotionProgram, kind: MoveKind): number {
  let t = 0;
  for (let i = 0; i < p.length; i++) if (p.kind[i] === kind) t += p.duration[i]!;
  return t;
}

/**
 * Every move within the profile: nominal speeds ≤ the kind's limit, |Δv|/t ≤ its acceleration,
 * at least `minMoveS` long, and what the steps really do — the mean speed, the motors' peak step
 * rates — within the limits up to the one step that rounding can add to a block.
 */
function expectWithinLimits(
  p: MotionProgram,
  prof: MotionProfile,
  minMoveS = DEFAULT_MIN_MOVE_S,
): void {
  for (let i = 0; i < p.length; i++) {
    if (!isMove(p.kind[i]!)) continue;
    const draw = p.kind[i] === MoveKind.Draw;
    const vMax = draw ? prof.penDownSpeedMmS : prof.penUpSpeedMmS;
    const accel = draw ? (prof.constSpeed ? 0 : prof.accelMmS2) : prof.penUpAccelMmS2;
    const t = p.duration[i]!,
      v0 = p.v0[i]!,
      v1 = p.v1[i]!,
      s1 = p.steps1[i]!,
      s2 = p.steps2[i]!;
    const at = `move ${i}`;
    expect(t, at).toBeGreaterThanOrEqual(minMoveS - 1e-12);
    expect(s1 !== 0 || s2 !== 0, at).toBe(true);
    expect(Math.max(v0, v1), at).toBeLessThanOrEqual(vMax * (1 + 1e-6));
    expect(Math.abs(v1 - v0) / t, at).toBeLessThanOrEqual(accel * (1 + 1e-5) + 1e-3);
    const [x, y] = stepsToMm(s1, s2);
    expect(Math.hypot(x, y) / t, at).toBeLessThanOrEqual(vMax * (1 + 1e-6) + 1.5 / K / t);
    const peakShare = (2 * Math.max(v0, v1)) / (v0 + v1);
    expect((Math.max(Math.abs(s1), Math.abs(s2)) / t) * peakShare, at).toBeLessThanOrEqual(
      MAX_STEP_RATE + 2 / t,
    );
    // Speed is continuous from block to block and 0 at pen changes, except around segments of a
    // few steps, whose blocks run at their mean speed: a jump of at most 2 steps per minimum move.
    if (prof.constSpeed && draw) continue;
    const before = i > 0 && isMove(p.kind[i - 1]!) ? p.v1[i - 1]! : 0;
    expect(Math.abs(before - v0), at).toBeLessThanOrEqual(Math.max(1e-4 * v0, 2 / K / minMoveS));
    if (!(i + 1 < p.length && isMove(p.kind[i + 1]!)))
      expect(v1, at).toBeLessThanOrEqual(2 / K / minMoveS);
  }
}

/** Walks the program: absolute motor position at each pen change must be the path end exactly. */
function expectExactEnds(layers: MotionLayer[], p: MotionProgram): void {
  const ends: [number, number][] = [];
  for (const l of layers)
    for (const path of l.paths) {
      if (path.length < 4) continue;
      ends.push(
        mmToSteps(path[0]!, path[1]!),
        mmToSteps(path[path.length - 2]!, path[path.length - 1]!),
      );
    }
  let [a1, a2] = p.start;
  const seen: [number, number][] = [];
  for (let i = 0; i < p.length; i++) {
    a1 += p.steps1[i]!;
    a2 += p.steps2[i]!;
    if (p.kind[i] === MoveKind.PenDown || p.kind[i] === MoveKind.PenUp) seen.push([a1, a2]);
  }
  expect(seen).toEqual(ends);
  expect(p.end).toEqual([a1, a2]);
}

/** Drawn vertices of each path: positions (mm) from pen down through every Draw move to pen up. */
function drawnPaths(p: MotionProgram): number[][] {
  const out: number[][] = [];
  let [a1, a2] = p.start;
  let cur: number[] | undefined;
  for (let i = 0; i < p.length; i++) {
    a1 += p.steps1[i]!;
    a2 += p.steps2[i]!;
    if (p.kind[i] === MoveKind.PenDown) cur = [...stepsToMm(a1, a2)];
    else if (p.kind[i] === MoveKind.Draw) cur!.push(...stepsToMm(a1, a2));
    else if (p.kind[i] === MoveKind.PenUp) out.push(cur!);
  }
  return out;
}

function distToPolyline(px: number, py: number, line: number[]): number {
  let best = Math.hypot(px - line[0]!, py - line[1]!);
  for (let i = 2; i + 1 < line.length; i += 2) {
    const ax = line[i - 2]!,
      ay = line[i - 1]!,
      ex = line[i]! - ax,
      ey = line[i + 1]! - ay;
    const l2 = ex * ex + ey * ey;
    const t = l2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * ex + (py - ay) * ey) / l2)) : 0;
    best = Math.min(best, Math.hypot(px - ax - t * ex, py - ay - t * ey));
  }
  return best;
}

/** Half a motor step on both motors, in mm: the most rounding moves a vertex. */
const ROUNDING_MM = Math.hypot(0.5, 0.5) / K;

const point = fc.tuple(
  fc.double({ min: 0, max: 300, noNaN: true }),
  fc.double({ min: 0, max: 200, noNaN: true }),
);
/** A polyline mixing long strokes and dense wiggles (points 0–0.3 mm apart). */
const polyline = fc
  .tuple(
    point,
    fc.array(
      fc.tuple(
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.constantFrom(0.05, 0.3, 20),
      ),
      { minLength: 1, maxLength: 40 },
    ),
  )
  .map(([[x, y], steps]) => {
    const xy = [x, y];
    for (const [dx, dy, scale] of steps) {
      x = Math.min(300, Math.max(0, x + dx * scale));
      y = Math.min(200, Math.max(0, y + dy * scale));
      xy.push(x, y);
    }
    return Float64Array.from(xy);
  });
const layersArb = fc.array(
  fc.record({
    paths: fc.array(polyline, { minLength: 0, maxLength: 4 }),
    pauseBefore: fc.boolean(),
  }),
  { minLength: 1, maxLength: 3 },
);
const startArb = fc.tuple(
  fc.integer({ min: -2000, max: 20000 }),
  fc.integer({ min: -20000, max: 20000 }),
);

describe('planMotion', () => {
  it('times a straight line by the closed forms, long and short, pen down and up', () => {
    for (const L of [100, 2.5, 1, 0.3]) {
      const p = planMotion([{ paths: [P(0, 0, L, 0)] }], profile);
      expect(movingSeconds(p, MoveKind.Draw)).toBeCloseTo(straight(L, 50, 1000), 9);
      expect(movingSeconds(p, MoveKind.Travel)).toBe(0);
      expectWithinLimits(p, profile);
    }
    const hop = planMotion([{ paths: [P(30, 40, 31, 40)] }], profile);
    expect(movingSeconds(hop, MoveKind.Travel)).toBeCloseTo(straight(50, 200, 1500), 9);
    // Pen times add in: 0.2 s + 0.1 s per path.
    const lifted = planMotion([{ paths: [P(0, 0, 100, 0)] }], {
      ...profile,
      penRaiseS: 0.2,
      penLowerS: 0.1,
    });
    expect(programDuration(lifted)).toBeCloseTo(straight(100, 50, 1000) + 0.3, 9);
  });

  it('keeps every move within the speed, acceleration, step-rate and minimum-duration limits', () => {
    const fast = {
      ...profile,
      penUpSpeedMmS: 400,
      penUpAccelMmS2: 3000,
      penDownSpeedMmS: 250,
      accelMmS2: 4000,
    };
    fc.assert(
      fc.property(
        layersArb,
        fc.constantFrom(profile, fast, { ...profile, constSpeed: true }),
        (layers, prof) => {
          expectWithinLimits(planMotion(layers, prof), prof);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('ends every path exactly on its last point in steps, whatever the start', () => {
    fc.assert(
      fc.property(layersArb, startArb, (layers, start) => {
        expectExactEnds(layers, planMotion(layers, profile, { start }));
      }),
      { numRuns: 200 },
    );
  });

  it('merges dense points only within the tolerance, and never below the minimum move time', () => {
    // A 0.02 mm-pitch spiral: 50 mm/s would make 0.4 ms blocks, ten times too short for the EBB.
    const xy: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const a = i * 0.004,
        r = 5 + a;
      xy.push(100 + r * Math.cos(a), 100 + r * Math.sin(a));
    }
    const spiral = Float64Array.from(xy);
    const p = planMotion([{ paths: [spiral] }], profile);
    expectWithinLimits(p, profile);
    const draws = Array.from(p.kind).filter((k) => k === MoveKind.Draw).length;
    expect(draws).toBeLessThan(3000 / 5);
    const [line] = drawnPaths(p);
    for (let i = 0; i < 3000; i++)
      expect(distToPolyline(xy[2 * i]!, xy[2 * i + 1]!, line!)).toBeLessThanOrEqual(
        DEFAULT_MERGE_TOLERANCE_MM + ROUNDING_MM,
      );

    fc.assert(
      fc.property(polyline, fc.constantFrom(0.005, 0.02, 0.1), (path, tol) => {
        const q = planMotion([{ paths: [path] }], profile, { mergeToleranceMm: tol });
        const [drawn] = drawnPaths(q);
        for (let i = 0; i < path.length; i += 2)
          expect(distToPolyline(path[i]!, path[i + 1]!, drawn!)).toBeLessThanOrEqual(
            tol + ROUNDING_MM + 1e-9,
          );
      }),
      { numRuns: 150 },
    );
  });

  it('respects a longer minimum move time and cuts long cruises', () => {
    const paths = [
      P(0, 0, 0.1, 0.05, 0.2, 0, 0.3, 0.07, 0.4, 0, 200, 0),
      P(200, 0.05, 200, 0.0625),
    ];
    const p = planMotion([{ paths }], profile, { minMoveS: 0.01, maxMoveS: 0.25 });
    expectWithinLimits(p, profile, 0.01);
    for (let i = 0; i < p.length; i++)
      if (isMove(p.kind[i]!)) expect(p.duration[i]).toBeLessThanOrEqual(0.25 + 1e-12);
  });

  it('slows down at corners and stops at reversals', () => {
    const side = 20;
    const square = movingSeconds(
      planMotion([{ paths: [P(0, 0, side, 0, side, side, 0, side, 0, 0)] }], profile),
      MoveKind.Draw,
    );
    expect(square).toBeGreaterThan((4 * side) / 50 + 1e-3);
    expect(square).toBeLessThan(4 * straight(side, 50, 1000));
    const back = planMotion([{ paths: [P(0, 0, side, 0, 0, 0)] }], profile);
    expect(movingSeconds(back, MoveKind.Draw)).toBeCloseTo(2 * straight(side, 50, 1000), 9);
    // The block arriving at the reversal ends at rest.
    const reversal = Array.from(back.source).findIndex(
      (s, i) => s === 1 && back.kind[i] === MoveKind.Draw,
    );
    expect(back.v1[reversal]).toBe(0);
  });

  it('draws at one speed with const_speed', () => {
    const p = planMotion([{ paths: [P(0, 0, 10, 0, 10, 10)] }], { ...profile, constSpeed: true });
    expect(movingSeconds(p, MoveKind.Draw)).toBeCloseTo(20 / 50, 12);
    for (let i = 0; i < p.length; i++)
      if (p.kind[i] === MoveKind.Draw) expect([p.v0[i], p.v1[i]]).toEqual([50, 50]);
  });

  it('lifts and lowers the pen around every path and pauses before a layer with the pen up', () => {
    const layers: MotionLayer[] = [
      { paths: [P(0, 0, 10, 0), P(10, 0, 10, 10), P(5, 5)] },
      { paths: [P(20, 20, 30, 30)], pauseBefore: true },
    ];
    const p = planMotion(layers, profile);
    const pens = Array.from(p.kind).filter((k) => !isMove(k));
    expect(pens).toEqual([
      MoveKind.PenDown,
      MoveKind.PenUp,
      MoveKind.PenDown,
      MoveKind.PenUp,
      MoveKind.Pause,
      MoveKind.PenDown,
      MoveKind.PenUp,
    ]);
    // The second path starts where the first ended: no travel between them.
    const kinds = Array.from(p.kind);
    expect(kinds.slice(kinds.indexOf(MoveKind.PenUp) + 1)[0]).toBe(MoveKind.PenDown);
    fc.assert(
      fc.property(layersArb, (ls) => {
        const q = planMotion(ls, profile);
        let down = false;
        for (let i = 0; i < q.length; i++) {
          const k = q.kind[i]!;
          if (k === MoveKind.PenDown) expect(down).toBe(false);
          if (k === MoveKind.PenUp) expect(down).toBe(true);
          if (k === MoveKind.Travel || k === MoveKind.Pause) expect(down).toBe(false);
          if (k === MoveKind.Draw) expect(down).toBe(true);
          if (k === MoveKind.PenDown || k === MoveKind.PenUp) down = k === MoveKind.PenDown;
        }
        expect(down).toBe(false);
        const drawable = ls.flatMap((l) => l.paths).filter((x) => x.length >= 4).length;
        expect(Array.from(q.kind).filter((k) => k === MoveKind.PenUp).length).toBe(drawable);
        expect(Array.from(q.kind).filter((k) => k === MoveKind.Pause).length).toBe(
          ls.filter((l) => l.pauseBefore).length,
        );
      }),
      { numRuns: 100 },
    );
  });

  it('maps every move to the source point it ends at', () => {
    const layers: MotionLayer[] = [
      { paths: [P(0, 0, 10, 0, 10, 10), P()] },
      { paths: [P(20, 20, 30, 30, 40, 20, 50, 30)], pauseBefore: true },
    ];
    const p = planMotion(layers, profile);
    const at = (i: number) => sourceOf(p, i);
    const first = Array.from(p.kind).indexOf(MoveKind.PenDown);
    expect(at(first)).toEqual({ layer: 0, path: 0, point: 0 });
    expect(at(Array.from(p.kind).indexOf(MoveKind.PenUp))).toEqual({ layer: 0, path: 0, point: 2 });
    expect(at(Array.from(p.kind).indexOf(MoveKind.Pause))).toEqual({ layer: 0, path: 0, point: 2 });
    expect(at(p.length - 1)).toEqual({ layer: 1, path: 0, point: 3 });
    // Sources never go back, and the draw moves reach each vertex of the second layer in turn.
    for (let i = 1; i < p.length; i++) expect(p.source[i]).toBeGreaterThanOrEqual(p.source[i - 1]!);
    const reached = new Set<number>();
    for (let i = 0; i < p.length; i++)
      if (p.kind[i] === MoveKind.Draw && p.source[i]! >= 3) reached.add(sourceOf(p, i)!.point);
    expect([...reached]).toEqual([0, 1, 2, 3]);
    expect(planMotion([{ paths: [P(0, 0, 1, 1)], pauseBefore: true }], profile).source[0]).toBe(-1);
    expect(
      sourceOf(planMotion([{ paths: [P(0, 0, 1, 1)], pauseBefore: true }], profile), 0),
    ).toBeUndefined();
  });

  it('is what estimatePaths reports', () => {
    fc.assert(
      fc.property(fc.array(polyline, { maxLength: 5 }), (paths) => {
        const lifted = { ...profile, penRaiseS: 0.13, penLowerS: 0.15 };
        const program = planMotion([{ paths }], lifted, { start: mmToSteps(3, 4) });
        expect(estimatePaths(paths, lifted, [3, 4]).seconds).toBeCloseTo(
          programDuration(program),
          9,
        );
      }),
      { numRuns: 30 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(layersArb, (layers) => {
        expect(planMotion(layers, profile)).toEqual(planMotion(layers, profile));
      }),
      { numRuns: 30 },
    );
  });
});

describe('ebbCommand', () => {
  /** Steps an LM axis reaches after t ticks (docs/ebb-protocol.md "Commands vfab sends": floor((Rate·t + Accel·t²/2) / 2^31), C0 = 0). */
  const position = (rate: number, accel: number, t: number) =>
    Math.floor((rate * t + (accel * t * t) / 2) / 2 ** 31);

  it('matches the EBB documentation example for a constant-rate move', () => {
    const one: MotionProgram = {
      ...planMotion([], profile),
      length: 1,
      kind: Uint8Array.of(MoveKind.Draw),
      steps1: Int32Array.of(10),
      steps2: Int32Array.of(2),
      duration: Float64Array.of(0.01),
      v0: Float32Array.of(1),
      v1: Float32Array.of(1),
      source: Int32Array.of(0),
    };
    // The doc's `LM,85899346,10,0,17180814,2,0`, except that 200 steps/s is 17179869.18 by the doc's
    // own formula, rounded up here so that the 2nd step lands by tick 250.
    expect(ebbCommand(one, 0)).toBe('LM,85899346,10,0,17179870,2,0');
  });

  /** Every LM lands each axis's last step on its last tick (or the one before). */
  function expectLmLands(p: MotionProgram): void {
    for (let i = 0; i < p.length; i++) {
      if (!isMove(p.kind[i]!)) continue;
      const lm = lmParameters(p, i);
      expect(ebbCommand(p, i)).toBe(`LM,${lm.join(',')}`);
      const ticks = Math.max(1, Math.round(p.duration[i]! / 40e-6));
      for (const [r, s, a] of [lm.slice(0, 3), lm.slice(3)] as [number, number, number][]) {
        if (s === 0) {
          expect([r, a]).toEqual([0, 0]);
          continue;
        }
        expect(r).toBeGreaterThanOrEqual(0);
        expect(r).toBeLessThan(2 ** 31);
        expect(r + a * ticks).toBeGreaterThanOrEqual(0); // the rate never needs to go negative
        expect(position(r, a, ticks)).toBeGreaterThanOrEqual(Math.abs(s));
        expect(position(r, a, ticks - 2)).toBeLessThan(Math.abs(s));
      }
    }
  }

  it('gives LM blocks that finish each axis on its last tick, and pen commands with their time', () => {
    const paths = [P(0, 0, 100, 37, 100.3, 37.1, 20, 80), P(150, 10, 149, 11, 120, 12)];
    const p = planMotion([{ paths }], { ...profile, penRaiseS: 0.13, penLowerS: 0.146 });
    expectLmLands(p);
    for (let i = 0; i < p.length; i++) {
      if (p.kind[i] === MoveKind.PenUp) expect(ebbCommand(p, i)).toBe('SP,1,130');
      if (p.kind[i] === MoveKind.PenDown) expect(ebbCommand(p, i)).toBe('SP,0,146');
    }
    fc.assert(
      fc.property(layersArb, (layers) => expectLmLands(planMotion(layers, profile))),
      { numRuns: 40 },
    );
    expect(Array.from(p.kind).includes(MoveKind.Pause)).toBe(false);
    expect(ebbCommand(planMotion([{ paths, pauseBefore: true }], profile), 0)).toBeUndefined();
  });
});
