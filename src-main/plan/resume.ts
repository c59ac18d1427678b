/**
 * Resume from rest: a plot continued inside a stroke starts with the carriage standing still, so
 * the rest of that stroke is planned anew from zero speed instead of entering the next planned
 * block at its planned speed (a jerk).
 */
import { MoveKind, planMotion, stepsToMm, type MotionLayer, type MotionProgram } from './planner';
import type { MotionProfile } from './motion';
import type { LayerCodes } from '../svg/types';

export interface RestOfStroke {
  /** The remaining stroke as one path from rest to rest: its Draw moves are [first, first + count). */
  program: MotionProgram;
  first: number;
  count: number;
  /**
   * Per Draw move of `program` (from `first`): the original move whose end it has reached, so a
   * checkpoint taken after it is exact in the original program (`from` until the first is passed).
   */
  move: Int32Array;
  /** The original move to continue with after the stroke (its PenUp). */
  next: number;
}

/**
 * The rest of the stroke move `from` of `p` ends inside, re-planned from rest: through the end of
 * every remaining Draw move of the stroke (the same places the original passes, so checkpoints map
 * back), with the stroke's layer codes and the planner's defaults, as plotProgram plans, but no
 * vertex merging (the line drawn is the planned one). Sources are
 * the original global point indices. Undefined when `from` does not end inside a stroke.
 */
export function restOfStroke(
  p: MotionProgram,
  from: number,
  layer: Partial<LayerCodes>,
  profile: MotionProfile,
): RestOfStroke | undefined {
  if (from < 0 || p.kind[from] !== MoveKind.Draw || p.kind[from + 1] !== MoveKind.Draw)
    return undefined;
  let a = p.start[0],
    b = p.start[1];
  for (let k = 0; k <= from; k++) {
    a += p.steps1[k]!;
    b += p.steps2[k]!;
  }
  const start: [number, number] = [a, b];
  const poly: number[] = [...stepsToMm(a, b, p.stepsPerMm)];
  const orig = [from];
  let next = from + 1;
  for (; next < p.length && p.kind[next] === MoveKind.Draw; next++) {
    a += p.steps1[next]!;
    b += p.steps2[next]!;
    poly.push(...stepsToMm(a, b, p.stepsPerMm));
    orig.push(next);
  }
  const codes: MotionLayer = {
    speedPct: layer.speedPct ?? null,
    heightPct: layer.heightPct ?? null,
    paths: [Float64Array.from(poly)],
  };
  // From where the carriage stands: PenDown, the Draw moves, PenUp (no travel).
  // No merging: the vertices are already the planner's, and merging again would draw off its line.
  const program = planMotion([codes], profile, {
    start,
    stepsPerMm: p.stepsPerMm,
    mergeToleranceMm: 0,
  });
  const count = program.length - 2;
  const move = new Int32Array(count);
  for (let r = 0; r < program.length; r++) {
    const local = program.source[r]!;
    if (r >= 1 && r <= count) move[r - 1] = orig[local]!;
    program.source[r] = p.source[orig[local]!]!;
  }
  return { program, first: 1, count, move, next };
}
