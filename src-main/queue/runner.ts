/**
 * The queue runner: plots QUEUED jobs in queue order, one job per plotter, on every plotter it is
 * given at once. One per process; the CLI (`vfab queue run`), `vfab serve` and the app drive it
 * and follow it through `subscribe`.
 *
 * Sheets. A plotter's sheet is used once a job reached PLOTTING on it. Before the first job on a
 * plotter in a run, and between two jobs on one plotter, the runner waits for a paper change: the
 * plotter's PRG button, `paperChanged()` (Enter in the CLI, the app's button), or unattended the
 * page delay. The confirmation is kept only in memory until the next job's ARMED entry journals
 * it (`sheet`, `paper_confirmed_by`): a runner that dies in between asks again. Nothing is drawn on
 * a used sheet; at worst a confirmation is asked twice.
 *
 * Crash safety. The runner's decisions are journaled in the jobs it touches (QUEUED → ARMED with
 * `plotter`, `port` and `sheet`, then the usual plot entries) and nowhere else. On start, and
 * whenever it opens a plotter, it looks in the journals for jobs interrupted on that plotter
 * (ARMED or PLOTTING, no live owner) and resumes them there first (`recovery`), never from the
 * start; an ARMED one never moved and starts like a fresh plot, on its own confirmed sheet. A
 * plotter whose sheet holds a PAUSED job (a pen change) is left to a person: the runner starts
 * nothing there. Device locks and job claims are those of any plot (jobs/owner.ts), so a
 * second runner or a `vfab plot` on the same plotter is kept apart, and of two runners racing for
 * a job the loser takes the next one.
 *
 * Ports. A plotter's port is open (and its device lock held) only while the runner has work for
 * it: from the paper wait through its jobs. Idle, holding or offline plotters are let go.
 */
import os from 'node:os';
import { createThrottle } from '../util/throttle';
import type { Engine } from '../engine';
import { VfabError } from '../errors';
import type { JobState } from '../jobs/states';
import { notifyOutcome } from '../notify/notifier';
import { plotOutcome } from '../notify/outcome';
import { holdersOf, sheetHolders, type SheetHolder } from '../plotters/holders';
import { plottersNamed, type PlotterSpec } from '../plotters/plotters';
import type { PlotEvent, PlotProgress, StopRequest } from '../plotter/runner';
import { PositionUnknownError } from '../plotter/position';
import {
  openPlotter,
  plotOnLink,
  type PlotSessionResult,
  type PlotterLink,
} from '../app/plot-session';
import type { PlotterState } from '../plotters/state';
import { assignQueue, eligibility, type PlotterFacts, type QueuedJob } from './eligibility';
import type {
  LeftJob,
  PaperConfirmation,
  PlotterSummary,
  RunnerEvent,
  RunnerStopReason,
} from './events';
import { waitForPaper } from './paper-wait';
import { QueueReader } from './queued';
import { afterJob, armedSheetMetadata, beforeNewJob, type SheetState } from './sheets';
import { readRunnerStatuses, removeRunnerStatus, writeRunnerStatus } from '../plotters/status-file';

/** How often the queue is looked at for new jobs, and stopped or held plotters checked again. */
const TICK_MS = 1000;
/** A plotter that could not be opened is tried again after this long, while there is work for it. */
const RETRY_MS = 3000;
/** A job another runner claimed is left alone this long before it is considered again. */
const CLAIMED_SKIP_MS = 5000;
const PROGRESS_MS = 250;
/** AxiDraw's page_delay default: seconds between pages when nobody changes them. */
export const DEFAULT_PAGE_DELAY_S = 15;
const BUTTON_POLL_MS = 100;

