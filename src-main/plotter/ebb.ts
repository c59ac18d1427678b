/**
 * Client for the EiBotBoard (EBB) serial protocol that drives an AxiDraw. Protocol facts are from
 * docs/ebb-protocol.md; the section names below refer to it.
 *
 * In-flight semantics, which callers must plan around:
 *
 * - Every method writes its command at once and returns a promise for the reply, so callers may
 *   pipeline. Replies are matched strictly in the order commands were written.
 * - For motion commands (SM, XM, LM, LT, HM, SP, and EM on firmware 2.8+) `OK` means *queued in the
 *   EBB's motion FIFO*, not done ("The motion FIFO"). When the FIFO is full the EBB stops reading input entirely,
 *   so a query written behind a motion command (even QB or ES) is answered only once a FIFO slot
 *   frees. A plot runner should keep only one or two motion commands unacknowledged: the FIFO
 *   (depth 1; up to 32 on v3 with `CU,4`) already buffers ahead, and each further one delays a
 *   QB/QG/ES poll by a whole move.
 * - A command's timeout runs from the moment it is the oldest unanswered command. Commands that
 *   wait for the FIFO get extra time: the estimated remaining run time of the motion already
 *   acknowledged (the "horizon"). A timer that fires first lets the input waiting in the port be
 *   read; it fails the command only if no byte arrived meanwhile and it fired on time: one firing
 *   far too late means this process was frozen (the reply may be sitting unread), so it waits
 *   again and reports the stall to `onStall`.
 * - After a timeout or garbage the reply stream can no longer be trusted to line up: the failing
 *   command and every command written after it fail together, and lines arriving with nothing
 *   pending are dropped (reported to `onUnsolicited`). Call `resync()` (or reconnect) before
 *   sending anything else, and treat the machine's state as unknown until re-read.
 * - `EM` and `CS` zero the step counters ("The motion FIFO"): when recovering a position read `QS` first.
 */
import type { Duplex } from 'node:stream';
import { VfabError } from '../errors';
import { SERVO_FULL_SWEEP_MS, servoTravelMs } from '../plan/motion';

/** How the EBB answers a command in legacy syntax ("Replies"). */
export type ReplyShape =
  /** `OK` only (SM, EM, SC, …). */
  | 'ok'
  /** One line and no `OK` (V, QM, QG). */
  | 'line'
  /** One data line, then `OK` (QB, QS, QE, QC, QP, QR, QL, QT, QU, ES). */
  | 'line_ok'
  /** Nothing at all (RB, BL: the board drops off USB). */
  | 'none';

export type EbbErrorKind = 'error_reply' | 'timeout' | 'garbage' | 'closed';

export class EbbError extends VfabError {
  override name = 'EbbError';
  constructor(
    readonly kind: EbbErrorKind,
    /** The command as sent, without the CR. */
    readonly command: string,
    /** The offending reply line, if there was one. */
    readonly reply: string | null,
    message: string,
  ) {
    super('INTERNAL', message);
  }
}

export interface FirmwareVersion {
  major: number;
  minor: number;
  patch: number;
  /** The whole `V` reply, e.g. `EBBv13_and_above EB Firmware Version 2.8.1`. */
  raw: string;
}

/** What a driver must do differently per firmware ("Firmware capabilities"). Flags are "available from" checks. */
export interface EbbCapabilities {
  /** XM mixed-axis moves (2.3.0). */
  xm: boolean;
  /** QS/CS step counters (2.4.3). */
  stepCounters: boolean;
  /** QM with 4 fields (2.4.4); 3 fields from 2.2.6; absent before. */
  qmFields: 0 | 3 | 4;
  /** LM safe to stream (2.5.3 fixed corruption of running moves; saxi's minimum). */
  lm: boolean;
  /** LT timed moves, the `Clear` argument on SM/XM/LM/LT, current LM semantics (2.7.0). */
  lt: boolean;
  moveClear: boolean;
  /** QT/ST nickname (2.5.4). */
  nickname: boolean;
  /** SR servo power timeout (2.5.6); its `State` argument and QR (2.6.0). */
  servoPowerTimeout: boolean;
  servoPowerState: boolean;
  /** QG general status byte (2.6.2). */
  qg: boolean;
  /** QC current and V+ readings (reliable from 2.2.3): motor power present. */
  qc: boolean;
  /** HM: not at all, to (0,0) only (2.6.2), or to an absolute target (2.7.0). */
  home: 'none' | 'origin' | 'absolute';
  /** EM goes through the motion FIFO (2.8.0); before, it acts immediately. QE exists; ES,1. */
  emQueued: boolean;
  qe: boolean;
  /** ES reply: nothing (< 2.2.7), interrupted flag (2.2.7–2.2.8, 3.x), or step counts (2.2.9–2.8.1). */
  esReply: 'none' | 'flag' | 'counts';
  /** Largest motion FIFO depth (`CU,4`): 1 before 3.0, 32 from 3.0 (boot default is 1 everywhere). */
  fifoMax: number;
  /** SP,2 / SP,3 immediate pen raise (3.0.1). */
  immediatePenUp: boolean;
  /** QG bits 6/7: RB2/RB5 pin levels (2.x) or power-lost / limit-switch flags (3.x). */
  qgHighBits: 'pins' | 'power_and_limit';
  /** `CU` settings this firmware knows ("Commands vfab sends"): 1 OK on/off, 2 limit checks, 3 LED (2.8.1), 3.x more. */
  cuSettings: readonly number[];
  /** Number of SL/QL byte variables. */
  slVariables: number;
}

