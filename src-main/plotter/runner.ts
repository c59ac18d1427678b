/**
 * The plot runner: streams a READY (or PAUSED) job's plan to an EBB and keeps the journal true
 * to the paper (docs/recovery.md, invariants 1, 4, 5, 6).
 *
 * Lifecycle. READY → QUEUED → ARMED, pre-flight (V, firmware capabilities, servo, pen up,
 * motors at 1/16), ARMED → PLOTTING (or ARMED → FAILED with the reason). A PAUSED job goes
 * PAUSED → PLOTTING "resume from checkpoint"; a job left PLOTTING by a lost device is continued
 * from its last checkpoint without a transition.
 *
 * In-flight window. Motion commands are written ahead of the board so it never waits for the
 * host: always up to `WINDOW_MIN` unacknowledged, more while those hold less than `WINDOW_MS` of
 * motion, never more than `WINDOW`. The EBB acknowledges a motion command when it enters its FIFO
 * (depth D: the boot default 1, which this runner keeps), so at most D + 1 + WINDOW commands are
 * sent and possibly not yet finished: one running, D queued, the rest waiting in the USB buffer.
 * Dense drawings (4 ms moves) thus keep ≥ 50 ms of work beyond the FIFO, which covers the host's
 * scheduling hiccups; sparse ones keep the window at two long moves.
 *
 * Checkpoints (invariant 4). When the command sent as number s is acknowledged it sits in the
 * FIFO, behind at most D − 1 queued commands and one running, so every command sent as number
 * ≤ s − (D + 1) has finished. A `QM` that reports the machine idle confirms every command written
 * before it (replies come in order). A checkpoint names only moves confirmed one of these two
 * ways, never just acknowledged ones; once any command fails, later acknowledgements are ignored.
 */
import { VfabError } from '../errors';
import type { VfabConfig } from '../config/config';
import { appendEntry, readJournal, repairJournal, type ProgressEntry } from '../jobs/journal';
import type { JobService } from '../jobs/lifecycle';
import { assertPlottable, type JobState } from '../jobs/states';
import { jobFiles } from '../jobs/workspace';
import type { Logger } from '../log';
import { layerProfile, planProfile, type MotionProfile } from '../plan/motion';
import { PLOTTER_TRAVEL } from '../plan/paper';
import { layersToPlot, penToLoad } from '../plan/pens';
import { readPlan, type Plan } from '../plan/plan-file';
import {
  carriageLostMessage,
  countersBeyondMessage,
  leftAway,
  lostWhy,
  mmText,
  motorsHold,
  readCarriage,
  stepsToMm,
  writeCarriage,
} from './carriage';
import { readPlotHistory, type Checkpoint, type InterruptionReason } from '../jobs/checkpoint';
import { Ebb, EbbError, servoPosition, type EbbCapabilities } from './ebb';
import { servoPercent } from './preflight';
import {
  MAX_STEP_RATE,
  MoveKind,
  plotProgram,
  programDuration,
  sourceOf,
  type MotionProgram,
} from '../plan/planner';
import { restOfStroke } from '../plan/resume';
import { ebbCommand } from './lm';

/** Most unacknowledged motion commands on the wire (see the file comment). */
export const WINDOW = 16;
const WINDOW_MIN = 2;
/**
 * Plotter ms of motion the unacknowledged commands should hold when they are short: what covers
 * a host hiccup (GC, a journal fsync, a busy CPU) at real speed. Kept in plotter time so a fast
 * virtual plotter has the same in-flight window, hence the same re-inking after a crash.
 */
const WINDOW_MS = 50;
/** The motion FIFO depth used (the EBB's boot default; not changed with CU,4). */
export const FIFO_DEPTH = 1;
/** Checkpoint period at real speed: a few a second (docs/recovery.md, invariant 4). */
export const CHECKPOINT_EVERY_MS = 250;
/**
 * How often the pause button and the motor supply are read while plotting. Where QC exists a
 * checkpoint waits for the next good power reading, so this adds to how far a checkpoint lags.
 */
export const STATUS_POLL_MS = 150;
/** Both periods are in plotter time; this is their shortest wall-clock period, however fast a virtual plotter runs. */
export const MIN_PERIOD_MS = 5;
/** A signal must end the process within a few seconds (docs/recovery.md, invariant 6). */
const SHUTDOWN_BUDGET_MS = 3000;
const IDLE_POLL_MS = 10;

export interface PlotProgress {
  /** Last confirmed move (−1 before any). */
  move: number;
  moves: number;
  layer: number | null;
  path: number | null;
  point: number | null;
  /** Share of the program's time confirmed done, 0–1. */
  fraction: number;
  /** Plotter seconds left (real time at speed 1). */
  etaS: number;
}

export type { Checkpoint } from '../jobs/checkpoint';

/**
 * `signal.reason` values: 'abort' aborts (pen up, home, ABORTED), `{ shutdown }` is the signal
 * path (stop now, journal `emergency_shutdown`, the job stays PLOTTING), anything else pauses.
 */
export type StopRequest = 'pause' | 'abort' | { shutdown: string };

/** Moments a camera or a notifier may care about. */
export type PlotEvent =
  'start' | 'resume' | 'pause' | 'pen_change' | 'complete' | 'fail' | 'interrupt';

