/**
 * One plot from a face's point of view (CLI `plot`/`resume`/`restart --now`, the app, `vfab
 * serve`), in two parts the queue runner also uses on their own:
 *  - `openPlotter`: find the plotter, claim its device for this process (invariant 5) and open
 *    the EBB (or start the virtual plotter); held for one plot, or by a queue runner across many;
 *  - `plotOnLink`: claim the job, run the plot, honour `vfab pause` requests, keep the camera's
 *    view of the paper (a snapshot per event and the latest frame on disk for after a crash), let
 *    the job go again, whatever happens, and tell how the plot ended (notify/notifier.ts).
 * The runner (runner.ts) does the plotting; this file only wires its edges.
 */
import fs from 'node:fs';
import { startPlotCamera } from '../camera/plot-camera';
import type { Engine } from '../engine';
import { VfabError } from '../errors';
import type { JobState } from '../jobs/states';
import { jobFiles } from '../jobs/workspace';
import { notifyOutcome } from '../notify/notifier';
import type { OutcomeKind } from '../config/config';
import { outcomeOfResult, plotOutcome } from '../notify/outcome';
import { motionProfile } from '../plan/motion';
import { jobPlotterMark } from '../plotters/holders';
import { configuredPlotters, plotterFor, type PlotterSpec } from '../plotters/plotters';
import { claimDevice, claimJob, type DeviceClaim } from '../jobs/owner';
import { CAUSE_TEXT, classifyJob } from '../recovery/classify';
import { STEPS_PER_MM } from '../plan/planner';
import { carriageFile, mmText, readCarriage, stepsToMm } from '../plotter/carriage';
import { openEbb, resolveDevice, VIRTUAL_DEVICE, type EbbConnection } from '../plotter/devices';
import { PositionUnknownError } from '../plotter/position';
import {
  runPlot,
  type PlotEvent,
  type PlotProgress,
  type RunPlotResult,
  type StopRequest,
} from '../plotter/runner';
import { runVirtualPlotter, type VirtualPlotterHandle } from '../plotter/virtual/main';

const PAUSE_POLL_MS = 250;

/** `vfab pause` asks the process plotting a job to pause by creating this file in the job folder. */
export function pauseRequestFile(jobsDir: string, id: string): string {
  return `${jobFiles(jobsDir, id).dir}/pause.request`;
}

/** An open plotter this process holds: its device lock, its EBB. */
export interface PlotterLink {
  plotter: PlotterSpec;
  /** The port opened: a path, or `virtual` for the simulator in this process. */
  port: string;
  /** Nickname or path, or `virtual`: how journals and messages name the device. */
  deviceName: string;
  /** The name of the device lock (`<data>/locks/device-<lock>.owner`). */
  lock: string;
  conn: EbbConnection;
  /** The paper file of a virtual plotter started in this process. */
  paperFile?: string;
  /** Where vfab left the carriage (carriage.ts); none for a virtual plotter of this process, born at home. */
  carriageFile?: string;
  claim: DeviceClaim;
  /** Closes the port (stops the simulator) and releases the device. Never rejects. */
  close(): Promise<void>;
}

/**
 * Claims the plotter's device and opens it. BUSY when another live process holds the device;
 * NOT_FOUND when the plotter is not there. `speed`: how many times faster than real time a
 * virtual plotter runs (default: the plotter's own `speed`).
 */
export async function openPlotter(
  engine: Engine,
  plotter: PlotterSpec,
  opts: { speed?: number } = {},
): Promise<PlotterLink> {
  const target = await resolveDevice(plotter.port);
  const speed = opts.speed ?? plotter.speed;
  // A virtual plotter lives in this process: nobody else can reach it, so its lock only names it.
  const lock = target.kind === 'virtual' ? `virtual-${process.pid}-${plotter.name}` : target.path;
  const claim = claimDevice({ dataDir: engine.paths.dataDir, device: lock });
  let virtual: VirtualPlotterHandle | undefined;
  try {
    if (target.kind === 'virtual') {
      virtual = await runVirtualPlotter({ speed }).catch((err: Error) => {
        throw new VfabError('NOT_FOUND', `Cannot start the virtual plotter: ${err.message}`);
      });
    }
    const conn = await openEbb(virtual ? virtual.portPath : (target as { path: string }).path);
    const spec = speed === plotter.speed ? plotter : { ...plotter, speed };
    let closed = false;
    return {
      plotter: spec,
      port: virtual ? VIRTUAL_DEVICE : (target as { path: string }).path,
      deviceName: target.kind === 'virtual' ? VIRTUAL_DEVICE : (target.nickname ?? target.path),
      lock,
      conn,
      ...(virtual
        ? { paperFile: virtual.paperFile }
        : { carriageFile: carriageFile(engine.paths.dataDir, lock) }),
      claim,
      async close() {
        if (closed) return;
        closed = true;
        await conn.close().catch(() => {});
        if (virtual) await virtual.stop().catch(() => {});
        claim.release();
      },
    };
  } catch (err) {
    if (virtual) await virtual.stop().catch(() => {});
    claim.release();
    throw err;
  }
}

