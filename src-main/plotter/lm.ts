/**
 * Device side of the motion program: each planned move as the EBB command that runs it. Planning
 * (plan/planner.ts) decides durations and speeds; this only encodes them for the board.
 */
import { MoveKind, type MotionProgram } from '../plan/planner';

/** The EBB's motion ISR period: LM rates and accelerations are per 40 µs tick. */
export const LM_TICK_S = 40e-6;

/** LM rate units per step/s: 2^31 accumulator counts per step, rates added every 40 µs. */
const RATE_PER_STEP_S = 2 ** 31 * LM_TICK_S;
const MAX_RATE = 2 ** 31 - 1;

/**
 * LM rate and acceleration for one axis moving `steps` over `ticks`, its step rate going from
 * `share0` to 2 − `share0` times the mean. The accumulator holds C0 + Rate·T + Accel·T²/2 after T
 * ticks (docs/ebb-protocol.md "Commands vfab sends"). Accel is the ideal one rounded up (so the rate ends no lower than
 * planned and never needs to go negative), then Rate is the smallest that lands |steps| by tick T:
 * rounding costs at most T counts, a tiny fraction of a step, so the axis neither stalls short of
 * its count nor finishes early. From rest the rate is 0 and the acceleration alone lands it.
 * An axis without steps idles at 0, 0.
 */
function lmAxis(steps: number, ticks: number, share0: number, out: number[], at: number): void {
  const s = Math.abs(steps);
  let rate = 0,
    accel = 0;
  if (s !== 0) {
    const mean = (s / (ticks * LM_TICK_S)) * RATE_PER_STEP_S;
    const target = s * 2 ** 31;
    accel = Math.ceil((mean * (2 - 2 * share0)) / ticks);
    rate = Math.ceil((target - (accel * ticks * ticks) / 2) / ticks);
    if (rate < 0 || rate > MAX_RATE) {
      rate = Math.min(MAX_RATE, Math.max(0, rate));
      accel = Math.ceil((2 * (target - rate * ticks)) / (ticks * ticks));
    }
  }
  out[at] = rate;
  out[at + 1] = steps;
  out[at + 2] = accel + 0; // no −0 in the command
}

/**
 * `LM` parameters of Draw/Travel move k: [Rate1, Steps1, Accel1, Rate2, Steps2, Accel2], both axes
 * over the same whole number of 40 µs ticks (the nearest to the move's duration), so the board's
 * time for a move is within 20 µs of the planned one.
 */
export function lmParameters(p: MotionProgram, k: number): number[] {
  const ticks = Math.max(1, Math.round(p.duration[k]! / LM_TICK_S));
  const v0 = p.v0[k]!,
    v1 = p.v1[k]!;
  const share0 = (2 * v0) / (v0 + v1);
  const out = new Array<number>(6);
  lmAxis(p.steps1[k]!, ticks, share0, out, 0);
  lmAxis(p.steps2[k]!, ticks, share0, out, 3);
  return out;
}

/**
 * The EBB command for move k: `LM` for Draw/Travel (see lmParameters), `SP,1,<ms>` / `SP,0,<ms>`
 * for the pen (the servo time delays the next command), `SM,<ms>,0,0` for a Dwell (a timed wait in
 * the motion queue, as the AxiDraw software ends a plot), and undefined for a Pause, which the
 * plot runner handles.
 */
export function ebbCommand(p: MotionProgram, k: number): string | undefined {
  const kind = p.kind[k]! as MoveKind;
  if (kind === MoveKind.Pause) return undefined;
  if (kind === MoveKind.PenUp || kind === MoveKind.PenDown)
    return `SP,${kind === MoveKind.PenUp ? 1 : 0},${Math.round(p.duration[k]! * 1000)}`;
  if (kind === MoveKind.Dwell) return `SM,${Math.max(1, Math.round(p.duration[k]! * 1000))},0,0`;
  return `LM,${lmParameters(p, k).join(',')}`;
}
