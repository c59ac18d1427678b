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
import type { Checkpoint, InterruptionReason } from '../jobs/checkpoint';
import type { JobState } from '../jobs/states';
import { penToLoad } from '../plan/pens';
import { MAX_STEP_RATE, MoveKind, programDuration, sourceOf } from '../plan/planner';
import { restOfStroke } from '../plan/resume';
import { mmText, stepsToMm, motorsHold } from './carriage';
import { armBoard } from './arm';
import { Checkpoints } from './checkpoints';
import type { Ebb, EbbCapabilities } from './ebb';
import { ebbCommand } from './lm';
import { PenControl } from './pen';
import { setUpPlot, type PlotRequest, type PlotSetup, type RunPlotContext } from './plot-setup';
import { PlotCarriage, PositionUnknownError } from './position';
import { countPausesUpTo, programMetrics } from './program-table';
import { StatusWatch } from './status-watch';
import { FIFO_DEPTH, MotionStream, WINDOW, WINDOW_MIN, WINDOW_MS } from './stream';
import { homeRate, travelHome } from './travel';

export type { RunPlotContext } from './plot-setup';
export type { Checkpoint } from '../jobs/checkpoint';

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
/** How long a lost or failing link may take to stop the board before the interruption is journaled. */
const STOP_BUDGET_MS = 5000;

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

/**
 * `signal.reason` values: 'abort' aborts (pen up, home, ABORTED), `{ shutdown }` is the signal
 * path (stop now, journal `emergency_shutdown`, the job stays PLOTTING), anything else pauses.
 */
export type StopRequest = 'pause' | 'abort' | { shutdown: string };

/** Moments a camera or a notifier may care about. */
export type PlotEvent =
  'start' | 'resume' | 'pause' | 'pen_change' | 'complete' | 'fail' | 'interrupt';

export interface RunPlotOptions extends PlotRequest {
  ebb: Ebb;
  capabilities: EbbCapabilities;
  /** Shown in the PLOTTING metadata (port path, `virtual`, nickname). */
  deviceName?: string;
  /**
   * The plotter by name and the port it was opened on, journaled with ARMED, PLOTTING and
   * recovery: which plotter holds this job's sheet is read from there (plotters/holders.ts).
   */
  plotter?: { name: string; port: string };
  /** More facts for the ARMED entry (the queue runner's: how the sheet was confirmed). */
  armedMetadata?: Record<string, unknown>;
  /** Its reason is a `StopRequest`. */
  signal?: AbortSignal;
  onEvent?: (event: PlotEvent) => void;
  onProgress?: (p: PlotProgress) => void;
  checkpointEveryMs?: number;
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

type StopWhy = 'pause' | 'abort' | 'shutdown' | 'power';

class Stop extends Error {
  constructor(readonly why: StopWhy) {
    super(why);
  }
}

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

/** Plots job `id` (READY, QUEUED, or a resume of PAUSED, PLOTTING, ARMED) and says how it ended. */
export async function runPlot(
  ctx: RunPlotContext,
  id: string,
  opts: RunPlotOptions,
): Promise<RunPlotResult> {
  return new PlotRun(ctx, id, opts, setUpPlot(ctx, id, opts)).run();
}

/** One plot from pre-flight to its end; its parts are the modules imported above. */
class PlotRun {
  private state: JobState;
  private readonly speedFactor: number;
  private readonly stream: MotionStream;
  private readonly checkpoints: Checkpoints;
  private readonly status: StatusWatch;
  private readonly pen: PenControl;
  private readonly carriage: PlotCarriage;
  private stopWhy: StopWhy | null = null;
  private shutdownSignal = 'SIGTERM';
  /** The resumed stroke's rest, re-planned from rest (a resume inside a stroke). */
  private rest: ReturnType<typeof restOfStroke> | undefined;
  private restExtraS = 0;