export type Microstep = 16 | 8 | 4 | 2 | 1;

export interface ServoPercent {
  /** Pen-up and pen-down heights, 0–100 % (config `pen_pos_up`/`pen_pos_down`). */
  upPct: number;
  downPct: number;
  /** Raise and lower speeds, 1–100 % (config `pen_rate_raise`/`pen_rate_lower`). */
  raiseRatePct: number;
  lowerRatePct: number;
  /** Servo output pin on port B: 1 = RB1, the standard pen servo. */
  pin?: number;
}

export interface ServoSettings {
  /** `SC,4` and `SC,5` positions in 1/12 MHz units. */
  up: number;
  down: number;
  /** `SC,11` and `SC,12` rates. */
  raiseRate: number;
  lowerRate: number;
}

export interface MotionStatus {
  commandExecuting: boolean;
  motor1Moving: boolean;
  motor2Moving: boolean;
  /** Undefined on firmware that returns three fields (before 2.4.4). */
  fifoNotEmpty: boolean | undefined;
}

export interface GeneralStatus {
  raw: number;
  fifoNotEmpty: boolean;
  motor2Moving: boolean;
  motor1Moving: boolean;
  commandExecuting: boolean;
  penUp: boolean;
  /** PRG pressed since the last QB/QG (reading clears it). */
  buttonPressed: boolean;
  /** RB2 level on 2.x; power-lost flag on 3.x (see `EbbCapabilities.qgHighBits`). */
  bit6: boolean;
  /** RB5 level on 2.x; limit switch triggered on 3.x. */
  bit7: boolean;
}

export interface StepPosition {
  motor1: number;
  motor2: number;
}

export interface EmergencyStopResult {
  /** A motion command was running and was aborted. */
  interrupted: boolean;
  /** 2.2.9–2.8.1 only: steps of the queued command that was dropped, per motor. */
  queuedSteps?: [number, number];
  /** 2.2.9–2.8.1 only: steps the aborted command had left, per motor. */
  remainingSteps?: [number, number];
}

/** Per-axis parameters of `LM`: `rate` and `accel` in accumulator units ("Commands vfab sends"), signed `steps`. */
export interface LmAxis {
  rate: number;
  steps: number;
  accel: number;
}

/** Per-axis parameters of `LT`: the sign of `rate` gives the direction. */
export interface LtAxis {
  rate: number;
  accel: number;
}

export interface CommandOptions {
  /** Timeout once this is the oldest unanswered command; default: the Ebb's `timeoutMs`. */
  timeoutMs?: number;
  /** The command enters the motion FIFO, so its reply may wait for queued motion to make room. */
  queued?: boolean;
  /** How long a queued command runs once started (extends later commands' timeouts). */
  motionMs?: number;
}

export interface EbbOptions {
  /** Per-command reply timeout (ms); the official software waits 1 s. */
  timeoutMs?: number;
  /**
   * How an error line ends ("Error replies"): firmware source prints the `!` line instead of `OK`
   * ('source'); the v3 documentation says `OK` follows ('doc'), which must then be consumed. In
   * 'source' mode a stray `OK` is dropped only when nothing else is pending; behind pipelined
   * commands it would be taken as the next command's reply, so pick the mode the board uses.
   */
  errorTermination?: 'source' | 'doc';
  /** Lines that belong to no command (async notices, strays). */
  onUnsolicited?: (line: string) => void;
  /** The process was frozen this long (ms past a reply deadline); the deadline was re-armed, nothing failed. */
  onStall?: (ms: number, command: string) => void;
}

/** The stream the Ebb talks over: serialport's `SerialPort`, a PTY, or a scripted fake. */
export type EbbStream = Pick<Duplex, 'write' | 'on' | 'off'>;

