/**
 * The EBB itself, without I/O: parses the byte stream, answers like firmware 2.x/3.x, queues
 * motion in a bounded FIFO and runs it against a virtual clock (real time × speed factor), so
 * the step counters, pen and status bits are true at the moment a query is read. Pen-down motion
 * is reported as segments — the paper. Spec: docs/ebb-protocol.md "The virtual plotter".
 *
 * Like the board, a motion command meeting a full FIFO (or HM / CU,4 meeting a busy machine)
 * stops the parser: nothing after it is read — not QB, not ES — until the executor frees a slot.
 */
import { COMMAND_SINCE, DEFAULT_FIRMWARE, Firmware } from './firmware';
import { linearMove, lmMove, ltMove, type Move } from './motion';

export interface Clock {
  /** Monotonic real milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface MachineOptions {
  firmware?: string;
  /** Whole `V` reply (default `EBBv13_and_above EB Firmware Version <firmware>`). */
  versionLine?: string;
  /** Virtual time runs this many times faster than real time. */
  speed?: number;
  /** `source`: an error line replaces OK (firmware); `doc`: error line then OK (v3 manual). */
  errorTermination?: 'source' | 'doc';
  /**
   * Plotter ms the parser spends on each command (real boards: ~0.25–1 ms). Blocks shorter than
   * the parse time plus the host's round trip starve the motors, as on hardware (saxi#44).
   */
  parseMs?: number;
  /** Modelled travel, mm, for crash warnings (AxiDraw V3/A4). */
  travelMm?: { x: number; y: number };
  clock?: Clock;
}

/** One pen-down stretch of carriage motion. */
export interface Segment {
  /** Wall-clock epoch ms at the start and end of the stretch. */
  startedAt: number;
  endedAt: number;
  /** Command that drew it (SM, XM, LM, LT, HM). */
  cmd: string;
  /** Step counters (QS frame) before and after. */
  from: [number, number];
  to: [number, number];
  /** Physical carriage position in mm from where the plotter was powered up. */
  fromMm: [number, number];
  toMm: [number, number];
  /** Cut short by ES, an unplug, a power loss or a limit switch. */
  partial: boolean;
}

export interface Gap {
  at: number;
  ms: number;
}

/** The first LM/LT after the pen went down: how fast each motor was stepping as it began (steps/s). */
export interface PenDownEntry {
  /** Wall-clock epoch ms the move started. */
  at: number;
  rates: [number, number];
}

export interface LogEntry {
  at: number;
  dir: 'in' | 'out';
  text: string;
}

class EbbError extends Error {
  constructor(
    readonly code: number,
    text: string,
    readonly term: '\r\n' | '\n\r' = '\r\n',
  ) {
    super(`!${code} Err: ${text}`);
  }
}

interface Reply {
  /** Data before OK in legacy syntax (omitted: OK only). */
  data?: string;
  /** Data after `NAME,` in future syntax when it differs from `data` (QM, QU). */
  future?: string;
  term?: '\r\n' | '\n\r';
  /** Legacy OK after the data (V, QM, QG, PI print none). */
  ok?: boolean;
}

type PenAction = { kind: 'set'; up: boolean } | { kind: 'toggle' } | { kind: 'pos'; pos: number };

interface Queued {
  name: string;
  move: Move;
  pen?: PenAction;
  enable?: [number, number];
}

interface Running extends Queued {
  startV: number;
  /** Steps of this move already applied to counters, carriage and paper, and when. */
  done: [number, number];
  doneAt: number;
}

interface Line {
  text: string;
  arrivedV: number;
  overrun: boolean;
  /** Already logged: a blocked command is handled again when it gets its slot. */
  seen?: boolean;
}

type Block = 'slot' | 'idle';

const MAX_STEP_RATE = 25_000;
const MIN_STEP_RATE_2X = 1.31;
const SERVO_UP = 22_565;
const SERVO_DOWN = 15_302;
const RECENT = 100;

export interface MachineStats {
  /** Virtual (plotter) ms since power-up; busyMs / uptimeMs is the executor's utilisation. */
  uptimeMs: number;
  commands: number;
  motionCommands: number;
  maxFifoFill: number;
  busyMs: number;
  segments: number;
  penDownMm: number;
  /**
   * Idle stretches of the executor between two FIFO commands, in virtual (plotter) ms: the host
   * starving the board. Idle time after a QM that saw the board idle is the host waiting on
   * purpose (pre-flight, pause, pen change) and is not counted.
   */
  gaps: { count: number; totalMs: number; maxMs: number; recent: Gap[] };
  /** Entry rates of pen-down strokes: a stroke (or a resumed one) begun from rest enters at 0. */
  penDownEntries: { count: number; recent: PenDownEntry[] };
  warnings: string[];
}

export class EbbMachine {
  onOutput: (text: string) => void = () => {};
  onSegment: (seg: Segment) => void = () => {};
  /** RB/BL: the board drops off USB and comes back after a reboot. */
  onReboot: () => void = () => {};
  /** After each command the parser accepted (for faults armed "after N commands"). */
  onCommand: () => void = () => {};
  /** The parser stopped (true) or resumed (false) reading input; the transport stops reading too. */
  onBlocked: (blocked: boolean) => void = () => {};

  private fw: Firmware;
  private readonly speed: number;
  private readonly clock: Clock;
  private readonly errorTermination: 'source' | 'doc';
  private readonly travel: { x: number; y: number };
  private parseMs: number;
  /** Virtual time at which the parser has finished with the previous command. */
  private parserFreeV = 0;
  private readonly t0: number;
  private readonly epoch0: number;
  private timer: unknown;

