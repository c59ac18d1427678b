import net from 'node:net';
/**
 * A fake Motion on 127.0.0.1 (ephemeral port) for the camera tests and bench. It serves real
 * JPEGs made with jpeg-js, each made distinct by a COM segment carrying its sequence number, in
 * Motion's exact framing (Motion 4.x webu_stream.c):
 *
 *   Content-Type: multipart/x-mixed-replace; boundary=BoundaryString
 *   --BoundaryString\r\nContent-type: image/jpeg\r\nContent-Length: %9ld\r\n\r\n<jpeg>\r\n
 *
 * Knobs reproduce what goes wrong in the field: write sizes (1 byte, whole parts, random),
 * missing Content-Length, a wrong boundary, an HTTP error, a stream that stops mid-frame or
 * hangs, and close/restart on the same port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jpeg from 'jpeg-js';
import { waitFor as waitUntil } from './wait';

/**
 * The camera's own pace, taken before any test fakes the clock: a test driving the snapshot
 * refresh with fake intervals still gets frames in real time.
 */
const { setInterval, clearInterval } = globalThis;

export interface FakeCameraOptions {
  width?: number;
  height?: number;
  quality?: number;
  /** Frames per second per connection. */
  fps?: number;
  /** Frames per connection before `after` happens. Default 100 000 (bounded, but endless in practice). */
  frames?: number;
  /** What happens after `frames`: the close delimiter and end, a cut in the middle of the next part, or silence. */
  after?: 'end' | 'cut' | 'hang';
  /** Bytes per res.write(): a number, the whole part at once, or random sizes 1..4096. */
  block?: number | 'whole' | 'random';
  /** Write Content-Length in each part (Motion does). */
  contentLength?: boolean;
  /** The boundary written between parts. */
  boundary?: string;
  /** The boundary named in the Content-Type header; null leaves the parameter out. Default: `boundary`. */
  declaredBoundary?: string | null;
  /** Answer every request with this status and a short text body instead of a stream. */
  status?: number;
  path?: string;
  /** Listen on this port (restart on the same port). */
  port?: number;
  /** Send these bytes instead of a JPEG in every part (a camera misconfigured to send something else). */
  body?: Buffer;
}

export interface FakeCamera {
  readonly url: string;
  readonly port: number;
  /** Requests accepted on the stream path. */
  readonly connections: number;
  /** Connections currently open. */
  readonly open: number;
  /** Complete parts written, over all connections. */
  readonly framesSent: number;
  /** The first frame's JPEG (before stamping), to compare sizes. */
  readonly base: Buffer;
  close(): Promise<void>;
  /** Close, then listen again on the same port (a Motion restart). */
  restart(): Promise<void>;
}

/** A real JPEG with some texture so it compresses like a camera picture, not a flat colour. */
export function makeJpeg(width: number, height: number, quality = 80, seed = 1): Buffer {
  const data = Buffer.alloc(width * height * 4);
  let s = seed >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const noise = rand() * 24;
      data[i] = ((x * 255) / width + noise) & 0xff;
      data[i + 1] = ((y * 255) / height + noise) & 0xff;
      data[i + 2] = (((x ^ y) & 0x3f) * 3 + noise) & 0xff;
      data[i + 3] = 0xff;
    }
  }
  return jpeg.encode({ data, width, height }, quality).data;
}

const STAMP = 'vfab-frame-';

/** The same image with a COM segment `vfab-frame-<seq>` after SOI: a distinct, valid JPEG. */
export function stampJpeg(base: Buffer, seq: number): Buffer {
  const text = Buffer.from(`${STAMP}${String(seq).padStart(9, '0')}`, 'latin1');
  const seg = Buffer.alloc(4);
  seg[0] = 0xff;
  seg[1] = 0xfe;
  seg.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([base.subarray(0, 2), seg, text, base.subarray(2)]);
}

/** The sequence number stampJpeg put in, or undefined. */
export function frameNumber(jpegData: Uint8Array): number | undefined {
  const text = Buffer.from(jpegData.subarray(6, 6 + STAMP.length + 9)).toString('latin1');
  return text.startsWith(STAMP) ? Number(text.slice(STAMP.length)) : undefined;
}

