/**
 * Re-serves the camera to any number of viewers, so the renderer and browsers never learn the
 * camera's address or credentials and Motion sees one connection (docs/architecture.md "Camera").
 *
 *   const relay = createCameraRelay(client, { token });
 *   http.createServer((req, res) => { if (!relay.handle(req, res)) notFound(res); });
 *
 *   GET <streamPath>?token=T     multipart/x-mixed-replace stream of the live frames
 *   GET <snapshotPath>?token=T   the latest frame as one image/jpeg
 *   (or `Authorization: Bearer T` instead of the query parameter)
 *
 * A frame's part header is made once and written with the frame's own Buffer to every viewer:
 * one writev per viewer, the JPEG never copied, no chunked framing (the stream ends when the
 * connection does). A viewer is written to only while its response holds fewer than
 * `maxBufferedBytes` unsent bytes; past that its frames are dropped, so a slow or stalled viewer
 * costs at most that much memory plus one frame (shared with the other viewers) and never slows
 * the others. The client is acquired while at least one viewer is connected.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import { withoutAddress } from './address';
import type { CameraClient, CameraFrame } from './client';

export interface CameraRelayOptions {
  /** Required and non-empty: the relay never serves without a token. */
  token: string;
  streamPath?: string;
  snapshotPath?: string;
  /** Unsent bytes a viewer may hold before its frames are dropped. */
  maxBufferedBytes?: number;
  /** How long a snapshot request waits for a frame when none is fresh. */
  snapshotWaitMs?: number;
}

export interface CameraRelayStats {
  viewers: number;
  /** Bytes accepted for viewers but not yet sent, summed over viewers now. */
  buffered: number;
  /** Frames written to viewers (one per viewer per frame). */
  written: number;
  /** Frames skipped because a viewer had too much unsent data. */
  dropped: number;
  refused: number;
}

export interface CameraRelay {
  /** Answers the request if its path is the stream or snapshot path; false otherwise (the caller 404s). */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  stats(): CameraRelayStats;
  /** Ends every viewer's stream. */
  close(): void;
}

const BOUNDARY = 'vfabframe';
/** A frame this old is not "the latest view": a snapshot request waits for a new one. */
const FRESH_MS = 2_000;

const NO_CACHE = {
  'Cache-Control': 'no-cache, no-store, private',
  Pragma: 'no-cache',
  'X-Content-Type-Options': 'nosniff',
};

function digest(s: string): Buffer {
  return crypto.createHash('sha256').update(s).digest();
}

function presentedToken(req: http.IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  const bearer = auth && /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
  return bearer || url.searchParams.get('token') || undefined;
}