  // Parser.
  private partialLine = '';
  private partialOverrun = false;
  private lines: Line[] = [];
  private blocked: { line: Line; until: Block } | undefined;
  private frozen = false;

  // Settings reset by power-up / R.
  private future = false;
  private okEnabled = true;
  private limitChecks = true;
  private autoEnable = true;
  private fifoDepth = 1;
  private powerLostThreshold = 0;
  private vars: number[] = [];
  private nickname = '';
  private servo = {
    up: SERVO_UP,
    down: SERVO_DOWN,
    rateUp: 400,
    rateDown: 400,
    channels: 8,
    timeoutMs: 60_000,
  };

  // Motion.
  private fifo: Queued[] = [];
  private running: Running | undefined;
  private lastEndV: number | undefined;
  /** A QM reported the board idle since the last move: the host is draining, not starving it. */
  private idleSeen = false;
  private counters: [number, number] = [0, 0];
  /** 0 = disabled, 1..5 = EM microstep mode (1 = 1/16). */
  private enabled: [number, number] = [0, 0];
  private mode = 1;
  private mm: [number, number] = [0, 0];
  private positionValid = true;
  private motorPower = true;
  private powerLostFlag = false;
  private limitFlag = false;

  // Pen and buttons.
  private penUp = true;
  private servoPowered = false;
  private lastServoV = 0;
  private servoDropped = false;
  private button = false;
  /** Press the button once this much more pen-down distance has been drawn. */
  private buttonAtMm: number | undefined;
  /** The pen went down and no LM/LT has started since. */
  private entryPending = false;

  // Faults that change replies.
  private errorFault: { hits: CommandMatcher; code: number; text: string } | undefined;
  private dropFault: CommandMatcher | undefined;

  private readonly stats: Omit<MachineStats, 'uptimeMs'> = {
    commands: 0,
    motionCommands: 0,
    maxFifoFill: 0,
    busyMs: 0,
    segments: 0,
    penDownMm: 0,
    gaps: { count: 0, totalMs: 0, maxMs: 0, recent: [] },
    penDownEntries: { count: 0, recent: [] },
    warnings: [],
  };
  private readonly log: LogEntry[] = [];

  constructor(opts: MachineOptions = {}) {
    this.fw = new Firmware(opts.firmware ?? DEFAULT_FIRMWARE, opts.versionLine);
    this.speed = opts.speed ?? 1;
    if (!(this.speed > 0)) throw new RangeError('speed must be > 0');
    this.clock = opts.clock ?? realClock;
    this.errorTermination = opts.errorTermination ?? 'source';
    this.travel = opts.travelMm ?? { x: 300, y: 218 };
    this.parseMs = opts.parseMs ?? 0;
    this.t0 = this.clock.now();
    this.epoch0 = Date.now();
  }

  // ---- Clock ------------------------------------------------------------------------------

  private vnow(): number {
    return (this.clock.now() - this.t0) * this.speed;
  }

  private wall(v: number): number {
    return Math.round(this.epoch0 + v / this.speed);
  }

  // ---- Input ------------------------------------------------------------------------------

  /** Bytes from the host, in arrival order. */
  feed(bytes: Buffer | string): void {
    if (this.frozen) return;
    const arrivedV = this.vnow();
    for (const ch of typeof bytes === 'string' ? bytes : bytes.toString('latin1')) {
      const c = ch.charCodeAt(0);
      if (ch === '\r' || ch === '\n') {
        // CRLF, LFCR and blank lines collapse: empty commands are ignored.
        if (this.partialLine || this.partialOverrun)
          this.lines.push({ text: this.partialLine, arrivedV, overrun: this.partialOverrun });
        this.partialLine = '';
        this.partialOverrun = false;
      } else if (c === 8) {
        this.partialLine = this.partialLine.slice(0, -1);
      } else if (c >= 0x20) {
        if (this.partialLine.length + 1 >= this.fw.maxLine) this.partialOverrun = true;
        else this.partialLine += ch;
      }
    }
    this.advance();
  }

  /** Bytes received and not yet parsed: what sits in the board's USB receive buffer. */
  pendingInput(): number {
    let n = this.partialLine.length;
    for (const l of this.lines) n += l.text.length + 1;
    return n;
  }

  /**
   * Runs everything due up to now in time order: moves finishing, the blocked command
   * entering the FIFO when a slot frees, and arrived lines. Then sleeps until the next move ends.
   */
  advance(): void {
    if (this.frozen) return;
    const now = this.vnow();
    // Time of the last event handled: a line read after an unblock is read no earlier.
    let cursor = this.lastEndV ?? 0;
    // A fault fired from onCommand (unplug after N commands) freezes the board mid-loop.
    while (!this.frozen) {
      if (this.blocked && this.unblocked(this.blocked.until)) {
        const { line } = this.blocked;
        this.blocked = undefined;
        this.onBlocked(false);
        this.handle(line, cursor);
        continue;
      }
      const end = this.runningEnd();
      const next = this.nextLineAt();
      if (Math.min(end, next) > now) break;
      if (end <= next) {
        cursor = end;
        this.finish(end);
        this.startNext(end);
      } else {
        cursor = Math.max(next, cursor);
        this.parserFreeV = cursor + this.parseMs;
        this.handle(this.lines.shift()!, cursor);
      }
    }
    this.schedule();
  }

  private runningEnd(): number {
    return this.running ? this.running.startV + this.running.move.durationMs : Infinity;
  }

