/**
 * The machine's travel, and the pen-up trips the runner and `vfab home` make inside it. The
 * carriage has no limit switch: a move beyond the rail is refused before it is sent.
 */
import { PLOTTER_TRAVEL } from '../plan/paper';
import { MAX_STEP_RATE } from '../plan/planner';
import type { MotionProfile } from '../plan/motion';
import { mmText, stepsToMm } from './carriage';
import type { Ebb, EbbCapabilities } from './ebb';
import type { ProgramTable } from './program-table';

type Model = keyof typeof PLOTTER_TRAVEL;

/** Steps and rounding put a point this far past the edge of the travel at most. */
const TRAVEL_EDGE_MM = 0.1;
const IDLE_POLL_MS = 10;

/** Where a program leaves the model's travel, said in mm; null when it stays inside. */
export function travelProblem(t: ProgramTable, model: Model): string | null {
  const k = t.program.stepsPerMm;
  let minX = 0,
    minY = 0,
    maxX = 0,
    maxY = 0;
  for (let m = 0; m < t.program.length; m++) {
    const { x, y } = stepsToMm([t.pos1[m]!, t.pos2[m]!], k);
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const over = beyondTravel({ minX, minY, maxX, maxY }, model);
  return over ? `reaches beyond the travel of an AxiDraw ${model}: ${over}` : null;
}

/** Where one position (steps) lies beyond the model's travel, said in mm; null inside it. */
export function positionProblem(
  steps: readonly [number, number],
  stepsPerMm: number,
  model: Model,
): string | null {
  const { x, y } = stepsToMm(steps, stepsPerMm);
  const over = beyondTravel({ minX: x, minY: y, maxX: x, maxY: y }, model);
  return over ? `at ${mmText({ x, y })}, beyond the travel of an AxiDraw ${model} (${over})` : null;
}

function beyondTravel(
  b: { minX: number; minY: number; maxX: number; maxY: number },
  model: Model,
): string | null {
  const [tx, ty] = PLOTTER_TRAVEL[model];
  const r = (v: number) => Math.round(v * 10) / 10;
  const over = [
    b.minX < -TRAVEL_EDGE_MM && `${r(-b.minX)} mm left of home`,
    b.minY < -TRAVEL_EDGE_MM && `${r(-b.minY)} mm above home`,
    b.maxX > tx + TRAVEL_EDGE_MM && `${r(b.maxX - tx)} mm past the ${tx} mm rail`,
    b.maxY > ty + TRAVEL_EDGE_MM && `${r(b.maxY - ty)} mm past the ${ty} mm reach`,
  ].filter(Boolean);
  return over.length ? over.join(', ') : null;
}

/** Steps a second of the pen-up trip home: half the pen-up speed, within the EBB's rate. */
export function homeRate(profile: MotionProfile, stepsPerMm: number): number {
  return Math.round(Math.min(MAX_STEP_RATE * 0.8, profile.penUpSpeedMmS * stepsPerMm * 0.5));
}

/** Until the EBB has no motion running or queued. */
export async function waitIdle(ebb: Ebb): Promise<void> {
  for (;;) {
    const m = await ebb.queryMotion();
    if (!m.commandExecuting && !m.motor1Moving && !m.motor2Moving && m.fifoNotEmpty !== true)
      return;
    await new Promise<void>((r) => setTimeout(r, IDLE_POLL_MS));
  }
}

/**
 * Sends the carriage to the step counters' origin (HM, or SM where there is none); the pen must be
 * up. False when it is there already. The caller waits for the move to end.
 */
export async function travelHome(
  ebb: Ebb,
  caps: EbbCapabilities,
  rate: number,
  speedFactor: number,
): Promise<boolean> {
  const here = await ebb.querySteps();
  const far = Math.max(Math.abs(here.motor1), Math.abs(here.motor2));
  if (far === 0) return false;
  const ms = Math.max(1, Math.ceil((far / rate) * 1000));
  if (caps.home !== 'none') await ebb.home(rate, { runMs: ms / speedFactor + 50 });
  else
    await ebb.command(`SM,${ms},${-here.motor1},${-here.motor2}`, 'ok', {
      motionMs: ms / speedFactor,
    });
  return true;
}