export interface QueueRunnerOptions {
  /** Plotters by name (config `devices:`), or ports and `virtual`; default: every plotter in the config. */
  plotters?: readonly string[];
  /** Speed factor for every plotter (a virtual one's `--speed`); default: each plotter's own. */
  speed?: number;
  /** Roll or feeder: no person changes the paper; `pageDelayS` seconds pass before each page instead. */
  unattended?: boolean;
  /** Seconds before each page when unattended; default DEFAULT_PAGE_DELAY_S. */
  pageDelayS?: number;
  /** Keep running when nothing is left, for jobs queued later (until `stop()` or a signal). */
  watch?: boolean;
  /**
   * Asked when an interrupted job's plotter lost the carriage position: resolve true once a
   * person put the carriage at home. Absent: that plotter is left alone, with the job held.
   */
  confirmHome?: (plotter: string, job: string, message: string) => Promise<boolean>;
}

export interface RunnerSummary {
  reason: RunnerStopReason;
  completed: string[];
  paused: string[];
  failed: string[];
  /** Stopped by their plotter (USB, power, an error reply), or left because the plotter lost the carriage position. */
  interrupted: string[];
  /** Queued jobs the run ended without, and why. */
  left: LeftJob[];
  /** Plotters that had work but could not be reached when the run ended. */
  offline: { plotter: string; reason: string }[];
}

export interface PlotterView {
  plotter: PlotterSummary;
  state: PlotterState;
}

interface Lane {
  spec: PlotterSpec;
  state: PlotterState;
  link?: PlotterLink;
  sheet: SheetState;
  confirmedBy?: PaperConfirmation;
  /** What the lane is doing now (connecting, waiting for paper, plotting, letting go); one at a time. */
  task?: Promise<void>;
  plotCtl?: AbortController;
  waitCtl?: AbortController;
  confirm?: (how: PaperConfirmation) => void;
  /** Jobs interrupted on its sheet, to continue before anything else. */
  resume: SheetHolder[];
  /** When an offline or holding plotter is looked at again. */
  retryAt: number;
}

type Stopping = null | 'finish' | 'pause' | { signal: string };

const isoNow = () => new Date().toISOString();
const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;

export class QueueRunner {
  private readonly lanes: Lane[];
  private readonly listeners = new Set<(e: RunnerEvent) => void>();
  private readonly reader: QueueReader;
  private readonly skip = new Map<string, { until: number | null; reason: string }>();
  private readonly summary: Omit<RunnerSummary, 'reason' | 'left' | 'offline'> = {
    completed: [],
    paused: [],
    failed: [],
    interrupted: [],
  };
  private readonly progress = createThrottle<{ job: string; progress: PlotProgress }>(
    PROGRESS_MS,
    (plotter, p) => this.emit({ type: 'plot.progress', at: isoNow(), plotter, ...p }),
  );
  private stopping: Stopping = null;
  private started = false;
  private ready = false;
  private ending = false;
  private kicked = false;
  private timer?: NodeJS.Timeout;
  private readonly since = isoNow();
  private resolveDone!: (s: RunnerSummary) => void;
  private readonly done = new Promise<RunnerSummary>((r) => (this.resolveDone = r));

  constructor(
    private readonly engine: Engine,
    private readonly opts: QueueRunnerOptions = {},
  ) {
    this.lanes = plottersNamed(engine.config, opts.plotters ?? []).map((spec) => ({
      spec: opts.speed ? { ...spec, speed: opts.speed } : spec,
      state: { kind: 'idle' },
      sheet: 'unknown',
      resume: [],
      retryAt: 0,
    }));
    const names = this.lanes.map((l) => l.spec.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice) throw new VfabError('USAGE', `Plotter '${twice}' is named twice.`);
    this.reader = new QueueReader(engine.store, engine.paths.jobsDir);
  }