/** Standard pen servo endpoints ("Pen servo"): 0.82 ms = 0 % (down end) … 2.32 ms = 100 % (up end). */
const SERVO_MIN = 9855;
const SERVO_MAX = 27831;
/** PWM period in ms with 8 servo channels × 3 ms; the rate unit is position per period. */
const SERVO_PERIOD_MS = 24;
/** One LM/LT interval: the EBB's 25 kHz motion ISR. */
const LM_TICK_MS = 0.04;
const LM_ACCUMULATOR = 2 ** 31;
/** 2.x limit; v3 allows 256, but nothing we send is near either. */
const MAX_COMMAND_LENGTH = 63;
/** HM travels from wherever the carriage is, which the client does not track: assume a minute. */
const HOME_RUN_MS = 60_000;
/** A reply timer firing this much later than set (or half its limit, if more) means the process was frozen. */
const STALL_MIN_MS = 200;
/** Async notice of v3 firmware with `CU,53,1`; may arrive between replies. */
const UNSOLICITED = /^Limit switch triggered/i;

/** `SC,4`/`SC,5` value for a pen height in percent: `round(9855 + 179.76 × pct)` ("Pen servo"). */
export function servoPosition(pct: number): number {
  return Math.round(SERVO_MIN + ((SERVO_MAX - SERVO_MIN) / 100) * pct);
}

/**
 * `SC,11`/`SC,12` value for a speed in percent: `round(17976 × 0.24 / 200 × pct)` — the full
 * range moved in 200 ms at 100 %, expressed per 24 ms PWM period ("Pen servo").
 */
export function servoRate(pct: number): number {
  return Math.round(
    (((SERVO_MAX - SERVO_MIN) * (SERVO_PERIOD_MS / 100)) / SERVO_FULL_SWEEP_MS) * pct,
  );
}

/** Estimated run time of an LM move in ms: the slower axis, solving steps·2^31 = r·T + a·T²/2. */
export function lmDurationMs(axis1: LmAxis, axis2: LmAxis): number {
  const ticks = (a: LmAxis): number => {
    const distance = Math.abs(a.steps) * LM_ACCUMULATOR;
    if (distance === 0) return 0;
    const rate = Math.abs(a.rate);
    if (a.accel === 0) return rate === 0 ? 0 : distance / rate;
    const disc = rate * rate + 2 * a.accel * distance;
    // A decelerating axis that would stop before its steps never finishes; bound it by the stop.
    return disc <= 0 ? rate / -a.accel : (Math.sqrt(disc) - rate) / a.accel;
  };
  return Math.max(ticks(axis1), ticks(axis2)) * LM_TICK_MS;
}

/**
 * Parses a `V` reply. The number is the token after `Firmware Version ` (plotink), else the last
 * word (saxi); dev builds carry suffixes like `2.9.0rc1`. Returns null for anything without it.
 */
export function parseFirmwareVersion(raw: string): FirmwareVersion | null {
  // Future syntax (v3 `CU,10,1`) prefixes the reply with `V,`.
  const line = raw.trim().replace(/^V,/i, '');
  if (!/EBB/i.test(line)) return null;
  const marked = /Firmware Version\s+(\S+)/i.exec(line);
  const token = marked ? marked[1]! : (line.split(/\s+/).pop() ?? '');
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/i.exec(token);
  if (!match) return null;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3] ?? 0),
    raw: line,
  };
}

function atLeast(v: FirmwareVersion, major: number, minor: number, patch: number): boolean {
  if (v.major !== major) return v.major > major;
  if (v.minor !== minor) return v.minor > minor;
  return v.patch >= patch;
}

/** QC V+ reading below which the motors are unpowered (plotink's threshold). */
export const MOTOR_POWER_MIN_RAW = 250;

export function capabilitiesFor(v: FirmwareVersion): EbbCapabilities {
  const v3 = v.major >= 3;
  const since = (a: number, b: number, c: number): boolean => atLeast(v, a, b, c);
  return {
    xm: since(2, 3, 0),
    stepCounters: since(2, 4, 3),
    qmFields: since(2, 4, 4) ? 4 : since(2, 2, 6) ? 3 : 0,
    lm: since(2, 5, 3),
    lt: since(2, 7, 0),
    moveClear: since(2, 7, 0),
    nickname: since(2, 5, 4),
    servoPowerTimeout: since(2, 5, 6),
    servoPowerState: since(2, 6, 0),
    qg: since(2, 6, 2),
    qc: since(2, 2, 3),
    home: since(2, 7, 0) ? 'absolute' : since(2, 6, 2) ? 'origin' : 'none',
    emQueued: since(2, 8, 0),
    qe: since(2, 8, 0),
    esReply: v3 ? 'flag' : since(2, 2, 9) ? 'counts' : since(2, 2, 7) ? 'flag' : 'none',
    fifoMax: v3 ? 32 : 1,
    immediatePenUp: since(3, 0, 1),
    qgHighBits: v3 ? 'power_and_limit' : 'pins',
    cuSettings: v3
      ? [1, 2, 3, 4, 10, 50, 51, 52, 53, 54, 60, 61]
      : since(2, 8, 1)
        ? [1, 2, 3]
        : [1, 2],
    slVariables: v3 ? 32 : 1,
  };
}

