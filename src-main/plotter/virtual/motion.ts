/**
 * Step arithmetic of the EBB's motion commands, in virtual milliseconds. Each move knows its
 * duration and how many steps each motor has made after a given elapsed time, so status
 * queries (QS, QM, QG) can be answered truthfully in the middle of a move.
 */

/** The stepper ISR period: LM/LT move in whole 40 µs ticks. */
const TICK_MS = 0.04;
/** LM/LT accumulators overflow (and step) at 2^31. */
const ACC_FULL = 2 ** 31;

export interface Move {
  readonly durationMs: number;
  /** Signed steps of motor 1 and 2 made after `elapsedMs` (clamped to the move). */
  stepsAt(elapsedMs: number): [number, number];
  /** Whether each motor is still stepping after `elapsedMs`. */
  movingAt(elapsedMs: number): [boolean, boolean];
  /** The LM axis whose rate decays to zero before its steps are done, if any (a host bug). */
  readonly stalls?: boolean;
  /** Highest step rate reached by either motor, steps/s. */
  readonly peakRate: number;
  /** LM/LT: each motor's step rate at the start, steps/s (0 for a move from rest). */
  readonly startRate?: [number, number];
}

/** Constant-rate move (SM, XM, HM, and pure delays when both step counts are 0). */
export function linearMove(durationMs: number, s1: number, s2: number, leadMs = 0): Move {
  const travel = durationMs - leadMs;
  const frac = (e: number) => (travel > 0 ? Math.min(1, Math.max(0, (e - leadMs) / travel)) : 1);
  return {
    durationMs,
    stepsAt: (e) => [Math.trunc(s1 * frac(e)), Math.trunc(s2 * frac(e))],
    movingAt: (e) => [s1 !== 0 && e < durationMs, s2 !== 0 && e < durationMs],
    peakRate: travel > 0 ? (Math.max(Math.abs(s1), Math.abs(s2)) * 1000) / travel : 0,
  };
}

interface Axis {
  /** Total signed steps this axis makes. */
  steps: number;
  /** Ticks until the axis is done. */
  ticks: number;
  /** Unsigned step count after n ticks. */
  at(n: number): number;
  stalls: boolean;
  peakRate: number;
}

/**
 * One LM axis. With the 2.7+ pre-adjusted initial rate (Rate − Accel/2), the accumulator after n
 * ticks holds Rate·n + Accel·n²/2 exactly, so steps = floor(that / 2^31) — a closed form instead
 * of simulating 25 000 ticks per second.
 */
function lmAxis(rate: number, steps: number, accel: number): Axis {
  const r = Math.abs(rate);
  const target = Math.abs(steps);
  const sign = Math.sign(steps) * (rate < 0 ? -1 : 1);
  const at = (n: number) => Math.min(target, Math.floor((r * n + (accel * n * n) / 2) / ACC_FULL));
  if (target === 0 || (r === 0 && accel <= 0))
    return { steps: 0, ticks: 0, at: () => 0, stalls: target !== 0, peakRate: 0 };
  let ticks: number;
  let stalls = false;
  if (accel === 0) {
    // Exact in BigInt: S·2^31 exceeds 2^53 for long moves.
    const need = BigInt(target) * BigInt(ACC_FULL);
    const rr = BigInt(r);
    ticks = Number((need + rr - 1n) / rr);
  } else {
    const disc = r * r + 2 * accel * target * ACC_FULL;
    if (disc < 0) {
      // The rate reaches zero first: the real board would never end this command.
      stalls = true;
      ticks = Math.ceil(r / -accel);
    } else {
      ticks = Math.max(1, Math.ceil((-r + Math.sqrt(disc)) / accel));
      // Float rounding can land one tick either side of the exact answer.
      while (ticks > 1 && at(ticks - 1) >= target) ticks--;
      while (at(ticks) < target) ticks++;
    }
  }
  const finalRate = Math.max(r, r + accel * ticks);
  return {
    steps: sign * target,
    ticks,
    at: (n) => sign * at(Math.min(n, ticks)),
    stalls,
    peakRate: (finalRate / ACC_FULL) * 25_000,
  };
}

/** LT axis: runs for a fixed number of ticks; the sign of Rate is the direction. */
function ltAxis(rate: number, accel: number, ticks: number): Axis {
  const r = Math.abs(rate);
  const sign = rate < 0 ? -1 : 1;
  const at = (n: number) => Math.max(0, Math.floor((r * n + (accel * n * n) / 2) / ACC_FULL));
  return {
    steps: sign * at(ticks),
    ticks,
    at: (n) => sign * at(Math.min(n, ticks)),
    stalls: false,
    peakRate: (Math.max(r, r + accel * ticks) / ACC_FULL) * 25_000,
  };
}

function accumulatorMove(a: Axis, b: Axis, totalTicks: number, rate1: number, rate2: number): Move {
  const ticks = (e: number) => Math.floor(e / TICK_MS + 1e-9);
  const perS = (rate: number) => (Math.abs(rate) / ACC_FULL) * (1 / TICK_MS) * 1000;
  return {
    startRate: [a.steps === 0 ? 0 : perS(rate1), b.steps === 0 ? 0 : perS(rate2)],
    durationMs: totalTicks * TICK_MS,
    stepsAt: (e) => [a.at(ticks(e)), b.at(ticks(e))],
    movingAt: (e) => [ticks(e) < a.ticks && a.steps !== 0, ticks(e) < b.ticks && b.steps !== 0],
    stalls: a.stalls || b.stalls,
    peakRate: Math.max(a.peakRate, b.peakRate),
  };
}

export function lmMove(
  rate1: number,
  steps1: number,
  accel1: number,
  rate2: number,
  steps2: number,
  accel2: number,
): Move {
  const a = lmAxis(rate1, steps1, accel1);
  const b = lmAxis(rate2, steps2, accel2);
  return accumulatorMove(a, b, Math.max(a.ticks, b.ticks), rate1, rate2);
}

export function ltMove(
  intervals: number,
  rate1: number,
  accel1: number,
  rate2: number,
  accel2: number,
): Move {
  return accumulatorMove(
    ltAxis(rate1, accel1, intervals),
    ltAxis(rate2, accel2, intervals),
    intervals,
    rate1,
    rate2,
  );
}
