/**
 * One plot from a face's point of view (CLI `plot`/`resume`/`restart --now`, the app, `vfab
 * serve`): pick the device, claim the job and the device for this process (invariant 5), open
 * the EBB, run the plot, honour `vfab pause` requests, keep the camera's view of the paper (a
 * snapshot per event and the latest frame on disk for after a crash), let everything go again,
 * whatever happens, and tell how the plot ended. The runner (runner.ts) does the plotting; this
 * file only wires its edges.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startPlotCamera } from '../camera/plot-camera';
import { listSnapshots } from '../camera/snapshots';
import type { Engine } from '../engine';
import { VfabError } from '../errors';
import type { JobState } from '../jobs/states';
import { jobFiles } from '../jobs/workspace';
import { notifyOutcome } from '../notify/notifier';
import { outcomeOfResult, plotOutcome, type OutcomeKind } from '../notify/outcome';
import { motionProfile } from '../plan/motion';
import { claimPlot } from '../recovery/owner';
import { openEbb, resolveDevice } from './devices';
import { PositionUnknownError, runPlot, type PlotEvent, type PlotProgress, type RunPlotResult, type StopRequest } from './runner';
import { runVirtualPlotter, type VirtualPlotterHandle } from './virtual/main';

const PAUSE_POLL_MS = 250;

/** `vfab pause` asks the process plotting a job to pause by creating this file in the job folder. */
export function pauseRequestFile(jobsDir: string, id: string): string {
  return `${jobFiles(jobsDir, id).dir}/pause.request`;
}

export interface PlotSessionOptions {
  /** AxiDraw nickname, port path or 'virtual'; default: config `device.port`, else the first AxiDraw. */
  device?: string | null;
  /** How many times faster than real time the plotter runs: a virtual one (ours, or `vfab virtual-plotter --speed`). */
  speed?: number;
  /** Its reason is a `StopRequest` (pause, abort, or the signal path). */
  signal?: AbortSignal;
  onProgress?: (p: PlotProgress) => void;
  onEvent?: (e: PlotEvent) => void;
  /** Told once the device is open: its name, and the paper file of a virtual plotter. */
  onDevice?: (d: { name: string; paperFile?: string }) => void;
  recovery?: boolean;
  backUpStrokes?: number;
  carriageAtHome?: boolean;
  /** Asked when the plotter lost its position; true once the user has put the carriage home. */
  confirmHome?: (message: string) => Promise<boolean>;
}

export type PlotSessionResult = RunPlotResult & { device: string };

/** What a session learns on the way, for the outcome it reports at the end. */
interface SessionMarks {
  device?: string;
  /** When motion began ('start' or 'resume') and when the plot ended ('complete', 'fail', 'interrupt'). */
  plottingFrom?: number;
  plottingTo?: number;
}

const ENDINGS: readonly PlotEvent[] = ['complete', 'fail', 'interrupt'];

/**
 * Runs the plot and tells how it ended (notify/notifier.ts): each session reports exactly one
 * outcome, from its result or its error, after the camera has saved its last picture. A plot this
 * process never got hold of (BUSY: another one plots the job or holds the plotter) tells nothing.
 */
export async function runPlotSession(engine: Engine, id: string, opts: PlotSessionOptions = {}): Promise<PlotSessionResult> {
  const since = Date.now();
  const marks: SessionMarks = {};
  const tell = (kind: OutcomeKind, state: JobState | null, reason?: string) => {
    const from = marks.plottingFrom;
    notifyOutcome(
      engine,
      plotOutcome(kind, {
        job: id,
        plotter: marks.device ?? opts.device ?? engine.config.device.port ?? null,
        state,
        duration_s: from === undefined ? null : Math.round(((marks.plottingTo ?? Date.now()) - from) / 100) / 10,
        snapshot: lastSnapshot(jobFiles(engine.paths.jobsDir, id).snapshots, since),
        ...(reason ? { reason } : {}),
      }),
    );
  };
  let result: PlotSessionResult;
  try {
    result = await plotSession(engine, id, opts, marks);
  } catch (err) {
    if (!(err instanceof VfabError && err.code === 'BUSY')) tell('failed', currentState(engine, id), (err as Error)?.message ?? String(err));
    throw err;
  }
  const outcome = outcomeOfResult(result);
  if (outcome) tell(outcome.kind, result.state, outcome.reason);
  return result;
}

