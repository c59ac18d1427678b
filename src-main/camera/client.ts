/**
 * The camera client: the main process's one consumer of the upstream MJPEG URL, shared by every
 * viewer (relay.ts), the plot's snapshots (plot-camera.ts) and anything else in the process.
 *
 *   const client = createCameraClient({ url, logger });   // or sharedCameraClient(url, logger)
 *   const release = client.acquire();   // connects (and keeps reconnecting) while acquired
 *   const off = client.onFrame((f) => ...);   // every frame as it arrives; keep it short
 *   client.latest(); client.status(); await client.nextFrame(1500);
 *   off(); release();                    // the last release disconnects
 *
 * Memory: only the latest frame is kept. Frames are pushed to listeners synchronously and never
 * queued, so a slow consumer loses frames instead of growing a queue (the relay drops frames for
 * a slow viewer itself). Reconnects back off from `initialMs` doubling to `maxMs` and reset when
 * frames flow again. Failures are logged once per outage (per distinct message), never per
 * attempt or per frame; the recovery is logged once too.
 */
import type { Logger } from '../log';
import {
  CameraError,
  openMjpegStream,
  redactUrl,
  type CameraFrame,
  type StreamHandle,
} from './stream';

export type { CameraFrame } from './stream';

export type CameraLogger = Pick<Logger, 'info' | 'warning'>;

export interface CameraClientOptions {
  url: string;
  logger?: CameraLogger;
  backoff?: { initialMs?: number; maxMs?: number };
  idleTimeoutMs?: number;
  maxPartBytes?: number;
  /** config camera.motion_service, for hints in messages. */
  service?: string;
}

export type CameraState = 'idle' | 'connecting' | 'streaming' | 'waiting';

export interface CameraStatus {
  url: string;
  /** idle: nobody acquired it; waiting: between reconnect attempts. */
  state: CameraState;
  /** Frames received since the client was made. */
  frames: number;
  /** Over the last (up to) 30 frames of the last 5 s; undefined with fewer than two. */
  fps?: number;
  width?: number;
  height?: number;
  /** Date.now() of the latest frame. */
  lastFrameAt?: number;
  /** The latest failure, cleared when frames flow again. */
  lastError?: string;
  /** Connection attempts made (the first one included). */
  connects: number;
  /** Parts that were not JPEG images, skipped. */
  badParts: number;
}

export interface CameraClient {
  readonly url: string;
  /** Keeps the connection up until the returned function is called (idempotent). */
  acquire(): () => void;
  latest(): CameraFrame | undefined;
  /** Listener for each new frame; returns the unsubscribe function. Listener errors are caught and logged once. */
  onFrame(listener: (frame: CameraFrame) => void): () => void;
  /**
   * The next frame to arrive within `timeoutMs` (acquiring the client meanwhile), else undefined;
   * undefined at once when the camera is known to be down (between reconnect attempts) or as
   * soon as the connection attempt fails, so callers never sit out the timeout for a dead camera.
   */
  nextFrame(timeoutMs: number): Promise<CameraFrame | undefined>;
  status(): CameraStatus;
  /** Disconnects and drops every listener and acquirer. */
  close(): void;
}

const FPS_WINDOW = 30;
const FPS_MAX_AGE_MS = 5_000;
/** A connection streaming this long is healthy again: backoff and outage warnings reset. */
const STABLE_MS = 2_000;

