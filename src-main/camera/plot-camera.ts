/**
 * The camera's part in a plot: a picture at each job event, and a rolling `latest.jpg` so that
 * after a crash (even SIGKILL) the recovery wizard shows the last view of the paper.
 *
 *   const cam = startPlotCamera({ camera: config.camera, jobsDir, jobId, logger });
 *   await cam.event('start');     // -> '<jobsDir>/<id>/snapshots/20261126T010203-start.jpg' | undefined
 *   ...                           // 'pause' | 'pen_change' | 'resume' | 'complete' | 'fail' | 'interrupt'
 *   await cam.stop();             // always, in a finally: stops the refresh and frees the camera
 *
 * Files, all in `<jobsDir>/<id>/snapshots/`, each written atomically (temp file + rename):
 *   <YYYYMMDDTHHMMSS>-<kind>.jpg   one per event, local time (`-2`, `-3` added on a clash)
 *   latest.jpg                     refreshed every camera.snapshot_interval_s seconds (at least 1 s)
 *                                  while a new frame exists, also at the first frame and each event
 *
 * Guarantees for the plot: nothing here throws; event() resolves within about `frameWaitMs`
 * (1.5 s) plus one file write, to undefined when the camera is disabled, absent, broken or slow;
 * file writes are asynchronous (no fsync on the plot's event loop); each kind of failure is
 * logged once per plot as a warning naming the job, never per frame or per event. Disabled
 * (camera.enabled false or camera.mode disabled) is not a failure: one DEBUG line, no warnings.
 * The camera connection is shared with every other user in the process (sharedCameraClient).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { VfabConfig } from '../config/config';
import { jobFiles } from '../jobs/workspace';
import type { Logger } from '../log';
import { sharedCameraClient, type CameraClient, type CameraFrame } from './client';
import { writeFileAtomicAsync } from './file';
import { cameraSource } from './settings';
import { snapshotFile } from './snapshots';

export const PLOT_CAMERA_EVENTS = [
  'start',
  'pause',
  'pen_change',
  'resume',
  'complete',
  'fail',
  'interrupt',
] as const;
export type PlotCameraEvent = (typeof PLOT_CAMERA_EVENTS)[number];

export interface PlotCameraOptions {
  camera: VfabConfig['camera'];
  jobsDir: string;
  jobId: string;
  logger: Pick<Logger, 'debug' | 'info' | 'warning'>;
  /** The process's shared client for camera.url unless given (tests, or an app holding its own). */
  client?: CameraClient;
  /** How long an event waits for a frame when the latest one is not fresh. Default 1500 ms. */
  frameWaitMs?: number;
}

export interface PlotCamera {
  /** False when the config disables the camera: every event resolves to undefined at once. */
  readonly enabled: boolean;
  /** `<jobsDir>/<id>/snapshots` (made at the first write). */
  readonly dir: string;
  /** Saves the current frame as `<localtime>-<kind>.jpg`; resolves to its path, or undefined without one. Never rejects. */
  event(kind: PlotCameraEvent): Promise<string | undefined>;
  /** Stops the latest.jpg refresh, waits for writes in progress, releases the camera. Never rejects. */
  stop(): Promise<void>;
}

/** A frame older than this does not show the moment of the event; wait for the next one. */
const EVENT_FRESH_MS = 1_000;

const inert = (dir: string): PlotCamera => ({
  enabled: false,
  dir,
  event: async () => undefined,
  stop: async () => undefined,
});

export function startPlotCamera(opts: PlotCameraOptions): PlotCamera {
  const dir = jobFiles(opts.jobsDir, opts.jobId).snapshots;
  try {
    return start(opts, dir);
  } catch (err) {
    // Nothing expected throws here; if something does, the plot goes on without a camera.
    opts.logger.warning(
      `camera: not used for this plot: ${(err as Error)?.message ?? String(err)}`,
      opts.jobId,
    );
    return inert(dir);
  }
}