  /** When the parser can take the next arrived line (never while it is blocked). */
  private nextLineAt(): number {
    const line = this.lines[0];
    return !this.blocked && line ? Math.max(line.arrivedV, this.parserFreeV) : Infinity;
  }

  private schedule(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const wake = Math.min(this.runningEnd(), this.nextLineAt());
    if (wake === Infinity || this.frozen) return;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.advance();
      },
      Math.max(0, (wake - this.vnow()) / this.speed),
    );
  }

  private unblocked(until: Block): boolean {
    return until === 'slot'
      ? this.fifo.length < this.fifoDepth
      : !this.running && this.fifo.length === 0;
  }

  // ---- Commands ---------------------------------------------------------------------------

  private handle(line: Line, at: number): void {
    const [rawName = '', ...args] = line.text.split(',');
    const name = rawName.toUpperCase();
    const firstTime = !line.seen;
    line.seen = true;
    if (firstTime) this.record('in', line.text);
    if (line.overrun) return this.sendError(name, new EbbError(3, 'RX Buffer overrun'));
    const fault = this.errorFault;
    if (firstTime && fault?.hits.test(name))
      return this.sendError(name, new EbbError(fault.code, fault.text));
    let reply: Reply | Block | undefined;
    try {
      reply = this.run(name, args, at);
    } catch (err) {
      if (!(err instanceof EbbError)) throw err;
      return this.sendError(name, err);
    }
    if (reply === 'slot' || reply === 'idle') {
      this.blocked = { line, until: reply };
      this.onBlocked(true);
      return;
    }
    this.stats.commands++;
    if (reply) this.sendReply(name, reply);
    this.onCommand();
  }

  /** Executes one command; returns its reply, undefined for none (RB), or the block it waits on. */
  private run(name: string, args: string[], at: number): Reply | Block | undefined {
    const since = COMMAND_SINCE[name];
    if (!since || !this.fw.has(since)) throw unknownCommand(name);
    const p = new Params(args);
    switch (name) {
      case 'V':
        p.end(0);
        return { data: this.fw.versionLine, ok: false };
      case 'QB': {
        p.end(0);
        this.checkButton(at);
        const b = this.button;
        this.button = false;
        return { data: b ? '1' : '0' };
      }
      case 'QG':
        p.end(0);
        this.checkButton(at);
        return { data: this.statusByte(at).toString(16).toUpperCase().padStart(2, '0'), ok: false };
      case 'QM': {
        p.end(0);
        const [cmd, m1, m2, f] = this.motionStatus(at).map((b) => (b ? 1 : 0));
        if (!cmd && !m1 && !m2 && !f) this.idleSeen = true;
        // The FIFO field came with 2.4.4 (docs/ebb-protocol.md "Firmware capabilities").
        const fields = [cmd, m1, m2, ...(this.fw.has('2.4.4') ? [f] : [])].join(',');
        return {
          data: `QM,${fields}`,
          future: fields,
          term: '\n\r',
          ok: false,
        };
      }
      case 'QS': {
        p.end(0);
        const [s1, s2] = this.countersAt(at);
        return { data: `${s1},${s2}`, term: '\n\r' };
      }
      case 'CS':
        p.end(0);
        this.commitRunning(at, false);
        this.counters = [0, 0];
        return {};
      case 'QE':
        p.end(0);
        return {
          data: this.enabled.map((m) => (m === 0 ? 0 : 2 ** (5 - m))).join(','),
          term: '\n\r',
        };
      case 'QC': {
        p.end(0);
        const pad = (n: number) => String(n).padStart(4, '0');
        return { data: `${pad(394)},${pad(this.motorPower ? 300 : 2)}` };
      }
      case 'QP':
        p.end(0);
        return { data: this.penUp ? '1' : '0', term: '\n\r' };
      case 'QR':
        p.end(0);
        return { data: this.servoOn(at) ? '1' : '0', term: '\n\r' };
      case 'QL': {
        const i = p.opt(0, 0, this.fw.slVariables - 1) ?? 0;
        p.end(1);
        return { data: String(this.vars[i] ?? 0) };
      }
      case 'SL': {
        const v = p.req(0, 0, 255);
        this.vars[p.opt(1, 0, this.fw.slVariables - 1) ?? 0] = v;
        p.end(2);
        return {};
      }
      case 'QT':
        p.end(0);
        return { data: this.nickname };
      case 'ST':
        if (args.length > 1) throw new EbbError(7, 'Extra parameter');
        this.nickname = (args[0] ?? '').slice(0, 16);
        return {};
      case 'QU': {
        const n = p.req(0, 0, 255);
        p.end(1);
        const values: Record<number, number> = {
          1: 0,
          2: this.fw.maxFifo,
          3: this.fifoDepth,
          6: this.fifo.length,
          60: this.powerLostThreshold,
          61: 0,
        };
        const v = values[n];
        if (v === undefined) throw new EbbError(6, 'Invalid parameter value');
        return { data: `QU,${v}`, future: String(v) };
      }
      case 'EM': {
        const e1 = p.req(0, 0, 5);
        const e2 = p.opt(1, 0, 5) ?? e1;
        p.end(2);
        // Since 2.8.0 EM goes through the FIFO so it cannot reset counters mid-move.
        if (this.fw.has('2.8.0'))
          return this.enqueue({ name, move: linearMove(0, 0, 0), enable: [e1, e2] }, at);
        this.applyEnable([e1, e2]);
        return {};
      }
      case 'SM': {
        const ms = p.req(0, 1, 0xffffffff);
        const s1 = p.req(1, -0x7fffffff, 0x7fffffff);
        const s2 = p.opt(2, -0x7fffffff, 0x7fffffff) ?? 0;
        p.opt(3, 0, 3);
        p.end(4);
        return this.enqueueSteps(name, ms, s1, s2, at);
      }
      case 'XM': {
        const ms = p.req(0, 1, 0xffffffff);
        const a = p.req(1, -0x7fffffff, 0x7fffffff);
        const b = p.req(2, -0x7fffffff, 0x7fffffff);
        p.opt(3, 0, 3);
        p.end(4);
        return this.enqueueSteps(name, ms, a + b, a - b, at);
      }
      case 'LM': {
        const [r1, s1, a1, r2, s2, a2] = [0, 1, 2, 3, 4, 5].map((i) =>
          p.req(i, -0x7fffffff, 0x7fffffff),
        ) as [number, number, number, number, number, number];
        p.opt(6, 0, 3);
        p.end(7);
        if ((s1 === 0 || (r1 === 0 && a1 === 0)) && (s2 === 0 || (r2 === 0 && a2 === 0)))
          throw new EbbError(6, 'Invalid parameter value');
        const move = lmMove(r1, s1, a1, r2, s2, a2);
        if (move.stalls)
          this.warn(
            `LM,${args.join(',')}: an axis decays to rate 0 before its steps are done (the board would never finish it)`,
          );
        if (move.peakRate > MAX_STEP_RATE)
          this.warn(
            `LM,${args.join(',')}: step rate ${Math.round(move.peakRate)}/s exceeds 25 kHz`,
          );
        return this.enqueue({ name, move }, at);
      }
      case 'LT': {
        const n = p.req(0, 1, 0x7fffffff);
        const [r1, a1, r2, a2] = [1, 2, 3, 4].map((i) => p.req(i, -0x7fffffff, 0x7fffffff)) as [
          number,
          number,
          number,
          number,
        ];
        p.opt(5, 0, 3);
        p.end(6);
        return this.enqueue({ name, move: ltMove(n, r1, a1, r2, a2) }, at);
      }
      case 'HM': {
        const rate = p.req(0, this.fw.v3 ? 1 : 2, this.fw.v3 ? 0x7fffffff : MAX_STEP_RATE);
        const t1 = p.opt(1, -0x7fffffff, 0x7fffffff);
        const t2 = p.opt(2, -0x7fffffff, 0x7fffffff);
        if ((t1 === undefined) !== (t2 === undefined))
          throw new EbbError(4, 'Missing parameter(s)');
        p.end(3);
        // HM computes its move from the final position, so it waits for all motion first.
        if (!this.unblocked('idle')) return 'idle';
        const f = Math.min(Math.max(rate, 2), MAX_STEP_RATE);
        const d1 = (t1 ?? 0) - this.counters[0];
        const d2 = (t2 ?? 0) - this.counters[1];
        const lead = 5;
        return this.enqueue(
          {
            name,
            move: linearMove(
              lead + (Math.max(Math.abs(d1), Math.abs(d2)) * 1000) / f,
              d1,
              d2,
              lead,
            ),
          },
          at,
        );
      }
      case 'ES': {
        const disable = p.opt(0, 0, 1) ?? 0;
        p.end(1);
        return this.emergencyStop(at, disable === 1);
      }
      case 'SP': {
        const v = p.req(0, 0, this.fw.has('3.0.1') ? 3 : 1);
        const ms = p.opt(1, 0, 65535) ?? 0;
        p.opt(2, 0, 7);
        p.end(3);
        if (v >= 2) {
          // SP,2/3 bypass the FIFO; SP,3 also makes every later "down" an "up".
          if (v === 3) this.servo.down = this.servo.up;
          this.setPen(true, at);
          return {};
        }
        return this.enqueue(
          { name, move: linearMove(ms, 0, 0), pen: { kind: 'set', up: v === 1 } },
          at,
        );
      }
      case 'TP': {
        const ms = p.opt(0, 0, 65535) ?? 0;
        p.end(1);
        return this.enqueue({ name, move: linearMove(ms, 0, 0), pen: { kind: 'toggle' } }, at);
      }
      case 'S2': {
        const pos = p.req(0, 0, 65535);
        const pin = p.req(1, 0, 24);
        p.opt(2, 0, 65535);
        const ms = p.opt(3, 0, 65535) ?? 0;
        p.end(4);
        if (pos === 0) return {};
        // RP4 (RB1) is the pen servo; other outputs drive nothing this model tracks.
        return this.enqueue(
          {
            name,
            move: linearMove(ms, 0, 0),
            ...(pin === 4 ? { pen: { kind: 'pos', pos } as const } : {}),
          },
          at,
        );
      }
      case 'SC': {
        const n = p.req(0, 0, 255);
        const v = p.req(1, 0, 65535);
        p.end(2);
        if (n === 4) this.servo.up = v;
        else if (n === 5) this.servo.down = v;
        else if (n === 8) this.servo.channels = v;
        else if (n === 10) this.servo.rateUp = this.servo.rateDown = v;
        else if (n === 11) this.servo.rateUp = v;
        else if (n === 12) this.servo.rateDown = v;
        return {};
      }
      case 'SR': {
        this.servo.timeoutMs = p.req(0, 0, 0xffffffff);
        const state = p.opt(1, 0, 1);
        p.end(2);
        if (state !== undefined) {
          this.servoPowered = state === 1;
          this.lastServoV = at;
        }
        return {};
      }
      case 'R':
        p.end(0);
        this.resetState(at);
        return {};
      case 'RB':
      case 'BL':
        this.onReboot();
        return undefined;
      case 'CU':
        return this.configure(p);
      case 'PI': {
        // plotink reads the driver pins to learn whether EM would be needed (query_enable_motors).
        const port = (args[0] ?? '').toUpperCase();
        const pin = p.req(1, 0, 7);
        p.end(2);
        return { data: `PI,${this.pinLevel(port, pin)}`, ok: false };
      }
      case 'PO':
      case 'PD':
      case 'SE':
      case 'CK':
        return {};
    }
    // Every name in COMMAND_SINCE has a case above.
    throw unknownCommand(name);
  }

  private configure(p: Params): Reply | Block {
    const n = p.req(0, 0, 255);
    const v = p.req(1, 0, 0xffffffff);
    p.end(2);
    const v3Only = new Set([4, 10, 50, 51, 52, 53, 54, 60, 61]);
    if (v3Only.has(n) && !this.fw.v3) throw new EbbError(6, 'Invalid parameter value');
    switch (n) {
      case 1:
        this.okEnabled = v !== 0;
        return {};
      case 2:
        this.limitChecks = v !== 0;
        return {};
      case 4:
        if (v < 1 || v > this.fw.maxFifo) throw new EbbError(6, 'Invalid parameter value');
        // The firmware only changes the depth once the queue is empty.
        if (!this.unblocked('idle')) return 'idle';
        this.fifoDepth = v;
        return {};
      case 10:
        if (v > 1) throw new EbbError(6, 'Invalid parameter value');
        return this.switchSyntax(v === 1);
      case 50:
        this.autoEnable = v !== 0;
        return {};
      case 60:
        this.powerLostThreshold = v;
        return {};
      default:
        return {};
    }
  }

  /** The mode switch answers irregularly (docs/ebb-protocol.md "Replies"): `\n` into future mode, `CUOK\r\n` out of it. */
  private switchSyntax(future: boolean): Reply {
    const was = this.future;
    this.future = future;
    if (future && !was) this.emit('\n');
    else if (!future && was) this.emit('CUOK\r\n');
    else return {};
    return { ok: false };
  }

  private pinLevel(port: string, pin: number): number {
    // Enable pins are active low; MS1..MS3 follow the A4988 table for the shared microstep mode.
    const ms: Record<number, [number, number, number]> = {
      1: [1, 1, 1],
      2: [1, 1, 0],
      3: [0, 1, 0],
      4: [1, 0, 0],
      5: [0, 0, 0],
    };
    const [ms1, ms2, ms3] = ms[this.mode] ?? [1, 1, 1];
    if (port === 'E' && pin === 0) return this.enabled[0] ? 0 : 1;
    if (port === 'C' && pin === 1) return this.enabled[1] ? 0 : 1;
    if (port === 'E' && pin === 2) return ms1;
    if (port === 'E' && pin === 1) return ms2;
    if (port === 'A' && pin === 6) return ms3;
    return 0;
  }

  // ---- Replies ----------------------------------------------------------------------------

  private sendReply(name: string, r: Reply): void {
    if (this.swallow(name)) return;
    if (this.future) {
      const data = r.future ?? r.data;
      if (r.ok === false && r.data === undefined) return;
      return this.emit(`${name}${data !== undefined ? `,${data}` : ''}\n`);
    }
    const data = r.data !== undefined ? `${r.data}${r.term ?? '\r\n'}` : '';
    const ok = r.ok !== false && this.okEnabled ? 'OK\r\n' : '';
    if (data || ok) this.emit(data + ok);
  }

  private sendError(name: string, err: EbbError): void {
    if (this.swallow(name)) return;
    if (this.future) return this.emit(`${name},${err.message}\n`);
    this.emit(`${err.message}${err.term}${this.errorTermination === 'doc' ? 'OK\r\n' : ''}`);
  }

  private swallow(name: string): boolean {
    return this.dropFault?.test(name) ?? false;
  }

  private emit(text: string): void {
    this.record('out', text);
    this.onOutput(text);
  }

  private record(dir: 'in' | 'out', text: string): void {
    this.log.push({ at: Date.now(), dir, text });
    if (this.log.length > 2000) this.log.splice(0, this.log.length - 2000);
  }

  private warn(text: string): void {
    this.stats.warnings.push(text);
    if (this.stats.warnings.length > RECENT) this.stats.warnings.shift();
  }

  // ---- Motion -----------------------------------------------------------------------------

  private enqueueSteps(
    name: string,
    ms: number,
    s1: number,
    s2: number,
    at: number,
  ): Reply | Block {
    if (s1 === 0 && s2 === 0)
      return this.enqueue({ name, move: linearMove(Math.min(ms, 100_000), 0, 0) }, at);
    if (this.limitChecks) {
      for (const [axis, s] of [
        ['axis1', s1],
        ['axis2', s2],
      ] as const) {
        const rate = (Math.abs(s) * 1000) / ms;
        if (rate > MAX_STEP_RATE)
          throw this.fw.v3
            ? new EbbError(0, `<${axis}> step rate too high`)
            : new EbbError(0, `<${axis}> step rate > 25K steps/second.`, '\n\r');
        if (s !== 0 && rate < MIN_STEP_RATE_2X && !this.fw.v3)
          throw new EbbError(0, `<${axis}> step rate < 1.31Hz.`, '\n\r');
      }
    }
    return this.enqueue({ name, move: linearMove(ms, s1, s2) }, at);
  }

  private enqueue(cmd: Queued, at: number): Reply | Block {
    if (this.fifo.length >= this.fifoDepth) return 'slot';
    this.stats.motionCommands++;
    this.fifo.push(cmd);
    this.stats.maxFifoFill = Math.max(this.stats.maxFifoFill, this.fifo.length);
    if (!this.running) this.startNext(at);
    return {};
  }

  /** Starts queued commands at `at` until one takes time (EM and zero-delay pen moves take none). */
  private startNext(at: number): void {
    while (!this.running) {
      const cmd = this.fifo.shift();
      if (!cmd) return;
      this.start(cmd, at);
    }
  }

  private start(cmd: Queued, at: number): void {
    const drained = this.idleSeen;
    this.idleSeen = false;
    if (this.lastEndV !== undefined && !drained && at > this.lastEndV + 1e-6) {
      const g = this.stats.gaps;
      const ms = at - this.lastEndV;
      g.count++;
      g.totalMs += ms;
      g.maxMs = Math.max(g.maxMs, ms);
      g.recent.push({ at: this.wall(this.lastEndV), ms });
      if (g.recent.length > RECENT) g.recent.shift();
    }
    this.running = { ...cmd, startV: at, done: [0, 0], doneAt: at };
    if (cmd.enable) this.applyEnable(cmd.enable);
    if (cmd.pen) {
      const up =
        cmd.pen.kind === 'set'
          ? cmd.pen.up
          : cmd.pen.kind === 'toggle'
            ? !this.penUp
            : cmd.pen.pos === this.servo.up;
      this.setPen(up, at);
    }
    if (cmd.move.startRate && this.entryPending) {
      this.entryPending = false;
      const e = this.stats.penDownEntries;
      e.count++;
      e.recent.push({ at: this.wall(at), rates: cmd.move.startRate });
      if (e.recent.length > RECENT) e.recent.shift();
    }
    const [m1, m2] = cmd.move.movingAt(0);
    if (m1 || m2) {
      if (this.autoEnable) {
        // Motion energises disabled drivers in the current microstep mode.
        if (!this.enabled[0]) this.enabled[0] = this.mode;
        if (!this.enabled[1]) this.enabled[1] = this.mode;
      } else if (!this.enabled[0] || !this.enabled[1]) {
        this.warn(`${cmd.name} while the motors are disabled: the carriage does not move`);
      }
    }
    if (!cmd.move.durationMs) this.finish(at);
  }

  private finish(at: number): void {
    const r = this.running;
    if (!r) return;
    // The exact duration, not at − startV: float subtraction can land a hair short of the end.
    this.commitRunning(at, false, r.move.durationMs);
    this.stats.busyMs += r.move.durationMs;
    this.lastEndV = r.startV + r.move.durationMs;
    this.running = undefined;
  }

  /** Applies the steps the running move has made by `at` to counters, carriage and paper. */
  private commitRunning(
    at: number,
    partial: boolean,
    elapsed = at - (this.running?.startV ?? at),
  ): void {
    const r = this.running;
    if (!r) return;
    const [a, b] = r.move.stepsAt(elapsed);
    const d: [number, number] = [a - r.done[0], b - r.done[1]];
    const since = r.doneAt;
    r.done = [a, b];
    r.doneAt = at;
    if (!d[0] && !d[1]) return;
    const from: [number, number] = [...this.counters];
    const fromMm: [number, number] = [...this.mm];
    this.counters = [this.counters[0] + d[0], this.counters[1] + d[1]];
    if (!this.motorPower || !this.enabled[0] || !this.enabled[1]) return;
    const k = 80 / 2 ** (this.mode - 1);
    this.mm = [this.mm[0] + (d[0] + d[1]) / (2 * k), this.mm[1] + (d[0] - d[1]) / (2 * k)];
    const [x, y] = this.mm;
    if (x < -0.5 || y < -0.5 || x > this.travel.x + 0.5 || y > this.travel.y + 0.5)
      this.warn(
        `${r.name} reaches (${x.toFixed(2)}, ${y.toFixed(2)}) mm, outside the ${this.travel.x}×${this.travel.y} mm travel`,
      );
    if (!this.penPhysicallyDown()) return;
    const len = Math.hypot(x - fromMm[0], y - fromMm[1]);
    this.stats.segments++;
    this.stats.penDownMm += len;
    if (this.buttonAtMm !== undefined && this.stats.penDownMm >= this.buttonAtMm) {
      this.button = true;
      this.buttonAtMm = undefined;
    }
    this.onSegment({
      startedAt: this.wall(since),
      endedAt: this.wall(at),
      cmd: r.name,
      from,
      to: [...this.counters],
      fromMm,
      toMm: [x, y],
      partial,
    });
  }

  private emergencyStop(at: number, disable: boolean): Reply {
    const r = this.running;
    let rem: [number, number] = [0, 0];
    let queued: [number, number] = [0, 0];
    if (r) {
      this.commitRunning(at, true);
      const [t1, t2] = r.move.stepsAt(r.move.durationMs);
      rem = [Math.abs(t1 - r.done[0]), Math.abs(t2 - r.done[1])];
    }
    const next = this.fifo[0];
    if (next) {
      const [q1, q2] = next.move.stepsAt(next.move.durationMs);
      queued = [Math.abs(q1), Math.abs(q2)];
    }
    const interrupted = r || this.fifo.length ? 1 : 0;
    this.abortMotion(at);
    if (disable) this.applyEnable([0, 0]);
    if (this.fw.v3 || !this.fw.has('2.2.9')) return { data: String(interrupted), term: '\n\r' };
    return { data: `${interrupted},${queued[0]},${queued[1]},${rem[0]},${rem[1]}`, term: '\n\r' };
  }

  /** Drops the running move where it is and flushes the FIFO. */
  private abortMotion(at: number): void {
    if (this.running) {
      this.commitRunning(at, true);
      this.lastEndV = at;
    }
    this.running = undefined;
    this.fifo = [];
  }

  private applyEnable([e1, e2]: [number, number]): void {
    // Re-enabling running motors moves the origin: a host that does this mid-job loses its place.
    if (e1 > 0 && this.enabled[0] && (this.counters[0] || this.counters[1]))
      this.warn(
        `EM,${e1},${e2} zeroed the step counters at ${this.counters.join(',')}: the origin moved`,
      );
    // Only Enable1 sets the shared microstep mode; every EM zeroes the counters.
    if (e1 > 0) this.mode = e1;
    this.enabled = [e1 === 0 ? 0 : this.mode, e2 === 0 ? 0 : this.mode];
    this.counters = [0, 0];
    if (e1 === 0 || e2 === 0) this.positionValid = false;
    else if (this.motorPower) this.positionValid = true;
  }

  private countersAt(at: number): [number, number] {
    const r = this.running;
    if (!r) return [...this.counters];
    const [a, b] = r.move.stepsAt(at - r.startV);
    return [this.counters[0] + a - r.done[0], this.counters[1] + b - r.done[1]];
  }

  private motionStatus(at: number): [boolean, boolean, boolean, boolean] {
    const r = this.running;
    const [m1, m2] = r ? r.move.movingAt(at - r.startV) : [false, false];
    return [Boolean(r), m1, m2, this.fifo.length > 0];
  }

  private statusByte(at: number): number {
    const [cmd, m1, m2, fifo] = this.motionStatus(at);
    let s =
      (fifo ? 1 : 0) |
      (m2 ? 2 : 0) |
      (m1 ? 4 : 0) |
      (cmd ? 8 : 0) |
      (this.penUp ? 16 : 0) |
      (this.button ? 32 : 0);
    if (this.fw.v3) {
      s |= (this.powerLostFlag ? 64 : 0) | (this.limitFlag ? 128 : 0);
      this.powerLostFlag = false;
      this.limitFlag = false;
    }
    this.button = false;
    return s;
  }

  // ---- Pen --------------------------------------------------------------------------------

  private setPen(up: boolean, at: number): void {
    this.entryPending = !up;
    this.penUp = up;
    this.servoPowered = true;
    this.lastServoV = at;
  }

  private servoOn(at: number): boolean {
    return (
      this.servoPowered &&
      (this.servo.timeoutMs === 0 || at - this.lastServoV < this.servo.timeoutMs)
    );
  }

  private penPhysicallyDown(): boolean {
    return !this.penUp || this.servoDropped;
  }

  // ---- Power-up state ---------------------------------------------------------------------

  /** `R`: defaults back, motion stopped, motors off — the carriage stays where it is. */
  private resetState(at: number): void {
    this.abortMotion(at);
    this.future = false;
    this.okEnabled = true;
    this.limitChecks = true;
    this.autoEnable = true;
    this.fifoDepth = 1;
    this.powerLostThreshold = 0;
    this.vars = [];
    this.servo = {
      up: SERVO_UP,
      down: SERVO_DOWN,
      rateUp: 400,
      rateDown: 400,
      channels: 8,
      timeoutMs: 60_000,
    };
    this.enabled = [0, 0];
    this.mode = 1;
    this.counters = [0, 0];
    this.positionValid = false;
    this.penUp = true;
    this.servoPowered = false;
    this.button = false;
    this.powerLostFlag = false;
    this.limitFlag = false;
  }

  // ---- Faults (control channel) -----------------------------------------------------------

  /** USB unplugged: the running move stops where it is, input and queue are lost, nothing answers. */
  unplug(): void {
    this.advance();
    this.abortMotion(this.vnow());
    this.lines = [];
    if (this.blocked) this.onBlocked(false);
    this.blocked = undefined;
    this.partialLine = '';
    this.frozen = true;
    this.schedule();
  }

  /** Plugged back in; `reset` models the board having lost power meanwhile. */
  replug(reset: boolean): void {
    this.frozen = false;
    if (reset) this.resetState(this.vnow());
  }

  /** The next `count` commands named like `match` (after `skip` of them) answer `!code Err: text`. */
  errorReplies(
    count: number,
    opts: { code?: number; text?: string; match?: string; skip?: number } = {},
  ): void {
    this.errorFault = {
      hits: new CommandMatcher(count, opts.skip ?? 0, opts.match),
      code: opts.code ?? 8,
      text: opts.text ?? 'Unknown command (injected fault)',
    };
  }

  /** The next `count` matching commands run but their replies are lost. */
  dropReplies(count: number, opts: { match?: string; skip?: number } = {}): void {
    this.dropFault = new CommandMatcher(count, opts.skip ?? 0, opts.match);
  }

  extraLine(text: string): void {
    this.emit(`${text}\r\n`);
  }

  garbage(text: string): void {
    this.emit(text);
  }

  /** PRG pressed now, or (afterPenDownMm) once that much more has been drawn. */
  pressButton(afterPenDownMm?: number): void {
    if (afterPenDownMm === undefined) this.button = true;
    else this.buttonAtMm = this.stats.penDownMm + afterPenDownMm;
  }

  /**
   * A pending distance-triggered press must see the drawing up to the moment of the query. The
   * running move's part is measured, not committed, so its paper line stays one whole segment.
   */
  private checkButton(at: number): void {
    const r = this.running;
    if (this.buttonAtMm === undefined || !r || !this.motorPower || !this.penPhysicallyDown())
      return;
    const [a, b] = r.move.stepsAt(at - r.startV);
    const d0 = a - r.done[0],
      d1 = b - r.done[1];
    const k = 80 / 2 ** (this.mode - 1);
    if (
      this.stats.penDownMm + Math.hypot((d0 + d1) / (2 * k), (d0 - d1) / (2 * k)) >=
      this.buttonAtMm
    ) {
      this.button = true;
      this.buttonAtMm = undefined;
    }
  }

  /**
   * Motor supply cut: the drivers lose their holding current, so the carriage can be pushed
   * anywhere. The counters are zeroed and the motors read as disabled; queued moves still run
   * for their time, but nothing moves and nothing is drawn until the host re-enables (EM).
   */
  motorPowerLoss(): void {
    this.advance();
    const at = this.vnow();
    this.commitRunning(at, true);
    this.motorPower = false;
    this.positionValid = false;
    this.enabled = [0, 0];
    this.counters = [0, 0];
    if (this.powerLostThreshold > 0) this.powerLostFlag = true;
  }

  motorPowerRestore(): void {
    this.motorPower = true;
  }

  /** Someone pushes the unheld carriage to the home corner by hand (the recovery wizard's step). */
  carriageHome(): void {
    this.advance();
    if (this.motorPower && this.enabled[0] && this.enabled[1])
      this.warn('carriage pushed home while the motors hold it: ignored');
    else this.mm = [0, 0];
  }

  servoPower(on: boolean): void {
    this.servoDropped = !on;
    if (!on) this.servoPowered = false;
  }

  setParseMs(ms: number): void {
    this.parseMs = ms;
  }

  futureModeLeftOn(): void {
    this.future = true;
  }

  setFirmware(version: string, versionLine?: string): void {
    this.fw = new Firmware(version, versionLine);
    this.fifoDepth = Math.min(this.fifoDepth, this.fw.maxFifo);
  }

  /** v3 limit switch: motion aborted, FIFO flushed, QG bit7 latched, optional async packet. */
  limitSwitch(packet: boolean): void {
    this.advance();
    this.abortMotion(this.vnow());
    this.limitFlag = true;
    if (packet) this.extraLine('Limit switch triggered. PortB=00');
    this.advance();
  }

  // ---- Observability ----------------------------------------------------------------------

  status() {
    this.advance();
    const at = this.vnow();
    const [cmd, m1, m2] = this.motionStatus(at);
    return {
      firmware: this.fw.version,
      syntax: this.future ? 'future' : 'legacy',
      virtualMs: Math.round(at),
      executing: cmd,
      moving: [m1, m2],
      fifo: { depth: this.fifoDepth, fill: this.fifo.length },
      parserBlocked: this.blocked ? this.blocked.until : null,
      pendingLines: this.lines.length,
      steps: this.countersAt(at),
      mm: this.mm.map((v) => Math.round(v * 1e4) / 1e4),
      penUp: this.penUp,
      motors: this.enabled.map((m) => (m === 0 ? 0 : 2 ** (5 - m))),
      motorPower: this.motorPower,
      positionValid: this.positionValid,
      servoPowered: this.servoOn(at),
      button: this.button,
      plugged: !this.frozen,
    };
  }

  getStats(): MachineStats {
    this.advance();
    return { ...structuredClone(this.stats), uptimeMs: Math.round(this.vnow()) };
  }

  getLog(last = 200): LogEntry[] {
    return this.log.slice(-last);
  }

  stop(): void {
    this.frozen = true;
    this.schedule();
  }
}