  /** Every event of the run, in order; returns the function that ends the subscription. */
  subscribe(listener: (e: RunnerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Each plotter of the run and what it does now. */
  plotters(): PlotterView[] {
    return this.lanes.map((l) => ({ plotter: summaryOf(l.spec), state: l.state }));
  }

  /** Plotters waiting for a person to change the paper. */
  waitingForPaper(): string[] {
    return this.lanes.filter((l) => l.state.kind === 'waiting_paper').map((l) => l.spec.name);
  }

  /** A person changed the paper on `plotter` (all plotters waiting, when absent): returns those it confirmed. */
  paperChanged(
    plotter?: string,
    how: Extract<PaperConfirmation, 'enter' | 'app'> = 'app',
  ): string[] {
    const lanes = this.lanes.filter(
      (l) => l.confirm && (plotter === undefined || l.spec.name === plotter),
    );
    for (const l of lanes) l.confirm!(how);
    return lanes.map((l) => l.spec.name);
  }

  /** Runs until nothing is left that its plotters can take (or `stop()`, or a signal); resolves with what it did. */
  run(): Promise<RunnerSummary> {
    if (this.started) return this.done;
    this.started = true;
    this.engine.jobs.assertWritable();
    readRunnerStatuses(this.engine.paths.dataDir, { prune: true });
    this.emit({
      type: 'runner.started',
      at: isoNow(),
      plotters: this.lanes.map((l) => summaryOf(l.spec)),
      unattended: Boolean(this.opts.unattended),
    });
    this.engine.logger.info(
      `queue runner started on ${this.lanes.map((l) => l.spec.name).join(', ')}${this.opts.unattended ? `, unattended (page delay ${this.pageDelayS()} s)` : ''}`,
    );
    const holders = this.holders();
    for (const l of this.lanes) this.takeHolders(l, holders);
    this.ready = true;
    this.timer = setInterval(() => this.kick(), TICK_MS);
    this.kick();
    return this.done;
  }

  /**
   * 'finish': start nothing new and let the jobs under way finish; 'pause': pause them now
   * (pen up, PAUSED: each plotter then holds its job). Resolves when the run has ended.
   */
  stop(mode: 'finish' | 'pause' = 'finish'): Promise<RunnerSummary> {
    if (!this.started)
      return Promise.resolve({ reason: 'stopped', ...this.summary, left: [], offline: [] });
    if (this.stopping === null || (mode === 'pause' && this.stopping === 'finish'))
      this.stopping = mode;
    if (mode === 'pause')
      for (const l of this.lanes) l.plotCtl?.abort('pause' satisfies StopRequest);
    this.kick();
    return this.done;
  }

  /** The signal path: every plot stops now (pen up, emergency_shutdown journaled, jobs stay PLOTTING). */
  shutdown(signal: string): Promise<RunnerSummary> {
    if (!this.started)
      return Promise.resolve({ reason: 'signal', ...this.summary, left: [], offline: [] });
    this.stopping = { signal };
    for (const l of this.lanes) l.plotCtl?.abort({ shutdown: signal } satisfies StopRequest);
    this.kick();
    return this.done;
  }

  // ---- Scheduling -------------------------------------------------------------------------

  private kick(): void {
    if (this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      try {
        this.schedule();
      } catch (err) {
        this.engine.logger.error(`queue runner: ${(err as Error).message}`);
      }
    });
  }

  private schedule(): void {
    if (!this.ready || this.ending) return;
    if (this.stopping) {
      for (const l of this.lanes) l.waitCtl?.abort();
      if (this.lanes.every((l) => !l.task)) this.end();
      return;
    }
    const now = Date.now();
    const queue = this.reader.read();
    this.pruneSkips(queue, now);
    const taken = new Set<string>();
    // Which job each plotter waiting for paper names as its next: different ones, as they will
    // likely go, yet a plotter ready first still takes the queue's head (`taken` only). Every
    // plotter already waiting counts, listed before or after the one choosing now: the first to
    // wait names the head, the next one the job after it.
    const promised = new Set(
      this.lanes.flatMap((l) => (l.task && l.state.kind === 'waiting_paper' ? [l.state.next] : [])),
    );
    for (const l of this.lanes) {
      if (l.state.kind === 'holding') {
        if (!l.task && now >= l.retryAt) this.recheckHolding(l);
        continue;
      }
      const mine = queue.filter(
        (j) => !taken.has(j.id) && !this.skip.has(j.id) && eligibility(j, facts(l.spec)).ok,
      );
      if (l.task) {
        if (l.state.kind === 'waiting_paper' && !mine.length && !l.resume.length)
          l.waitCtl?.abort();
        continue;
      }
      if (l.state.kind === 'offline' && now < l.retryAt) {
        // Nothing for it any more: it is not tried again, and not reported offline.
        if (!mine.length && !l.resume.length) this.setState(l, { kind: 'idle' });
        continue;
      }
      if (l.resume.length) {
        this.start(l, l.link ? this.resumeNext(l) : this.attach(l));
        continue;
      }
      if (!mine.length) {
        if (l.link) this.start(l, this.detach(l, { kind: 'idle' }));
        continue;
      }
      if (!l.link) this.start(l, this.attach(l));
      else if (beforeNewJob(l.sheet) === 'plot') {
        taken.add(mine[0]!.id);
        this.start(l, this.plotJob(l, mine[0]!.id));
      } else {
        const next = (mine.find((j) => !promised.has(j.id)) ?? mine[0]!).id;
        promised.add(next);
        this.start(l, this.waitPaper(l, next));
      }
    }
    if (!this.opts.watch && this.lanes.every((l) => !l.task)) this.end();
  }

  private start(l: Lane, task: Promise<void>): void {
    l.task = task
      .catch((err: unknown) =>
        this.engine.logger.error(
          `queue runner: plotter ${l.spec.name}: ${(err as Error)?.message ?? String(err)}`,
        ),
      )
      .finally(() => {
        l.task = undefined;
        this.kick();
      });
  }

  private pruneSkips(queue: readonly QueuedJob[], now: number): void {
    const queued = new Set(queue.map((j) => j.id));
    for (const [id, s] of this.skip)
      if (!queued.has(id) || (s.until !== null && s.until <= now)) this.skip.delete(id);
  }

  // ---- What each plotter's sheet holds ---------------------------------------------------

  private holders(): SheetHolder[] {
    return sheetHolders(this.engine.store, {
      jobsDir: this.engine.paths.jobsDir,
      stuckAfterS: this.engine.config.recovery.stuck_after_s,
    });
  }

  private knownNames(): string[] {
    return plottersNamed(this.engine.config, []).map((p) => p.name);
  }

  /**
   * Jobs interrupted on its sheet are continued first; a paused one holds the plotter for a
   * person; one another process plots there now makes it in use (tried again later).
   */
  private takeHolders(l: Lane, all: readonly SheetHolder[]): void {
    const mine = holdersOf(all, l.spec, this.knownNames(), l.link?.port).filter(
      (h) => !l.resume.some((r) => r.id === h.id),
    );
    const live = mine.find((h) => h.kind !== 'interrupted');
    if (live) {
      l.resume = [];
      l.retryAt = Date.now() + RETRY_MS;
      this.setState(l, {
        kind: 'offline',
        reason: `in use by vfab (pid ${live.owner?.owner.pid ?? '?'}), plotting job ${live.id}`,
      });
      return;
    }
    const paused = mine.find((h) => h.cause === 'paused');
    if (paused) {
      this.hold(
        l,
        paused.id,
        paused.state,
        `paused (${paused.detail ?? 'paused'}): vfab resume ${paused.id}`,
      );
      return;
    }
    l.resume.push(...mine.sort((a, b) => (a.since ?? '').localeCompare(b.since ?? '')));
  }

  private hold(l: Lane, job: string, state: JobState, why: string): void {
    l.resume = [];
    l.retryAt = Date.now() + TICK_MS * 3;
    this.setState(l, { kind: 'holding', job, state, why });
    this.engine.logger.warning(
      `queue runner: plotter ${l.spec.name} holds this job (${state}): ${why}; nothing else is started there`,
      job,
    );
  }

  /** A held job that is finished (or taken out) frees its plotter, whose sheet is then unknown. */
  private recheckHolding(l: Lane): void {
    const h = l.state.kind === 'holding' ? l.state : undefined;
    if (!h) return;
    const still = holdersOf(this.holders(), l.spec, this.knownNames()).some((x) => x.id === h.job);
    if (still) {
      l.retryAt = Date.now() + TICK_MS * 3;
      return;
    }
    l.sheet = 'unknown';
    this.setState(l, { kind: 'idle' });
  }

  // ---- Tasks ------------------------------------------------------------------------------

  private async attach(l: Lane): Promise<void> {
    this.setState(l, { kind: 'connecting' });
    try {
      l.link = await openPlotter(this.engine, l.spec);
    } catch (err) {
      l.retryAt = Date.now() + RETRY_MS;
      const reason = (err as Error).message;
      if (l.state.kind !== 'offline' || l.state.reason !== reason)
        this.engine.logger.warning(`queue runner: plotter ${l.spec.name} is offline: ${reason}`);
      this.setState(l, { kind: 'offline', reason });
      return;
    }
    // Nobody else could plot on it while it was let go? Another process may have: look again.
    l.sheet = 'unknown';
    this.setState(l, { kind: 'idle' });
    this.takeHolders(l, this.holders());
    if (l.state.kind === 'holding' || l.state.kind === 'offline') await this.detach(l);
  }

  /** Closes its port and lets its device lock go (another process may then plot there: the sheet is unknown); `next`: its state then. */
  private async detach(l: Lane, next?: PlotterState): Promise<void> {
    const link = l.link;
    l.link = undefined;
    l.sheet = 'unknown';
    l.confirmedBy = undefined;
    await link?.close();
    if (next) this.setState(l, next);
  }

  private pageDelayS(): number {
    return this.opts.pageDelayS ?? DEFAULT_PAGE_DELAY_S;
  }

  private async waitPaper(l: Lane, next: string): Promise<void> {
    const link = l.link!;
    const how = this.opts.unattended ? 'page_delay' : 'person';
    const ctl = new AbortController();
    l.waitCtl = ctl;
    const confirmed = new Promise<PaperConfirmation>((resolve) => (l.confirm = resolve));
    this.setState(l, { kind: 'waiting_paper', next, how, since: isoNow() });
    this.emit({
      type: 'paper.waiting',
      at: isoNow(),
      plotter: l.spec.name,
      next,
      how,
      ...(how === 'page_delay' ? { delayS: this.pageDelayS() } : {}),
    });
    if (how === 'person')
      notifyOutcome(
        this.engine,
        plotOutcome('waiting_for_paper', {
          job: next,
          plotter: l.spec.name,
          reason: 'change the sheet, then press the PRG button or confirm it',
        }),
      );
    let result: PaperConfirmation | null;
    try {
      result = await waitForPaper({
        ...(how === 'person' ? { ebb: link.conn.ebb } : { pageDelayMs: this.pageDelayS() * 1000 }),
        confirmed,
        signal: ctl.signal,
        pollMs: BUTTON_POLL_MS,
      });
    } catch (err) {
      await this.lost(l, err);
      return;
    } finally {
      l.waitCtl = undefined;
      l.confirm = undefined;
    }
    if (result === null) {
      this.setState(l, { kind: 'idle' });
      return;
    }
    l.sheet = 'fresh';
    l.confirmedBy = result;
    this.emit({ type: 'paper.changed', at: isoNow(), plotter: l.spec.name, how: result });
    if (result !== 'page_delay')
      this.engine.logger.info(
        `queue runner: plotter ${l.spec.name}: paper changed (${CONFIRMED_BY[result]})`,
      );
    this.setState(l, { kind: 'idle' });
  }

  /** The plotter stopped answering: let it go, and try again later while there is work for it. */
  private async lost(l: Lane, err: unknown): Promise<void> {
    const reason = `stopped answering: ${(err as Error)?.message ?? String(err)}`;
    this.engine.logger.warning(`queue runner: plotter ${l.spec.name} ${reason}`);
    l.retryAt = Date.now() + RETRY_MS;
    await this.detach(l, { kind: 'offline', reason });
  }

  private async plotJob(l: Lane, id: string): Promise<void> {
    const link = l.link!;
    const sheet = l.confirmedBy!;
    this.setState(l, { kind: 'plotting', job: id, resumed: false, fraction: 0 });
    try {
      // A plotter unplugged since the paper change would fail the job's pre-flight: look first.
      await link.conn.ebb.version();
    } catch (err) {
      await this.lost(l, err);
      return;
    }
    if (this.stopping) {
      this.setState(l, { kind: 'idle' });
      return;
    }
    const confirmHome = this.opts.confirmHome;
    await this.runJob(
      l,
      id,
      {
        onlyQueued: true,
        armedMetadata: armedSheetMetadata(sheet),
        ...(confirmHome ? { confirmHome: (m: string) => confirmHome(l.spec.name, id, m) } : {}),
      },
      sheet,
    );
  }

  private async resumeNext(l: Lane): Promise<void> {
    const h = l.resume.shift()!;
    if (this.stopping) return;
    this.setState(l, { kind: 'plotting', job: h.id, resumed: true, fraction: 0 });
    this.engine.logger.info(
      `queue runner: continuing on plotter ${l.spec.name}, where it was interrupted (${h.cause ?? 'crash'})`,
      h.id,
    );
    const confirmHome = this.opts.confirmHome;
    await this.runJob(
      l,
      h.id,
      {
        recovery: true,
        ...(confirmHome ? { confirmHome: (m: string) => confirmHome(l.spec.name, h.id, m) } : {}),
      },
      'same',
    );
  }

  /** One job on an open plotter, from claim to outcome; the plotter's next state follows from the outcome. */
  private async runJob(
    l: Lane,
    id: string,
    extra: {
      onlyQueued?: boolean;
      armedMetadata?: Record<string, unknown>;
      recovery?: boolean;
      confirmHome?: (m: string) => Promise<boolean>;
    },
    sheet: PaperConfirmation | 'same',
  ): Promise<void> {
    const link = l.link!;
    const t0 = Date.now();
    const ctl = new AbortController();
    l.plotCtl = ctl;
    if (this.stopping === 'pause') ctl.abort('pause' satisfies StopRequest);
    else if (this.stopping && typeof this.stopping === 'object')
      ctl.abort({ shutdown: this.stopping.signal } satisfies StopRequest);
    let reached = false;
    const onEvent = (e: PlotEvent) => {
      if (e !== 'start' && e !== 'resume') return;
      reached = true;
      l.sheet = afterJob(l.sheet, true);
      this.emit({
        type: 'job.started',
        at: isoNow(),
        plotter: l.spec.name,
        job: id,
        resumed: sheet === 'same',
        sheet,
      });
      this.engine.logger.info(
        `queue runner: ${sheet === 'same' ? 'continues' : 'started'} on plotter ${l.spec.name}${sheet === 'same' ? ' from its checkpoint' : ` (sheet confirmed by ${CONFIRMED_BY[sheet]})`}`,
        id,
      );
    };
    const onProgress = (progress: PlotProgress) => {
      if (l.state.kind === 'plotting') l.state = { ...l.state, fraction: progress.fraction };
      this.progress.push(l.spec.name, { job: id, progress });
    };
    let result: PlotSessionResult;
    try {
      result = await plotOnLink(this.engine, link, id, {
        signal: ctl.signal,
        onEvent,
        onProgress,
        ...extra,
      });
    } catch (err) {
      await this.notRun(l, id, err, t0, sheet === 'same');
      return;
    } finally {
      l.plotCtl = undefined;
      this.progress.flush(l.spec.name);
      this.progress.end(l.spec.name);
    }
    l.sheet = afterJob(l.sheet, reached);
    const end = {
      at: isoNow(),
      plotter: l.spec.name,
      job: id,
      durationS: seconds(t0),
      ...(result.snapshot ? { snapshot: result.snapshot } : {}),
    };
    switch (result.state) {
      case 'COMPLETED':
        this.summary.completed.push(id);
        this.emit({ type: 'job.completed', ...end, state: 'COMPLETED' });
        this.engine.logger.info(
          `queue runner: COMPLETED on plotter ${l.spec.name} in ${end.durationS} s`,
          id,
        );
        this.setState(l, { kind: 'idle' });
        break;
      case 'PAUSED': {
        this.summary.paused.push(id);
        const reason = this.engine.jobs.detail(id).indexed?.last_reason ?? 'paused';
        this.emit({ type: 'job.paused', ...end, state: 'PAUSED', reason });
        this.hold(l, id, 'PAUSED', `${reason}: vfab resume ${id}`);
        await this.detach(l);
        return;
      }
      case 'FAILED':
      case 'ABORTED': {
        this.summary.failed.push(id);
        const error = result.error ?? (result.state === 'ABORTED' ? 'aborted' : 'failed');
        this.emit({ type: 'job.failed', ...end, state: result.state, error });
        this.engine.logger.error(
          `queue runner: ${result.state} on plotter ${l.spec.name}: ${error}`,
          id,
        );
        this.setState(l, { kind: 'idle' });
        break;
      }
      case 'PLOTTING':
        this.emit({
          type: 'job.interrupted',
          ...end,
          state: 'PLOTTING',
          reason: result.reason,
          error: result.error,
        });
        if (result.reason === 'signal_received') {
          this.setState(l, { kind: 'idle' });
          break;
        }
        this.summary.interrupted.push(id);
        this.hold(
          l,
          id,
          'PLOTTING',
          `interrupted (${result.error}); the next 'vfab queue run' or 'vfab resume ${id}' continues it`,
        );
        await this.detach(l);
        return;
    }
    if (link.conn.ebb.closed) await this.lost(l, new Error('the port closed'));
  }

  /**
   * The job did not run: another process took it (left alone a moment), or it cannot run here
   * (left alone for this run). One that was to continue on its own sheet keeps the plotter held:
   * nothing else may be drawn over it.
   */
  private async notRun(
    l: Lane,
    id: string,
    err: unknown,
    t0: number,
    onItsSheet: boolean,
  ): Promise<void> {
    const message = (err as Error)?.message ?? String(err);
    const state = this.stateOf(id);
    if (
      err instanceof PositionUnknownError ||
      (onItsSheet && !(err instanceof VfabError && err.code === 'BUSY'))
    ) {
      (err instanceof PositionUnknownError ? this.summary.interrupted : this.summary.failed).push(
        id,
      );
      // A new job the carriage's unknown place kept from starting is not tried again in this run.
      if (!onItsSheet) this.skip.set(id, { until: null, reason: message });
      this.hold(l, id, state ?? 'PLOTTING', message);
      await this.detach(l);
      return;
    }
    if (err instanceof VfabError && err.code === 'BUSY') {
      this.skip.set(id, { until: Date.now() + CLAIMED_SKIP_MS, reason: message });
      this.setState(l, { kind: 'idle' });
      return;
    }
    this.skip.set(id, { until: null, reason: message });
    this.summary.failed.push(id);
    this.emit({
      type: 'job.failed',
      at: isoNow(),
      plotter: l.spec.name,
      job: id,
      state: state ?? 'QUEUED',
      durationS: seconds(t0),
      error: message,
    });
    // The plot's own failure notice (plot/session.ts) is the ERROR line; this says what the runner does.
    this.engine.logger.warning(
      `queue runner: left this job, it could not start on plotter ${l.spec.name}: ${message}`,
      id,
    );
    if (l.link?.conn.ebb.closed) await this.lost(l, err);
    else this.setState(l, { kind: 'idle' });
  }

  private stateOf(id: string): JobState | undefined {
    try {
      return this.engine.jobs.state(id);
    } catch {
      return undefined;
    }
  }

  // ---- Events and the end ------------------------------------------------------------------

  private setState(l: Lane, state: PlotterState): void {
    l.state = state;
    this.emit({ type: 'plotter.state', at: isoNow(), plotter: l.spec.name, state });
    if (!this.ending) {
      writeRunnerStatus(this.engine.paths.dataDir, {
        pid: process.pid,
        host: os.hostname(),
        since: this.since,
        plotters: Object.fromEntries(this.lanes.map((x) => [x.spec.name, x.state])),
      });
    }
  }

  private emit(e: RunnerEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(e);
      } catch (err) {
        this.engine.logger.error(
          `queue runner: an event listener failed: ${(err as Error)?.message ?? String(err)}`,
        );
      }
    }
  }

  private end(): void {
    if (this.ending) return;
    this.ending = true;
    clearInterval(this.timer);
    const reason: RunnerStopReason =
      this.stopping === null ? 'done' : typeof this.stopping === 'object' ? 'signal' : 'stopped';
    void (async () => {
      await Promise.all(this.lanes.map((l) => l.link?.close()));
      for (const l of this.lanes) l.link = undefined;
      removeRunnerStatus(this.engine.paths.dataDir);
      const left = this.leftJobs();
      const offline = this.lanes.flatMap((l) =>
        l.state.kind === 'offline' ? [{ plotter: l.spec.name, reason: l.state.reason }] : [],
      );
      this.emit({ type: 'runner.stopped', at: isoNow(), reason, left });
      this.engine.logger.info(
        `queue runner stopped (${reason}): ${this.summary.completed.length} completed${left.length ? `, ${left.length} left in the queue` : ''}`,
      );
      this.resolveDone({ reason, ...this.summary, left, offline });
    })();
  }

  /** Why each job still queued was not plotted. */
  private leftJobs(): LeftJob[] {
    const queue = this.reader.read();
    const slots = this.lanes.map((l) => {
      const s = l.state;
      const why =
        s.kind === 'holding'
          ? `holds job ${s.job} (${s.why})`
          : s.kind === 'offline'
            ? `offline: ${s.reason}`
            : undefined;
      return { plotter: facts(l.spec), freeInS: why ? null : 0, ...(why ? { why } : {}) };
    });
    const assigned = new Map(assignQueue(queue, slots).map((a) => [a.job, a]));
    return queue.map((j) => {
      const skipped = this.skip.get(j.id);
      const a = assigned.get(j.id);
      return {
        job: j.id,
        reason:
          skipped?.reason ??
          a?.reason ??
          (this.stopping ? 'the runner was stopped' : 'not started'),
      };
    });
  }
}

const CONFIRMED_BY: Record<PaperConfirmation, string> = {
  button: "the plotter's PRG button",
  enter: 'Enter',
  app: "the app's paper-changed button",
  page_delay: 'page delay',
};

function facts(p: PlotterSpec): PlotterFacts {
  return { name: p.name, model: p.model, sheet: p.sheet };
}

function summaryOf(p: PlotterSpec): PlotterSummary {
  return { name: p.name, port: p.port, model: p.model, paper: p.sheet?.spec ?? null };
}

/** The process's queue runner (the CLI, serve and the app each run one). */
export function createQueueRunner(engine: Engine, opts: QueueRunnerOptions = {}): QueueRunner {
  return new QueueRunner(engine, opts);
}
