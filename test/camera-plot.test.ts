import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCameraClient } from '../src-main/camera/client';
import {
  PLOT_CAMERA_EVENTS,
  startPlotCamera,
  type PlotCamera,
} from '../src-main/camera/plot-camera';
import { configSchema, type VfabConfig } from '../src-main/config/config';
import { FIXTURES, ROOT, sandbox } from './helpers/cli';
import { spawnVfab } from './helpers/crash-rig';
import {
  frameNumber,
  startFakeCamera,
  waitFor,
  type FakeCamera,
  type FakeCameraOptions,
  deadCameraUrl,
} from './helpers/fake-camera';
import { endWithTest } from './helpers/processes';
import { useTempDirs } from './helpers/tmp';

const tempDir = useTempDirs('vfab-camera-plot-');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function cameraConfig(over: Partial<VfabConfig['camera']> = {}): VfabConfig['camera'] {
  return { ...configSchema.parse({}).camera, ...over };
}

function fakeLogger() {
  const lines: { level: string; msg: string; job?: string }[] = [];
  const at = (level: string) => (msg: string, job?: string) => void lines.push({ level, msg, job });
  return {
    lines,
    debug: at('DEBUG'),
    info: at('INFO'),
    warning: at('WARNING'),
    warnings: () => lines.filter((l) => l.level === 'WARNING'),
  };
}

async function camera(opts: FakeCameraOptions = {}): Promise<FakeCamera> {
  const cam = await startFakeCamera(opts);
  cleanups.push(() => cam.close());
  return cam;
}

function start(opts: Parameters<typeof startPlotCamera>[0]): PlotCamera {
  const cam = startPlotCamera(opts);
  cleanups.push(() => cam.stop());
  return cam;
}

/** A client of our own per test, so tests never share the process-wide one. */
function clientFor(url: string) {
  const c = createCameraClient({ url, backoff: { initialMs: 50, maxMs: 200 } });
  cleanups.push(() => c.close());
  return c;
}

const decode = (file: string) => jpeg.decode(fs.readFileSync(file));