/** One part exactly as Motion writes it. */
export function motionPart(
  body: Buffer,
  boundary = 'BoundaryString',
  contentLength = true,
): Buffer {
  const head = `--${boundary}\r\nContent-type: image/jpeg\r\n${contentLength ? `Content-Length: ${String(body.length).padStart(9)}\r\n` : ''}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body, Buffer.from('\r\n')]);
}

/** xorshift so `block: 'random'` is reproducible run to run. */
function blockSizes(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return 1 + ((s >>> 0) % 4096);
  };
}

export async function startFakeCamera(opts: FakeCameraOptions = {}): Promise<FakeCamera> {
  const width = opts.width ?? 160;
  const height = opts.height ?? 120;
  const fps = opts.fps ?? 30;
  const limit = opts.frames ?? 100_000;
  const boundary = opts.boundary ?? 'BoundaryString';
  const declared = opts.declaredBoundary === undefined ? boundary : opts.declaredBoundary;
  const streamPath = opts.path ?? '/stream.mjpeg';
  const base = makeJpeg(width, height, opts.quality ?? 80);
  let seq = 0;
  let connections = 0;
  let framesSent = 0;
  const timers = new Set<NodeJS.Timeout>();
  const open = new Set<http.ServerResponse>();

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (pathname !== streamPath) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    if (opts.status !== undefined && opts.status !== 200) {
      res.writeHead(opts.status, { 'Content-Type': 'text/plain' }).end(`status ${opts.status}\n`);
      return;
    }
    connections++;
    open.add(res);
    res.socket?.setNoDelay(true);
    res.writeHead(200, {
      'Content-Type': `multipart/x-mixed-replace${declared === null ? '' : `; boundary=${declared}`}`,
      'Cache-Control': 'no-cache, private',
      Pragma: 'no-cache',
    });
    const nextBlock = blockSizes(connections * 7919);
    const write = (part: Buffer) => {
      const block = opts.block ?? 1024;
      if (block === 'whole') {
        res.write(part);
        return;
      }
      for (let at = 0; at < part.length;) {
        const n = block === 'random' ? nextBlock() : block;
        res.write(part.subarray(at, at + n));
        at += n;
      }
    };
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < limit) {
        const body = opts.body ?? stampJpeg(base, seq++);
        write(motionPart(body, boundary, opts.contentLength ?? true));
        sent++;
        framesSent++;
        return;
      }
      clearInterval(timer);
      timers.delete(timer);
      const after = opts.after ?? 'end';
      if (after === 'end') {
        res.end(`--${boundary}--\r\n`);
      } else if (after === 'cut') {
        const part = motionPart(stampJpeg(base, seq++), boundary, opts.contentLength ?? true);
        // Flush the half part, then drop the connection the way a crashed Motion would.
        res.write(part.subarray(0, part.length >> 1), () => res.socket?.destroy());
      }
    }, 1000 / fps);
    timers.add(timer);
    res.on('close', () => {
      clearInterval(timer);
      timers.delete(timer);
      open.delete(res);
    });
  };

  let server: http.Server | undefined;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = http.createServer(handler);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        resolve((s.address() as AddressInfo).port);
      });
    });
  const close = async () => {
    for (const t of timers) clearInterval(t);
    timers.clear();
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  const port = await listen(opts.port ?? 0);
  const url = `http://127.0.0.1:${port}${streamPath}`;

  return {
    url,
    port,
    get connections() {
      return connections;
    },
    get open() {
      return open.size;
    },
    get framesSent() {
      return framesSent;
    },
    base,
    close,
    restart: async () => {
      await close();
      await listen(port);
    },
  };
}

/** Polls `cond` every 10 ms until it holds or `ms` pass; bounded, so a broken test fails instead of hanging. */
export async function waitFor(cond: () => boolean, ms: number, what = 'condition'): Promise<void> {
  await waitUntil(what, cond, { timeoutMs: ms });
}

/** A camera URL nothing listens on: a port bound, then closed. */
export async function deadCameraUrl(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}/stream.mjpeg`;
}