interface Pending {
  command: string;
  shape: Exclude<ReplyShape, 'none'>;
  timeoutMs: number;
  /** Skip lines until one matches (resync: leftovers of abandoned commands precede our reply). */
  skipUntil: RegExp | null;
  queued: boolean;
  motionMs: number;
  /** The data line of a `line_ok` reply once it has arrived. */
  data: string | null;
  /** An error line waiting for its trailing `OK` in 'doc' error termination. */
  error: string | null;
  timer: NodeJS.Timeout | null;
  /** The check a fired timer makes after reading pending input. */
  recheck: NodeJS.Immediate | null;
  resolve: (line: string) => void;
  reject: (err: EbbError) => void;
}

export class Ebb {
  private readonly pending: Pending[] = [];
  private buffer = '';
  private closedReason: string | null = null;
  /** Estimated time (ms, Date.now()) when all acknowledged motion will have run. */
  private horizon = 0;
  private firmware: FirmwareVersion | null = null;
  private servo: (ServoPercent & ServoSettings) | null = null;
  private readonly timeoutMs: number;
  private readonly errorTermination: 'source' | 'doc';
  private readonly onUnsolicited: (line: string) => void;
  /** Bytes received so far: a timer that saw some arrive since it was armed waits again. */
  private bytesRead = 0;
  /** Told when a reply deadline passed only because the process was frozen; settable after construction (the runner logs it). */
  onStall: (ms: number, command: string) => void;

  constructor(
    private readonly stream: EbbStream,
    options: EbbOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.errorTermination = options.errorTermination ?? 'source';
    this.onUnsolicited = options.onUnsolicited ?? (() => {});
    this.onStall = options.onStall ?? (() => {});
    stream.on('data', this.onData);
    stream.on('close', this.onClose);
    stream.on('end', this.onClose);
    stream.on('error', this.onError);
  }