  constructor(
    private readonly ctx: RunPlotContext,
    private readonly id: string,
    private readonly opts: RunPlotOptions,
    private readonly s: PlotSetup,
  ) {
    this.state = s.state;
    this.speedFactor = opts.speedFactor && opts.speedFactor > 0 ? opts.speedFactor : 1;
    const { ebb } = opts;
    const caps = opts.capabilities;
    // Every 250 ms of plotter time, so a faster-than-life dry run re-inks no more after a crash.
    const everyMs =
      opts.checkpointEveryMs ?? Math.max(MIN_PERIOD_MS, CHECKPOINT_EVERY_MS / this.speedFactor);
    this.stream = new MotionStream(ebb, this.speedFactor, s.from);
    this.checkpoints = new Checkpoints(
      ctx.jobs,
      id,
      s.table,
      everyMs,
      s.resuming ? s.table.checkpointOf(s.from) : undefined,
    );
    this.status = new StatusWatch(
      ebb,
      caps,
      this.stream,
      Math.max(MIN_PERIOD_MS, STATUS_POLL_MS / this.speedFactor),
      s.from,
      {
        pausePressed: () => {
          if (this.stopWhy) return;
          this.stopWhy = 'pause';
          this.log('pause button pressed');
        },
        powerLost: () => {
          if (this.stopWhy !== 'shutdown') this.stopWhy = 'power';
        },
      },
    );
    this.pen = new PenControl(
      ebb,
      this.stream,
      s.program,
      s.plan.layers,
      s.profile,
      opts.device.pen_pos_down,
    );
    this.carriage = new PlotCarriage({
      ebb,
      caps,
      jobId: id,
      plotterName: opts.plotter?.name ?? opts.deviceName ?? 'plotter',
      stepsPerMm: s.program.stepsPerMm,
      model: opts.device.model,
      carriageFile: opts.carriageFile,
      carriageAtHome: opts.carriageAtHome,
    });
  }

  async run(): Promise<RunPlotResult> {
    // The watchdog below says the process was frozen; this says what the freeze did not break.
    this.opts.ebb.onStall = (ms, cmd) =>
      this.log(
        `the EBB's reply to ${cmd} was read ${ms} ms late, after a stall: waiting again instead of failing`,
      );
    const armed = await this.preflight();
    if ('state' in armed) return armed;
    this.begin(armed.firmware, armed.position);
    const watchdog = watchStalls((ms) =>
      this.ctx.logger.warning(
        `this process was frozen for ${ms} ms (an event-loop stall, a suspend or SIGSTOP); the plot carries on`,
        this.id,
      ),
    );
    try {
      return await this.draw();
    } catch (err) {
      if (err instanceof Stop) {
        if (err.why === 'pause' || err.why === 'abort') return this.stop(err.why);
        return this.interrupted(
          err.why === 'shutdown' ? 'signal_received' : 'plotter_power_lost',
          err,
        );
      }
      const e = this.stream.failure ?? (err as Error);
      return this.interrupted(MotionStream.linkLost(e) ? 'device_lost' : 'device_error', e);
    } finally {
      clearInterval(watchdog);
    }
  }

  private log(msg: string): void {
    this.ctx.logger.info(msg, this.id);
  }

  private get where(): Record<string, string> {
    const p = this.opts.plotter;
    return p ? { plotter: p.name, port: p.port } : {};
  }

  // ---- Pre-flight -------------------------------------------------------------------------