/** The plotter lost its position (motor power or a reset) and nobody confirmed it is at home. */
export class PositionUnknownError extends VfabError {
  constructor(
    readonly jobId: string,
    why: string,
    /** The whole message, when the record of where vfab left the carriage (carriage.ts) says it. */
    message?: string,
  ) {
    super(
      'INVALID_STATE',
      message ??
        `Job '${jobId}': ${why}, so the carriage position is unknown. Move the carriage by hand to the home corner ` +
          `(where it was when the plot started), then resume with the carriage-at-home confirmation (vfab resume ${jobId} --carriage-at-home).`,
    );
  }
}

export interface RunPlotContext {
  jobs: JobService;
  logger: Logger;
  jobsDir: string;
}

export interface RunPlotOptions {
  ebb: Ebb;
  capabilities: EbbCapabilities;
  profile: MotionProfile;
  device: VfabConfig['device'];
  /** Shown in the PLOTTING metadata (port path, `virtual`, nickname). */
  deviceName?: string;
  /**
   * The plotter by name and the port it was opened on, journaled with ARMED, PLOTTING and
   * recovery: which plotter holds this job's sheet is read from there (plotters/holders.ts).
   */
  plotter?: { name: string; port: string };
  /** More facts for the ARMED entry (the queue runner's: how the sheet was confirmed). */
  armedMetadata?: Record<string, unknown>;
  /** Take the job only if it is QUEUED: anything else means another process took it since the caller looked (BUSY). */
  onlyQueued?: boolean;
  /** Its reason is a `StopRequest`. */
  signal?: AbortSignal;
  onEvent?: (event: PlotEvent) => void;
  onProgress?: (p: PlotProgress) => void;
  checkpointEveryMs?: number;
  /** Move index of the last checkpoint; default: the journal's last `progress` entry when resuming. */
  resumeFrom?: number;
  /** Resume this many strokes (pen-down paths) before the checkpoint; 1 = redraw the current one whole. */
  backUpStrokes?: number;
  /** Draw only the layers numbered this (`vfab plot --layer N`); journaled, and a resume keeps it. */
  layerOnly?: number;
  /** Continuing after an interruption: journal a `recovery` entry ("Crash recovery") before moving. */
  recovery?: boolean;
  /** The user confirmed the carriage is at home; required when the plotter lost its position. */
  carriageAtHome?: boolean;
  /**
   * Where vfab last left this plotter's carriage (carriage.ts): read before a fresh plot moves,
   * written as the carriage leaves home and comes back. Absent: nothing is recorded.
   */
  carriageFile?: string;
  /**
   * How many times faster than planned the plotter runs (the virtual plotter's `--speed`): scales
   * the reply timeouts, the checkpoint period and the in-flight window to plotter time. Default 1.
   */
  speedFactor?: number;
}

export type RunPlotResult =
  | {
      state: 'COMPLETED' | 'ABORTED' | 'PAUSED' | 'FAILED';
      checkpoint?: Checkpoint;
      error?: string;
      /** PAUSED: why, and what to do, as journaled. */ reason?: string;
    }
  | {
      state: 'PLOTTING';
      checkpoint?: Checkpoint;
      error: string;
      reason: InterruptionReason;
      signal?: string;
    };

interface Sent {
  /** Program move index, or −1 for commands the runner adds (resume travel, pen lowering). */
  move: number;
}

type StopWhy = 'pause' | 'abort' | 'shutdown' | 'power';

class Stop extends Error {
  constructor(readonly why: StopWhy) {
    super(why);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A tick this much later than due means the process did not run (a stall, a suspend, SIGSTOP). */
const STALL_MS = 1000;
const WATCHDOG_MS = 100;

/** Calls `onStall` with the length of every freeze of this process, whatever it was waiting on. */
function watchStalls(onStall: (ms: number) => void): NodeJS.Timeout {
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    if (now - last > WATCHDOG_MS + STALL_MS) onStall(now - last - WATCHDOG_MS);
    last = now;
  }, WATCHDOG_MS);
  timer.unref();
  return timer;
}

/**
 * The move to resume after when backing up `strokes` pen-down paths from checkpoint move `from`:
 * just before the PenDown of the stroke `from` is in (or last finished), `strokes − 1` more back.
 * The carriage then travels pen up to that stroke's start and draws it whole.
 */
export function backUpFrom(p: MotionProgram, from: number, strokes: number): number {
  if (strokes <= 0) return from;
  let k = from;
  for (let left = strokes; left > 0; left--) {
    while (k >= 0 && p.kind[k] !== MoveKind.PenDown) k--;
    if (k < 0) return -1;
    if (left > 1) k--;
  }
  return k - 1;
}