export interface PlotJobOptions {
  /** Its reason is a `StopRequest` (pause, abort, or the signal path). */
  signal?: AbortSignal;
  onProgress?: (p: PlotProgress) => void;
  onEvent?: (e: PlotEvent) => void;
  recovery?: boolean;
  backUpStrokes?: number;
  carriageAtHome?: boolean;
  /** Asked when the plotter lost its position; true once the user has put the carriage home. */
  confirmHome?: (message: string) => Promise<boolean>;
  /** More facts for the job's ARMED entry. */
  armedMetadata?: Record<string, unknown>;
  /** Only a QUEUED job (the queue runner's pick): BUSY when another process took it meanwhile. */
  onlyQueued?: boolean;
  /** Only the layers numbered this (`vfab plot --layer N`). */
  layerOnly?: number;
}

export type PlotSessionResult = RunPlotResult & {
  device: string;
  plotter: string;
  /** The camera's last snapshot of this plot, when there is one. */
  snapshot?: string;
};

const ENDINGS: readonly PlotEvent[] = ['complete', 'fail', 'interrupt'];

function currentState(engine: Engine, id: string): JobState | null {
  try {
    return engine.jobs.state(id);
  } catch {
    return null;
  }
}

/**
 * Plots job `id` on an open plotter: claims the job for this process for as long as it runs. Each
 * plot tells exactly one outcome, from its result or its error, after the camera has saved its
 * last picture; a job this process never got hold of (BUSY: another one plots it) tells nothing.
 */
export async function plotOnLink(
  engine: Engine,
  link: PlotterLink,
  id: string,
  opts: PlotJobOptions = {},
): Promise<PlotSessionResult> {
  if (link.carriageFile) refuseHeldCarriageAt(engine, link.carriageFile, link.plotter.name, id);
  const files = jobFiles(engine.paths.jobsDir, id);
  const claim = claimJob({ jobDir: files.dir, job: id, device: link.lock });
  /** When motion began ('start' or 'resume') and when the plot ended. */
  let plottingFrom: number | undefined;
  let plottingTo: number | undefined;
  const tell = (
    kind: OutcomeKind,
    state: JobState | null,
    snapshot: string | undefined,
    reason?: string,
  ) =>
    notifyOutcome(
      engine,
      plotOutcome(kind, {
        job: id,
        plotter: link.plotter.name,
        state,
        duration_s:
          plottingFrom === undefined
            ? null
            : Math.round(((plottingTo ?? Date.now()) - plottingFrom) / 100) / 10,
        snapshot: snapshot ?? null,
        ...(reason ? { reason } : {}),
      }),
    );
  link.claim.setJob(id);
  const ctl = new AbortController();
  const forward = () => ctl.abort(opts.signal?.reason as StopRequest);
  if (opts.signal?.aborted) forward();
  opts.signal?.addEventListener('abort', forward, { once: true });
  const request = pauseRequestFile(engine.paths.jobsDir, id);
  fs.rmSync(request, { force: true });
  const watcher = setInterval(() => {
    if (!ctl.signal.aborted && fs.existsSync(request)) ctl.abort('pause' satisfies StopRequest);
  }, PAUSE_POLL_MS);
  // Never throws and never waits on a dead camera: the plot does not depend on it.
  const camera = startPlotCamera({
    camera: link.plotter.camera,
    jobsDir: engine.paths.jobsDir,
    jobId: id,
    logger: engine.logger,
  });
  let snapshot: Promise<string | undefined> = Promise.resolve(undefined);
  const onEvent = (e: PlotEvent) => {
    if (e === 'start' || e === 'resume') plottingFrom ??= Date.now();
    else if (ENDINGS.includes(e)) plottingTo = Date.now();
    const shot = camera.event(e);
    const before = snapshot;
    snapshot = shot.then(async (file) => file ?? (await before));
    opts.onEvent?.(e);
  };
  const named = { device: link.deviceName, plotter: link.plotter.name };
  try {
    const run = (carriageAtHome: boolean) =>
      runPlot({ jobs: engine.jobs, logger: engine.logger, jobsDir: engine.paths.jobsDir }, id, {
        ebb: link.conn.ebb,
        capabilities: link.conn.capabilities,
        profile: motionProfile(link.plotter.device),
        device: link.plotter.device,
        deviceName: link.deviceName,
        plotter: { name: link.plotter.name, port: link.port },
        signal: ctl.signal,
        speedFactor: link.plotter.speed,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        onEvent,
        ...(opts.recovery ? { recovery: true } : {}),
        ...(opts.backUpStrokes ? { backUpStrokes: opts.backUpStrokes } : {}),
        ...(opts.armedMetadata ? { armedMetadata: opts.armedMetadata } : {}),
        ...(opts.onlyQueued ? { onlyQueued: true } : {}),
        ...(opts.layerOnly !== undefined ? { layerOnly: opts.layerOnly } : {}),
        carriageAtHome,
        ...(link.carriageFile ? { carriageFile: link.carriageFile } : {}),
      });
    let result: RunPlotResult;
    try {
      result = await run(Boolean(opts.carriageAtHome));
    } catch (err) {
      if (
        !(err instanceof PositionUnknownError) ||
        !opts.confirmHome ||
        !(await opts.confirmHome(err.message))
      )
        throw err;
      result = await run(true);
    }
    const shot = await snapshot;
    const outcome = outcomeOfResult(result);
    if (outcome) tell(outcome.kind, result.state, shot, outcome.reason);
    return { ...result, ...named, ...(shot ? { snapshot: shot } : {}) };
  } catch (err) {
    if (!(err instanceof VfabError && err.code === 'BUSY'))
      tell(
        'failed',
        currentState(engine, id),
        await snapshot,
        (err as Error)?.message ?? String(err),
      );
    throw err;
  } finally {
    clearInterval(watcher);
    fs.rmSync(request, { force: true });
    opts.signal?.removeEventListener('abort', forward);
    await camera.stop();
    link.claim.setJob('');
    claim.release();
  }
}