  /**
   * Arms the job and the board. A fresh plot that fails here is FAILED; a resume stays as it was.
   * How the carriage position is known: from the start, the step counters, or the user.
   */
  private async preflight(): Promise<
    { firmware: string; position: 'start' | 'counters' | 'home_confirmed' } | RunPlotResult
  > {
    const { ctx, id, opts, s } = this;
    const { ebb } = opts;
    const fresh = this.state === 'READY' || this.state === 'QUEUED';
    // ARMED means no motion was ever sent: the carriage is where a fresh plot starts it.
    const fromStart = !s.resuming || this.state === 'ARMED';
    // Before the job is armed: a plot that cannot know where the carriage is leaves the job as it was.
    if (fromStart) await this.carriage.known();
    if (this.state === 'READY') {
      ctx.jobs.transition(id, 'QUEUED', 'queued for plotting');
      this.state = 'QUEUED';
    }
    if (this.state === 'QUEUED') {
      ctx.jobs.transition(id, 'ARMED', 'pre-flight: preparing the plotter', {
        ...this.where,
        ...s.only,
        ...opts.armedMetadata,
      });
      this.state = 'ARMED';
    }
    let position: 'start' | 'counters' | 'home_confirmed' = 'start';
    try {
      const firmware = await armBoard(ebb, opts.capabilities, opts.device);
      if (!fromStart) {
        const lost = await this.carriage.lost(
          s.history,
          s.table.positionAt(s.history?.checkpoint?.move ?? -1),
          s.program.start,
        );
        if (lost && !opts.carriageAtHome) throw new PositionUnknownError(id, lost);
        position = lost ? 'home_confirmed' : 'counters';
        if (position === 'counters') await this.carriage.countersInTravel('resume');
      }
      if (position === 'start') await this.carriageToOrigin();
      // EM zeroes the step counters: only where the carriage is at the program's origin. It waits
      // for the pen lift first: queued behind the servo, it would hold the first moves back.
      if (position !== 'counters') {
        await this.stream.drain();
        await ebb.enableMotors(16);
      }
      await this.stream.drain();
      // From here the carriage leaves home for this job: said before it moves, so a crash leaves "away".
      this.carriage.leftAt();
      return { firmware, position };
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
        `Job '${id}' stays ${this.state}: ${reason}`,
      );
    }
  }

  /**
   * A fresh plot starts at the origin, and EM makes wherever the carriage is the origin. Engaged
   * motors with counters off zero mean an earlier plot left it there (paused or stopped mid-sheet):
   * the counters know where it is, so it travels home pen-up first. Released motors mean the
   * carriage stands where a person put it: at home, unless vfab left it away (PlotCarriage.known).
   */
  private async carriageToOrigin(): Promise<void> {
    const { ebb, capabilities } = this.opts;
    if (!(await motorsHold(ebb, capabilities))) return;
    const here = await ebb.querySteps();
    if (here.motor1 === 0 && here.motor2 === 0) return;
    this.log(
      `the carriage stands at ${mmText(stepsToMm([here.motor1, here.motor2], this.s.program.stepsPerMm))}, where an earlier plot left it: travelling home pen-up before starting`,
    );
    await this.goHome();
  }

  /** Journals the start (or the continuation) of the plotting itself. */
  private begin(firmware: string, position: 'start' | 'counters' | 'home_confirmed'): void {
    const { ctx, id, opts, s } = this;
    const { program: p, from } = s;
    // A resume inside a stroke draws the rest of it re-planned from rest, then the program after it.
    const restLayer = s.resuming ? sourceOf(p, Math.max(0, from))?.layer : undefined;
    this.rest =
      restLayer === undefined
        ? undefined
        : restOfStroke(p, from, s.plan.layers[restLayer]!, s.profile);
    const rest = this.rest;
    this.restExtraS = rest
      ? programDuration(rest.program, rest.first, rest.first + rest.count) -
        programDuration(p, from + 1, rest.next)
      : 0;
    const toStreamS = programDuration(p, from + 1) + this.restExtraS;
    const window = `${WINDOW_MIN}–${WINDOW} unacknowledged (${WINDOW_MS} ms) + FIFO ${FIFO_DEPTH} + 1 running`;
    const plottingMeta = {
      device: opts.deviceName ?? 'ebb',
      ...this.where,
      ...s.only,
      firmware,
      moves: p.length,
      estimate_s: Math.round(toStreamS * 10) / 10,
      in_flight_window: window,
      checkpoint: s.table.checkpointOf(from),
    };
    if (opts.recovery) {
      ctx.jobs.note(id, {
        type: 'recovery',
        from_state: this.state,
        to_state: this.state,
        reason: 'Crash recovery',
        metadata: {
          cause: s.history?.interruption?.reason ?? 'crash',
          checkpoint: s.table.checkpointOf(from),
          back_up_strokes: opts.backUpStrokes ?? 0,
          position,
          ...this.where,
        },
      });
    }
    if (this.state === 'ARMED')
      ctx.jobs.transition(
        id,
        'PLOTTING',
        s.resuming ? 'pre-flight passed, continuing' : 'pre-flight passed, plotting',
        plottingMeta,
      );
    else if (this.state === 'PAUSED')
      ctx.jobs.transition(id, 'PLOTTING', 'resume from checkpoint', plottingMeta);
    else
      this.log(
        `continuing interrupted plot from move ${from} (${position === 'counters' ? 'position from the step counters' : 'carriage confirmed at home'})`,
      );
    this.state = 'PLOTTING';
    opts.onEvent?.(s.resuming ? 'resume' : 'start');
  }

