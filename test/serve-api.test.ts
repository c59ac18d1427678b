/**
 * `vfab serve`'s host in-process over a real temp data folder: every API method round-trips
 * through the WebSocket with a Node client; plots run on the virtual plotter; the token, Host and
 * Origin checks refuse strangers; malformed messages are answered and the connection kept.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { METHODS } from '../src-main/api/contract';
import { createApiService, type ApiService } from '../src-main/api/service';
import { createCameraClient } from '../src-main/camera/client';
import { openEngine, type Engine } from '../src-main/engine';
import { readJournal } from '../src-main/jobs/journal';
import { startServeHost, type ServeHost } from '../src-main/serve/http';
import { MAX_MESSAGE_BYTES } from '../src-main/serve/ws';
import { VERSION } from '../src-main/version';
import { openApiSocket, wsUrl, type ApiSocket } from './helpers/api-socket';
import { ROOT } from './helpers/cli';
import { deadCameraUrl, startFakeCamera, waitFor, type FakeCamera } from './helpers/fake-camera';
import { useTempDirs } from './helpers/tmp';
import { waitFor as waitUntil } from './helpers/wait';

const tempDir = useTempDirs('vfab-serve-');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const INK = 'fill="none" stroke="black" stroke-width="0.3"';
/** Long strokes: at speed 2 this plots for several seconds, long enough to pause or stop it. */
const ZIGZAG = Array.from(
  { length: 40 },
  (_, i) => `<line x1="10" y1="${10 + i * 2}" x2="180" y2="${11 + i * 2}"/>`,
).join('');

interface Rig {
  root: string;
  env: NodeJS.ProcessEnv;
  engine: Engine;
  service: ApiService;
  host: ServeHost;
  camera?: FakeCamera;
  svg(name: string, body: string): string;
  connect(): Promise<ApiSocket>;
}

async function rig(opts: { camera?: boolean; maxClients?: number } = {}): Promise<Rig> {
  const root = tempDir();
  const env = {
    ...process.env,
    VFAB_DATA_DIR: path.join(root, 'data'),
    VFAB_CONFIG: path.join(root, 'config.yaml'),
  };
  const camera = opts.camera ? await startFakeCamera({ fps: 10 }) : undefined;
  if (camera) cleanups.push(() => camera.close());
  fs.writeFileSync(
    env.VFAB_CONFIG,
    camera ? `camera:\n  url: ${camera.url}\n` : 'camera:\n  enabled: false\n',
  );
  const engine = openEngine({ env });
  cleanups.push(() => engine.close());
  const client = camera ? createCameraClient({ url: camera.url }) : null;
  if (client) cleanups.push(() => client.close());
  let token: string | undefined;
  const service = createApiService(engine, {
    env,
    camera: client,
    cameraPollMs: 100,
    cameraViewer: () => ({ streamUrl: token ? `/camera/stream.mjpeg?token=${token}` : null }),
  });
  cleanups.push(() => service.close());
  const host = await startServeHost({
    service,
    rendererDir: path.join(ROOT, 'out', 'renderer'),
    host: '127.0.0.1',
    port: 0,
    camera: () => client ?? 'camera.enabled is false in config.yaml',
    maxClients: opts.maxClients,
  });
  cleanups.push(() => host.close());
  token = host.token;
  return {
    root,
    env,
    engine,
    service,
    host,
    camera,
    svg(name, body) {
      const file = path.join(root, name);
      fs.writeFileSync(
        file,
        `<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" ${INK} width="200mm" height="100mm" viewBox="0 0 200 100">\n${body}\n</svg>\n`,
      );
      return file;
    },
    async connect() {
      const s = await openApiSocket(wsUrl(host.origin, host.token), host.origin);
      cleanups.push(() => s.close());
      return s;
    },
  };
}