  /** Commands written and not yet answered. */
  get inFlight(): number {
    return this.pending.length;
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  /** Detaches from the stream (which the caller still owns) and fails anything pending. */
  dispose(): void {
    this.stream.off('data', this.onData);
    this.stream.off('close', this.onClose);
    this.stream.off('end', this.onClose);
    this.stream.off('error', this.onError);
    this.fail('the EBB client was closed');
  }

  /**
   * Sends `cmd` (without CR) and resolves with the reply's data line (`''` for `ok` and `none`).
   * The escape hatch for commands without a typed method; the caller names the reply shape.
   */
  command(cmd: string, shape: ReplyShape, options: CommandOptions = {}): Promise<string> {
    return this.send(cmd, shape, options, null);
  }

  private send(
    cmd: string,
    shape: ReplyShape,
    options: CommandOptions,
    skipUntil: RegExp | null,
  ): Promise<string> {
    if (!/^[\x21-\x7e]+$/.test(cmd) || cmd.length > MAX_COMMAND_LENGTH) {
      return Promise.reject(
        new VfabError(
          'INVALID_INPUT',
          `not a valid EBB command: ${JSON.stringify(cmd)} (printable ASCII, no spaces, ≤ ${MAX_COMMAND_LENGTH} chars)`,
        ),
      );
    }
    if (this.closedReason !== null) {
      return Promise.reject(
        new EbbError('closed', cmd, null, `cannot send ${cmd}: ${this.closedReason}`),
      );
    }
    if (shape === 'none') {
      return new Promise((resolve, reject) => {
        this.stream.write(`${cmd}\r`, (err) => {
          if (err)
            reject(new EbbError('closed', cmd, null, `writing ${cmd} failed: ${err.message}`));
          else resolve('');
        });
      });
    }
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        command: cmd,
        shape,
        timeoutMs: options.timeoutMs ?? this.timeoutMs,
        skipUntil,
        queued: options.queued ?? options.motionMs !== undefined,
        motionMs: options.motionMs ?? 0,
        data: null,
        error: null,
        timer: null,
        recheck: null,
        resolve,
        reject,
      };
      this.pending.push(entry);
      if (this.pending.length === 1) this.startTimer(entry);
      this.stream.write(`${cmd}\r`, (err) => {
        if (err) this.onError(err);
      });
    });
  }

  // ---- Identity ---------------------------------------------------------------------------

  /** Queries `V` and caches the result for `capabilities()`. */
  version(): Promise<FirmwareVersion> {
    return this.readVersion(this.timeoutMs, null);
  }

  /**
   * Brings replies back in step after a timeout or garbage, or on a fresh connection where
   * another program may have left output behind: sends `V` and drops every line before the
   * version reply. Also refreshes the cached version.
   */
  resync(timeoutMs = this.timeoutMs): Promise<FirmwareVersion> {
    return this.readVersion(timeoutMs, /EBB.*\d+\.\d+/i);
  }

  private async readVersion(timeoutMs: number, skipUntil: RegExp | null): Promise<FirmwareVersion> {
    const line = await this.send('V', 'line', { timeoutMs }, skipUntil);
    const parsed = parseFirmwareVersion(line);
    if (!parsed)
      throw new EbbError(
        'garbage',
        'V',
        line,
        `the device answered V with "${line}", which is not an EBB firmware version`,
      );
    this.firmware = parsed;
    return parsed;
  }

  /**
   * `CU,10,0` (fw ≥ 3.0): leave "future syntax", which survives host disconnects, so another
   * program (e.g. plotink's EBB3 class) may have left it on ("Replies", alexrudd2/saxi#338). The
   * reply is `CUOK` from future syntax and `OK` from legacy syntax.
   */
  async useLegacySyntax(): Promise<void> {
    const line = await this.command('CU,10,0', 'line');
    if (line !== 'OK' && line !== 'CUOK') throw this.garbage('CU,10,0', line);
  }

  async capabilities(): Promise<EbbCapabilities> {
    return capabilitiesFor(this.firmware ?? (await this.version()));
  }

  /** The nickname set with `ST` (`QT`, fw ≥ 2.5.4), or null if none is set. */
  async nickname(): Promise<string | null> {
    const name = (await this.command('QT', 'line_ok')).trim();
    return name === '' ? null : name;
  }

  // ---- Motors -----------------------------------------------------------------------------

  /**
   * `EM` enabling both motors at 1/`microsteps` stepping. Zeroes the step counters, so read `QS`
   * first when recovering a position. Queued behind motion on fw ≥ 2.8.0.
   */
  async enableMotors(microsteps: Microstep): Promise<void> {
    const mode = { 16: 1, 8: 2, 4: 3, 2: 4, 1: 5 }[microsteps];
    await this.command(`EM,${mode},${mode}`, 'ok', { queued: true });
  }

  /** `EM,0,0`: motors limp; the carriage position is lost. */
  async disableMotors(): Promise<void> {
    await this.command('EM,0,0', 'ok', { queued: true });
  }

  /** `QE` (fw ≥ 2.8.0): per motor 0 = disabled, else the microstep divisor (16 = 1/16). */
  async queryMotorEnable(): Promise<{ motor1: number; motor2: number }> {
    const [motor1, motor2] = this.ints('QE', await this.command('QE', 'line_ok'), 2);
    return { motor1: motor1!, motor2: motor2! };
  }

  /** `SM`: both motors at constant rate for `durationMs`; both steps 0 is a pure delay. */
  async stepperMove(
    durationMs: number,
    steps1: number,
    steps2: number,
    clear?: number,
  ): Promise<void> {
    this.checkInts('SM', { durationMs, steps1, steps2 });
    if (durationMs < 1)
      throw new VfabError('INVALID_INPUT', `SM duration must be at least 1 ms (got ${durationMs})`);
    await this.command(withClear(`SM,${durationMs},${steps1},${steps2}`, clear), 'ok', {
      motionMs: durationMs,
    });
  }

  /** `XM` (fw ≥ 2.3.0): like SM in mixed-axis terms, motor1 = A+B, motor2 = A−B. */
  async mixedMove(
    durationMs: number,
    stepsA: number,
    stepsB: number,
    clear?: number,
  ): Promise<void> {
    this.checkInts('XM', { durationMs, stepsA, stepsB });
    if (durationMs < 1)
      throw new VfabError('INVALID_INPUT', `XM duration must be at least 1 ms (got ${durationMs})`);
    await this.command(withClear(`XM,${durationMs},${stepsA},${stepsB}`, clear), 'ok', {
      motionMs: durationMs,
    });
  }

  /**
   * `LM` (fw ≥ 2.5.3; current semantics 2.7.0): accelerated move, each axis ends after its steps.
   * Rate = steps/s × 2^31 × 40 µs; accel is added to the rate every 40 µs ("Commands vfab sends").
   */
  async lowLevelMove(axis1: LmAxis, axis2: LmAxis, clear?: number): Promise<void> {
    const values = {
      rate1: axis1.rate,
      steps1: axis1.steps,
      accel1: axis1.accel,
      rate2: axis2.rate,
      steps2: axis2.steps,
      accel2: axis2.accel,
    };
    this.checkInts('LM', values);
    const cmd = `LM,${axis1.rate},${axis1.steps},${axis1.accel},${axis2.rate},${axis2.steps},${axis2.accel}`;
    await this.command(withClear(cmd, clear), 'ok', { motionMs: lmDurationMs(axis1, axis2) });
  }

  /** `LT` (fw ≥ 2.7.0): the LM engine for exactly `intervals` × 40 µs. */
  async lowLevelTimedMove(
    intervals: number,
    axis1: LtAxis,
    axis2: LtAxis,
    clear?: number,
  ): Promise<void> {
    this.checkInts('LT', {
      intervals,
      rate1: axis1.rate,
      accel1: axis1.accel,
      rate2: axis2.rate,
      accel2: axis2.accel,
    });
    const cmd = `LT,${intervals},${axis1.rate},${axis1.accel},${axis2.rate},${axis2.accel}`;
    await this.command(withClear(cmd, clear), 'ok', { motionMs: intervals * LM_TICK_MS });
  }

  /**
   * `HM`: move to step position (0,0), or `target` on fw ≥ 2.7.0, at `stepRate` steps/s. The EBB
   * answers only after all earlier motion has finished. `runMs` (the longer axis's steps over
   * `stepRate`, if the caller knows them) keeps later commands from timing out while HM runs; by
   * default a minute is assumed, which only delays the detection of a dead link.
   */
  async home(
    stepRate: number,
    options: { target?: StepPosition; runMs?: number } = {},
  ): Promise<void> {
    const { target, runMs = HOME_RUN_MS } = options;
    this.checkInts('HM', { stepRate, ...(target ?? {}) });
    const cmd = target ? `HM,${stepRate},${target.motor1},${target.motor2}` : `HM,${stepRate}`;
    await this.command(cmd, 'ok', { motionMs: runMs });
  }

  // ---- Pen servo --------------------------------------------------------------------------

  /**
   * Configures the pen servo from percent values as the AxiDraw software does ("Pen servo"): `SC,4`
   * up position, `SC,5` down position, `SC,8,8` (8 channels → the 24 ms period the rates assume),
   * `SC,11`/`SC,12` raise/lower rates. Immediate commands. Returns the values sent.
   */
  async configureServo(pct: ServoPercent): Promise<ServoSettings> {
    const settings: ServoSettings = {
      up: servoPosition(pct.upPct),
      down: servoPosition(pct.downPct),
      raiseRate: servoRate(pct.raiseRatePct),
      lowerRate: servoRate(pct.lowerRatePct),
    };
    await Promise.all([
      this.command(`SC,4,${settings.up}`, 'ok'),
      this.command(`SC,5,${settings.down}`, 'ok'),
      this.command('SC,8,8', 'ok'),
      this.command(`SC,11,${settings.raiseRate}`, 'ok'),
      this.command(`SC,12,${settings.lowerRate}`, 'ok'),
    ]);
    this.servo = { ...pct, ...settings };
    return settings;
  }

  /**
   * `SP,1,<ms>,<pin>`: queue the pen raise. The delay holds back the *next* motion command; it is
   * the modelled travel time plus `extraMs` (config `pen_delay_up`). Resolves with the delay sent.
   */
  penUp(extraMs = 0): Promise<number> {
    return this.pen(1, extraMs);
  }

  /** `SP,0,<ms>,<pin>`: queue the pen lowering; see `penUp`. */
  penDown(extraMs = 0): Promise<number> {
    return this.pen(0, extraMs);
  }

  private async pen(state: 0 | 1, extraMs: number): Promise<number> {
    const servo = this.servo;
    if (!servo)
      throw new VfabError(
        'INVALID_STATE',
        'configure the pen servo (SC) before raising or lowering the pen',
      );
    const travel = servoTravelMs(
      servo.upPct - servo.downPct,
      state === 1 ? servo.raiseRatePct : servo.lowerRatePct,
    );
    // SP accepts 1..65535 ms; a non-positive total means "no wait" and is sent without a duration.
    const delay = Math.min(65_535, Math.max(0, Math.round(travel + extraMs)));
    const cmd = delay > 0 ? `SP,${state},${delay},${servo.pin ?? 1}` : `SP,${state}`;
    await this.command(cmd, 'ok', { motionMs: delay });
    return delay;
  }

  // ---- Status -----------------------------------------------------------------------------

  /** `QM` (fw ≥ 2.2.6; deprecated in 3.0 in favour of QG). */
  async queryMotion(): Promise<MotionStatus> {
    const line = await this.command('QM', 'line');
    const fields = line.split(',');
    if (
      fields[0] !== 'QM' ||
      (fields.length !== 4 && fields.length !== 5) ||
      fields.slice(1).some((f) => !/^\d$/.test(f))
    ) {
      throw this.garbage('QM', line);
    }
    const on = (i: number): boolean => fields[i] !== '0';
    return {
      commandExecuting: on(1),
      motor1Moving: on(2),
      motor2Moving: on(3),
      fifoNotEmpty: fields.length === 5 ? on(4) : undefined,
    };
  }

  /** `QG` (fw ≥ 2.6.2): status byte; reading clears the button latch (and 3.x flags). */
  async queryGeneral(): Promise<GeneralStatus> {
    const line = await this.command('QG', 'line');
    if (!/^[0-9A-Fa-f]{2}$/.test(line)) throw this.garbage('QG', line);
    const raw = parseInt(line, 16);
    const bit = (n: number): boolean => (raw & (1 << n)) !== 0;
    return {
      raw,
      fifoNotEmpty: bit(0),
      motor2Moving: bit(1),
      motor1Moving: bit(2),
      commandExecuting: bit(3),
      penUp: bit(4),
      buttonPressed: bit(5),
      bit6: bit(6),
      bit7: bit(7),
    };
  }

  /** `QS` (fw ≥ 2.4.3): global step positions, readable during motion. */
  async querySteps(): Promise<StepPosition> {
    const [motor1, motor2] = this.ints('QS', await this.command('QS', 'line_ok'), 2);
    return { motor1: motor1!, motor2: motor2! };
  }

  /** `CS` (fw ≥ 2.4.3): zero both step counters and accumulators. */
  async clearSteps(): Promise<void> {
    await this.command('CS', 'ok');
  }

  /**
   * `QC` (fw ≥ 2.2.3): raw ADC of the pen-servo current and the motor supply (V+). Below 250 raw
   * (about 7 V) the motors have no power, as plotink judges: the carriage is not held and moves
   * draw nothing.
   */
  async queryPower(): Promise<{ currentRaw: number; voltageRaw: number; motorPower: boolean }> {
    const [currentRaw, voltageRaw] = this.ints('QC', await this.command('QC', 'line_ok'), 2);
    return {
      currentRaw: currentRaw!,
      voltageRaw: voltageRaw!,
      motorPower: voltageRaw! >= MOTOR_POWER_MIN_RAW,
    };
  }

  /** `QB`: whether PRG was pressed since the last QB/QG; clears the latch. */
  async queryButton(): Promise<boolean> {
    const line = await this.command('QB', 'line_ok');
    if (line !== '0' && line !== '1') throw this.garbage('QB', line);
    return line === '1';
  }

  /**
   * `ES`: abort the running motion command and flush the FIFO (motors stay on unless
   * `disableMotors`, fw ≥ 2.8.0). Note it is itself stuck behind a parser blocked on a full FIFO.
   */
  async emergencyStop(disableMotors = false): Promise<EmergencyStopResult> {
    const cmd = disableMotors ? 'ES,1' : 'ES';
    const fields = this.ints(cmd, await this.command(cmd, 'line_ok'));
    this.horizon = 0;
    if (fields.length === 1) return { interrupted: fields[0] !== 0 };
    if (fields.length !== 5) throw this.garbage(cmd, fields.join(','));
    return {
      interrupted: fields[0] !== 0,
      queuedSteps: [fields[1]!, fields[2]!],
      remainingSteps: [fields[3]!, fields[4]!],
    };
  }

  /**
   * `R`: application reset — default servo settings, FIFO depth 1, legacy syntax, pen state up.
   * The servo must be configured again afterwards.
   */
  async reset(): Promise<void> {
    await this.command('R', 'ok');
    this.servo = null;
    this.horizon = 0;
  }

  // ---- Reply matching ---------------------------------------------------------------------

  private readonly onData = (chunk: Buffer | string): void => {
    this.bytesRead += chunk.length;
    // latin1 keeps one char per byte, so chunks split anywhere decode the same.
    this.buffer += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const parts = this.buffer.split(/\r|\n/);
    this.buffer = parts.pop() ?? '';
    for (const line of parts) if (line !== '') this.onLine(line);
  };

  private onLine(line: string): void {
    const head = this.pending[0];
    if (!head || UNSOLICITED.test(line)) {
      // Also swallows the `OK` some firmware sends after an error line when nothing follows.
      this.onUnsolicited(line);
      return;
    }
    if (head.skipUntil && !head.skipUntil.test(line)) {
      this.onUnsolicited(line);
      return;
    }
    if (head.error !== null) {
      if (line === 'OK') this.settle(head, this.errorReply(head, head.error));
      else this.desync(this.garbage(head.command, line));
      return;
    }
    if (line.startsWith('!')) {
      if (this.errorTermination === 'doc') head.error = line;
      else this.settle(head, this.errorReply(head, line));
      return;
    }
    switch (head.shape) {
      case 'ok':
        if (line === 'OK') this.settle(head, '');
        else this.desync(this.garbage(head.command, line));
        return;
      case 'line':
        this.settle(head, line);
        return;
      case 'line_ok':
        if (head.data === null) {
          // `QT` with no nickname prints an empty line, which the splitter drops: OK straight away.
          if (line === 'OK') this.settle(head, '');
          else head.data = line;
        } else if (line === 'OK') {
          this.settle(head, head.data);
        } else {
          this.desync(this.garbage(head.command, line));
        }
        return;
    }
  }

  /** Completes the oldest command and starts the next one's clock. */
  private settle(entry: Pending, result: string | EbbError): void {
    this.pending.shift();
    clearTimer(entry);
    if (typeof result === 'string') {
      if (entry.motionMs > 0) this.horizon = Math.max(this.horizon, Date.now()) + entry.motionMs;
      entry.resolve(result);
    } else {
      entry.reject(result);
    }
    const next = this.pending[0];
    if (next) this.startTimer(next);
  }

  private startTimer(entry: Pending): void {
    // A FIFO command may wait for queued motion to make room; an immediate one answers at once.
    const wait = entry.queued ? Math.max(0, this.horizon - Date.now()) : 0;
    const limit = entry.timeoutMs + wait;
    const armedAt = performance.now();
    const bytesAtArm = this.bytesRead;
    entry.timer = setTimeout(() => {
      entry.timer = null;
      // Far too late means this process was frozen (event-loop stall, SIGSTOP, suspend): the board
      // had no chance to be heard, and its reply may be sitting unread in the port.
      const late = performance.now() - armedAt - limit;
      const stalled = late > Math.max(STALL_MIN_MS, limit / 2);
      if (stalled) this.onStall(Math.round(late), entry.command);
      // Let the poll phase read what waits in the port before judging.
      entry.recheck = setImmediate(() => {
        entry.recheck = null;
        if (this.pending[0] !== entry) return;
        if (stalled || this.bytesRead !== bytesAtArm) {
          this.startTimer(entry);
          return;
        }
        this.desync(
          new EbbError(
            'timeout',
            entry.command,
            null,
            `the EBB did not answer ${entry.command} within ${Math.round(limit)} ms (is the plotter powered and connected?)`,
          ),
        );
      });
    }, limit);
  }

  /** Fails the oldest command with `err` and everything written after it, whose replies can no longer be matched. */
  private desync(err: EbbError): void {
    this.pending.splice(0).forEach((entry, i) => {
      clearTimer(entry);
      entry.reject(
        i === 0
          ? err
          : new EbbError(
              err.kind,
              entry.command,
              err.reply,
              `${entry.command} was abandoned: ${err.message}`,
            ),
      );
    });
    this.buffer = '';
  }

  private readonly onClose = (): void => {
    this.fail('the connection to the EBB closed');
  };

  private readonly onError = (err: Error): void => {
    this.fail(`the connection to the EBB failed: ${err.message}`);
  };

  private fail(reason: string): void {
    this.closedReason ??= reason;
    for (const entry of this.pending.splice(0)) {
      clearTimer(entry);
      entry.reject(
        new EbbError('closed', entry.command, null, `${entry.command} got no reply: ${reason}`),
      );
    }
  }

  private errorReply(entry: Pending, line: string): EbbError {
    return new EbbError(
      'error_reply',
      entry.command,
      line,
      `the EBB rejected ${entry.command}: ${line}`,
    );
  }

  private garbage(cmd: string, line: string): EbbError {
    const name = cmd.split(',')[0]!.toUpperCase();
    // v3 "future syntax" (CU,10,1) echoes the command name instead of printing OK ("Replies").
    const hint =
      line.toUpperCase() === name || line.toUpperCase().startsWith(`${name},`)
        ? ' — the EBB is in v3 future-syntax mode (another program left it so); send CU,10,0 or R, or power-cycle it'
        : '';
    return new EbbError(
      'garbage',
      cmd,
      line,
      `unexpected reply to ${cmd}: ${JSON.stringify(line)}${hint}`,
    );
  }

  /** Parses a comma-separated list of integers (optionally exactly `count`). */
  private ints(cmd: string, line: string, count?: number): number[] {
    const fields = line.split(',');
    if (
      fields.some((f) => !/^-?\d+$/.test(f.trim())) ||
      (count !== undefined && fields.length !== count)
    ) {
      throw this.garbage(cmd, line);
    }
    return fields.map((f) => Number(f));
  }

  private checkInts(cmd: string, values: Record<string, number>): void {
    for (const [key, value] of Object.entries(values)) {
      if (!Number.isSafeInteger(value))
        throw new VfabError('INVALID_INPUT', `${cmd}: ${key} must be an integer (got ${value})`);
    }
  }
}

function clearTimer(entry: Pending): void {
  if (entry.timer) clearTimeout(entry.timer);
  if (entry.recheck) clearImmediate(entry.recheck);
  entry.timer = null;
  entry.recheck = null;
}

function withClear(cmd: string, clear: number | undefined): string {
  return clear === undefined ? cmd : `${cmd},${clear}`;
}