/** `!8 Err: Unknown command 'ZZ:5A5A'`: the name, then the hex of its characters. */
function unknownCommand(name: string): EbbError {
  const hex = [...name]
    .map((c) => c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'))
    .join('');
  return new EbbError(8, `Unknown command '${name}:${hex}'`);
}

/** Picks commands for a fault: `count` of those whose name matches, after letting `skip` pass. */
class CommandMatcher {
  private readonly match: RegExp | undefined;
  constructor(
    private remaining: number,
    private skip: number,
    match?: string,
  ) {
    this.match = match ? new RegExp(`^(?:${match})$`, 'i') : undefined;
  }
  test(name: string): boolean {
    if (this.remaining <= 0 || (this.match && !this.match.test(name))) return false;
    if (this.skip > 0) {
      this.skip--;
      return false;
    }
    this.remaining--;
    return true;
  }
}

/** Integer parameters with the firmware's error replies. */
class Params {
  constructor(private readonly args: string[]) {}
  req(i: number, min: number, max: number): number {
    const v = this.opt(i, min, max);
    if (v === undefined) throw new EbbError(4, 'Missing parameter(s)');
    return v;
  }
  opt(i: number, min: number, max: number): number | undefined {
    const raw = this.args[i];
    if (raw === undefined || raw === '') return undefined;
    if (!/^[+-]?\d+$/.test(raw)) throw new EbbError(6, 'Invalid parameter value');
    const v = Number(raw);
    if (v < min || v > max) throw new EbbError(6, 'Invalid parameter value');
    return v;
  }
  end(count: number): void {
    if (this.args.length > count) throw new EbbError(7, 'Extra parameter');
  }
}