function get(
  port: number,
  target: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: target,
        method,
        headers: { Host: `127.0.0.1:${port}`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          // A camera stream never ends: the first bytes are enough.
          if (String(res.headers['content-type']).startsWith('multipart/')) res.destroy();
        });
        res.on('close', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('latin1'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function until<T>(
  what: string,
  ms: number,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  return waitUntil(what, probe, { timeoutMs: ms, everyMs: 25 });
}

describe('every method through the WebSocket', () => {
  it('round-trips each method of the contract against a real data folder', async () => {
    const r = await rig({ camera: true });
    const s = await r.connect();
    const called = new Set<string>();
    const call = <T = any>(method: string, params: unknown = {}) => {
      called.add(method);
      return s.call<T>(method, params);
    };

    const info = await call('system.info');
    expect(info).toMatchObject({ version: VERSION, jobs: { total: 0 }, plotting: [] });
    expect(info.paths.dataDir).toBe(r.env.VFAB_DATA_DIR);

    const small = r.svg('small.svg', '<path d="M10 10 L60 10 L60 40 Z"/>');
    const added = await call('jobs.add', {
      source: { path: small },
      id: 'small',
      optimization: 'fast',
    });
    expect(added).toMatchObject({
      job: { id: 'small', source_name: 'small.svg' },
      plan: { state: 'READY', error: null },
    });
    await s.waitForEvent(
      (e) => e.event === 'job.changed' && e.payload.id === 'small' && e.payload.state === 'READY',
      2000,
      'job.changed READY',
    );

    const dropped = Buffer.from(fs.readFileSync(small)).toString('base64');
    const fromBytes = await call('jobs.add', {
      source: { name: 'Dropped drawing.svg', base64: dropped },
      plan: false,
    });
    expect(fromBytes).toMatchObject({
      job: { id: 'Dropped-drawing', source_name: 'Dropped drawing.svg' },
      plan: null,
    });
    expect(
      fs.readFileSync(path.join(r.engine.paths.jobsDir, 'Dropped-drawing', 'src.svg')),
    ).toEqual(fs.readFileSync(small));

    expect((await call('jobs.list')).jobs.map((j: { id: string }) => j.id).sort()).toEqual([
      'Dropped-drawing',
      'small',
    ]);
    expect(
      (await call('jobs.list', { states: ['NEW'] })).jobs.map((j: { id: string }) => j.id),
    ).toEqual(['Dropped-drawing']);
    const detail = await call('jobs.get', { id: 'small' });
    expect(detail).toMatchObject({
      id: 'small',
      state: 'READY',
      meta: { source_name: 'small.svg' },
      plan: { summary: { layerCount: 1 } },
      condition: null,
    });
    expect(detail.journal.history.map((e: { to_state: string }) => e.to_state)).toEqual([
      'NEW',
      'ANALYZED',
      'OPTIMIZED',
      'READY',
    ]);

    expect(
      await call('jobs.plan', { id: 'Dropped-drawing', paper: 'A5', fit: 'scale' }),
    ).toMatchObject({
      id: 'Dropped-drawing',
      state: 'READY',
      summary: { paper: expect.stringMatching(/^A5/) },
    });
    expect(await call('jobs.queue', { id: 'Dropped-drawing' })).toEqual({
      id: 'Dropped-drawing',
      state: 'QUEUED',
    });
    expect(await call('jobs.reorder', { id: 'Dropped-drawing', before: null })).toEqual({
      id: 'Dropped-drawing',
      queue: ['Dropped-drawing'],
    });
    // No devices: list in config.yaml: the device section is one plotter, 'default', with no sheet named: it takes the job.
    expect(await call('queue.preview')).toEqual({
      jobs: [
        { id: 'Dropped-drawing', target: 'any', plotter: 'default', startsInS: 0, reason: null },
      ],
      onPlotter: {},
    });
    expect(await call('jobs.restart', { id: 'Dropped-drawing' })).toMatchObject({
      id: 'Dropped-drawing',
      from: 'QUEUED',
      state: 'QUEUED',
    });
    expect(await call('plot.abort', { id: 'Dropped-drawing' })).toEqual({
      id: 'Dropped-drawing',
      state: 'ABORTED',
    });
    expect(await call('jobs.remove', { id: 'Dropped-drawing' })).toEqual({
      id: 'Dropped-drawing',
      was: 'ABORTED',
    });
    expect(fs.existsSync(path.join(r.engine.paths.jobsDir, 'Dropped-drawing'))).toBe(false);

    // The queue runner, with nothing queued: --watch keeps it running until it is stopped.
    expect(await call('plotters.list')).toEqual({
      plotters: [
        {
          name: 'default',
          port: null,
          model: 'V3/A4',
          paper: null,
          speed: 1,
          configured: false,
          state: { kind: 'offline', reason: expect.stringMatching(/AxiDraw/) },
          inRun: false,
          camera: null,
        },
      ],
    });
    expect(await call('queue.status')).toEqual({
      running: false,
      since: null,
      options: null,
      stopping: null,
      plotters: [],
      waitingForPaper: [],
      last: null,
    });
    await expect(call('plotters.paperChanged', {})).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/not running/),
    });
    const started = await call('queue.start', { watch: true });
    expect(started).toMatchObject({
      running: true,
      options: { plotters: ['default'], unattended: false, pageDelayS: 15, watch: true },
      stopping: null,
      plotters: [{ plotter: { name: 'default' } }],
    });
    await expect(call('queue.start', {})).rejects.toMatchObject({
      code: 'BUSY',
      message: expect.stringMatching(/running already/),
    });
    expect(await call('queue.stop', { mode: 'finish' })).toMatchObject({ stopping: 'finish' });
    await s.waitForEvent(
      (e) => e.event === 'queue.event' && e.payload.type === 'runner.stopped',
      5000,
      'runner.stopped',
    );
    expect(await call('queue.status')).toMatchObject({
      running: false,
      last: { reason: 'stopped', completed: [], left: [] },
    });

    // A plot in the background: the call answers at once, events follow the plot to its end.
    const t0 = Date.now();
    expect(await call('plot.start', { id: 'small', device: 'virtual', speed: 50 })).toEqual({
      id: 'small',
      started: true,
    });
    expect(Date.now() - t0).toBeLessThan(1000);
    await s.waitForEvent(
      (e) =>
        e.event === 'job.changed' && e.payload.id === 'small' && e.payload.state === 'COMPLETED',
      20_000,
      'job.changed COMPLETED',
    );
    const progress = s.events.filter(
      (e) => e.event === 'plot.progress' && e.payload.id === 'small',
    );
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.payload).toMatchObject({ id: 'small', fraction: 1 });
    expect(s.events.filter((e) => e.event === 'plot.event').map((e) => e.payload.event)).toEqual(
      expect.arrayContaining(['start', 'complete']),
    );
    await until('the plot session to end', 5000, () =>
      r.service.activePlots().length === 0 ? true : undefined,
    );

    // The drawing as planned, index for index, for the app to draw.
    const preview = await call('jobs.preview', { id: 'small' });
    const plan = JSON.parse(
      fs.readFileSync(path.join(r.engine.paths.jobsDir, 'small', 'plan.json'), 'utf8'),
    );
    // Its thumbnail: the same sheet and layers, in far fewer points for a row.
    expect(await call('jobs.thumbnail', { id: 'small' })).toMatchObject({
      id: 'small',
      paperWidthMm: plan.summary.paperWidthMm,
      layers: [{ paths: expect.any(Number) }],
    });
    expect(preview).toMatchObject({
      id: 'small',
      paperWidthMm: plan.summary.paperWidthMm,
      points: plan.summary.pointCount,
      layers: [{ paths: plan.layers[0].paths.length }],
    });
    const xy = new Float32Array(new Uint8Array(Buffer.from(preview.layers[0].xy, 'base64')).buffer);
    const starts = new Uint32Array(
      new Uint8Array(Buffer.from(preview.layers[0].starts, 'base64')).buffer,
    );
    expect(starts.length).toBe(plan.layers[0].paths.length + 1);
    const firstPath: number[] = plan.layers[0].paths[0];
    expect(starts[1]! - starts[0]!).toBe(firstPath.length / 2);
    expect(
      Array.from(xy.subarray(0, firstPath.length)).map((v) => Math.round(v * 100) / 100),
    ).toEqual(firstPath.map((v) => Math.round(v * 100) / 100));
    // The camera saw the plot: start and complete pictures, readable one by one.
    const pictures = (await call('jobs.snapshots', { id: 'small' })).snapshots;
    expect(pictures.map((p: { kind: string }) => p.kind)).toEqual(
      expect.arrayContaining(['start', 'complete', 'latest']),
    );
    const start = pictures.find((p: { kind: string }) => p.kind === 'start');
    const picture = await call('jobs.snapshot', { id: 'small', name: start.name });
    expect(picture).toMatchObject({
      id: 'small',
      name: start.name,
      mime: 'image/jpeg',
      takenAt: start.takenAt,
    });
    expect(Buffer.from(picture.base64, 'base64').subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    await expect(
      call('jobs.snapshot', { id: 'small', name: '../../config.jpg' }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const taken = await call('camera.snapshot', { id: 'small' });
    expect(taken).toMatchObject({
      mime: 'image/jpeg',
      width: 160,
      height: 120,
      savedAs: expect.stringMatching(/^\d{8}T\d{6}-manual(-\d+)?\.jpg$/),
    });
    expect(
      fs.readFileSync(path.join(r.engine.paths.jobsDir, 'small', 'snapshots', taken.savedAs)),
    ).toEqual(Buffer.from(taken.base64, 'base64'));
    const tried = await call('camera.test', { url: r.camera!.url });
    expect(tried).toMatchObject({
      ok: true,
      width: 160,
      height: 120,
      picture: { mime: 'image/jpeg' },
    });
    expect(Buffer.from(tried.picture.base64, 'base64').subarray(0, 2)).toEqual(
      Buffer.from([0xff, 0xd8]),
    );
    const dead = await call('camera.test', { url: await deadCameraUrl() });
    expect(dead).toMatchObject({
      ok: false,
      frames: 0,
      error: expect.stringMatching(/refused the connection/),
    });
    expect(dead.picture).toBeUndefined();
    const viewer = await call('camera.viewer');
    expect(viewer.streamUrl).toBe(`/camera/stream.mjpeg?token=${r.host.token}`);
    await expect(call('jobs.markDone', { id: 'small' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/COMPLETED; only a paused or interrupted plot/),
    });

    await expect(call('plot.pause', { id: 'small' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
    await expect(call('plot.resume', { id: 'small' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
    expect(await call('recovery.scan')).toEqual({ jobs: [] });
    expect(await call('devices.list')).toMatchObject({
      virtual: true,
      model: 'V3/A4',
      configured: null,
    });
    expect(await call('devices.check', { device: 'virtual' })).toMatchObject({
      port: 'virtual',
      virtual: true,
    });
    expect(await call('devices.release', { device: 'virtual' })).toEqual({ port: 'virtual' });
    expect(await call('devices.pen', { device: 'virtual', position: 'down' })).toEqual({
      port: 'virtual',
      position: 'down',
      virtual: true,
    });
    await expect(
      call('devices.pen', { device: '/dev/vfab-no-such-port', position: 'up' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/vfab-no-such-port/),
    });
    expect(await call('devices.status')).toEqual({ plotters: [] });
    // No ready checks in this config: nothing is asked before a plot.
    expect(await call('plotters.ready', { id: 'small', device: 'virtual' })).toMatchObject({
      plotter: 'virtual',
      needed: null,
    });
    expect(await call('plotters.confirmReady', { plotter: 'virtual' })).toMatchObject({
      plotter: 'virtual',
      confirmedAt: expect.any(String),
    });
    expect(await call('devices.home', { device: 'virtual' })).toEqual({
      plotter: 'virtual',
      port: 'virtual',
      how: 'at_home',
      from: null,
    });
    await expect(call('devices.check', { device: '/dev/vfab-no-such-port' })).rejects.toMatchObject(
      { code: 'NOT_FOUND', message: expect.stringMatching(/vfab-no-such-port/) },
    );

    const pushed = await s.waitForEvent((e) => e.event === 'camera.status', 3000, 'camera.status');
    expect(pushed.payload).toMatchObject({ enabled: true, state: expect.any(String) });
    expect(JSON.stringify(pushed.payload)).not.toContain('stream.mjpeg');
    const cam = await call('camera.status', { probe: true });
    expect(cam).toMatchObject({ enabled: true, probe: { ok: true, width: 160, height: 120 } });
    expect(JSON.stringify(cam)).not.toContain(String(r.camera!.port));

    const settings = await call('settings.get');
    expect(settings).toMatchObject({
      file: r.env.VFAB_CONFIG,
      exists: true,
      config: { paper: { default_size: 'document' } },
    });
    const set = await call('settings.set', {
      values: { 'paper.default_size': 'A3', 'device.pen_pos_up': 70 },
    });
    expect(set.config).toMatchObject({ paper: { default_size: 'A3' }, device: { pen_pos_up: 70 } });
    expect(fs.readFileSync(r.env.VFAB_CONFIG!, 'utf8')).toMatch(/default_size: A3/);
    expect(r.engine.config.paper.default_size).toBe('A3');
    await expect(
      call('settings.set', { values: { 'paper.default_sise': 'A3' } }),
    ).rejects.toMatchObject({
      code: 'CONFIG',
      message: expect.stringMatching(/did you mean 'paper\.default_size'/),
    });
    await expect(
      call('settings.set', { values: { 'device.pen_pos_up': 500 } }),
    ).rejects.toMatchObject({ code: 'CONFIG' });

    const logs = await call('logs.tail', { lines: 5 });
    expect(logs.lines.length).toBe(5);
    expect(logs.lines.join('\n')).toMatch(/small/);

    // backup.export takes a name in the backups folder, never a path, and never replaces a file.
    const backups = path.join(r.env.VFAB_DATA_DIR!, 'backups');
    const archive = path.join(backups, 'backup.tar.gz');
    expect(await call('backup.export', { name: 'backup.tar.gz' })).toMatchObject({
      file: archive,
      jobs: 1,
      database: true,
    });
    const written = fs.readFileSync(archive);
    await expect(call('backup.export', { name: 'backup.tar.gz' })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
      message: expect.stringMatching(/backup\.tar\.gz already exists/),
    });
    expect(fs.readFileSync(archive)).toEqual(written);
    const passwd = path.join(r.root, 'passwd');
    fs.writeFileSync(passwd, 'root:x:0:0\n');
    for (const params of [{ output: passwd }, { name: passwd }, { name: '../passwd.tar.gz' }]) {
      await expect(call('backup.export', params)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    expect(fs.readFileSync(passwd, 'utf8')).toBe('root:x:0:0\n');
    expect(await call('backup.preview', { archive })).toMatchObject({
      jobs: ['small'],
      database: true,
      config: true,
      vfabVersion: VERSION,
    });
    expect(await call('backup.import', { archive, verifyOnly: true })).toMatchObject({
      verifyOnly: true,
      jobs: [],
      keptSettings: [],
    });
    expect(await call('backup.list')).toEqual({
      dir: backups,
      auto: false,
      intervalHours: 24,
      keep: 7,
      nextDue: null,
      archives: [],
    });
    const made = await call('backup.run');
    expect(made).toMatchObject({ jobs: 1, database: true, pruned: [] });
    expect(path.dirname(made.file)).toBe(backups);
    expect((await call('backup.list')).archives).toEqual([
      {
        file: made.file,
        name: path.basename(made.file),
        bytes: made.archiveBytes,
        createdAt: expect.any(String),
      },
    ]);
    await call('jobs.remove', { id: 'small' });
    expect((await call('system.info')).jobs.total).toBe(0);
    const imported = await call('backup.import', { archive });
    expect(imported).toMatchObject({
      verifyOnly: false,
      jobs: [{ id: 'small', state: 'COMPLETED' }],
    });
    // The engine was reopened in place on the imported files.
    expect((await call('system.info')).jobs.total).toBe(1);
    expect((await call('jobs.get', { id: 'small' })).state).toBe('COMPLETED');

    expect([...called].sort()).toEqual(Object.keys(METHODS).sort());
  });

  it('engine errors come back with their code; the connection stays usable', async () => {
    const r = await rig();
    const s = await r.connect();
    expect((await s.request('jobs.get', { id: 'nope' })).error).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/Job 'nope' not found/),
    });
    const file = r.svg('a.svg', '<line x1="0" y1="0" x2="10" y2="10"/>');
    expect(
      (await s.request('jobs.add', { source: { path: path.join(r.root, 'missing.svg') } })).error,
    ).toMatchObject({ code: 'NOT_FOUND' });
    await s.call('jobs.add', { source: { path: file }, id: 'a' });
    expect((await s.request('jobs.add', { source: { path: file }, id: 'a' })).error).toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    expect((await s.request('jobs.queue', { id: 'a' })).result).toEqual({
      id: 'a',
      state: 'QUEUED',
    });
    expect((await s.request('jobs.queue', { id: 'a' })).error).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/QUEUED to QUEUED/),
    });
    expect((await s.request('jobs.remove', { id: 'a' })).error).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/--force/),
    });
    expect((await s.request('backup.preview', { archive: file })).error).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/gzip/),
    });
    expect((await s.request('camera.status', {})).result).toMatchObject({
      enabled: false,
      reason: expect.stringMatching(/camera\.enabled is false/),
    });
    expect((await s.request('system.info', {})).result).toMatchObject({ jobs: { total: 1 } });
    // Secrets in config.yaml stay in the main process.
    const set = (
      await s.request('settings.set', {
        values: {
          'websocket.api_key': 'hunter2',
          'camera.url': 'http://motion:s3cret@127.0.0.1:8881/stream.mjpeg',
        },
      })
    ).result;
    expect(JSON.stringify(set)).not.toMatch(/hunter2|s3cret/);
    expect(fs.readFileSync(r.env.VFAB_CONFIG!, 'utf8')).toMatch(/hunter2/);
  });
});