  // ---- Streaming --------------------------------------------------------------------------

  /** Streams the program from the resume point to a pause or the end. */
  private async draw(): Promise<RunPlotResult> {
    const started = Date.now();
    const { stream, pen, s } = this;
    const { program: p, from } = s;
    const n = p.length;
    const rest = this.rest;
    if (s.resuming) await this.travelToResume();
    let k = from + 1;
    const firstOfRun = k;
    /** Moves of the re-planned stroke sent; while some are left, k stays at the stroke's next original Draw. */
    let led = 0;
    while (k < n) {
      if (stream.failure) break;
      const stop = this.stopRequested();
      if (stop) throw new Stop(stop);
      const kind = p.kind[k] as MoveKind;
      if (kind === MoveKind.Pause) {
        if (k === firstOfRun) {
          k++; // the user just started or resumed: a pause before the first layer is moot
          continue;
        }
        return this.layerPause(k);
      }
      if (kind === MoveKind.Draw && !pen.down) {
        await pen.readyFor(k);
        if (!(await stream.room())) break;
        pen.lower();
      }
      if (kind === MoveKind.PenDown) await pen.readyFor(k);
      if (!(await stream.room())) break;
      // Before the move, not behind it: the reply then waits for one command fewer, so what a
      // power reading vouches for (and so the next checkpoint) lags the paper by one move less.
      this.status.poll();
      if (kind === MoveKind.PenDown) pen.down = true;
      else if (kind === MoveKind.PenUp) pen.down = false;
      if (rest && led < rest.count) {
        const r = rest.first + led++;
        stream.send(
          ebbCommand(rest.program, r)!,
          rest.move[r - rest.first]!,
          rest.program.duration[r]! * 1000,
        );
        if (led === rest.count) k = rest.next;
      } else {
        stream.send(ebbCommand(p, k)!, k, p.duration[k]! * 1000);
        k++;
      }
      this.checkpoints.at(this.status.safeMove(), false);
      this.progress();
    }
    if (stream.failure) throw stream.failure;
    return this.complete(started);
  }

  /** Pen up, travel to the checkpoint; the pen goes down at the next Draw. */
  private async travelToResume(): Promise<void> {
    const { ebb } = this.opts;
    const { program: p, profile, table, from } = this.s;
    const here = await ebb.querySteps();
    const target = table.positionAt(from);
    this.pen.raise();
    const d1 = target[0] - here.motor1,
      d2 = target[1] - here.motor2;
    if (d1 !== 0 || d2 !== 0) {
      const rate = Math.min(MAX_STEP_RATE * 0.8, profile.penUpSpeedMmS * p.stepsPerMm * 0.5);
      const ms = Math.max(1, Math.ceil((Math.max(Math.abs(d1), Math.abs(d2)) / rate) * 1000));
      this.stream.send(`SM,${ms},${d1},${d2}`, -1, ms);
    }
  }

  private stopRequested(): StopWhy | null {
    if (this.stopWhy) return this.stopWhy;
    const signal = this.opts.signal;
    if (!signal?.aborted) return null;
    const r = signal.reason as StopRequest;
    if (typeof r === 'object' && r !== null && 'shutdown' in r) {
      this.shutdownSignal = r.shutdown;
      return (this.stopWhy = 'shutdown');
    }
    return (this.stopWhy = r === 'abort' ? 'abort' : 'pause');
  }

  private progress(): void {
    const onProgress = this.opts.onProgress;
    if (!onProgress) return;
    const { table } = this.s;
    const move = this.stream.confirmedMove();
    const cp = table.checkpointOf(move);
    const doneS = table.doneS(move);
    // Inside the re-planned stroke, the time left counts its (slower, from rest) moves.
    const leadS = this.rest && move < this.rest.next - 1 ? this.restExtraS : 0;
    onProgress({
      move,
      moves: this.s.program.length,
      layer: cp.layer,
      path: cp.path,
      point: cp.point,
      fraction: table.totalS > 0 ? doneS / table.totalS : 1,
      etaS: table.totalS - doneS + leadS,
    });
  }