/** What goes before a frame's JPEG: the delimiter and the part's headers. */
function partHeader(frame: CameraFrame): Buffer {
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.jpeg.length}\r\n\r\n`,
    'latin1',
  );
}

const CRLF = Buffer.from('\r\n');

export function createCameraRelay(client: CameraClient, opts: CameraRelayOptions): CameraRelay {
  if (!opts.token) throw new Error('createCameraRelay: a non-empty token is required');
  const tokenDigest = digest(opts.token);
  const streamPath = opts.streamPath ?? '/camera/stream.mjpeg';
  const snapshotPath = opts.snapshotPath ?? '/camera/snapshot.jpg';
  const maxBuffered = opts.maxBufferedBytes ?? 256 * 1024;
  const snapshotWaitMs = opts.snapshotWaitMs ?? 2_000;
  const viewers = new Set<http.ServerResponse>();
  const stats = { written: 0, dropped: 0, refused: 0 };
  // The last frame's part header, built once for all its viewers.
  let built: { frame: CameraFrame; header: Buffer } | undefined;
  const headerOf = (frame: CameraFrame) => {
    if (built?.frame !== frame) built = { frame, header: partHeader(frame) };
    return built.header;
  };

  // Equal-length digests make the comparison constant-time whatever the presented length.
  const authorised = (req: http.IncomingMessage, url: URL) => {
    const given = presentedToken(req, url);
    return given !== undefined && crypto.timingSafeEqual(digest(given), tokenDigest);
  };

  const writeFrame = (res: http.ServerResponse, frame: CameraFrame) => {
    // Between end() and 'close' a write would raise "write after end" on a response nobody listens to.
    if (res.writableEnded || res.destroyed) return;
    if (res.writableLength > maxBuffered) {
      stats.dropped++;
      return;
    }
    // One writev per viewer: the header, the frame's own Buffer (never copied), the line break.
    res.cork();
    res.write(headerOf(frame));
    res.write(frame.jpeg);
    res.write(CRLF);
    res.uncork();
    stats.written++;
  };

  const stream = (req: http.IncomingMessage, res: http.ServerResponse) => {
    // The body ends with the connection (Connection: close), so the parts go out as they are,
    // without HTTP's chunk framing around every write.
    res.useChunkedEncodingByDefault = false;
    res.writeHead(200, {
      ...NO_CACHE,
      'Content-Type': `multipart/x-mixed-replace; boundary=${BOUNDARY}`,
      Connection: 'close',
    });
    if (req.method === 'HEAD') return void res.end();
    // The viewer learns it is connected now, not at the first frame (never, while the camera is down).
    res.flushHeaders();
    viewers.add(res);
    const release = client.acquire();
    // A viewer sees the current picture at once instead of waiting for the next frame.
    const current = client.latest();
    if (current && Date.now() - current.at < FRESH_MS) writeFrame(res, current);
    const off = client.onFrame((frame) => writeFrame(res, frame));
    res.on('close', () => {
      off();
      release();
      viewers.delete(res);
      if (viewers.size === 0) built = undefined;
    });
  };

  const snapshot = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    let frame = client.latest();
    if (!frame || Date.now() - frame.at > FRESH_MS) frame = await client.nextFrame(snapshotWaitMs);
    if (res.destroyed) return;
    if (!frame) {
      // The client's error names the camera's address, which a viewer must never learn.
      const why = withoutAddress(client.status().lastError, client.url);
      res.writeHead(503, {
        ...NO_CACHE,
        'Content-Type': 'text/plain; charset=utf-8',
        'Retry-After': '5',
      });
      return void res.end(`No camera frame within ${snapshotWaitMs} ms${why ? `: ${why}` : ''}\n`);
    }
    res.writeHead(200, {
      ...NO_CACHE,
      'Content-Type': 'image/jpeg',
      'Content-Length': frame.jpeg.length,
      'Last-Modified': new Date(frame.at).toUTCString(),
    });
    res.end(req.method === 'HEAD' ? undefined : frame.jpeg);
  };

  return {
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://relay.invalid');
      if (url.pathname !== streamPath && url.pathname !== snapshotPath) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Only GET and HEAD\n');
        return true;
      }
      if (!authorised(req, url)) {
        stats.refused++;
        res.writeHead(401, {
          ...NO_CACHE,
          'WWW-Authenticate': 'Bearer',
          'Content-Type': 'text/plain; charset=utf-8',
        });
        res.end('A valid token is required: ?token=... or Authorization: Bearer ...\n');
        return true;
      }
      if (url.pathname === streamPath) stream(req, res);
      else void snapshot(req, res);
      return true;
    },
    stats: () => ({
      viewers: viewers.size,
      buffered: [...viewers].reduce((n, res) => n + res.writableLength, 0),
      ...stats,
    }),
    close() {
      for (const res of [...viewers]) res.end(`--${BOUNDARY}--\r\n`);
    },
  };
}

export interface FollowingRelay {
  /** Answers a relay request; otherwise the status and text to refuse it with. */
  handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): true | { status: number; text: string };
  close(): void;
}

/**
 * A relay for whichever camera the settings name at each request (`clientFor` answers the
 * client, or why there is none), so turning the camera on or changing its URL applies without
 * a restart. A replaced client's viewers are ended: they were watching the old camera.
 */
export function createFollowingRelay(
  clientFor: () => CameraClient | string,
  opts: CameraRelayOptions,
): FollowingRelay {
  let current: { client: CameraClient; relay: CameraRelay } | undefined;
  return {
    handle(req, res) {
      const client = clientFor();
      if (typeof client === 'string') return { status: 503, text: `No camera: ${client}.` };
      if (current?.client !== client) {
        current?.relay.close();
        current = { client, relay: createCameraRelay(client, opts) };
      }
      return (
        current.relay.handle(req, res) || {
          status: 404,
          text: 'No such camera path: /camera/stream.mjpeg or /camera/snapshot.jpg',
        }
      );
    },
    close() {
      current?.relay.close();
      current = undefined;
    },
  };
}

/** `/camera/plotters/<name>/stream.mjpeg` and `…/snapshot.jpg`: the view of one plotter's own camera. */
const PLOTTER_CAMERA_PATH =
  /^\/camera\/plotters\/([A-Za-z0-9_-][A-Za-z0-9._-]{0,63})\/(stream\.mjpeg|snapshot\.jpg)$/;

export function plotterCameraPath(
  plotter: string,
  file: 'stream.mjpeg' | 'snapshot.jpg' = 'stream.mjpeg',
): string {
  return `/camera/plotters/${encodeURIComponent(plotter)}/${file}`;
}

/**
 * The relay for the camera the settings name (`/camera/stream.mjpeg`, `/camera/snapshot.jpg`), and
 * one for each plotter with a camera of its own (`plotterCameraPath`): `clientFor(plotter)` answers
 * that plotter's client, or why there is none. Same token for all.
 */
export function createCameraRoutes(
  clientFor: (plotter?: string) => CameraClient | string,
  opts: CameraRelayOptions,
): FollowingRelay {
  const main = createFollowingRelay(() => clientFor(), opts);
  const plotters = new Map<string, FollowingRelay>();
  return {
    handle(req, res) {
      const m = PLOTTER_CAMERA_PATH.exec(new URL(req.url ?? '/', 'http://relay.invalid').pathname);
      if (!m) return main.handle(req, res);
      const name = m[1]!;
      let relay = plotters.get(name);
      if (!relay) {
        // Only plotters that have a camera get a relay: a request naming anything else keeps nothing.
        const client = clientFor(name);
        if (typeof client === 'string') return { status: 503, text: `No camera: ${client}.` };
        relay = createFollowingRelay(() => clientFor(name), {
          ...opts,
          streamPath: plotterCameraPath(name),
          snapshotPath: plotterCameraPath(name, 'snapshot.jpg'),
        });
        plotters.set(name, relay);
      }
      return relay.handle(req, res);
    },
    close() {
      main.close();
      for (const r of plotters.values()) r.close();
    },
  };
}