describe('plots started through the API', () => {
  it('pause stops with the pen up, resume continues from the checkpoint to COMPLETED', async () => {
    const r = await rig();
    const s = await r.connect();
    await s.call('jobs.add', {
      source: { path: r.svg('zz.svg', ZIGZAG) },
      id: 'zz',
      optimization: 'fast',
    });
    await s.call('plot.start', { id: 'zz', device: 'virtual', speed: 2 });
    await s.waitForEvent(
      (e) => e.event === 'plot.progress' && e.payload.id === 'zz' && (e.payload.move as number) > 5,
      20_000,
      'progress past move 5',
    );
    const paused = await s.call('plot.pause', { id: 'zz' });
    expect(paused).toEqual({ id: 'zz', state: 'PAUSED' });
    await s.waitForEvent(
      (e) => e.event === 'job.changed' && e.payload.state === 'PAUSED',
      2000,
      'job.changed PAUSED',
    );
    expect((await s.call('recovery.scan')).jobs).toMatchObject([
      { id: 'zz', kind: 'interrupted', cause: 'paused' },
    ]);

    // Progress events are throttled to at most 10 a second per job.
    const stamps: number[] = [];
    cleanups.push(
      r.service.onEvent(
        (name, payload) =>
          name === 'plot.progress' &&
          (payload as { id: string }).id === 'zz' &&
          stamps.push(Date.now()),
      ),
    );
    // Each `device: virtual` is a freshly powered plotter: the user confirms the carriage is home.
    await s.call('plot.resume', { id: 'zz', device: 'virtual', speed: 50, carriageAtHome: true });
    await s.waitForEvent(
      (e) => e.event === 'job.changed' && e.payload.id === 'zz' && e.payload.state === 'COMPLETED',
      30_000,
      'COMPLETED after resume',
    );
    expect(stamps.length).toBeGreaterThan(10);
    for (let i = 10; i < stamps.length; i++)
      expect(stamps[i]! - stamps[i - 10]!).toBeGreaterThanOrEqual(900);
    const history = readJournal(
      path.join(r.engine.paths.jobsDir, 'zz', 'journal.jsonl'),
    ).records.map((x) => x.entry);
    expect(
      history
        .filter((e) => e.type === 'state_change')
        .map((e) => (e as { to_state: string }).to_state),
    ).toEqual([
      'NEW',
      'ANALYZED',
      'OPTIMIZED',
      'READY',
      'QUEUED',
      'ARMED',
      'PLOTTING',
      'PAUSED',
      'PLOTTING',
      'COMPLETED',
    ]);
  });

  it('a paused plot can be marked done; queued jobs move where they are dropped, and the CLI sees that order', async () => {
    const r = await rig();
    const s = await r.connect();
    await s.call('jobs.add', {
      source: { path: r.svg('zz.svg', ZIGZAG) },
      id: 'zz',
      optimization: 'fast',
    });
    await s.call('plot.start', { id: 'zz', device: 'virtual', speed: 2 });
    await s.waitForEvent(
      (e) => e.event === 'plot.progress' && e.payload.id === 'zz' && (e.payload.move as number) > 3,
      20_000,
      'progress',
    );
    await s.call('plot.pause', { id: 'zz' });
    expect(await s.call('jobs.markDone', { id: 'zz' })).toEqual({ id: 'zz', state: 'COMPLETED' });
    const last = readJournal(path.join(r.engine.paths.jobsDir, 'zz', 'journal.jsonl')).records.at(
      -1,
    )!.entry;
    expect(last).toMatchObject({
      type: 'state_change',
      from_state: 'PAUSED',
      to_state: 'COMPLETED',
      reason: 'the user marked the drawing complete',
      metadata: { checkpoint: { move: expect.any(Number) } },
    });

    const file = r.svg('a.svg', '<line x1="0" y1="0" x2="10" y2="10"/>');
    for (const id of ['q1', 'q2', 'q3', 'q4']) {
      await s.call('jobs.add', { source: { path: file }, id });
      await s.call('jobs.queue', { id });
    }
    expect((await s.call('jobs.reorder', { id: 'q4', before: 'q1' })).queue).toEqual([
      'q4',
      'q1',
      'q2',
      'q3',
    ]);
    expect((await s.call('jobs.reorder', { id: 'q1', before: null })).queue).toEqual([
      'q4',
      'q2',
      'q3',
      'q1',
    ]);
    // Many moves into the same gap use up the room between two positions: the queue is renumbered.
    for (let i = 0; i < 60; i++)
      await s.call('jobs.reorder', { id: i % 2 ? 'q2' : 'q3', before: i % 2 ? 'q3' : 'q2' });
    expect((await s.call('jobs.reorder', { id: 'q2', before: 'q3' })).queue).toEqual([
      'q4',
      'q2',
      'q3',
      'q1',
    ]);
    expect((await s.request('jobs.reorder', { id: 'zz', before: null })).error).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/zz' is COMPLETED; only queued jobs/),
    });
    expect((await s.request('jobs.reorder', { id: 'q2', before: 'zz' })).error).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/'zz' is not in the queue/),
    });
    // The CLI, a separate process reading the same index, plots in that order.
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(ROOT, 'out', 'main', 'cli.js'), ...args], {
        env: r.env,
        encoding: 'utf8',
      });
    const queue = () =>
      cli('info', 'queue', '--state', 'queued')
        .stdout.trim()
        .split('\n')
        .map((l) => l.split(/\s+/)[0]);
    expect(queue()).toEqual(['q4', 'q2', 'q3', 'q1']);
    // The order outlives the index: rebuilt from the journals, it is the artist's order still.
    expect(cli('system', 'rebuild-db').status).toBe(0);
    expect(queue()).toEqual(['q4', 'q2', 'q3', 'q1']);
    // A job that leaves the queue and comes back goes to the end, not to its old place.
    await s.call('plot.abort', { id: 'q4' });
    if ((await s.call('jobs.restart', { id: 'q4' })).state !== 'QUEUED')
      await s.call('jobs.queue', { id: 'q4' });
    expect(cli('system', 'rebuild-db').status).toBe(0);
    expect(queue()).toEqual(['q2', 'q3', 'q1', 'q4']);
  });

  it('shutdown takes the signal path: pen up, emergency_shutdown journaled, the job stays PLOTTING', async () => {
    const r = await rig();
    const s = await r.connect();
    await s.call('jobs.add', {
      source: { path: r.svg('zz.svg', ZIGZAG) },
      id: 'zz',
      optimization: 'fast',
    });
    await s.call('plot.start', { id: 'zz', device: 'virtual', speed: 2 });
    await s.waitForEvent(
      (e) => e.event === 'plot.progress' && (e.payload.move as number) > 3,
      20_000,
      'progress',
    );
    expect((await s.request('plot.start', { id: 'zz', device: 'virtual' })).error).toMatchObject({
      code: 'BUSY',
    });
    expect((await s.request('jobs.remove', { id: 'zz', force: true })).error).toMatchObject({
      code: 'BUSY',
    });
    const t0 = Date.now();
    await r.service.shutdown('SIGTERM');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.service.activePlots()).toEqual([]);
    const last = readJournal(path.join(r.engine.paths.jobsDir, 'zz', 'journal.jsonl')).records.at(
      -1,
    )!.entry;
    expect(last).toMatchObject({ type: 'emergency_shutdown', state: 'PLOTTING' });
    expect(r.engine.jobs.state('zz')).toBe('PLOTTING');
    expect((await s.request('plot.start', { id: 'zz', device: 'virtual' })).error).toMatchObject({
      code: 'BUSY',
      message: expect.stringMatching(/shutting down/),
    });
  });

  it('a plot that cannot start says why in a plot.event and leaves the job as it was', async () => {
    const r = await rig();
    const s = await r.connect();
    await s.call('jobs.add', {
      source: { path: r.svg('a.svg', '<line x1="0" y1="0" x2="10" y2="10"/>') },
      id: 'a',
    });
    await s.call('plot.start', { id: 'a', device: '/dev/vfab-no-such-port' });
    const failed = await s.waitForEvent(
      (e) => e.event === 'plot.event' && e.payload.event === 'fail',
      10_000,
      'plot.event fail',
    );
    expect(failed.payload).toMatchObject({
      id: 'a',
      error: expect.stringMatching(/vfab-no-such-port/),
    });
    expect((await s.call('jobs.get', { id: 'a' })).state).toBe('READY');
  });
});

