import http from 'node:http';
import net from 'node:net';
import jpeg from 'jpeg-js';
import { afterEach, describe, expect, it } from 'vitest';
import { probeCamera } from '../src-main/camera/check';
import {
  createCameraClient,
  sharedCameraClient,
  type CameraClient,
  type CameraFrame,
} from '../src-main/camera/client';
import {
  frameNumber,
  startFakeCamera,
  stampJpeg,
  waitFor,
  type FakeCamera,
  type FakeCameraOptions,
  deadCameraUrl,
} from './helpers/fake-camera';

interface Line {
  level: 'info' | 'warning';
  msg: string;
}

function fakeLogger() {
  const lines: Line[] = [];
  return {
    lines,
    warnings: () => lines.filter((l) => l.level === 'warning').map((l) => l.msg),
    infos: () => lines.filter((l) => l.level === 'info').map((l) => l.msg),
    info: (msg: string) => void lines.push({ level: 'info', msg }),
    warning: (msg: string) => void lines.push({ level: 'warning', msg }),
  };
}

const cams: FakeCamera[] = [];
const clients: CameraClient[] = [];
const servers: (http.Server | net.Server)[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const c of cams.splice(0)) await c.close();
  for (const s of servers.splice(0)) {
    if (s instanceof http.Server) s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function camera(opts: FakeCameraOptions = {}): Promise<FakeCamera> {
  const cam = await startFakeCamera(opts);
  cams.push(cam);
  return cam;
}

function client(
  url: string,
  logger = fakeLogger(),
  extra: Partial<Parameters<typeof createCameraClient>[0]> = {},
) {
  const c = createCameraClient({ url, logger, backoff: { initialMs: 50, maxMs: 400 }, ...extra });
  clients.push(c);
  const frames: CameraFrame[] = [];
  c.onFrame((f) => frames.push(f));
  return { c, frames, logger };
}

async function httpServer(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as net.AddressInfo).port}/stream.mjpeg`;
}

const numbers = (frames: CameraFrame[]) => frames.map((f) => frameNumber(f.jpeg)!);
const consecutive = (ns: number[]) => ns.every((n, i) => i === 0 || n === ns[i - 1]! + 1);

describe('camera client against a fake Motion', () => {
  it('normal stream: every frame once, in order, sized, with rate and time', async () => {
    const cam = await camera({ width: 320, height: 240, fps: 30 });
    const { c, frames } = client(cam.url);
    const release = c.acquire();
    await waitFor(() => frames.length >= 30, 5_000, '30 frames');
    const s = c.status();
    release();
    expect(consecutive(numbers(frames))).toBe(true);
    expect(s).toMatchObject({
      state: 'streaming',
      width: 320,
      height: 240,
      connects: 1,
      badParts: 0,
    });
    expect(s.fps).toBeGreaterThan(20);
    expect(s.fps).toBeLessThan(40);
    expect(Date.now() - s.lastFrameAt!).toBeLessThan(1_000);
    expect(jpeg.decode(c.latest()!.jpeg)).toMatchObject({ width: 320, height: 240 });
    // Each frame is its own Buffer with the exact bytes sent.
    expect(frames[3]!.jpeg.equals(stampJpeg(cam.base, frameNumber(frames[3]!.jpeg)!))).toBe(true);
    expect(c.status().state).toBe('idle');
  });

  it.each([1, 'whole', 'random'] as const)(
    'HTTP writes of %s bytes: identical frames, none lost or doubled',
    async (block) => {
      const cam = await camera({ fps: 40, block, frames: 12, after: 'end' });
      const { c, frames } = client(cam.url);
      const release = c.acquire();
      await waitFor(() => frames.length >= 12, 5_000, '12 frames');
      release();
      expect(numbers(frames)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      frames.forEach((f, i) => expect(f.jpeg.equals(stampJpeg(cam.base, i))).toBe(true));
    },
  );

  it('slow stream: the rate is measured, not assumed', async () => {
    const cam = await camera({ fps: 4 });
    const { c, frames } = client(cam.url);
    const release = c.acquire();
    await waitFor(() => frames.length >= 6, 5_000, '6 frames');
    const fps = c.status().fps!;
    release();
    expect(fps).toBeGreaterThan(3);
    expect(fps).toBeLessThan(5);
  });

  it('stream that stops mid-frame: no partial frame, one warning, reconnects', async () => {
    const cam = await camera({ fps: 30, frames: 5, after: 'cut' });
    const { c, frames, logger } = client(cam.url);
    const release = c.acquire();
    await waitFor(() => cam.connections >= 3, 5_000, 'reconnects');
    release();
    for (const f of frames) expect(jpeg.decode(f.jpeg)).toMatchObject({ width: 160, height: 120 });
    // Connection k sends frames 6k..6k+4 whole and cuts 6k+5 in half: that one must never appear.
    expect(frames.length).toBeGreaterThanOrEqual(10);
    expect(numbers(frames).filter((n) => n % 6 === 5)).toEqual([]);
    expect(numbers(frames).slice(0, 10)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10]);
    const warnings = logger.warnings();
    expect(warnings).toEqual([
      `Camera at ${cam.url} closed the stream in the middle of a frame: check 'systemctl status motion'`,
    ]);
  });

  it('a camera that sends nothing any more is given up after the idle timeout and reconnected', async () => {
    const cam = await camera({ fps: 30, frames: 3, after: 'hang' });
    const { c, frames, logger } = client(cam.url, fakeLogger(), { idleTimeoutMs: 300 });
    const release = c.acquire();
    await waitFor(() => cam.connections >= 2, 5_000, 'a second connection');
    release();
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(logger.warnings()[0]).toMatch(
      /^Camera at http:\/\/127\.0\.0\.1:\d+\/stream\.mjpeg sent nothing for 0\.3 s: check the camera is connected/,
    );
  });

  it('malformed boundary: no frames, an error naming the URL', async () => {
    const cam = await camera({
      boundary: 'BoundaryString',
      declaredBoundary: 'SomethingElse',
      fps: 60,
    });
    const { c, frames } = client(cam.url);
    const release = c.acquire();
    await waitFor(() => c.status().lastError !== undefined, 5_000, 'an error');
    release();
    expect(frames).toHaveLength(0);
    expect(c.status().lastError).toBe(
      `Camera at ${cam.url} sent a malformed stream (no boundary '--SomethingElse' within 65536 bytes at the start of the stream): check that camera.url is Motion's stream URL`,
    );
  });

  it('multipart without a boundary parameter, and a page that is not a stream', async () => {
    const cam = await camera({ declaredBoundary: null });
    const { c } = client(cam.url);
    c.acquire();
    await waitFor(() => c.status().lastError !== undefined, 5_000, 'an error');
    expect(c.status().lastError).toMatch(
      /sent a multipart stream without a usable boundary \(Content-Type: multipart\/x-mixed-replace\)/,
    );

    const html = await httpServer((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>'),
    );
    const other = client(html);
    other.c.acquire();
    await waitFor(() => other.c.status().lastError !== undefined, 5_000, 'an error');
    expect(other.c.status().lastError).toBe(
      `Camera at ${html} sent not an MJPEG stream (Content-Type: text/html): camera.url must be the stream URL (Motion: .../stream.mjpeg)`,
    );
  });

  it('parts that are not JPEGs are skipped and warned about once', async () => {
    const cam = await camera({ body: Buffer.from('not a picture'), fps: 50 });
    const { c, frames, logger } = client(cam.url);
    const release = c.acquire();
    await waitFor(() => c.status().badParts >= 5, 5_000, 'bad parts');
    release();
    expect(frames).toHaveLength(0);
    expect(logger.warnings()).toHaveLength(1);
    expect(logger.warnings()[0]).toMatch(
      /sent a part that is not a JPEG image \(Content-Type: image\/jpeg, 13 bytes\)/,
    );
  });

  it('404: the error names the URL and the setting', async () => {
    const cam = await camera({ status: 404 });
    const { c } = client(cam.url);
    c.acquire();
    await waitFor(() => c.status().lastError !== undefined, 5_000, 'an error');
    expect(c.status().lastError).toBe(
      `Camera at ${cam.url} answered HTTP 404: check the path in camera.url in config.yaml`,
    );
  });

  it('connection refused: retries with backoff, warns once, nextFrame gives up at once', async () => {
    const url = await deadCameraUrl();
    const { c, logger } = client(url);
    c.acquire();
    await waitFor(() => c.status().connects >= 4, 5_000, 'several attempts');
    expect(logger.warnings()).toEqual([
      `Camera at ${url} refused the connection: is Motion running? (systemctl status motion)`,
    ]);
    const t = Date.now();
    expect(await c.nextFrame(1_500)).toBeUndefined();
    expect(Date.now() - t).toBeLessThan(1_000);
  });

  it('backoff doubles up to its cap instead of hammering a broken camera', async () => {
    const attempts: number[] = [];
    const s = net.createServer((sock) => {
      attempts.push(Date.now());
      sock.destroy();
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const { c } = client(
      `http://127.0.0.1:${(s.address() as net.AddressInfo).port}/x`,
      fakeLogger(),
      { backoff: { initialMs: 50, maxMs: 200 } },
    );
    const started = Date.now();
    c.acquire();
    await waitFor(() => attempts.length >= 10, 10_000, 'ten connection attempts');
    c.close();
    // 50, 100, 200, 200, 200 ... ms (+-20 %): ten attempts take about 1.6 s. Uncapped doubling
    // would wait 800, 1600, 3200 ms between the last ones; no backoff at all, a few ms in all.
    const gaps = attempts.slice(1, 10).map((t, i) => t - attempts[i]!);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
    for (const gap of gaps.slice(3)) {
      expect(gap).toBeGreaterThanOrEqual(200 * 0.8 - 5);
      expect(gap).toBeLessThan(600);
    }
    expect(attempts[9]! - started).toBeGreaterThan(1_000);
  });

  it('server restart: the client reconnects, frames flow again, one warning and one "again"', async () => {
    const cam = await camera({ fps: 30 });
    const { c, frames, logger } = client(cam.url);
    c.acquire();
    await waitFor(() => frames.length >= 5, 5_000, 'first frames');
    await cam.restart();
    const before = frames.length;
    await waitFor(
      () => cam.connections >= 2 && frames.length >= before + 70,
      10_000,
      'frames after the restart',
    );
    expect(logger.warnings()).toHaveLength(1);
    expect(logger.warnings()[0]).toMatch(
      /^Camera at .* (closed the stream|dropped the connection|refused the connection)/,
    );
    expect(logger.infos()).toEqual([`camera at ${cam.url} streaming again (160x120)`]);
    expect(c.status()).toMatchObject({ state: 'streaming', lastError: undefined });
  });

  it('sharedCameraClient: one client per URL in the process', () => {
    const a = sharedCameraClient('http://127.0.0.1:9/one');
    expect(sharedCameraClient('http://127.0.0.1:9/one')).toBe(a);
    expect(sharedCameraClient('http://127.0.0.1:9/two')).not.toBe(a);
    expect(a.status()).toMatchObject({ state: 'idle', connects: 0 });
  });

  it('one connection however many users; the last release disconnects', async () => {
    const cam = await camera({ fps: 30 });
    const { c, frames } = client(cam.url);
    const releases = [c.acquire(), c.acquire(), c.acquire()];
    await waitFor(() => frames.length >= 3, 5_000, 'frames');
    expect(cam.connections).toBe(1);
    releases[0]!();
    releases[0]!();
    releases[1]!();
    // With one holder left the connection stays: frames keep arriving on it.
    const seen = frames.length;
    await waitFor(() => frames.length >= seen + 3, 5_000, 'frames for the last holder');
    expect(cam.open).toBe(1);
    expect(cam.connections).toBe(1);
    releases[2]!();
    await waitFor(() => cam.open === 0, 2_000, 'the camera connection to close');
    expect(c.status().state).toBe('idle');
  });
});

describe('probeCamera', () => {
  it('ok against the fake: fps, resolution, frames; stops after the sample window', async () => {
    const cam = await camera({ width: 320, height: 240, fps: 30 });
    const t = Date.now();
    const probe = await probeCamera(cam.url, { timeoutMs: 10_000, sampleMs: 1_000 });
    expect(Date.now() - t).toBeLessThan(3_000);
    expect(probe).toMatchObject({ ok: true, url: cam.url, width: 320, height: 240 });
    expect(probe.error).toBeUndefined();
    expect(probe.fps).toBeGreaterThan(20);
    expect(probe.fps).toBeLessThan(40);
    expect(probe.frames).toBeGreaterThan(20);
  });

  it('refused: fail with the hint', async () => {
    const url = await deadCameraUrl();
    const probe = await probeCamera(url, { timeoutMs: 3_000, service: 'motion-cam' });
    expect(probe).toEqual({
      ok: false,
      url,
      frames: 0,
      error: `Camera at ${url} refused the connection: is Motion running? (systemctl status motion-cam)`,
    });
  });

  it('an endless stream without a frame is bounded by the timeout', async () => {
    const cam = await camera({ frames: 0, after: 'hang' });
    const t = Date.now();
    const probe = await probeCamera(cam.url, { timeoutMs: 700 });
    const took = Date.now() - t;
    expect(took).toBeGreaterThanOrEqual(650);
    expect(took).toBeLessThan(2_000);
    expect(probe.ok).toBe(false);
    expect(probe.error).toMatch(/sent no complete frame within 0\.7 s/);
  });

  it('a slow endless stream is bounded by the timeout and still measured', async () => {
    const cam = await camera({ fps: 2 });
    const t = Date.now();
    const probe = await probeCamera(cam.url, { timeoutMs: 1_800, sampleMs: 60_000 });
    expect(Date.now() - t).toBeLessThan(2_800);
    expect(probe.ok).toBe(true);
    expect(probe.fps).toBeGreaterThan(1.5);
    expect(probe.fps).toBeLessThan(2.5);
  });

  it('a stream that ends before a frame, and a bad URL', async () => {
    const cam = await camera({ frames: 0, after: 'end' });
    expect((await probeCamera(cam.url, { timeoutMs: 2_000 })).error).toMatch(/closed the stream/);
    expect((await probeCamera('ftp://camera/x', { timeoutMs: 2_000 })).error).toBe(
      "camera.url 'ftp://camera/x' is not an http:// or https:// URL: set it in config.yaml (Motion's is http://127.0.0.1:8881/stream.mjpeg)",
    );
  });
});
