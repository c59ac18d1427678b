/**
 * Before a plot moves: is the plotter there, does it answer, are its motors powered, is the pen up?
 * The recovery wizard asks this before "Resume plotting" is offered. It only raises the pen: no
 * motion, no step-counter reset, and never on a plotter another live vfab process owns.
 */
import type { VfabConfig } from '../config/config';
import { VfabError } from '../errors';
import { deviceOwnerFile, readOwner } from '../jobs/owner';
import { openEbb, portError, resolveDevice, type EbbConnection } from './devices';
import type { ServoPercent } from './ebb';

/** config.yaml's pen settings as the EBB's servo settings: one mapping for the runner, `check servo` and the pre-flight. */
export function servoPercent(device: VfabConfig['device']): ServoPercent {
  return {
    upPct: device.pen_pos_up,
    downPct: device.pen_pos_down,
    raiseRatePct: device.pen_rate_raise,
    lowerRatePct: device.pen_rate_lower,
  };
}

export interface PreflightReport {
  port: string;
  nickname: string | null;
  firmware: string;
  /** The motor supply as QC reads it; null when the firmware cannot tell (before 2.2.3). */
  motorPower: boolean | null;
  /**
   * Both motors engaged (QE), i.e. holding the carriage where the step counters say. False after a
   * release or a power cycle: a paused plot then resumes only from home. null before 2.8.0.
   */
  motorsEngaged: boolean | null;
  /** The virtual plotter is made with the plot: nothing to reach yet. */
  virtual: boolean;
}

/**
 * Opens the plotter `request` names (null: config device.port, else the first AxiDraw) for a
 * moment, unless another live vfab process plots on it; undefined for the virtual plotter.
 */
async function withPlotterAtRest<T>(
  request: string | null,
  device: VfabConfig['device'],
  dataDir: string,
  fn: (conn: EbbConnection, port: string, nickname: string | null) => Promise<T>,
): Promise<T | undefined> {
  const target = await resolveDevice(request ?? device.port ?? null);
  if (target.kind === 'virtual') return undefined;
  const owner = readOwner(deviceOwnerFile(dataDir, target.path));
  if (owner && owner.liveness !== 'dead') {
    throw new VfabError(
      'BUSY',
      `${target.path} is plotting job '${owner.owner.job}' (pid ${owner.owner.pid} on ${owner.owner.host}); try again when that plot stops.`,
    );
  }
  const conn = await openEbb(target.path).catch((err: unknown) =>
    Promise.reject(err instanceof VfabError ? err : portError(target.path, err)),
  );
  try {
    return await fn(conn, target.path, target.nickname);
  } finally {
    await conn.close();
  }
}

/** The pre-flight: the plotter answers, its motor supply is read, and its pen is raised. */
export async function preflightDevice(
  request: string | null,
  device: VfabConfig['device'],
  dataDir: string,
): Promise<PreflightReport> {
  const report = await withPlotterAtRest(request, device, dataDir, async (conn, port, nickname) => {
    const motorPower = conn.capabilities.qc ? (await conn.ebb.queryPower()).motorPower : null;
    const enabled = conn.capabilities.qe ? await conn.ebb.queryMotorEnable() : null;
    await conn.ebb.configureServo(servoPercent(device));
    await conn.ebb.penUp(device.pen_delay_up);
    return {
      port,
      nickname,
      firmware: conn.version.raw,
      motorPower,
      motorsEngaged: enabled && enabled.motor1 !== 0 && enabled.motor2 !== 0,
      virtual: false,
    };
  });
  return (
    report ?? {
      port: 'virtual',
      nickname: null,
      firmware: 'virtual plotter, started with the plot',
      motorPower: true,
      motorsEngaged: null,
      virtual: true,
    }
  );
}

/**
 * Motors off (`EM,0,0`), so the carriage can be pushed home by hand. The position is lost: a
 * paused or interrupted plot then resumes only once the carriage is confirmed at home.
 */
export async function releaseMotors(
  request: string | null,
  device: VfabConfig['device'],
  dataDir: string,
): Promise<{ port: string }> {
  const port = await withPlotterAtRest(request, device, dataDir, async (conn, path) => {
    await conn.ebb.disableMotors();
    return path;
  });
  return { port: port ?? 'virtual' };
}

/**
 * The pen up or down and nothing else (servo settings from config first): at a pen change the
 * new pen is set in its holder against the lowered pen's height. The motors keep holding, so the
 * paused plot's position stays known.
 */
export async function movePen(
  request: string | null,
  device: VfabConfig['device'],
  dataDir: string,
  position: 'up' | 'down',
): Promise<{ port: string; position: 'up' | 'down'; virtual: boolean }> {
  const port = await withPlotterAtRest(request, device, dataDir, async (conn, path) => {
    await conn.ebb.configureServo(servoPercent(device));
    await (position === 'up'
      ? conn.ebb.penUp(device.pen_delay_up)
      : conn.ebb.penDown(device.pen_delay_down));
    return path;
  });
  return { port: port ?? 'virtual', position, virtual: port === undefined };
}
