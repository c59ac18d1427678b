/**
 * Where vfab last left a plotter's carriage (`<data>/locks/device-<name>.carriage`): at home, or
 * away from it for a job's plot. The step counters tell where the carriage is only while the
 * motors hold it; once they are released (a button, a power cycle, a reset) this record is what
 * remains: a carriage left away from home is then at an unknown place, and no plot starts until a
 * person confirms it is back home. Written (atomically, synced) before motion starts and after the
 * carriage is driven home, so a crash at any moment leaves "away", never a false "home".
 */
import fs from 'node:fs';
import path from 'node:path';
import { deviceOwnerFile } from '../jobs/owner';
import type { Ebb, EbbCapabilities } from './ebb';
import { writeFileAtomic } from '../util/atomic';
import { stepsToMm as stepsToXY } from '../plan/planner';

export type CarriageRecord =
  | { where: 'home'; at: string }
  /** `steps`: the step counters where it stopped (a pause, an interruption); absent while it moves. */
  | { where: 'away'; job: string; steps?: [number, number]; at: string };

/** The record of the device a plot holds the lock `device` of (the same name as its owner file). */
export function carriageFile(dataDir: string, device: string): string {
  return deviceOwnerFile(dataDir, device).replace(/\.owner$/, '.carriage');
}

/** The record, or undefined when vfab never moved this carriage (or the file is not one of ours). */
export function readCarriage(file: string): CarriageRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const r = raw as Partial<Record<string, unknown>>;
  if (r?.where === 'home') return { where: 'home', at: String(r.at ?? '') };
  if (r?.where !== 'away' || typeof r.job !== 'string') return undefined;
  const steps =
    Array.isArray(r.steps) && r.steps.length === 2 && r.steps.every(Number.isInteger)
      ? (r.steps as [number, number])
      : undefined;
  return { where: 'away', job: r.job, ...(steps ? { steps } : {}), at: String(r.at ?? '') };
}

export function writeCarriage(
  file: string,
  record: { where: 'home' } | { where: 'away'; job: string; steps?: [number, number] },
): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify({ ...record, at: new Date().toISOString() })}\n`);
}

/** Steps (motor 1, motor 2) as mm from home, x along the rail. */
export function stepsToMm(
  steps: readonly [number, number],
  stepsPerMm: number,
): { x: number; y: number } {
  const [x, y] = stepsToXY(steps[0], steps[1], stepsPerMm);
  return { x, y };
}

export const mmText = (p: { x: number; y: number }) => `(${p.x.toFixed(1)}, ${p.y.toFixed(1)}) mm`;

/**
 * The carriage was left away from home and its motors let go since: nobody knows where it is.
 * Says which plotter, and what to do; `confirm` is how the person says it is home again.
 */
export function carriageLostMessage(
  plotter: string,
  record: Extract<CarriageRecord, { where: 'away' }>,
  why: string,
  stepsPerMm: number,
  confirm: string,
): string {
  const at = record.steps ? ` at ${mmText(stepsToMm(record.steps, stepsPerMm))}` : '';
  return (
    `Plotter '${plotter}': job '${record.job}' left its carriage away from home${at}, and ${why}, so where it stands now is unknown; nothing was moved. ` +
    `Push the carriage by hand to the home corner, then confirm it: ${confirm}.`
  );
}

/**
 * The motors hold the carriage, but the step counters put it beyond the travel: they count from
 * somewhere else than home (another program zeroed them mid-sheet), so no move is sent from them.
 */
export function countersBeyondMessage(plotter: string, beyond: string, confirm: string): string {
  return (
    `Plotter '${plotter}': its step counters put the carriage ${beyond}, so they do not count from home (did another program move its origin?); nothing was moved. ` +
    `Switch the plotter off and on (or release its motors), push the carriage by hand to the home corner, then confirm it: ${confirm}.`
  );
}

/** Do the motors hold the carriage where the counters say? Before QE (2.8.0) only a reset (zeroed counters) tells. */
export async function motorsHold(ebb: Ebb, caps: EbbCapabilities): Promise<boolean> {
  if (caps.qe) {
    const en = await ebb.queryMotorEnable();
    return en.motor1 !== 0 && en.motor2 !== 0;
  }
  const here = await ebb.querySteps();
  return here.motor1 !== 0 || here.motor2 !== 0;
}

/**
 * Does the record say the carriage is away from home, where counters that no longer hold it
 * cannot find it? Before QE, zeroed counters also mean "held at home": only a record of a stop
 * elsewhere (or of a plot that never said where it stopped) says otherwise.
 */
export function leftAway(
  record: CarriageRecord | undefined,
  caps: EbbCapabilities,
): record is Extract<CarriageRecord, { where: 'away' }> {
  return (
    record?.where === 'away' &&
    (caps.qe || !record.steps || record.steps[0] !== 0 || record.steps[1] !== 0)
  );
}

/** Why the counters no longer place a carriage that was away. */
export const lostWhy = (caps: EbbCapabilities) =>
  caps.qe
    ? 'its motors were let go since (released, switched off or reset)'
    : 'its step counters were reset since (switched off or reset)';
