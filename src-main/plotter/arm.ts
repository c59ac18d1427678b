/**
 * The pre-flight's commands before a plot moves: firmware able to plot, motor power, the servo
 * and the pen up, the FIFO depth the completion rule assumes (stream.ts).
 */
import type { VfabConfig } from '../config/config';
import { VfabError } from '../errors';
import type { Ebb, EbbCapabilities } from './ebb';
import { servoPercent } from './preflight';
import { FIFO_DEPTH } from './stream';

/** Prepares the board; its firmware version line. */
export async function armBoard(
  ebb: Ebb,
  caps: EbbCapabilities,
  device: VfabConfig['device'],
): Promise<string> {
  const version = await ebb.version();
  const missing = [
    !caps.lm && 'LM moves (2.5.3)',
    caps.qmFields === 0 && 'QM motion status (2.2.6)',
    !caps.stepCounters && 'QS step counters (2.4.3)',
  ].filter(Boolean);
  if (missing.length)
    throw new VfabError(
      'CONFIG',
      `EBB firmware ${version.major}.${version.minor}.${version.patch} lacks ${missing.join(', ')}: update the firmware`,
    );
  if (caps.qc && !(await ebb.queryPower()).motorPower) {
    throw new VfabError(
      'NOT_FOUND',
      `the plotter's motors have no power: switch the plotter on (or plug its power supply in)`,
    );
  }
  await ebb.configureServo(servoPercent(device));
  await ebb.penUp(device.pen_delay_up);
  // CU,4 may outlive another program: set the depth the completion rule assumes.
  if (caps.cuSettings.includes(4)) await ebb.command(`CU,4,${FIFO_DEPTH}`, 'ok');
  return version.raw;
}
