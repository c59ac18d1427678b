/**
 * A motion program's running totals, per move: where the carriage is, how much ink is down and how
 * much plotter time has passed after move k. Checkpoints, progress and the travel check read them.
 */
import type { Checkpoint } from '../jobs/checkpoint';
import { MoveKind, moveLengthMm, sourceOf, type MotionProgram } from '../plan/planner';

export class ProgramTable {
  /** Step counters after move k. */
  readonly pos1: Int32Array;
  readonly pos2: Int32Array;
  /** Pen-down mm drawn up to and including move k. */
  private readonly inkMm: Float64Array;
  /** Plotter seconds up to and including move k. */
  private readonly timeS: Float64Array;
  /** The whole program's plotter seconds. */
  readonly totalS: number;

  constructor(readonly program: MotionProgram) {
    const p = program;
    const n = p.length;
    this.pos1 = new Int32Array(n);
    this.pos2 = new Int32Array(n);
    this.inkMm = new Float64Array(n);
    this.timeS = new Float64Array(n);
    let a = p.start[0],
      b = p.start[1],
      ink = 0,
      t = 0;
    for (let k = 0; k < n; k++) {
      a += p.steps1[k]!;
      b += p.steps2[k]!;
      if (p.kind[k] === MoveKind.Draw) ink += moveLengthMm(p, k);
      t += p.duration[k]!;
      this.pos1[k] = a;
      this.pos2[k] = b;
      this.inkMm[k] = ink;
      this.timeS[k] = t;
    }
    this.totalS = n > 0 ? this.timeS[n - 1]! : 0;
  }

  /** The step counters after `move` (−1: before the first, at the program's start). */
  positionAt(move: number): [number, number] {
    const p = this.program;
    return move >= 0 ? [this.pos1[move]!, this.pos2[move]!] : [p.start[0], p.start[1]];
  }

  /** Plotter seconds done once `move` has run. */
  doneS(move: number): number {
    return move >= 0 ? this.timeS[move]! : 0;
  }

  /** What a journal checkpoint says about `move`: where in the drawing and the paper it is. */
  checkpointOf(move: number): Checkpoint {
    const src = move >= 0 ? sourceOf(this.program, move) : undefined;
    return {
      move,
      layer: src?.layer ?? null,
      path: src?.path ?? null,
      point: src?.point ?? null,
      steps: this.positionAt(move),
      pen_down_mm: move >= 0 ? Math.round(this.inkMm[move]! * 1000) / 1000 : 0,
    };
  }
}

/** Totals of a program: pen-down and pen-up distance (mm), pen lifts. */
export function programMetrics(p: MotionProgram): {
  pen_down_mm: number;
  travel_mm: number;
  lifts: number;
} {
  let down = 0,
    travel = 0,
    lifts = 0;
  for (let k = 0; k < p.length; k++) {
    const kind = p.kind[k];
    if (kind === MoveKind.Draw) down += moveLengthMm(p, k);
    else if (kind === MoveKind.Travel) travel += moveLengthMm(p, k);
    else if (kind === MoveKind.PenUp) lifts++;
  }
  return {
    pen_down_mm: Math.round(down * 1000) / 1000,
    travel_mm: Math.round(travel * 1000) / 1000,
    lifts,
  };
}

/** Pause moves up to and including move k. */
export function countPausesUpTo(p: MotionProgram, k: number): number {
  let c = 0;
  for (let i = 0; i <= k; i++) if (p.kind[i] === MoveKind.Pause) c++;
  return c;
}