export interface PlotSessionOptions extends PlotJobOptions {
  /**
   * A plotter's name (config `devices:`), or an AxiDraw nickname, port path or 'virtual'. Default:
   * the plotter the job's journal names (a paused or interrupted job), else the first plotter.
   */
  device?: string | null;
  /** How many times faster than real time the plotter runs: a virtual one (ours, or `vfab virtual-plotter --speed`). Default: the plotter's `speed`. */
  speed?: number;
  /** Told once the device is open: its name, and the paper file of a virtual plotter. */
  onDevice?: (d: { name: string; paperFile?: string }) => void;
}

/** The plotter for one plot: the one asked for, else where the job's sheet is, else the first. */
export function plotterForJob(
  engine: Engine,
  id: string,
  request: string | null | undefined,
): PlotterSpec {
  if (request) return plotterFor(engine.config, request);
  const mark = jobPlotterMark(engine.paths.jobsDir, id);
  const known = configuredPlotters(engine.config).some((p) => p.name === mark?.plotter)
    ? mark?.plotter
    : undefined;
  return plotterFor(engine.config, known ?? mark?.port ?? mark?.device ?? null);
}

/**
 * A job that left the carriage away from home and still waits on its sheet (paused, interrupted)
 * is named before another job starts there: the person chooses to resume it, send the carriage
 * home, or cancel it. Nothing is refused once that job is finished, restarted or removed: the
 * pre-flight then travels home from the counters, or asks for the carriage to be put home.
 */
function refuseHeldCarriageAt(engine: Engine, file: string, plotter: string, id: string): void {
  const record = readCarriage(file);
  if (record?.where !== 'away' || record.job === id) return;
  const held = classifyJob(record.job, {
    jobsDir: engine.paths.jobsDir,
    stuckAfterS: engine.config.recovery.stuck_after_s,
  });
  if (!held) return;
  const why =
    held.cause === 'paused'
      ? `PAUSED: ${held.detail ?? 'paused'}`
      : `interrupted: ${CAUSE_TEXT[held.cause ?? 'crash']}`;
  const at = record.steps ? ` at ${mmText(stepsToMm(record.steps, STEPS_PER_MM))}` : '';
  throw new VfabError(
    'INVALID_STATE',
    `Plotter '${plotter}' holds job '${record.job}' (${why}) with its carriage away from home${at}; job '${id}' was not started. ` +
      `Choose one: resume '${record.job}' (vfab resume ${record.job}); or send the carriage home, pen up (vfab home ${plotter}), then plot '${id}' on that sheet; ` +
      `or cancel '${record.job}' (vfab restart ${record.job} plots it again later from the start, vfab remove job ${record.job} drops it).`,
  );
}

/**
 * `refuseHeldCarriageAt` before the plotter is opened (the API starts plots in the background: the
 * refusal is then the reply). A plotter that cannot be found is left for the plot to report.
 */
export async function refuseHeldCarriage(
  engine: Engine,
  plotter: PlotterSpec,
  id: string,
): Promise<void> {
  const target = await resolveDevice(plotter.port).catch(() => undefined);
  if (target && target.kind !== 'virtual')
    refuseHeldCarriageAt(engine, carriageFile(engine.paths.dataDir, target.path), plotter.name, id);
}

export async function runPlotSession(
  engine: Engine,
  id: string,
  opts: PlotSessionOptions = {},
): Promise<PlotSessionResult> {
  const plotter = plotterForJob(engine, id, opts.device);
  const link = await openPlotter(
    engine,
    plotter,
    opts.speed && opts.speed > 0 ? { speed: opts.speed } : {},
  );
  try {
    opts.onDevice?.({
      name: link.deviceName,
      ...(link.paperFile ? { paperFile: link.paperFile } : {}),
    });
    return await plotOnLink(engine, link, id, opts);
  } finally {
    await link.close();
  }
}
