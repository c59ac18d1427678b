/**
 * One plot from a face's point of view (CLI `plot`/`resume`/`restart --now`, the app, `vfab
 * serve`): pick the device, claim the job and the device for this process (invariant 5), open
 * the EBB, run the plot, honour `vfab pause` requests, keep the camera's view of the paper (a
 * snapshot per event and the latest frame on disk for after a crash), and let everything go again,
 * whatever happens. The runner (runner.ts) does the plotting; this file only wires its edges.
 */
import fs from 'node:fs';
import { startPlotCamera } from '../camera/plot-camera';
import type { Engine } from '../engine';
import { VfabError } from '../errors';
import { jobFiles } from '../jobs/workspace';
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

export async function runPlotSession(engine: Engine, id: string, opts: PlotSessionOptions = {}): Promise<PlotSessionResult> {
  const speed = opts.speed && opts.speed > 0 ? opts.speed : 1;
  const target = await resolveDevice(opts.device ?? engine.config.device.port ?? null);
  const deviceName = target.kind === 'virtual' ? 'virtual' : (target.nickname ?? target.path);
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