describe('the event contract', () => {
  /** One job's events in order, as "event:detail" words, progress left out (its count depends on timing). */
  const story = (events: ApiSocket['events'], id: string): string[] =>
    events
      .filter((e) => e.event !== 'plot.progress' && e.payload?.id === id)
      .map((e) =>
        e.event === 'job.changed'
          ? `job.changed:${e.payload.state}`
          : e.event === 'plot.event'
            ? `plot.event:${e.payload.event}`
            : e.event === 'job.removed'
              ? `job.removed:${e.payload.was}`
              : e.event,
      );

  it('a job added, planned, plotted and removed tells each step once, in order', async () => {
    const r = await rig();
    const s = await r.connect();
    const small = r.svg('ev.svg', '<path d="M10 10 L60 10 L60 40 Z"/>');
    await s.call('jobs.add', { source: { path: small }, id: 'ev', optimization: 'fast' });
    await s.waitForEvent(
      (e) => e.event === 'job.changed' && e.payload.id === 'ev' && e.payload.state === 'READY',
      5000,
      'job.changed READY',
    );
    // Planning's inner steps (ANALYZED, OPTIMIZED) are journaled, not announced: the page shows the outcome.
    expect(story(s.events, 'ev')).toEqual(['job.changed:NEW', 'job.changed:READY']);

    const before = s.events.length;
    await s.call('plot.start', { id: 'ev', device: 'virtual', speed: 50 });
    await s.waitForEvent(
      (e) => e.event === 'job.changed' && e.payload.id === 'ev' && e.payload.state === 'COMPLETED',
      20_000,
      'job.changed COMPLETED',
    );
    // Told once the plotter is free: a next plot.start on this news is not refused BUSY.
    expect(r.service.activePlots()).toEqual([]);
    const plotted = story(s.events.slice(before), 'ev');
    // QUEUED and ARMED are the pre-flight's, journaled only; COMPLETED is told once the plotter is free.
    expect(plotted).toEqual([
      'plot.event:start',
      'job.changed:PLOTTING',
      'plot.event:complete',
      'job.changed:COMPLETED',
    ]);

    const beforeRemove = s.events.length;
    expect(await s.call('jobs.remove', { id: 'ev' })).toEqual({ id: 'ev', was: 'COMPLETED' });
    await s.waitForEvent(
      (e) => e.event === 'job.removed' && e.payload.id === 'ev',
      2000,
      'job.removed',
    );
    expect(story(s.events.slice(beforeRemove), 'ev')).toEqual(['job.removed:COMPLETED']);
  });
});