describe('startPlotCamera', () => {
  it('writes a valid JPEG for every job event, named by local time and kind, and latest.jpg', async () => {
    const cam = await camera({ width: 320, height: 240, fps: 20 });
    const jobsDir = tempDir();
    const logger = fakeLogger();
    const pc = start({
      camera: cameraConfig({ url: cam.url }),
      jobsDir,
      jobId: 'job1',
      logger,
      client: clientFor(cam.url),
    });
    expect(pc.enabled).toBe(true);
    const files: string[] = [];
    for (const kind of PLOT_CAMERA_EVENTS) {
      const file = await pc.event(kind);
      expect(file, kind).toBeDefined();
      files.push(file!);
    }
    await pc.stop();
    const dir = path.join(jobsDir, 'job1', 'snapshots');
    expect(pc.dir).toBe(dir);
    PLOT_CAMERA_EVENTS.forEach((kind, i) => {
      expect(path.dirname(files[i]!)).toBe(dir);
      expect(path.basename(files[i]!)).toMatch(new RegExp(`^\\d{8}T\\d{6}-${kind}\\.jpg$`));
      expect(decode(files[i]!)).toMatchObject({ width: 320, height: 240 });
    });
    expect(decode(path.join(dir, 'latest.jpg'))).toMatchObject({ width: 320, height: 240 });
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(logger.warnings()).toEqual([]);
    expect(logger.lines.filter((l) => l.level === 'INFO').map((l) => l.job)).toEqual(
      PLOT_CAMERA_EVENTS.map(() => 'job1'),
    );
  });

  it('two events of one kind in the same second get distinct names', async () => {
    const cam = await camera({ fps: 30 });
    const pc = start({
      camera: cameraConfig({ url: cam.url }),
      jobsDir: tempDir(),
      jobId: 'j',
      logger: fakeLogger(),
      client: clientFor(cam.url),
    });
    const a = await pc.event('pen_change');
    const b = await pc.event('pen_change');
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(a).not.toBe(b);
    if (path.basename(a!).slice(0, 15) === path.basename(b!).slice(0, 15))
      expect(b).toMatch(/-pen_change-2\.jpg$/);
  });

  /**
   * The refresh runs on setInterval, faked here so the test moves its clock; the camera, the
   * socket and the file writes stay real. Frames keep arriving, so "no tick, no new view" is
   * checked after several frames, not after a wait.
   */
  function refreshRig(cam: FakeCamera, snapshotIntervalS: number) {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    cleanups.push(() => void vi.useRealTimers());
    const client = clientFor(cam.url);
    let frames = 0;
    cleanups.push(client.onFrame(() => frames++));
    const jobsDir = tempDir();
    const pc = start({
      camera: cameraConfig({ url: cam.url, snapshot_interval_s: snapshotIntervalS }),
      jobsDir,
      jobId: 'j',
      logger: fakeLogger(),
      client,
    });
    const latest = path.join(jobsDir, 'j', 'snapshots', 'latest.jpg');
    const { width, height } = jpeg.decode(cam.base);
    /** The view in latest.jpg: a whole JPEG (replaced by rename), and its frame's number. */
    const view = () => {
      const data = fs.readFileSync(latest);
      expect(jpeg.decode(data)).toMatchObject({ width, height });
      return frameNumber(data)!;
    };
    const moreFrames = async (n: number) => {
      const until = frames + n;
      await waitFor(() => frames >= until, 5_000, `${n} more camera frames`);
    };
    /** Advances the refresh clock by `ms` and says whether that wrote a new view. */
    const tick = async (ms: number, writes: boolean) => {
      // A frame newer than the view, so a refresh would have something new to write.
      await moreFrames(2);
      const before = view();
      vi.advanceTimersByTime(ms);
      if (writes) await waitFor(() => view() !== before, 5_000, `a new view after ${ms} ms`);
      else {
        await moreFrames(3);
        expect(view(), `no new view after ${ms} ms`).toBe(before);
      }
    };
    return { pc, latest, view, tick, moreFrames };
  }

  it('keeps latest.jpg refreshed every snapshot_interval_s while plotting, always a whole JPEG', async () => {
    const cam = await camera({ width: 160, height: 120, fps: 10 });
    const { pc, latest, view, tick, moreFrames } = refreshRig(cam, 2);
    // The first frame at once, before any interval: a crash early on still leaves a view.
    await waitFor(() => fs.existsSync(latest), 5_000, 'the first view');
    const first = view();
    await moreFrames(3);
    expect(view()).toBe(first);
    // One new view per 2 s of the refresh clock, none in between.
    const views = [first];
    for (let i = 0; i < 3; i++) {
      await tick(1_999, false);
      await tick(1, true);
      views.push(view());
    }
    expect(new Set(views).size).toBe(4);
    expect([...views].sort((a, b) => a - b)).toEqual(views);

    await pc.stop();
    // Stopped: no refresh is left on the clock, the camera is released, the view stays.
    const mtime = fs.statSync(latest).mtimeMs;
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    await waitFor(() => cam.open === 0, 2_000, 'the camera to be released');
    expect(fs.statSync(latest).mtimeMs).toBe(mtime);
  });

  it('snapshot_interval_s below 1 is taken as 1 s', async () => {
    const cam = await camera({ fps: 20 });
    const { latest, tick } = refreshRig(cam, 0);
    await waitFor(() => fs.existsSync(latest), 5_000, 'the first view');
    await tick(999, false);
    await tick(1, true);
    await tick(999, false);
    await tick(1, true);
  });

  it.each([{ enabled: false }, { mode: 'disabled' as const }])(
    'disabled (%o): no connection, no files, no warnings',
    async (over) => {
      const cam = await camera();
      const jobsDir = tempDir();
      const logger = fakeLogger();
      const pc = start({
        camera: cameraConfig({ url: cam.url, ...over }),
        jobsDir,
        jobId: 'j',
        logger,
      });
      const t = Date.now();
      expect(await pc.event('start')).toBeUndefined();
      expect(Date.now() - t).toBeLessThan(50);
      await pc.stop();
      expect(pc.enabled).toBe(false);
      expect(cam.connections).toBe(0);
      expect(fs.existsSync(path.join(jobsDir, 'j'))).toBe(false);
      expect(logger.warnings()).toEqual([]);
      expect(logger.lines).toHaveLength(1);
      expect(logger.lines[0]!.level).toBe('DEBUG');
    },
  );

  it('camera absent: events resolve quickly to undefined, one warning for the whole plot, nothing thrown', async () => {
    const url = await deadCameraUrl();
    const jobsDir = tempDir();
    const logger = fakeLogger();
    const pc = start({
      camera: cameraConfig({ url }),
      jobsDir,
      jobId: 'j',
      logger,
      client: clientFor(url),
    });
    const t = Date.now();
    for (const kind of PLOT_CAMERA_EVENTS) expect(await pc.event(kind)).toBeUndefined();
    expect(Date.now() - t).toBeLessThan(3_000);
    await pc.stop();
    const warnings = logger.warnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toBe(
      `camera: no start snapshot (Camera at ${url} refused the connection: is Motion running? (systemctl status motion)); the plot goes on without snapshots until the camera answers`,
    );
    expect(warnings[0]!.job).toBe('j');
  });

  it('a camera that connects but never sends: an event waits about 1.5 s, no longer', async () => {
    const cam = await camera({ frames: 0, after: 'hang' });
    const pc = start({
      camera: cameraConfig({ url: cam.url }),
      jobsDir: tempDir(),
      jobId: 'j',
      logger: fakeLogger(),
      client: clientFor(cam.url),
    });
    const t = Date.now();
    expect(await pc.event('pause')).toBeUndefined();
    const took = Date.now() - t;
    expect(took).toBeGreaterThanOrEqual(1_400);
    expect(took).toBeLessThan(2_500);
  });

  it('a job folder that cannot be written: undefined and one warning, not a throw', async () => {
    const cam = await camera({ fps: 30 });
    const jobsDir = path.join(tempDir(), 'not-a-dir');
    fs.writeFileSync(jobsDir, 'file in the way');
    const logger = fakeLogger();
    const pc = start({
      camera: cameraConfig({ url: cam.url }),
      jobsDir,
      jobId: 'j',
      logger,
      client: clientFor(cam.url),
    });
    expect(await pc.event('start')).toBeUndefined();
    expect(await pc.event('pause')).toBeUndefined();
    await pc.stop();
    const events = logger.warnings().filter((w) => w.msg.includes('snapshot in'));
    expect(events).toHaveLength(1);
    expect(events[0]!.msg).toMatch(
      /^camera: could not save the start snapshot in .*not-a-dir\/j\/snapshots: ENOTDIR/,
    );
  });

  it('after a SIGKILL of the plotting process, latest.jpg is a whole, recent JPEG', async () => {
    const cam = await camera({ width: 320, height: 240, fps: 15 });
    const dir = tempDir();
    const jobsDir = path.join(dir, 'jobs');
    const script = path.join(dir, 'plotting.ts');
    // The default path: the process-wide shared client, as `vfab plot` uses it.
    fs.writeFileSync(
      script,
      `import { startPlotCamera } from ${JSON.stringify(path.join(ROOT, 'src-main', 'camera', 'plot-camera.ts'))};
import { configSchema } from ${JSON.stringify(path.join(ROOT, 'src-main', 'config', 'config.ts'))};
const camera = { ...configSchema.parse({}).camera, url: process.argv[2]!, snapshot_interval_s: 1 };
const log = (level: string) => (msg: string) => console.log(level, msg);
const cam = startPlotCamera({ camera, jobsDir: process.argv[3]!, jobId: 'crash', logger: { debug: log('DEBUG'), info: log('INFO'), warning: log('WARNING') } });
void cam.event('start').then((file) => console.log('started', file));
setInterval(() => undefined, 1000);
`,
    );
    // Node itself with tsx's loader, not the tsx launcher: the launcher runs the script in a child
    // of its own, which a SIGKILL of the launcher would leave running after the suite.
    const child = endWithTest(
      spawn(process.execPath, ['--import', 'tsx', script, cam.url, jobsDir], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const exited = new Promise<NodeJS.Signals | number | null>((r) =>
      child.on('exit', (code, signal) => r(signal ?? code)),
    );
    cleanups.push(() => void child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const latest = path.join(jobsDir, 'crash', 'snapshots', 'latest.jpg');
    await waitFor(
      () => out.includes('started /'),
      20_000,
      `the child to snapshot the start (it said: ${out})`,
    );
    const firstView = frameNumber(fs.readFileSync(latest))!;
    // Let the refresh run a few intervals, then kill it without warning.
    await waitFor(
      () => fs.existsSync(latest) && frameNumber(fs.readFileSync(latest))! >= firstView + 15 * 2,
      10_000,
      'latest.jpg to be refreshed',
    );
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const data = fs.readFileSync(latest);
    expect(jpeg.decode(data)).toMatchObject({ width: 320, height: 240 });
    expect(frameNumber(data)! - firstView).toBeGreaterThanOrEqual(30);
    expect(cam.framesSent - frameNumber(data)!).toBeLessThanOrEqual(15 * 2);
    expect(out).toMatch(/started .*crash\/snapshots\/\d{8}T\d{6}-start\.jpg/);
  });
});

describe('vfab plot with a camera', () => {
  it('snapshots the start and the interruption, and keeps latest.jpg through a SIGKILL mid-plot', async () => {
    const cam = await camera({ width: 320, height: 240, fps: 10 });
    const sb = sandbox();
    cleanups.push(() => sb.cleanup());
    fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
    fs.writeFileSync(sb.configFile, `camera:\n  url: ${cam.url}\n  snapshot_interval_s: 1\n`);
    expect(
      sb.run(['add', 'job', 'cam', path.join(FIXTURES, 'AxiDraw_First.svg'), '--fit', 'scale'])
        .code,
    ).toBe(0);
    const snapshots = path.join(sb.jobsDir, 'cam', 'snapshots');
    // SIGTERM first: the signal path snapshots the interruption.
    const term = spawnVfab(sb, ['plot', 'cam', '--device', 'virtual', '--speed', '5']);
    await waitFor(
      () =>
        fs.existsSync(snapshots) && fs.readdirSync(snapshots).some((f) => f.endsWith('-start.jpg')),
      15_000,
      'the start snapshot',
    );
    term.child.kill('SIGTERM');
    expect(await term.exited).toBe(143);
    expect(fs.readdirSync(snapshots).some((f) => f.endsWith('-interrupt.jpg'))).toBe(true);
    // Then SIGKILL, which gives no warning: only latest.jpg, refreshed every second, is left.
    fs.rmSync(snapshots, { recursive: true });
    const kill = spawnVfab(sb, [
      'resume',
      'cam',
      '--device',
      'virtual',
      '--speed',
      '5',
      '--carriage-at-home',
    ]);
    await waitFor(() => fs.existsSync(path.join(snapshots, 'latest.jpg')), 15_000, 'latest.jpg');
    // A few views written before the kill: latest.jpg replaced twice more.
    const mtimes = new Set<number>();
    await waitFor(
      () => mtimes.add(fs.statSync(path.join(snapshots, 'latest.jpg')).mtimeMs).size >= 3,
      15_000,
      'latest.jpg replaced twice',
    );
    kill.child.kill('SIGKILL');
    await kill.exited;
    const latest = decode(path.join(snapshots, 'latest.jpg'));
    expect([latest.width, latest.height]).toEqual([320, 240]);
    expect(Date.now() - fs.statSync(path.join(snapshots, 'latest.jpg')).mtimeMs).toBeLessThan(3000);
    for (const f of fs.readdirSync(snapshots).filter((f) => f.endsWith('.jpg')))
      expect(decode(path.join(snapshots, f)).width).toBe(320);
  }, 60_000);
});
