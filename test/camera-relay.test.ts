import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createCameraClient, type CameraClient } from '../src-main/camera/client';
import { boundaryFromContentType, MultipartParser } from '../src-main/camera/multipart';
import { createCameraRelay } from '../src-main/camera/relay';
import { startRelayHost } from '../src-main/camera/relay-host';
import { sandbox } from './helpers/cli';
import {
  deadCameraUrl,
  frameNumber,
  stampJpeg,
  startFakeCamera,
  waitFor,
  type FakeCameraOptions,
} from './helpers/fake-camera';
import { startServe } from './helpers/serve-process';

const TOKEN = 'test-token-0123456789';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(camOpts: FakeCameraOptions = {}, maxBufferedBytes?: number) {
  const cam = await startFakeCamera(camOpts);
  cleanups.push(() => cam.close());
  const client = createCameraClient({ url: cam.url, backoff: { initialMs: 50, maxMs: 200 } });
  cleanups.push(() => client.close());
  const relay = createCameraRelay(client, { token: TOKEN, maxBufferedBytes });
  const server = http.createServer((req, res) => {
    if (!relay.handle(req, res)) res.writeHead(404).end('no such page\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    relay.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return { cam, client, relay, base, port: (server.address() as net.AddressInfo).port };
}

function get(
  url: string,
  headers: http.OutgoingHttpHeaders = {},
  method = 'GET',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** A viewer that reads the relay's stream with the production parser and keeps frame numbers. */
function viewer(url: string, headers: http.OutgoingHttpHeaders = {}) {
  const numbers: number[] = [];
  let last: Buffer | undefined;
  let contentType: string | undefined;
  const req = http.get(url, { headers }, (res) => {
    contentType = res.headers['content-type'];
    const parser = new MultipartParser(boundaryFromContentType(contentType)!, (part) => {
      numbers.push(frameNumber(part.body)!);
      last = part.body;
    });
    res.on('data', (c: Buffer) => parser.push(c));
  });
  req.on('error', () => undefined);
  cleanups.push(() => void req.destroy());
  return {
    numbers,
    last: () => last,
    contentType: () => contentType,
    close: () => req.destroy(),
  };
}

/** A viewer on a bare socket: the response's head and body bytes exactly as they came over the wire. */
function rawViewer(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  socket.write(`GET /camera/stream.mjpeg?token=${TOKEN} HTTP/1.1\r\nHost: x\r\n\r\n`);
  let received = Buffer.alloc(0);
  socket.on('data', (c: Buffer) => (received = Buffer.concat([received, c])));
  cleanups.push(() => void socket.destroy());
  const headEnd = () => received.indexOf('\r\n\r\n');
  return {
    head: () => (headEnd() < 0 ? '' : received.toString('latin1', 0, headEnd())),
    /** The JPEGs of the whole parts so far; throws where the body is anything but parts back to back. */
    parts: () => (headEnd() < 0 ? [] : wholeParts(received.subarray(headEnd() + 4))),
  };
}

function wholeParts(body: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  for (let at = 0; ;) {
    const headEnd = body.indexOf('\r\n\r\n', at);
    if (headEnd < 0) return parts;
    const head = body.toString('latin1', at, headEnd);
    const m = /^--vfabframe\r\nContent-Type: image\/jpeg\r\nContent-Length: (\d+)$/.exec(head);
    if (!m)
      throw new Error(`no part header at body byte ${at}: ${JSON.stringify(head.slice(0, 40))}`);
    const end = headEnd + 4 + Number(m[1]);
    if (body.length < end + 2) return parts;
    if (body.toString('latin1', end, end + 2) !== '\r\n')
      throw new Error(`part at body byte ${at} does not end with CRLF`);
    parts.push(body.subarray(headEnd + 4, end));
    at = end + 2;
  }
}

describe('camera relay', () => {
  it("writes every viewer the same whole parts back to back, each JPEG byte for byte the camera's, with no chunk framing", async () => {
    const { cam, port } = await setup({ width: 320, height: 240, fps: 30 });
    const raws = [rawViewer(port), rawViewer(port), rawViewer(port)];
    await waitFor(
      () => raws.every((r) => r.parts().length >= 15),
      10_000,
      '15 whole parts at each viewer',
    );
    const seen = raws.map((r) => r.parts().map((jpeg) => frameNumber(jpeg)!));
    for (const [i, r] of raws.entries()) {
      expect(r.head()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(r.head()).not.toMatch(/transfer-encoding/i);
      expect(seen[i]!.every((n, k) => k === 0 || n === seen[i]![k - 1]! + 1)).toBe(true);
      for (const jpeg of r.parts())
        expect(jpeg.equals(stampJpeg(cam.base, frameNumber(jpeg)!))).toBe(true);
    }
    // The viewers overlap: the frames they share are the same frames.
    expect(
      seen[1]!.filter((n) => seen[0]!.includes(n) && seen[2]!.includes(n)).length,
    ).toBeGreaterThan(5);
  });

  it('refuses requests without the token, with a wrong one, or with another method', async () => {
    const { base, relay } = await setup();
    expect((await get(`${base}/camera/stream.mjpeg`)).status).toBe(401);
    expect((await get(`${base}/camera/stream.mjpeg?token=wrong`)).status).toBe(401);
    expect(
      (await get(`${base}/camera/snapshot.jpg`, { Authorization: 'Bearer nope' })).status,
    ).toBe(401);
    const refused = await get(`${base}/camera/snapshot.jpg?token=${TOKEN.slice(0, -1)}`);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer');
    expect((await get(`${base}/camera/snapshot.jpg?token=${TOKEN}`, {}, 'POST')).status).toBe(405);
    expect((await get(`${base}/elsewhere?token=${TOKEN}`)).status).toBe(404);
    expect(relay.stats().refused).toBe(4);
    expect(() =>
      createCameraRelay(createCameraClient({ url: 'http://127.0.0.1:1/' }), { token: '' }),
    ).toThrow(/token is required/);
  });

  it('serves any number of viewers from one camera connection, every frame to each', async () => {
    const { cam, base, relay } = await setup({ fps: 30 });
    const viewers = [
      viewer(`${base}/camera/stream.mjpeg?token=${TOKEN}`),
      viewer(`${base}/camera/stream.mjpeg`, { Authorization: `Bearer ${TOKEN}` }),
      viewer(`${base}/camera/stream.mjpeg?token=${TOKEN}`),
    ];
    await waitFor(
      () => viewers.every((v) => v.numbers.length >= 30),
      10_000,
      '30 frames at each viewer',
    );
    expect(cam.connections).toBe(1);
    expect(relay.stats()).toMatchObject({ viewers: 3, dropped: 0 });
    for (const v of viewers) {
      expect(v.contentType()).toBe('multipart/x-mixed-replace; boundary=vfabframe');
      expect(v.numbers.every((n, i) => i === 0 || n === v.numbers[i - 1]! + 1)).toBe(true);
      expect(jpeg.decode(v.last()!)).toMatchObject({ width: 160, height: 120 });
    }
    for (const v of viewers) v.close();
    await waitFor(
      () => relay.stats().viewers === 0 && cam.open === 0,
      3_000,
      'the camera connection to close after the last viewer',
    );
  });

  it('drops frames for a viewer that does not read, holds little for it, and the others get every frame', async () => {
    const cap = 64 * 1024;
    const { base, relay, port } = await setup({ width: 640, height: 480, fps: 60 }, cap);
    const fast = viewer(`${base}/camera/stream.mjpeg?token=${TOKEN}`);
    // A raw client that sends its request and never reads: the kernel buffers fill, then Node's.
    const slow = net.connect(port, '127.0.0.1');
    slow.pause();
    slow.write(`GET /camera/stream.mjpeg?token=${TOKEN} HTTP/1.1\r\nHost: x\r\n\r\n`);
    cleanups.push(() => void slow.destroy());
    await waitFor(() => relay.stats().dropped >= 20, 20_000, 'frames dropped for the slow viewer');
    const frameBytes = 200 * 1024;
    // Read at each new frame the fast viewer gets: the cap holds while frames keep coming.
    for (let i = 0; i < 10; i++) {
      expect(relay.stats().buffered).toBeLessThanOrEqual(cap + frameBytes);
      const seen = fast.numbers.length;
      await waitFor(() => fast.numbers.length > seen, 5_000, 'the next frame to the fast viewer');
    }
    expect(fast.numbers.length).toBeGreaterThan(20);
    expect(fast.numbers.every((n, i) => i === 0 || n === fast.numbers[i - 1]! + 1)).toBe(true);
  });

  it('snapshot: the latest frame as one JPEG; 503 naming the problem when the camera is down', async () => {
    const { cam, base, client } = await setup({ width: 320, height: 240, fps: 30 });
    const snap = await get(`${base}/camera/snapshot.jpg?token=${TOKEN}`);
    expect(snap.status).toBe(200);
    expect(snap.headers['content-type']).toBe('image/jpeg');
    expect(snap.headers['cache-control']).toMatch(/no-store/);
    expect(jpeg.decode(snap.body)).toMatchObject({ width: 320, height: 240 });
    expect(frameNumber(snap.body)).toBeTypeOf('number');
    // The snapshot used the client only for the request: no viewer keeps it connected.
    await waitFor(() => cam.open === 0, 3_000, 'the camera connection to close');

    await cam.close();
    await waitFor(
      () => client.latest() === undefined || Date.now() - client.latest()!.at > 2_100,
      5_000,
      'the last frame to go stale',
    );
    const t = Date.now();
    const down = await get(`${base}/camera/snapshot.jpg?token=${TOKEN}`);
    expect(Date.now() - t).toBeLessThan(2_500);
    expect(down.status).toBe(503);
    expect(down.body.toString()).toMatch(
      /^No camera frame within 2000 ms: The camera refused the connection: is Motion running\?/,
    );
  });

  it('close() ends every viewer', async () => {
    const { base, relay, client } = await setup({ fps: 30 });
    let ended = 0;
    for (let i = 0; i < 2; i++) {
      http.get(`${base}/camera/stream.mjpeg?token=${TOKEN}`, (res) => {
        res.resume();
        res.on('end', () => ended++);
      });
    }
    await waitFor(
      () => relay.stats().viewers === 2 && relay.stats().written >= 4,
      5_000,
      'two viewers',
    );
    relay.close();
    await waitFor(() => ended === 2, 3_000, 'both streams to end');
    // Frames keep coming from the camera meanwhile; none may be written to an ended response.
    const written = relay.stats().written;
    const release = client.acquire();
    try {
      for (let i = 0; i < 5; i++) expect(await client.nextFrame(2_000)).toBeTruthy();
    } finally {
      release();
    }
    expect(relay.stats().written).toBe(written);
    expect(relay.stats().viewers).toBe(0);
  });
});

describe("the desktop window's relay host", () => {
  it('serves the relay on loopback with its token, refuses other Hosts, and follows the camera setting', async () => {
    const cam = await startFakeCamera({ fps: 20 });
    cleanups.push(() => cam.close());
    const client = createCameraClient({ url: cam.url, backoff: { initialMs: 50, maxMs: 200 } });
    cleanups.push(() => client.close());
    let current: CameraClient | string = 'camera.enabled is false';
    const host = await startRelayHost(() => current);
    cleanups.push(() => host.close());
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.streamUrl.startsWith(`${host.origin}/camera/stream.mjpeg?token=`)).toBe(true);

    const off = await get(host.snapshotUrl);
    expect(off.status).toBe(503);
    expect(off.body.toString()).toBe('No camera: camera.enabled is false.\n');

    current = client; // Settings turned the camera on: no restart needed.
    expect((await get(`${host.origin}/camera/snapshot.jpg`)).status).toBe(401);
    expect(
      (await get(host.snapshotUrl, { Host: `evil.example:${new URL(host.origin).port}` })).status,
    ).toBe(421);
    expect((await get(`${host.origin}/index.html${new URL(host.streamUrl).search}`)).status).toBe(
      404,
    );
    const snap = await get(host.snapshotUrl);
    expect(snap.status).toBe(200);
    expect(jpeg.decode(snap.body)).toMatchObject({ width: 160, height: 120 });
    const watching = viewer(host.streamUrl);
    await waitFor(() => watching.numbers.length >= 5, 5_000, 'five live frames through the host');
    expect(watching.contentType()).toMatch(/^multipart\/x-mixed-replace/);
  });
});

/** A relay's whole answer as text: status, every header, and the body (a stream's first bytes). */
function answer(url: string, method = 'GET'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      const chunks: Buffer[] = [];
      const done = () =>
        resolve({
          status: res.statusCode!,
          text: [
            res.statusCode,
            res.statusMessage,
            ...res.rawHeaders,
            Buffer.concat(chunks).toString('latin1'),
          ].join('\n'),
        });
      // A stream from a camera that is down sends no frame and never ends: its head is its answer.
      if (String(res.headers['content-type']).startsWith('multipart/')) {
        res.destroy();
        return done();
      }
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', done);
    });
    req.on('error', reject);
    req.end();
  });
}