describe('malformed messages', () => {
  it('are answered with INVALID_INPUT, never reach the engine, and keep the connection', async () => {
    const r = await rig();
    const s = await r.connect();
    expect(await s.raw('{not json')).toMatchObject({
      id: null,
      error: { code: 'INVALID_INPUT', message: expect.stringMatching(/not JSON/) },
    });
    expect(await s.raw('[1,2]')).toMatchObject({ id: null, error: { code: 'INVALID_INPUT' } });
    expect(await s.raw('{"method":"system.info"}')).toMatchObject({
      id: null,
      error: { code: 'INVALID_INPUT', message: expect.stringMatching(/needs an id/) },
    });
    expect(
      await s.raw(JSON.stringify({ id: 'x'.repeat(100), method: 'system.info' })),
    ).toMatchObject({ id: null, error: { code: 'INVALID_INPUT' } });
    expect(await s.raw('{"id":7,"method":"system.info","params":{},"admin":true}')).toMatchObject({
      id: 7,
      error: { code: 'INVALID_INPUT', message: expect.stringMatching(/admin/) },
    });
    const cases: [string, unknown, RegExp][] = [
      ['jobs.nuke', {}, /Unknown method 'jobs\.nuke'/],
      ['jobs.get', { id: 5 }, /jobs\.get: id/],
      ['jobs.get', { id: 'a', force: true }, /force is not a parameter/],
      ['jobs.get', { id: 'y'.repeat(1_000_000) }, /jobs\.get: id/],
      ['jobs.add', { source: { path: 'drawing.svg' } }, /jobs\.add: source/],
      ['jobs.add', { source: { path: `${r.root}/../../etc/passwd` } }, /jobs\.add: source/],
      ['jobs.add', { source: { path: `${r.root}/a\u0000.svg` } }, /jobs\.add: source/],
      ['backup.export', { name: '../escape.tar.gz' }, /backup\.export: name/],
      ['plot.start', { id: 'a', speed: 'fast' }, /plot\.start: speed/],
    ];
    for (const [method, params, message] of cases) {
      expect((await s.request(method, params)).error, method).toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(message),
      });
    }
    expect(fs.readdirSync(r.engine.paths.jobsDir)).toEqual([]);
    expect(fs.existsSync(path.join(r.root, 'escape.tar.gz'))).toBe(false);
    expect((await s.call('system.info')).jobs.total).toBe(0);
  });

  it('a frame over the size cap closes that connection (1009); others are unaffected', async () => {
    const r = await rig();
    const bystander = await r.connect();
    const s = await r.connect();
    const closed = new Promise<number>((resolve) => s.ws.once('close', (code) => resolve(code)));
    s.ws.send(Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20).toString());
    expect(await closed).toBe(1009);
    expect((await bystander.call('system.info')).version).toBe(VERSION);
  });
});