export async function runPlot(
  ctx: RunPlotContext,
  id: string,
  opts: RunPlotOptions,
): Promise<RunPlotResult> {
  const { ebb, device } = opts;
  const files = jobFiles(ctx.jobsDir, id);
  const speedFactor = opts.speedFactor && opts.speedFactor > 0 ? opts.speedFactor : 1;
  // Every 250 ms of plotter time, so a faster-than-life dry run re-inks no more after a crash.
  const everyMs =
    opts.checkpointEveryMs ?? Math.max(MIN_PERIOD_MS, CHECKPOINT_EVERY_MS / speedFactor);
  const statusEveryMs = Math.max(MIN_PERIOD_MS, STATUS_POLL_MS / speedFactor);
  const log = (msg: string) => ctx.logger.info(msg, id);
  // The watchdog below says the process was frozen; this says what the freeze did not break.
  ebb.onStall = (ms, cmd) =>
    log(
      `the EBB's reply to ${cmd} was read ${ms} ms late, after a stall: waiting again instead of failing`,
    );

  // ---- State and plan ---------------------------------------------------------------------
  let state: JobState = ctx.jobs.state(id);
  if (opts.onlyQueued && state !== 'QUEUED')
    throw new VfabError(
      'BUSY',
      `Job '${id}' is ${state} now, no longer QUEUED: another process took it.`,
    );
  // ARMED here means a pre-flight that was interrupted: nothing moved yet, but it is a resume.
  const resuming = state === 'PAUSED' || state === 'PLOTTING' || state === 'ARMED';
  assertPlottable(id, state);
  if (resuming) repairTornTail(ctx, id, files.journal);
  const history = resuming ? readPlotHistory(files.journal) : undefined;
  let plan: Plan;
  try {
    plan = readPlan(files.plan);
  } catch (err) {
    throw new VfabError(
      'DATA',
      `Job '${id}' has no readable plan (${(err as Error).message}); run 'vfab plan ${id}'.`,
    );
  }
  if (resuming && opts.layerOnly !== undefined && opts.layerOnly !== history?.layerOnly) {
    const was =
      history?.layerOnly === undefined ? 'every layer' : `layer ${history.layerOnly} only`;
    throw new VfabError(
      'INVALID_STATE',
      `Job '${id}' is plotting ${was}; a resume continues that selection. Resume without --layer, or 'vfab restart ${id}' and plot it with --layer ${opts.layerOnly}.`,
    );
  }
  const layerOnly = resuming ? history?.layerOnly : opts.layerOnly;
  const planned = plan.layers;
  plan = { ...plan, layers: layersToPlot(planned, layerOnly, id) };
  const only = layerOnly === undefined ? {} : { layer_only: layerOnly };
  const profile = planProfile(opts.profile, plan.settings.cornering);
  const p = plotProgram(plan.layers, profile);
  const n = p.length;

  // Per-move prefix tables: position after move k, pen-down mm and time up to k.
  const pos1 = new Int32Array(n),
    pos2 = new Int32Array(n);
  const inkMm = new Float64Array(n),
    timeS = new Float64Array(n);
  {
    let a = p.start[0],
      b = p.start[1],
      ink = 0,
      t = 0;
    for (let k = 0; k < n; k++) {
      a += p.steps1[k]!;
      b += p.steps2[k]!;
      if (p.kind[k] === MoveKind.Draw)
        ink +=
          Math.hypot(p.steps1[k]! + p.steps2[k]!, p.steps1[k]! - p.steps2[k]!) / (2 * p.stepsPerMm);
      t += p.duration[k]!;
      pos1[k] = a;
      pos2[k] = b;
      inkMm[k] = ink;
      timeS[k] = t;
    }
  }
  const totalS = n > 0 ? timeS[n - 1]! : 0;
  const beyond = travelProblem(p, pos1, pos2, device.model);
  if (beyond)
    throw new VfabError(
      'INVALID_INPUT',
      `Job '${id}' ${beyond}; nothing was sent. Plan it for this plotter (vfab plan ${id}), or plot it on a larger one.`,
    );
  // Numbered as in the plan (what `vfab info job` and the app list), also when --layer leaves some out.
  const pauseLayers = plan.layers
    .map((l) => ({ l, i: planned.indexOf(l) }))
    .filter((x) => x.l.pauseBefore);
  const checkpointOf = (move: number): Checkpoint => {
    const src = move >= 0 ? sourceOf(p, move) : undefined;
    return {
      move,
      layer: src?.layer ?? null,
      path: src?.path ?? null,
      point: src?.point ?? null,
      steps: move >= 0 ? [pos1[move]!, pos2[move]!] : [p.start[0], p.start[1]],
      pen_down_mm: move >= 0 ? Math.round(inkMm[move]! * 1000) / 1000 : 0,
    };
  };

  const positionAt = (move: number): [number, number] =>
    move >= 0 ? [pos1[move]!, pos2[move]!] : [p.start[0], p.start[1]];
  let from = -1;
  if (resuming) {
    const last = opts.resumeFrom === undefined ? history?.checkpoint : undefined;
    from = opts.resumeFrom ?? last?.move ?? -1;
    if (!(Number.isInteger(from) && from >= -1 && from < n)) {
      throw new VfabError(
        'DATA',
        `Job '${id}': checkpoint move ${from} is not in its plan of ${n} moves; restart it with 'vfab restart ${id}'.`,
      );
    }
    // The program is re-planned from plan.json and config: a checkpoint only means something if
    // it lands where it was taken (a change of speed or pen settings re-times every move).
    const at = positionAt(from);
    if (last && Array.isArray(last.steps) && (last.steps[0] !== at[0] || last.steps[1] !== at[1])) {
      throw new VfabError(
        'DATA',
        `Job '${id}': its checkpoint (move ${from} at steps ${last.steps.join(',')}) does not match the plan as planned now (steps ${at.join(',')}); ` +
          `were the device speed or pen settings changed since it started? Restore them to resume, or 'vfab restart ${id}'.`,
      );
    }
    if (opts.backUpStrokes && opts.backUpStrokes > 0)
      from = backUpFrom(p, from, opts.backUpStrokes);
  }

  // Streaming state (declared before pre-flight, whose idle wait uses `drain`).
  let started = Date.now();
  const sent: Sent[] = [];
  /** Highest send number known to be physically done. */
  let doneSeq = -1;
  let unacked = 0;
  let unackedMs = 0;
  let failure = null as Error | null;
  let failedSeq = -1;
  let waiters: (() => void)[] = [];
  let lastCheckpointAt = 0;
  let written = (resuming ? checkpointOf(from) : undefined) as Checkpoint | undefined;
  let penDown = false;
  let stopWhy = null as StopWhy | null;
  let shutdownSignal = 'SIGTERM';
  let status = null as Promise<void> | null;
  let lastStatusAt = Date.now();
  /** Highest confirmed move known to have run with motor power (QC read after it finished). */
  let powerOkMove = from;

  const wake = () => {
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
  };
  const confirmedMove = (): number => {
    let m = from;
    for (let s = Math.min(doneSeq, sent.length - 1); s >= 0; s--) {
      if (sent[s]!.move >= 0) {
        m = Math.max(m, sent[s]!.move);
        break;
      }
    }
    return m;
  };
  const setDone = (seq: number) => {
    if (seq > doneSeq) doneSeq = seq;
  };
  const send = (cmd: string, move: number, motionMs: number): void => {
    const seq = sent.length;
    sent.push({ move });
    unacked++;
    unackedMs += motionMs;
    const settled = () => {
      unacked--;
      unackedMs -= motionMs;
    };
    ebb.command(cmd, 'ok', { motionMs: motionMs / speedFactor }).then(
      () => {
        settled();
        if (failure === null) setDone(seq - (FIFO_DEPTH + 1));
        wake();
      },
      (err: Error) => {
        settled();
        if (failure === null) {
          failure = err;
          failedSeq = seq;
        }
        wake();
      },
    );
  };
  const waitAck = () => new Promise<void>((r) => waiters.push(r));
  const windowFull = () => unacked >= WINDOW || (unacked >= WINDOW_MIN && unackedMs >= WINDOW_MS);
  async function drain(): Promise<void> {
    while (unacked > 0 && failure === null) await waitAck();
    if (failure) throw failure;
    const before = sent.length - 1;
    await waitIdle(ebb);
    setDone(before);
  }
  // ---- Pre-flight -------------------------------------------------------------------------
  const caps = opts.capabilities;
  const fresh = state === 'READY' || state === 'QUEUED';
  const plotterName = opts.plotter?.name ?? opts.deviceName ?? 'plotter';
  // ARMED means no motion was ever sent: the carriage is where a fresh plot starts it.
  const fromStart = !resuming || state === 'ARMED';
  // Before the job is armed: a plot that cannot know where the carriage is leaves the job as it was.
  if (fromStart) await carriageKnown();
  if (state === 'READY') {
    ctx.jobs.transition(id, 'QUEUED', 'queued for plotting');
    state = 'QUEUED';
  }
  const where = opts.plotter ? { plotter: opts.plotter.name, port: opts.plotter.port } : {};
  if (state === 'QUEUED') {
    ctx.jobs.transition(id, 'ARMED', 'pre-flight: preparing the plotter', {
      ...where,
      ...only,
      ...opts.armedMetadata,
    });
    state = 'ARMED';
  }
  let firmware: string;
  /** How the carriage position is known: from the start, the step counters, or the user. */
  let position: 'start' | 'counters' | 'home_confirmed' = 'start';
  try {
    const version = await ebb.version();
    firmware = version.raw;
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
    // The completion rule assumes FIFO_DEPTH: set it, since CU,4 may outlive another program.
    if (caps.cuSettings.includes(4)) await ebb.command(`CU,4,${FIFO_DEPTH}`, 'ok');
    if (!fromStart) {
      const lost = await positionLost();
      if (lost && !opts.carriageAtHome) throw new PositionUnknownError(id, lost);
      position = lost ? 'home_confirmed' : 'counters';
      if (position === 'counters') await countersInTravel();
    }
    if (position === 'start') await carriageToOrigin();
    // EM zeroes the step counters: only where the carriage is at the program's origin. It waits
    // for the pen lift first: queued behind the servo, it would hold the first moves back.
    if (position !== 'counters') {
      await drain();
      await ebb.enableMotors(16);
    }
    await drain();
    // From here the carriage leaves home for this job: said before it moves, so a crash leaves "away".
    leftAt();
  } catch (err) {
    if (err instanceof PositionUnknownError) throw err;
    const reason = `pre-flight failed: ${(err as Error).message}`;
    if (fresh) {
      ctx.jobs.transition(id, 'FAILED', reason);
      opts.onEvent?.('fail');
      return { state: 'FAILED', error: reason };
    }
    throw new VfabError(
      (err as VfabError).code ?? 'INTERNAL',
      `Job '${id}' stays ${state}: ${reason}`,
    );
  }

  // A resume inside a stroke draws the rest of it re-planned from rest, then the program after it.
  const restLayer = resuming ? sourceOf(p, Math.max(0, from))?.layer : undefined;
  const rest =
    restLayer === undefined ? undefined : restOfStroke(p, from, plan.layers[restLayer]!, profile);
  const restExtraS = rest
    ? programDuration(rest.program, rest.first, rest.first + rest.count) -
      programDuration(p, from + 1, rest.next)
    : 0;
  const toStreamS = programDuration(p, from + 1) + restExtraS;
  const window = `${WINDOW_MIN}–${WINDOW} unacknowledged (${WINDOW_MS} ms) + FIFO ${FIFO_DEPTH} + 1 running`;
  const plottingMeta = {
    device: opts.deviceName ?? 'ebb',
    ...where,
    ...only,
    firmware,
    moves: n,
    estimate_s: Math.round(toStreamS * 10) / 10,
    in_flight_window: window,
    checkpoint: checkpointOf(from),
  };
  if (opts.recovery) {
    appendEntry(files.journal, {
      type: 'recovery',
      from_state: state,
      to_state: state,
      reason: 'Crash recovery',
      metadata: {
        cause: history?.interruption?.reason ?? 'crash',
        checkpoint: checkpointOf(from),
        back_up_strokes: opts.backUpStrokes ?? 0,
        position,
        ...where,
      },
    });
  }
  if (state === 'ARMED')
    ctx.jobs.transition(
      id,
      'PLOTTING',
      resuming ? 'pre-flight passed, continuing' : 'pre-flight passed, plotting',
      plottingMeta,
    );
  else if (state === 'PAUSED')
    ctx.jobs.transition(id, 'PLOTTING', 'resume from checkpoint', plottingMeta);
  else
    log(
      `continuing interrupted plot from move ${from} (${position === 'counters' ? 'position from the step counters' : 'carriage confirmed at home'})`,
    );
  state = 'PLOTTING';
  started = Date.now();
  opts.onEvent?.(resuming ? 'resume' : 'start');

  // ---- Streaming ----------------------------------------------------------------------
  /** Moves a checkpoint may name: confirmed, and (where QC exists) drawn while the motors had power. */
  const safeMove = () => (caps.qc ? Math.min(confirmedMove(), powerOkMove) : confirmedMove());
  const progress = () => {
    if (!opts.onProgress) return;
    const move = confirmedMove();
    const cp = checkpointOf(move);
    const doneS = move >= 0 ? timeS[move]! : 0;
    // Inside the re-planned stroke, the time left counts its (slower, from rest) moves.
    const leadS = rest && move < rest.next - 1 ? restExtraS : 0;
    opts.onProgress({
      move,
      moves: n,
      layer: cp.layer,
      path: cp.path,
      point: cp.point,
      fraction: totalS > 0 ? doneS / totalS : 1,
      etaS: totalS - doneS + leadS,
    });
  };
  const checkpoint = (force: boolean): Checkpoint | undefined => {
    const move = safeMove();
    if (written && written.move >= move) return written;
    if (!force && Date.now() - lastCheckpointAt < everyMs) return written;
    const cp = checkpointOf(move);
    appendEntry(files.journal, { type: 'progress', progress: cp } as Omit<
      ProgressEntry,
      'timestamp' | 'seq'
    >);
    written = cp;
    lastCheckpointAt = Date.now();
    return cp;
  };
  const stopRequested = (): StopWhy | null => {
    if (stopWhy) return stopWhy;
    if (!opts.signal?.aborted) return null;
    const r = opts.signal.reason as StopRequest;
    if (typeof r === 'object' && r !== null && 'shutdown' in r) {
      shutdownSignal = r.shutdown;
      return (stopWhy = 'shutdown');
    }
    return (stopWhy = r === 'abort' ? 'abort' : 'pause');
  };
  /** Reads QC; records what is known drawn with power, or asks the run to stop. */
  const readPower = async (): Promise<boolean> => {
    // Only moves confirmed before QC is sent surely ended before the board read it: acks that
    // arrive with or after the reply may confirm moves run after the supply failed.
    const candidate = confirmedMove();
    const power = await ebb.queryPower();
    if (power.motorPower) powerOkMove = Math.max(powerOkMove, candidate);
    else if (stopWhy !== 'shutdown') stopWhy = 'power';
    return power.motorPower;
  };
  const pollStatus = () => {
    if (status || Date.now() - lastStatusAt < statusEveryMs) return;
    lastStatusAt = Date.now();
    // Both queries travel together behind the queued motion: one round trip, not two.
    const button = ebb.queryButton().then((pressed) => {
      if (pressed && !stopWhy) {
        stopWhy = 'pause';
        log('pause button pressed');
      }
    });
    status = Promise.all([button, caps.qc ? readPower() : null])
      .then(() => {})
      .catch(() => {}) // the motion command ahead of it reports the failure
      .finally(() => (status = null));
  };
  /** Before a pause or completion is journaled: were the motors powered all along? */
  const powerCheck = async (): Promise<void> => {
    if (caps.qc && !(await readPower())) throw new Stop('power');
  };
  const motionMs = (k: number) => p.duration[k]! * 1000;
  const penUpCmdOf = (profile: MotionProfile) =>
    `SP,1,${Math.max(1, Math.round(profile.penRaiseS * 1000))}`;
  // Each layer's +S/+H profile; the pen is raised with the times of the layer it went down in.
  const layerProfiles = plan.layers.map((l) => layerProfile(profile, l));
  let penProfile = profile;
  let penUpCmd = penUpCmdOf(penProfile);
  /** The pen-down height SC,5 holds: the pre-flight set config's, a layer's +H changes it. */
  let servoDownPct = device.pen_pos_down;
  const setServoDown = async (pct: number): Promise<void> => {
    if (pct === servoDownPct) return;
    // Only with the queue empty: a pen-down still queued must not take the new height.
    await drain();
    await ebb.command(`SC,5,${servoPosition(pct)}`, 'ok');
    servoDownPct = pct;
  };
  /** Before the pen goes down for move k: the servo and the raise time are those of k's layer. */
  const penDownFor = async (k: number): Promise<void> => {
    const layer = sourceOf(p, k)?.layer;
    penProfile = layer === undefined ? profile : layerProfiles[layer]!;
    penUpCmd = penUpCmdOf(penProfile);
    await setServoDown(
      (layer === undefined ? null : plan.layers[layer]!.heightPct) ?? device.pen_pos_down,
    );
  };

  const watchdog = watchStalls((ms) =>
    ctx.logger.warning(
      `this process was frozen for ${ms} ms (an event-loop stall, a suspend or SIGSTOP); the plot carries on`,
      id,
    ),
  );
  try {
    if (resuming) {
      // Pen up, travel to the checkpoint, then carry on; the pen goes down at the next Draw.
      const here = await ebb.querySteps();
      const target = positionAt(from);
      send(penUpCmd, -1, profile.penRaiseS * 1000);
      const d1 = target[0] - here.motor1,
        d2 = target[1] - here.motor2;
      if (d1 !== 0 || d2 !== 0) {
        const rate = Math.min(MAX_STEP_RATE * 0.8, profile.penUpSpeedMmS * p.stepsPerMm * 0.5);
        const ms = Math.max(1, Math.ceil((Math.max(Math.abs(d1), Math.abs(d2)) / rate) * 1000));
        send(`SM,${ms},${d1},${d2}`, -1, ms);
      }
    }
    let k = from + 1;
    const firstOfRun = k;
    /** Moves of the re-planned stroke sent; while some are left, k stays at the stroke's next original Draw. */
    let led = 0;
    while (k < n) {
      if (failure) break;
      if (stopRequested()) throw new Stop(stopWhy!);
      const kind = p.kind[k] as MoveKind;
      if (kind === MoveKind.Pause) {
        if (k === firstOfRun) {
          k++; // the user just started or resumed: a pause before the first layer is moot
          continue;
        }
        await settlePenUp();
        // The pause itself is passed once the job is PAUSED: resuming continues with the layer.
        sent.push({ move: k });
        setDone(sent.length - 1);
        powerOkMove = k;
        const cp = checkpoint(true)!;
        const pauseIndex = countPausesUpTo(p, k) - 1;
        const layer = pauseLayers[pauseIndex];
        const what = layer?.l.pause === 'pen_change' ? 'pen change' : 'pause';
        const name = layer
          ? `${layer.i + 1} (${layer.l.name}${layer.l.pen !== null ? `, pen ${layer.l.pen}` : ''})`
          : '?';
        // The reason says what to do: every place that shows a paused job (CLI, app, held plotter) reads it.
        const reason = `${what} before layer ${name}${layer ? `: ${penToLoad(layer.l)}` : ''}`;
        // The step in numbers too, so the app says "Layer 2 of 3 · load pen 2 (black)" without parsing the reason.
        const step = layer
          ? { layer: layer.i, layers: planned.length, pen: layer.l.pen, load: penToLoad(layer.l) }
          : {};
        leftAt(cp.steps);
        ctx.jobs.transition(id, 'PAUSED', reason, {
          checkpoint: cp,
          kind: layer?.l.pause ?? 'layer_pause',
          ...step,
        });
        opts.onEvent?.(layer?.l.pause === 'pen_change' ? 'pen_change' : 'pause');
        progress();
        return { state: 'PAUSED', checkpoint: cp, reason };
      }
      if (kind === MoveKind.Draw && !penDown) {
        await penDownFor(k);
        while (windowFull() && failure === null) await waitAck();
        if (failure) break;
        const penDownMs = Math.round(penProfile.penLowerS * 1000);
        send(`SP,0,${Math.max(1, penDownMs)}`, -1, penDownMs);
        penDown = true;
      }
      if (kind === MoveKind.PenDown) await penDownFor(k);
      while (windowFull() && failure === null) await waitAck();
      if (failure) break;
      if (kind === MoveKind.PenDown) penDown = true;
      else if (kind === MoveKind.PenUp) penDown = false;
      if (rest && led < rest.count) {
        const r = rest.first + led++;
        send(
          ebbCommand(rest.program, r)!,
          rest.move[r - rest.first]!,
          rest.program.duration[r]! * 1000,
        );
        if (led === rest.count) k = rest.next;
      } else {
        send(ebbCommand(p, k)!, k, motionMs(k));
        k++;
      }
      pollStatus();
      checkpoint(false);
      progress();
    }
    if (failure) throw failure;
    // ---- Completion -----------------------------------------------------------------------
    if (penDown) send(penUpCmd, -1, penProfile.penRaiseS * 1000);
    await setServoDown(device.pen_pos_down);
    await drain();
    await powerCheck();
    const cp = checkpoint(true);
    progress();
    await goHome();
    cameHome();
    const metrics = programMetrics(p);
    // Journaled before the motors go off: a crash in between leaves a finished job, not a
    // PLOTTING one whose released carriage would need the user to confirm it is home.
    ctx.jobs.transition(id, 'COMPLETED', 'every stroke of the plan was drawn', {
      duration_s: Math.round((Date.now() - started) / 100) / 10,
      ...metrics,
      checkpoint: cp,
    });
    opts.onEvent?.('complete');
    try {
      await ebb.disableMotors();
      await drain();
    } catch (err) {
      ctx.logger.warning(
        `the drawing is complete, but the motors could not be switched off: ${(err as Error).message}`,
        id,
      );
    }
    return { state: 'COMPLETED', checkpoint: cp };
  } catch (err) {
    if (err instanceof Stop) {
      if (err.why === 'pause' || err.why === 'abort') return stop(err.why);
      return interrupted(err.why === 'shutdown' ? 'signal_received' : 'plotter_power_lost', err);
    }
    const e = failure ?? (err as Error);
    return interrupted(
      e instanceof EbbError && (e.kind === 'closed' || e.kind === 'timeout')
        ? 'device_lost'
        : 'device_error',
      e,
    );
  } finally {
    clearInterval(watchdog);
  }

  /**
   * A fresh plot starts at the origin, and EM makes wherever the carriage is the origin. Engaged
   * motors with counters off zero mean an earlier plot left it there (paused or stopped mid-sheet):
   * the counters know where it is, so it travels home pen-up first. Released motors mean the
   * carriage stands where a person put it: at home, unless vfab left it away (carriageKnown).
   */
  async function carriageToOrigin(): Promise<void> {
    if (!(await motorsHold(ebb, caps))) return;
    const here = await ebb.querySteps();
    if (here.motor1 === 0 && here.motor2 === 0) return;
    log(
      `the carriage stands at ${mmText(stepsToMm([here.motor1, here.motor2], p.stepsPerMm))}, where an earlier plot left it: travelling home pen-up before starting`,
    );
    await goHome();
  }

  /**
   * Before a plot from home: where the carriage stands is known, from the counters while the
   * motors hold it, or because it was left at home (or confirmed there); else nothing moves.
   */
  async function carriageKnown(): Promise<void> {
    if (!caps.stepCounters) return; // the pre-flight refuses such firmware
    if (await motorsHold(ebb, caps)) return countersInTravel();
    const record =
      opts.carriageFile && !opts.carriageAtHome ? readCarriage(opts.carriageFile) : undefined;
    if (!leftAway(record, caps)) return;
    const why = lostWhy(caps);
    throw new PositionUnknownError(
      id,
      why,
      carriageLostMessage(
        plotterName,
        record,
        why,
        p.stepsPerMm,
        `vfab plot ${id} --carriage-at-home (or vfab home ${plotterName} --carriage-at-home)`,
      ),
    );
  }

  /** Moves from the counters' position are sent only when it is inside the model's travel. */
  async function countersInTravel(): Promise<void> {
    const here = await ebb.querySteps();
    const beyond = positionProblem([here.motor1, here.motor2], p.stepsPerMm, device.model);
    if (beyond)
      throw new PositionUnknownError(
        id,
        beyond,
        countersBeyondMessage(
          plotterName,
          beyond,
          `vfab ${fromStart ? 'plot' : 'resume'} ${id} --carriage-at-home`,
        ),
      );
  }

  /** Records that this job's plot has the carriage away from home (`steps`: where it stopped). */
  function leftAt(steps?: [number, number]): void {
    if (opts.carriageFile)
      writeCarriage(opts.carriageFile, { where: 'away', job: id, ...(steps ? { steps } : {}) });
  }

  /** Records that the carriage was driven home. */
  function cameHome(): void {
    if (opts.carriageFile) writeCarriage(opts.carriageFile, { where: 'home' });
  }

  /** Is the step counters' idea of the carriage position void? Says why, or null. */
  async function positionLost(): Promise<string | null> {
    if (history?.powerLost) return "the plotter's motor power was cut during the plot";
    if (caps.qe) {
      const en = await ebb.queryMotorEnable();
      if (en.motor1 !== 16 || en.motor2 !== 16)
        return 'the plotter was switched off or reset since (its motors are not engaged)';
      return null;
    }
    // Before QE (2.8.0): zeroed counters away from the start can only mean a reset.
    const here = await ebb.querySteps();
    const at = positionAt(history?.checkpoint?.move ?? -1);
    if (here.motor1 === 0 && here.motor2 === 0 && (at[0] !== p.start[0] || at[1] !== p.start[1]))
      return 'the plotter was reset since (its step counters are zero)';
    return null;
  }

  /**
   * The job stays PLOTTING, resumable: stop the board as far as the link allows (bounded in time),
   * journal the last safe checkpoint and an `emergency_shutdown` naming the reason.
   */
  async function interrupted(reason: InterruptionReason, cause: Error): Promise<RunPlotResult> {
    const linkAlive =
      !ebb.closed &&
      !(cause instanceof EbbError && (cause.kind === 'closed' || cause.kind === 'timeout'));
    if (linkAlive) {
      await Promise.race([
        (async () => {
          if (reason === 'device_error') {
            // Queued motion finishes; everything sent before the rejected command then ran.
            await settleAndIdle();
            if (failedSeq >= 0) setDone(failedSeq - 1);
          } else {
            // The board reads ES only once it has taken our queued commands: wait for those.
            while (unacked > 0) await waitAck();
            await ebb.emergencyStop();
          }
          await ebb.command(penUpCmd, 'ok', { motionMs: penProfile.penRaiseS * 1000 });
          // What is confirmed now ran with power if the supply is still there.
          if (caps.qc && reason !== 'plotter_power_lost') await readPower();
        })().catch(() => {}),
        sleep(reason === 'signal_received' ? SHUTDOWN_BUDGET_MS : 5000),
      ]);
    }
    let cp: Checkpoint | undefined;
    const message =
      reason === 'signal_received'
        ? `stopped by ${shutdownSignal}`
        : reason === 'plotter_power_lost'
          ? "the plotter's motor power was lost"
          : cause.message;
    try {
      cp = checkpoint(true);
      appendEntry(files.journal, {
        type: 'emergency_shutdown',
        state: 'PLOTTING',
        reason,
        metadata: {
          ...(reason === 'signal_received' ? { signal: shutdownSignal } : { error: message }),
          checkpoint: cp ?? checkpointOf(from),
        },
      });
    } catch (jerr) {
      ctx.logger.error(`could not journal the interruption: ${(jerr as Error).message}`, id);
    }
    cp ??= written;
    const text = `plot interrupted at move ${cp?.move ?? from} of ${n}: ${message}`;
    ctx.logger.error(
      `emergency_shutdown (${reason}): ${text}; the job stays PLOTTING and can be resumed`,
      id,
    );
    opts.onEvent?.('interrupt');
    return {
      state: 'PLOTTING',
      checkpoint: cp,
      error: text,
      reason,
      ...(reason === 'signal_received' ? { signal: shutdownSignal } : {}),
    };
  }

  /** Before a pause is journaled: queued motion done, pen up, and the motors had power all along. */
  async function settlePenUp(): Promise<void> {
    await drain();
    if (penDown) {
      send(penUpCmd, -1, penProfile.penRaiseS * 1000);
      penDown = false;
      await drain();
    }
    await powerCheck();
  }

  async function settleAndIdle(): Promise<void> {
    while (unacked > 0) await waitAck();
    await waitIdle(ebb);
  }

  async function goHome(): Promise<void> {
    if (await travelHome(ebb, caps, homeRate(profile, p.stepsPerMm), speedFactor))
      await settleAndIdle();
  }

  async function stop(why: 'pause' | 'abort'): Promise<RunPlotResult> {
    try {
      if (why === 'abort') {
        while (unacked > 0 && failure === null) await waitAck();
        if (failure) throw failure;
        // ES drops the queued motion: only what acknowledgements confirmed has run for sure.
        const cp = checkpoint(true);
        await ebb.emergencyStop();
        await ebb.command(penUpCmd, 'ok', { motionMs: penProfile.penRaiseS * 1000 });
        await settleAndIdle();
        await goHome();
        cameHome();
        ctx.jobs.transition(id, 'ABORTED', 'the user aborted the plot', { checkpoint: cp });
        await ebb.disableMotors().catch(() => {}); // the abort is journaled; motors stay on at worst
        return { state: 'ABORTED', checkpoint: cp };
      }
      await settlePenUp();
      const cp = checkpoint(true)!;
      leftAt(cp.steps);
      ctx.jobs.transition(
        id,
        'PAUSED',
        opts.signal?.aborted ? 'pause requested' : 'pause button pressed',
        { checkpoint: cp },
      );
      opts.onEvent?.('pause');
      progress();
      return { state: 'PAUSED', checkpoint: cp };
    } catch (err) {
      if (err instanceof Stop) return interrupted('plotter_power_lost', err);
      const e = failure ?? (err as Error);
      return interrupted(
        e instanceof EbbError && (e.kind === 'closed' || e.kind === 'timeout')
          ? 'device_lost'
          : 'device_error',
        new Error(`${why} failed: ${e.message}`),
      );
    }
  }
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
    await sleep(IDLE_POLL_MS);
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

/**
 * A crash mid-append leaves a torn last line: an entry that never completed, so it never happened.
 * Cut it (the original is kept beside the journal) before appending again would bury it mid-file.
 */
function repairTornTail(ctx: RunPlotContext, id: string, journal: string): void {
  if (!readJournal(journal).problems.some((p) => p.kind === 'torn_tail')) return;
  const fixed = repairJournal(journal);
  ctx.logger.warning(
    `the journal's last line was torn by the crash; removed it (original kept as ${fixed.backupPath ?? 'n/a'})`,
    id,
  );
}

function countPausesUpTo(p: MotionProgram, k: number): number {
  let c = 0;
  for (let i = 0; i <= k; i++) if (p.kind[i] === MoveKind.Pause) c++;
  return c;
}

/** Steps and rounding put a point this far past the edge of the travel at most. */
const TRAVEL_EDGE_MM = 0.1;

/**
 * Where a program (positions after each move, in steps) leaves the model's travel, said in mm;
 * null when it stays inside. Moves are refused before they are sent: the carriage has no limit switch.
 */
export function travelProblem(
  p: MotionProgram,
  pos1: Int32Array,
  pos2: Int32Array,
  model: keyof typeof PLOTTER_TRAVEL,
): string | null {
  let minX = 0,
    minY = 0,
    maxX = 0,
    maxY = 0;
  for (let k = 0; k < p.length; k++) {
    const x = (pos1[k]! + pos2[k]!) / (2 * p.stepsPerMm),
      y = (pos1[k]! - pos2[k]!) / (2 * p.stepsPerMm);
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
  model: keyof typeof PLOTTER_TRAVEL,
): string | null {
  const { x, y } = stepsToMm(steps, stepsPerMm);
  const over = beyondTravel({ minX: x, minY: y, maxX: x, maxY: y }, model);
  return over ? `at ${mmText({ x, y })}, beyond the travel of an AxiDraw ${model} (${over})` : null;
}

function beyondTravel(
  b: { minX: number; minY: number; maxX: number; maxY: number },
  model: keyof typeof PLOTTER_TRAVEL,
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
    const len =
      Math.hypot(p.steps1[k]! + p.steps2[k]!, p.steps1[k]! - p.steps2[k]!) / (2 * p.stepsPerMm);
    if (kind === MoveKind.Draw) down += len;
    else if (kind === MoveKind.Travel) travel += len;
    else if (kind === MoveKind.PenUp) lifts++;
  }
  return {
    pen_down_mm: Math.round(down * 1000) / 1000,
    travel_mm: Math.round(travel * 1000) / 1000,
    lifts,
  };
}
