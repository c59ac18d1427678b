/**
 * `vfab check camera` through the built CLI (bin/vfab.js → out/main/cli.js; run `npx electron-vite build`
 * after source changes). The fake camera lives in this process, so the CLI is spawned
 * asynchronously: sandbox().run() uses spawnSync, which would block the fake's event loop.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src-main/errors';
import { ROOT, sandbox, type Sandbox } from './helpers/cli';
import {
  startFakeCamera,
  type FakeCamera,
  type FakeCameraOptions,
  deadCameraUrl,
} from './helpers/fake-camera';
import { endWithTest } from './helpers/processes';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function box(config?: string): Sandbox {
  const sb = sandbox();
  cleanups.push(() => sb.cleanup());
  if (config !== undefined) {
    fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
    fs.writeFileSync(sb.configFile, config);
  }
  return sb;
}

async function camera(opts: FakeCameraOptions = {}): Promise<FakeCamera> {
  const cam = await startFakeCamera(opts);
  cleanups.push(() => cam.close());
  return cam;
}

function vfab(
  sb: Sandbox,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t = Date.now();
  const child = endWithTest(
    spawn(process.execPath, [path.join(ROOT, 'bin', 'vfab.js'), ...args], {
      env: sb.env,
      cwd: sb.root,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  cleanups.push(() => void child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t })),
  );
}

describe('vfab check camera', () => {
  it('ok against a fake Motion: URL, result, fps and resolution; logged', async () => {
    const cam = await camera({ width: 320, height: 240, fps: 25 });
    const sb = box(`camera:\n  url: ${cam.url}\n`);
    const r = await vfab(sb, ['check', 'camera']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`Camera:     ${cam.url}`);
    expect(lines[1]).toBe('Result:     ok');
    expect(lines[2]).toMatch(/^Frames: {5}\d+$/);
    const fps = Number(/^Rate: {7}([\d.]+) fps$/.exec(lines[3]!)?.[1]);
    expect(fps).toBeGreaterThan(18);
    expect(fps).toBeLessThan(32);
    expect(lines[4]).toBe('Resolution: 320x240');
    expect(fs.readFileSync(sb.logFile, 'utf8')).toMatch(
      /INFO check camera: http:\/\/127\.0\.0\.1:\d+\/stream\.mjpeg ok, [\d.]+ fps, 320x240/,
    );
  });

  it('--json, and --url overrides camera.url', async () => {
    const cam = await camera({ width: 64, height: 48, fps: 30 });
    const sb = box(`camera:\n  url: ${await deadCameraUrl()}\n`);
    const r = await vfab(sb, ['check', 'camera', '--json', '--url', cam.url]);
    expect(r.code).toBe(0);
    const { camera: probe } = JSON.parse(r.stdout) as { camera: Record<string, unknown> };
    expect(probe).toMatchObject({ ok: true, url: cam.url, width: 64, height: 48 });
    expect(probe.frames).toBeGreaterThan(10);
  });

  it('fail with a refused port: nonzero exit, the URL and what to do', async () => {
    const url = await deadCameraUrl();
    const sb = box(`camera:\n  url: ${url}\n  motion_service: motion\n`);
    const r = await vfab(sb, ['check', 'camera']);
    expect(r.code).toBe(ERROR_CODES.NOT_FOUND);
    expect(r.stdout).toBe(`Camera: ${url}\nResult: fail\nFrames: 0\n`);
    expect(r.stderr).toBe(
      `vfab: Camera at ${url} refused the connection: is Motion running? (systemctl status motion)\n`,
    );

    const j = await vfab(sb, ['check', 'camera', '--json']);
    expect(j.code).toBe(ERROR_CODES.NOT_FOUND);
    expect(JSON.parse(j.stdout)).toEqual({
      camera: {
        ok: false,
        url,
        frames: 0,
        error: `Camera at ${url} refused the connection: is Motion running? (systemctl status motion)`,
      },
    });
  });

  it('bounded in time on an endless stream that never completes a frame', async () => {
    const cam = await camera({ frames: 0, after: 'hang' });
    const sb = box(`camera:\n  url: ${cam.url}\n`);
    const r = await vfab(sb, ['check', 'camera', '--timeout', '1.5']);
    expect(r.code).toBe(ERROR_CODES.NOT_FOUND);
    expect(r.stderr).toMatch(/sent no complete frame within 1\.5 s/);
    // 1.5 s of watching plus process start-up; an unbounded check would hang here.
    expect(r.ms).toBeLessThan(8_000);
    expect(cam.open).toBe(0);
  });

  it('bounded in time on an endless, working stream (stops after its sample)', async () => {
    const cam = await camera({ fps: 30 });
    const sb = box(`camera:\n  url: ${cam.url}\n`);
    const r = await vfab(sb, ['check', 'camera', '--timeout', '30']);
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(10_000);
  });

  it('disabled: says so and exits 0 without connecting', async () => {
    const cam = await camera();
    const sb = box(`camera:\n  enabled: false\n  url: ${cam.url}\n`);
    const r = await vfab(sb, ['check', 'camera']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'Camera: disabled\nWhy:    camera.enabled is false in config.yaml; vfab works fully without a camera\nResult: ok (nothing to check)\n',
    );
    const j = await vfab(box(`camera:\n  mode: disabled\n`), ['check', 'camera', '--json']);
    expect(JSON.parse(j.stdout)).toEqual({
      camera: { disabled: true, reason: 'camera.mode is disabled in config.yaml' },
    });
    expect(cam.connections).toBe(0);
  });

  it('refuses a bad --timeout', async () => {
    const r = await vfab(box(), ['check', 'camera', '--timeout', 'soon']);
    expect(r.code).toBe(ERROR_CODES.USAGE);
    expect(r.stderr).toMatch(/--timeout 'soon' must be a number of seconds/);
  });
});