  /** Forces a checkpoint at the last safe move. */
  private checkpointNow(): Checkpoint | undefined {
    return this.checkpoints.at(this.status.safeMove(), true);
  }

  // ---- Ends: pause, completion, stop, interruption -----------------------------------------

  /** A layer's pause or pen change at move k: the job is PAUSED with what to do in its reason. */
  private async layerPause(k: number): Promise<RunPlotResult> {
    const { ctx, id, opts, s } = this;
    await this.settlePenUp();
    // The pause itself is passed once the job is PAUSED: resuming continues with the layer.
    this.stream.passed(k);
    this.status.powerOkMove = k;
    const cp = this.checkpointNow()!;
    // Numbered as in the plan (what `vfab info job` and the app list), also when --layer leaves some out.
    const pauseLayers = s.plan.layers
      .map((l) => ({ l, i: s.planned.indexOf(l) }))
      .filter((x) => x.l.pauseBefore);
    const layer = pauseLayers[countPausesUpTo(s.program, k) - 1];
    const what = layer?.l.pause === 'pen_change' ? 'pen change' : 'pause';
    const name = layer
      ? `${layer.i + 1} (${layer.l.name}${layer.l.pen !== null ? `, pen ${layer.l.pen}` : ''})`
      : '?';
    // The reason says what to do: every place that shows a paused job (CLI, app, held plotter) reads it.
    const reason = `${what} before layer ${name}${layer ? `: ${penToLoad(layer.l)}` : ''}`;
    // The step in numbers too, so the app says "Layer 2 of 3 · load pen 2 (black)" without parsing the reason.
    const step = layer
      ? { layer: layer.i, layers: s.planned.length, pen: layer.l.pen, load: penToLoad(layer.l) }
      : {};
    this.carriage.leftAt(cp.steps);
    ctx.jobs.transition(id, 'PAUSED', reason, {
      checkpoint: cp,
      kind: layer?.l.pause ?? 'layer_pause',
      ...step,
    });
    opts.onEvent?.(layer?.l.pause === 'pen_change' ? 'pen_change' : 'pause');
    this.progress();
    return { state: 'PAUSED', checkpoint: cp, reason };
  }

  private async complete(started: number): Promise<RunPlotResult> {
    const { ctx, id, opts, stream, pen } = this;
    if (pen.down) pen.raise();
    await pen.restore();
    await stream.drain();
    await this.powerCheck();
    const cp = this.checkpointNow();
    this.progress();
    await this.goHome();
    this.carriage.cameHome();
    // Journaled before the motors go off: a crash in between leaves a finished job, not a
    // PLOTTING one whose released carriage would need the user to confirm it is home.
    ctx.jobs.transition(id, 'COMPLETED', 'every stroke of the plan was drawn', {
      duration_s: Math.round((Date.now() - started) / 100) / 10,
      ...programMetrics(this.s.program),
      checkpoint: cp,
    });
    opts.onEvent?.('complete');
    try {
      await opts.ebb.disableMotors();
      await stream.drain();
    } catch (err) {
      ctx.logger.warning(
        `the drawing is complete, but the motors could not be switched off: ${(err as Error).message}`,
        id,
      );
    }
    return { state: 'COMPLETED', checkpoint: cp };
  }

  /** Before a pause or completion is journaled: were the motors powered all along? */
  private async powerCheck(): Promise<void> {
    if (!(await this.status.powered())) throw new Stop('power');
  }

  /** Before a pause is journaled: queued motion done, pen up, and the motors had power all along. */
  private async settlePenUp(): Promise<void> {
    await this.stream.drain();
    if (this.pen.down) {
      this.pen.raise();
      await this.stream.drain();
    }
    await this.powerCheck();
  }

  private async goHome(): Promise<void> {
    const { ebb, capabilities } = this.opts;
    const rate = homeRate(this.s.profile, this.s.program.stepsPerMm);
    if (await travelHome(ebb, capabilities, rate, this.speedFactor)) await this.stream.settle();
  }