describe("the camera's address in relay answers", () => {
  it(
    'is in no body or header of the desktop relay or of vfab serve, with the camera down',
    { timeout: 60_000 },
    async () => {
      const dead = new URL(await deadCameraUrl());
      const url = `http://camuser:campass@${dead.host}/some/path/stream.mjpeg`;
      const secrets = [dead.host, `:${dead.port}`, '/some/path', 'camuser', 'campass'];

      const client = createCameraClient({ url, backoff: { initialMs: 50, maxMs: 200 } });
      cleanups.push(() => client.close());
      const desktop = await startRelayHost(() => client);
      cleanups.push(() => desktop.close());

      const sb = sandbox();
      cleanups.push(() => sb.cleanup());
      fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
      fs.writeFileSync(sb.configFile, `camera:\n  enabled: true\n  mode: ip\n  url: ${url}\n`);
      const served = await startServe(sb);
      cleanups.push(() => served.kill());

      for (const face of [
        { origin: desktop.origin, token: new URL(desktop.streamUrl).searchParams.get('token')! },
        { origin: served.origin, token: served.token },
      ]) {
        const answers: { status: number; text: string }[] = [];
        for (const target of [
          '/camera/snapshot.jpg',
          '/camera/stream.mjpeg',
          '/camera/elsewhere',
        ]) {
          for (const query of [`?token=${face.token}`, '', '?token=wrong'])
            answers.push(await answer(`${face.origin}${target}${query}`));
          answers.push(await answer(`${face.origin}${target}?token=${face.token}`, 'POST'));
        }
        // The camera refused, and the snapshot says so, as "the camera".
        expect(answers[0]!.status, face.origin).toBe(503);
        expect(answers[0]!.text).toMatch(/The camera refused the connection/);
        for (const secret of secrets)
          for (const a of answers)
            expect(a.text, `${face.origin}: ${secret}`).not.toContain(secret);
      }
    },
  );
});