describe('who may connect', () => {
  it('refuses a wrong token (401) and the API without one, and serves the public app files without one and with no cookie', async () => {
    const { host } = await rig();
    expect((await get(host.port, '/?token=wrong')).status).toBe(401);
    expect((await get(host.port, '/', { Authorization: 'Bearer nope' })).status).toBe(401);
    expect((await get(host.port, '/ws')).status).toBe(401);
    expect((await get(host.port, `/ws?token=${host.token}`)).status).toBe(426);
    const page = await get(host.port, `/?token=${host.token}`);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<div id="root">/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("img-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${host.port}`);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    // A cookie for 127.0.0.1 would go to every other server on this machine, whatever its port.
    expect(page.headers['set-cookie']).toBeUndefined();
    // The page and its scripts hold no secret: they load without the token (the page keeps its own).
    const bare = await get(host.port, '/');
    expect(bare.status).toBe(200);
    expect(bare.body).toBe(page.body);
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.body)![1]!;
    const js = await get(host.port, `/${script}`);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    expect(js.body).not.toContain(host.token);
    expect((await get(host.port, `/${script}?token=wrong`)).status).toBe(401);
  });

  it('takes the token as a WebSocket subprotocol, the way the page sends it, and never echoes it', async () => {
    const { host } = await rig();
    const ws = new WebSocket(
      `${host.origin.replace('http', 'ws')}/ws`,
      ['vfab', `vfab.token.${host.token}`],
      { origin: host.origin },
    );
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    // The server's Sec-WebSocket-Protocol: the API's name, not the token.
    expect(ws.protocol).toBe('vfab');
    ws.close();
    const wrong = new WebSocket(
      `${host.origin.replace('http', 'ws')}/ws`,
      ['vfab', 'vfab.token.wrong'],
      { origin: host.origin },
    );
    const status = await new Promise<number>((resolve) =>
      wrong.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(401);
  });

  it('refuses a foreign Host (DNS rebinding), foreign Origin on state-changing requests, and path traversal', async () => {
    const { host } = await rig();
    const t = `token=${host.token}`;
    expect((await get(host.port, `/?${t}`, { Host: `evil.example:${host.port}` })).status).toBe(
      421,
    );
    expect((await get(host.port, `/?${t}`, { Origin: 'http://evil.example' }, 'POST')).status).toBe(
      403,
    );
    expect((await get(host.port, `/?${t}`, { Origin: host.origin }, 'POST')).status).toBe(405);
    for (const target of [
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/..%5c..%5cpackage.json',
      '/%00index.html',
      '/.hidden',
      '/assets/%2e%2e/index.html',
    ]) {
      const res = await get(host.port, `${target}${target.includes('?') ? '&' : '?'}${t}`);
      expect([400, 404], target).toContain(res.status);
      expect(res.body).not.toMatch(/root:|"name": "vfab"/);
    }
  });

  it('refuses the WebSocket upgrade without the token, with a wrong one, or from another origin', async () => {
    const { host } = await rig();
    await expect(
      openApiSocket(`${host.origin.replace('http', 'ws')}/ws`, host.origin),
    ).rejects.toMatchObject({ status: 401 });
    await expect(openApiSocket(wsUrl(host.origin, 'wrong'), host.origin)).rejects.toMatchObject({
      status: 401,
    });
    await expect(
      openApiSocket(wsUrl(host.origin, host.token), 'http://evil.example'),
    ).rejects.toMatchObject({ status: 403 });
    await expect(
      openApiSocket(wsUrl(host.origin, host.token), `http://127.0.0.1:${host.port + 1}`),
    ).rejects.toMatchObject({ status: 403 });
    await expect(openApiSocket(wsUrl(host.origin, host.token), undefined)).rejects.toMatchObject({
      status: 403,
    });
    const ok = await openApiSocket(wsUrl(host.origin, host.token), host.origin);
    expect((await ok.call('system.info')).version).toBe(VERSION);
    await ok.close();
  });

  it('refuses connections past the limit (503) and takes them again when one closes', async () => {
    const r = await rig({ maxClients: 2 });
    const first = await r.connect();
    await r.connect();
    await expect(
      openApiSocket(wsUrl(r.host.origin, r.host.token), r.host.origin),
    ).rejects.toMatchObject({ status: 503 });
    await first.close();
    await until('the closed connection to be dropped', 2000, async () => {
      const again = await openApiSocket(wsUrl(r.host.origin, r.host.token), r.host.origin).catch(
        () => undefined,
      );
      if (again) cleanups.push(() => again.close());
      return again;
    });
  });

  it('relays the camera at /camera/* behind the same token', async () => {
    const { host, camera } = await rig({ camera: true });
    expect((await get(host.port, '/camera/snapshot.jpg')).status).toBe(401);
    const snap = await get(host.port, `/camera/snapshot.jpg?token=${host.token}`);
    expect(snap.status).toBe(200);
    expect(snap.headers['content-type']).toBe('image/jpeg');
    const stream = await get(host.port, `/camera/stream.mjpeg?token=${host.token}`);
    expect(stream.headers['content-type']).toMatch(/^multipart\/x-mixed-replace/);
    await waitFor(() => camera!.connections >= 1, 2000, 'the relay to reach the camera');
    expect(camera!.connections).toBe(1);
  });
});

/**
 * Sends a request the way Chromium sends a large message: in 131,000-byte fragments. Only the
 * first goes now; `finish` sends the rest.
 */
function sendFragmented(s: ApiSocket, request: object): { finish(): void } {
  const FRAGMENT = 131_000;
  const bytes = Buffer.from(JSON.stringify(request));
  s.ws.send(bytes.subarray(0, FRAGMENT), { fin: false, binary: false });
  return {
    finish() {
      for (let at = FRAGMENT; at < bytes.length; at += FRAGMENT)
        s.ws.send(bytes.subarray(at, at + FRAGMENT), { fin: at + FRAGMENT >= bytes.length });
    },
  };
}

describe('upload memory', () => {
  it('refuses uploads past the shared budget with BUSY at their first fragment, completes the one that fits, and takes a retry after it', async () => {
    const r = await rig();
    const bystander = await r.connect();
    // 5 MB of drawing: a browser's upload of it counts as the largest allowed until it has all arrived.
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="100mm" viewBox="0 0 100 100"><!-- ${'x'.repeat(5_000_000)} --><line x1="0" y1="0" x2="90" y2="90" ${INK}/></svg>`;
    const base64 = Buffer.from(svg).toString('base64');
    const uploaders = await Promise.all(Array.from({ length: 10 }, () => r.connect()));
    const replies = new Map<
      string,
      { result?: { job: { id: string } }; error?: { code: string; message: string } }
    >();
    for (const s of uploaders)
      s.ws.on('message', (data) =>
        (({ id, ...reply }) => id && replies.set(id, reply))(JSON.parse(String(data))),
      );
    const uploads = uploaders.map((s, i) =>
      sendFragmented(s, {
        id: `up${i}`,
        method: 'jobs.add',
        params: { source: { name: `big${i}.svg`, base64 }, id: `big${i}`, plan: false },
      }),
    );

    // 128 MiB holds one upload of unknown size (up to 50 MiB as base64): the other nine are refused
    // at once, before their bytes arrive, by their ids.
    const busy = await until('nine BUSY replies', 10_000, () => {
      const refused = [...replies].filter(([, reply]) => reply.error?.code === 'BUSY');
      return refused.length === 9 ? refused : undefined;
    });
    expect(busy[0]![1].error!.message).toMatch(/retry this one when they finish/);
    // The app's ordinary calls go on meanwhile.
    expect((await bystander.call('system.info')).version).toBe(VERSION);

    for (const u of uploads) u.finish();
    const admitted = uploaders.findIndex((_, i) => !replies.has(`up${i}`));
    const added = await until('the admitted upload to be added', 20_000, () =>
      replies.get(`up${admitted}`),
    );
    expect(added.result?.job.id).toBe(`big${admitted}`);
    expect((await bystander.call('jobs.list', {})).jobs.map((j: { id: string }) => j.id)).toEqual([
      `big${admitted}`,
    ]);

    // Once it is done, a refused one is taken when tried again, on the same connection.
    const retry = uploaders[(admitted + 1) % 10]!;
    expect(
      (
        await retry.call('jobs.add', {
          source: { name: 'again.svg', base64 },
          id: 'again',
          plan: false,
        })
      ).job.id,
    ).toBe('again');
    expect((await bystander.call('system.info')).jobs.total).toBe(2);
  });
});