  /** The user paused or aborted. */
  private async stop(why: 'pause' | 'abort'): Promise<RunPlotResult> {
    const { ctx, id, opts, stream } = this;
    try {
      if (why === 'abort') {
        await stream.acknowledgedOk();
        // ES drops the queued motion: only what acknowledgements confirmed has run for sure.
        const cp = this.checkpointNow();
        await opts.ebb.emergencyStop();
        await this.pen.raiseNow();
        await stream.settle();
        await this.goHome();
        this.carriage.cameHome();
        ctx.jobs.transition(id, 'ABORTED', 'the user aborted the plot', { checkpoint: cp });
        await opts.ebb.disableMotors().catch(() => {}); // the abort is journaled; motors stay on at worst
        return { state: 'ABORTED', checkpoint: cp };
      }
      await this.settlePenUp();
      const cp = this.checkpointNow()!;
      this.carriage.leftAt(cp.steps);
      ctx.jobs.transition(
        id,
        'PAUSED',
        opts.signal?.aborted ? 'pause requested' : 'pause button pressed',
        { checkpoint: cp },
      );
      opts.onEvent?.('pause');
      this.progress();
      return { state: 'PAUSED', checkpoint: cp };
    } catch (err) {
      if (err instanceof Stop) return this.interrupted('plotter_power_lost', err);
      const e = stream.failure ?? (err as Error);
      return this.interrupted(
        MotionStream.linkLost(e) ? 'device_lost' : 'device_error',
        new Error(`${why} failed: ${e.message}`),
      );
    }
  }

  /**
   * The job stays PLOTTING, resumable: stop the board as far as the link allows (bounded in time),
   * journal the last safe checkpoint and an `emergency_shutdown` naming the reason.
   */
  private async interrupted(reason: InterruptionReason, cause: Error): Promise<RunPlotResult> {
    const { ctx, id, opts, s } = this;
    if (!opts.ebb.closed && !MotionStream.linkLost(cause)) {
      let budget: NodeJS.Timeout | undefined;
      await Promise.race([
        this.stopBoard(reason).catch(() => {}),
        new Promise<void>((r) => {
          budget = setTimeout(
            r,
            reason === 'signal_received' ? SHUTDOWN_BUDGET_MS : STOP_BUDGET_MS,
          );
        }),
      ]);
      clearTimeout(budget);
    }
    const signal = this.shutdownSignal;
    const message =
      reason === 'signal_received'
        ? `stopped by ${signal}`
        : reason === 'plotter_power_lost'
          ? "the plotter's motor power was lost"
          : cause.message;
    let cp: Checkpoint | undefined;
    try {
      cp = this.checkpointNow();
      ctx.jobs.note(id, {
        type: 'emergency_shutdown',
        state: 'PLOTTING',
        reason,
        metadata: {
          ...(reason === 'signal_received' ? { signal } : { error: message }),
          checkpoint: cp ?? s.table.checkpointOf(s.from),
        },
      });
    } catch (jerr) {
      ctx.logger.error(`could not journal the interruption: ${(jerr as Error).message}`, id);
    }
    cp ??= this.checkpoints.last;
    const text = `plot interrupted at move ${cp?.move ?? s.from} of ${s.program.length}: ${message}`;
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
      ...(reason === 'signal_received' ? { signal } : {}),
    };
  }

  /** Over a live link: stop the motion, lift the pen, and learn what ran. */
  private async stopBoard(reason: InterruptionReason): Promise<void> {
    const { stream } = this;
    if (reason === 'device_error') {
      // Queued motion finishes; everything sent before the rejected command then ran.
      await stream.settle();
      stream.confirmBeforeFailure();
    } else {
      // The board reads ES only once it has taken our queued commands: wait for those.
      await stream.acknowledged();
      await this.opts.ebb.emergencyStop();
    }
    await this.pen.raiseNow();
    // What is confirmed now ran with power if the supply is still there.
    if (this.opts.capabilities.qc && reason !== 'plotter_power_lost') await this.status.readPower();
  }
}