export function createCameraClient(opts: CameraClientOptions): CameraClient {
  const { url, logger } = opts;
  const initialMs = Math.max(1, opts.backoff?.initialMs ?? 500);
  const maxMs = Math.max(initialMs, opts.backoff?.maxMs ?? 10_000);
  const shown = redactUrl(url);

  const listeners = new Set<(frame: CameraFrame) => void>();
  const failureListeners = new Set<() => void>();
  let holders = 0;
  /** Bumped by close(): releases handed out before it become no-ops. */
  let generation = 0;
  let stream: StreamHandle | undefined;
  let retry: NodeJS.Timeout | undefined;
  let attempt = 0;
  let state: CameraState = 'idle';
  let latest: CameraFrame | undefined;
  let frames = 0;
  let connects = 0;
  let badParts = 0;
  let lastError: string | undefined;
  const times: number[] = [];
  /** Connection failures already logged in this outage; cleared once a connection is stable. */
  const outage = new Set<string>();
  /** Other warnings (bad parts, failing listeners): once for the client's life. */
  const once = new Set<string>();
  /** When the current connection delivered its first frame. */
  let firstFrameAt: number | undefined;

  const warn = (set: Set<string>, msg: string) => {
    if (set.has(msg)) return;
    set.add(msg);
    logger?.warning(msg);
  };

  const connect = () => {
    retry = undefined;
    state = 'connecting';
    connects++;
    firstFrameAt = undefined;
    stream = openMjpegStream(
      url,
      {
        onFrame: (frame) => {
          state = 'streaming';
          firstFrameAt ??= frame.at;
          // Only a connection that has kept streaming ends an outage: a camera that sends one
          // frame and hangs up must not reset the backoff or log "again" on every cycle.
          if (frame.at - firstFrameAt >= STABLE_MS) {
            attempt = 0;
            if (outage.size > 0)
              logger?.info(`camera at ${shown} streaming again (${frame.width}x${frame.height})`);
            outage.clear();
          }
          lastError = undefined;
          frames++;
          latest = frame;
          times.push(frame.at);
          if (times.length > FPS_WINDOW) times.shift();
          for (const l of [...listeners]) {
            try {
              l(frame);
            } catch (err) {
              warn(once, `camera frame listener failed: ${(err as Error)?.message ?? String(err)}`);
            }
          }
        },
        onBadPart: (err) => {
          badParts++;
          warn(once, err.message);
        },
        onClose: (err) => {
          stream = undefined;
          if (!err || holders === 0) {
            state = 'idle';
            return;
          }
          lastError = err.message;
          warn(outage, err.message);
          scheduleRetry();
          for (const l of [...failureListeners]) l();
        },
      },
      { idleTimeoutMs: opts.idleTimeoutMs, maxPartBytes: opts.maxPartBytes, service: opts.service },
    );
  };

  const scheduleRetry = () => {
    state = 'waiting';
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
    attempt++;
    // +-20 % jitter so several vfab processes do not knock on Motion in lockstep.
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    retry = setTimeout(connect, delay);
    retry.unref();
  };

  const disconnect = () => {
    if (retry) clearTimeout(retry);
    retry = undefined;
    const s = stream;
    stream = undefined;
    s?.close();
    state = 'idle';
    attempt = 0;
  };

  const acquire = () => {
    holders++;
    if (holders === 1 && !stream && !retry) connect();
    let released = false;
    const mine = generation;
    return () => {
      // A holder from before close() has nothing left to release.
      if (released || mine !== generation) return;
      released = true;
      holders--;
      if (holders === 0) disconnect();
    };
  };

  const onFrame = (listener: (frame: CameraFrame) => void) => {
    // Wrapped so the same function can subscribe twice and each unsubscribe removes its own.
    const entry = (frame: CameraFrame) => listener(frame);
    listeners.add(entry);
    return () => {
      listeners.delete(entry);
    };
  };

  const status = (): CameraStatus => {
    const now = Date.now();
    const recent = times.filter((t) => now - t <= FPS_MAX_AGE_MS);
    const span = recent.length >= 2 ? recent[recent.length - 1]! - recent[0]! : 0;
    return {
      url: shown,
      state,
      frames,
      fps: span > 0 ? ((recent.length - 1) * 1000) / span : undefined,
      width: latest?.width,
      height: latest?.height,
      lastFrameAt: latest?.at,
      lastError,
      connects,
      badParts,
    };
  };

  return {
    url,
    acquire,
    latest: () => latest,
    onFrame,
    nextFrame: (timeoutMs) =>
      new Promise((resolve) => {
        if (state === 'waiting') return resolve(undefined);
        const release = acquire();
        const done = (frame: CameraFrame | undefined) => {
          clearTimeout(timer);
          off();
          failureListeners.delete(failed);
          release();
          resolve(frame);
        };
        const failed = () => done(undefined);
        failureListeners.add(failed);
        const off = onFrame((f) => done(f));
        // Not unref'd: a caller awaiting a snapshot at the end of a plot must not see the process
        // exit under it; the wait is bounded by timeoutMs.
        const timer = setTimeout(() => done(undefined), Math.max(0, timeoutMs));
      }),
    status,
    close: () => {
      for (const l of [...failureListeners]) l();
      generation++;
      holders = 0;
      listeners.clear();
      disconnect();
    },
  };
}

const shared = new Map<string, CameraClient>();

/**
 * The process's client for `url`: every part of the main process asks here, so Motion sees one
 * connection however many viewers and plots use it. The first caller's logger is kept.
 */
export function sharedCameraClient(
  url: string,
  logger?: CameraLogger,
  service?: string,
): CameraClient {
  let client = shared.get(url);
  if (!client) {
    client = createCameraClient({ url, logger, service });
    shared.set(url, client);
  }
  return client;
}

/** Disconnects every shared client, at the end of a process that may have used several cameras. */
export function closeSharedCameraClients(): void {
  for (const client of shared.values()) client.close();
  shared.clear();
}

export { CameraError };