function start(opts: PlotCameraOptions, dir: string): PlotCamera {
  const { jobId, logger } = opts;
  const source = cameraSource(opts.camera);
  if (!source.enabled) {
    logger.debug(`camera: ${source.reason}; no snapshots for this plot`, jobId);
    return inert(dir);
  }

  const client = opts.client ?? sharedCameraClient(source.url, logger, source.service);
  const frameWaitMs = opts.frameWaitMs ?? 1_500;
  const intervalMs = Math.max(1, opts.camera.snapshot_interval_s) * 1000;
  const latestFile = path.join(dir, 'latest.jpg');
  const release = client.acquire();
  const warned = new Set<string>();
  let stopped = false;
  let lastWritten: CameraFrame | undefined;
  let latestBusy = false;
  /** Writes run one at a time, so latest.jpg never goes back to an older frame. */
  let chain: Promise<unknown> = Promise.resolve();

  const warnOnce = (key: string, msg: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    logger.warning(msg, jobId);
  };

  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn);
    chain = run.catch(() => undefined);
    return run;
  };

  const write = async (file: string, frame: CameraFrame) => {
    await fs.promises.mkdir(dir, { recursive: true });
    await writeFileAtomicAsync(file, frame.jpeg);
  };

  const writeLatest = (frame: CameraFrame): Promise<void> => {
    if (latestBusy || frame === lastWritten) return Promise.resolve();
    latestBusy = true;
    return serial(async () => {
      // An event may have written a newer frame while this one waited its turn.
      if (lastWritten && lastWritten.at > frame.at) return;
      await write(latestFile, frame);
      lastWritten = frame;
    })
      .catch((err: unknown) =>
        warnOnce(
          'latest',
          `camera: could not write ${latestFile}: ${(err as Error).message}; the recovery view may be stale`,
        ),
      )
      .finally(() => {
        latestBusy = false;
      });
  };

  // The first frame is saved at once: a crash before the first interval still leaves a view.
  const offFirst = client.onFrame((frame) => {
    offFirst();
    void writeLatest(frame);
  });
  const timer = setInterval(() => {
    const frame = client.latest();
    if (frame) void writeLatest(frame);
  }, intervalMs);
  // The refresh alone must never keep a finished plot's process alive.
  timer.unref();

  const inflight = new Set<Promise<string | undefined>>();

  const snapshot = async (kind: PlotCameraEvent): Promise<string | undefined> => {
    if (!PLOT_CAMERA_EVENTS.includes(kind)) {
      warnOnce(`kind:${String(kind)}`, `camera: unknown snapshot event '${String(kind)}' ignored`);
      return undefined;
    }
    try {
      const at = new Date();
      let frame = client.latest();
      if (!frame || Date.now() - frame.at > EVENT_FRESH_MS)
        frame = await client.nextFrame(frameWaitMs);
      if (!frame) {
        const why =
          client.status().lastError ??
          `no frame from ${client.status().url} within ${frameWaitMs} ms`;
        warnOnce(
          'frame',
          `camera: no ${kind} snapshot (${why}); the plot goes on without snapshots until the camera answers`,
        );
        return undefined;
      }
      const got = frame;
      const file = await serial(async () => {
        const target = snapshotFile(dir, at, kind);
        await write(target, got);
        return target;
      });
      logger.info(`camera snapshot ${path.basename(file)}`, jobId);
      // The event's frame is the most recent view: it refreshes latest.jpg too.
      if (!lastWritten || lastWritten.at < got.at) void writeLatest(got);
      return file;
    } catch (err) {
      warnOnce(
        'event',
        `camera: could not save the ${kind} snapshot in ${dir}: ${(err as Error)?.message ?? String(err)}`,
      );
      return undefined;
    }
  };

  return {
    enabled: true,
    dir,
    event(kind) {
      if (stopped) return Promise.resolve(undefined);
      const run = snapshot(kind);
      inflight.add(run);
      void run.finally(() => inflight.delete(run));
      return run;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      offFirst();
      // Events already asked for still get their picture; then the queue drains.
      await Promise.all([...inflight]);
      await chain.catch(() => undefined);
      release();
    },
  };
}