function currentState(engine: Engine, id: string): JobState | null {
  try {
    return engine.jobs.state(id);
  } catch {
    return null;
  }
}

/** The newest picture the camera took since `since`: an event's own, else the rolling latest.jpg. */
function lastSnapshot(dir: string, since: number): string | null {
  let taken;
  try {
    taken = listSnapshots(dir).filter((s) => Date.parse(s.takenAt) >= since);
  } catch {
    return null; // an unreadable folder: the outcome goes out without a picture
  }
  const pick = taken.findLast((s) => s.kind !== 'latest') ?? taken.at(-1);
  return pick ? path.join(dir, pick.name) : null;
}

async function plotSession(engine: Engine, id: string, opts: PlotSessionOptions, marks: SessionMarks): Promise<PlotSessionResult> {
  const speed = opts.speed && opts.speed > 0 ? opts.speed : 1;
  const target = await resolveDevice(opts.device ?? engine.config.device.port ?? null);
  const deviceName = target.kind === 'virtual' ? 'virtual' : (target.nickname ?? target.path);
  marks.device = deviceName;
  const files = jobFiles(engine.paths.jobsDir, id);
  // A virtual plotter lives in this process: nobody else can reach it, so it needs no device lock.
  const claim = claimPlot({ jobDir: files.dir, dataDir: engine.paths.dataDir, job: id, device: target.kind === 'virtual' ? `virtual-${process.pid}` : target.path });
  const ctl = new AbortController();
  const forward = () => ctl.abort(opts.signal?.reason as StopRequest);
  if (opts.signal?.aborted) forward();
  opts.signal?.addEventListener('abort', forward, { once: true });
  const request = pauseRequestFile(engine.paths.jobsDir, id);
  fs.rmSync(request, { force: true });
  const watcher = setInterval(() => {
    if (!ctl.signal.aborted && fs.existsSync(request)) ctl.abort('pause' satisfies StopRequest);
  }, PAUSE_POLL_MS);
  let virtual: VirtualPlotterHandle | undefined;
  // Never throws and never waits on a dead camera: the plot does not depend on it.
  const camera = startPlotCamera({ camera: engine.config.camera, jobsDir: engine.paths.jobsDir, jobId: id, logger: engine.logger });
  const onEvent = (e: PlotEvent) => {
    if (e === 'start' || e === 'resume') marks.plottingFrom ??= Date.now();
    else if (ENDINGS.includes(e)) marks.plottingTo = Date.now();
    void camera.event(e);
    opts.onEvent?.(e);
  };
  try {
    let portPath: string;
    if (target.kind === 'virtual') {
      virtual = await runVirtualPlotter({ speed }).catch((err: Error) => {
        throw new VfabError('NOT_FOUND', `Cannot start the virtual plotter: ${err.message}`);
      });
      portPath = virtual.portPath;
    } else {
      portPath = target.path;
    }
    const conn = await openEbb(portPath);
    try {
      opts.onDevice?.({ name: deviceName, ...(virtual ? { paperFile: virtual.paperFile } : {}) });
      const run = (carriageAtHome: boolean) =>
        runPlot({ jobs: engine.jobs, logger: engine.logger, jobsDir: engine.paths.jobsDir }, id, {
          ebb: conn.ebb,
          capabilities: conn.capabilities,
          profile: motionProfile(engine.config.device),
          device: engine.config.device,
          deviceName,
          signal: ctl.signal,
          speedFactor: speed,
          ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
          onEvent,
          ...(opts.recovery ? { recovery: true } : {}),
          ...(opts.backUpStrokes ? { backUpStrokes: opts.backUpStrokes } : {}),
          carriageAtHome,
        });
      try {
        return { ...(await run(Boolean(opts.carriageAtHome))), device: deviceName };
      } catch (err) {
        if (!(err instanceof PositionUnknownError) || !opts.confirmHome || !(await opts.confirmHome(err.message))) throw err;
        return { ...(await run(true)), device: deviceName };
      }
    } finally {
      await conn.close();
    }
  } finally {
    clearInterval(watcher);
    fs.rmSync(request, { force: true });
    opts.signal?.removeEventListener('abort', forward);
    if (virtual) await virtual.stop();
    await camera.stop();
    claim.release();
  }
}
