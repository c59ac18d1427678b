/**
 * `notify.webhook_url` as a user meets it: the built `vfab plot` on a virtual plotter posts how the
 * plot ended to a real HTTP server on 127.0.0.1 before it exits; a hook that is down or never
 * answers costs a WARNING in the log (host only) and at most `notify.timeout_s`, never the plot.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VERSION } from '../src-main/version';
import type { Sandbox } from './helpers/cli';
import { spawnVfab, startPlotterProcess, waitForState } from './helpers/crash-rig';
import { writeZigzag } from './helpers/dense-svg';
import { startFakeCamera } from './helpers/fake-camera';
import { closedPort, startHookServer, type HookServer } from './helpers/hook-server';
import { usePlotterSandbox } from './helpers/plotter-sandbox';

const rig = usePlotterSandbox();
let server: HookServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function configure(sb: Sandbox, notify: string): void {
  fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
  fs.writeFileSync(sb.configFile, `camera:\n  enabled: false\nnotify:\n${notify}`);
}

function addJob(sb: Sandbox, id: string, strokes = 3): void {
  const added = sb.run([
    'add',
    'job',
    id,
    writeZigzag(path.join(sb.root, `zigzag-${strokes}.svg`), strokes),
  ]);
  expect(added.code, added.stderr).toBe(0);
}

const logLines = (sb: Sandbox) => fs.readFileSync(sb.logFile, 'utf8').split('\n').filter(Boolean);

describe('the webhook', () => {
  it('gets one POST with the completed plot before vfab plot exits', async () => {
    server = await startHookServer();
    configure(rig.sb, `  webhook_url: http://127.0.0.1:${server.port}/hook?token=s3cret\n`);
    addJob(rig.sb, 'card');
    const plot = spawnVfab(rig.sb, ['plot', 'card', '--device', 'virtual', '--speed', '20']);
    expect(await plot.exited, plot.stderr()).toBe(0);
    // Delivered before the process ended: nothing to wait for now.
    expect(server.received).toHaveLength(1);
    const [req] = server.received;
    expect(req!.url).toBe('/hook?token=s3cret');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['user-agent']).toBe(`vfab/${VERSION}`);
    expect(req!.body).toMatchObject({
      event: 'completed',
      job: 'card',
      state: 'COMPLETED',
      plotter: 'virtual',
      snapshot: null,
      reason: null,
      vfab_version: VERSION,
      host: os.hostname(),
    });
    const body = req!.body as { duration_s: number; at: string };
    expect(body.duration_s).toBeGreaterThan(0);
    expect(Date.parse(body.at)).not.toBeNaN();
    expect(
      logLines(rig.sb).filter((l) =>
        /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO job card: plot completed on virtual after [\d.]+ s of plotting$/.test(
          l,
        ),
      ),
    ).toHaveLength(1);
  }, 30_000);

  it("carries the path of the plot's last camera picture", async () => {
    server = await startHookServer();
    const cam = await startFakeCamera({ width: 160, height: 120, fps: 10 });
    try {
      fs.mkdirSync(path.dirname(rig.sb.configFile), { recursive: true });
      fs.writeFileSync(
        rig.sb.configFile,
        `camera:\n  url: ${cam.url}\nnotify:\n  webhook_url: ${server.origin}/hook\n`,
      );
      addJob(rig.sb, 'pictured');
      const plot = spawnVfab(rig.sb, ['plot', 'pictured', '--device', 'virtual', '--speed', '20']);
      expect(await plot.exited, plot.stderr()).toBe(0);
    } finally {
      await cam.close();
    }
    const snapshot = (server.received[0]?.body as { snapshot: string | null }).snapshot;
    expect(snapshot).toMatch(
      new RegExp(
        `^${path.join(rig.sb.jobsDir, 'pictured', 'snapshots')}/\\d{8}T\\d{6}-complete\\.jpg$`,
      ),
    );
    expect(fs.existsSync(snapshot!)).toBe(true);
  }, 30_000);

  it('a plot that fails its pre-flight posts failed, with the reason', async () => {
    server = await startHookServer();
    configure(rig.sb, `  webhook_url: ${server.origin}/hook\n`);
    rig.plotter = await startPlotterProcess(rig.sb, 20);
    await rig.plotter.ctl('motorPowerLoss');
    addJob(rig.sb, 'nopower');
    const plot = spawnVfab(rig.sb, [
      'plot',
      'nopower',
      '--device',
      rig.plotter.port,
      '--speed',
      '20',
    ]);
    expect(await plot.exited, plot.stderr()).toBe(7);
    expect(server.received.map((r) => r.body)).toEqual([
      expect.objectContaining({
        event: 'failed',
        job: 'nopower',
        state: 'FAILED',
        plotter: rig.plotter.port,
        duration_s: null,
        reason: expect.stringMatching(/motors have no power/),
      }),
    ]);
    expect(
      logLines(rig.sb).some((l) =>
        / ERROR job nopower: plot failed on .*motors have no power/.test(l),
      ),
    ).toBe(true);
  }, 30_000);

  it('an unplugged plotter posts interrupted, once', async () => {
    server = await startHookServer();
    configure(rig.sb, `  webhook_url: ${server.origin}/hook\n`);
    rig.plotter = await startPlotterProcess(rig.sb, 5);
    addJob(rig.sb, 'usb', 40);
    const plot = spawnVfab(rig.sb, ['plot', 'usb', '--device', rig.plotter.port, '--speed', '5']);
    expect(await waitForState(rig.sb, 'usb', 'PLOTTING')).toBe(true);
    await rig.plotter.ctl('unplug');
    expect(await plot.exited, plot.stderr()).toBe(1);
    expect(server.received.map((r) => r.body)).toEqual([
      expect.objectContaining({
        event: 'interrupted',
        job: 'usb',
        state: 'PLOTTING',
        plotter: rig.plotter.port,
        reason: expect.stringMatching(/plot interrupted at move -?\d+ of \d+/),
      }),
    ]);
    // One crash line, as the recovery guide's crash_analysis.sh counts them; the notice is a WARNING.
    const lines = logLines(rig.sb);
    expect(lines.filter((l) => /(emergency_shutdown|ERROR|CRITICAL)/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => l.includes(' WARNING job usb: plot interrupted on '))).toHaveLength(
      1,
    );
  }, 30_000);

  it('a hook where nothing listens: the plot completes (exit 0) and the log warns, naming the host only', async () => {
    const port = await closedPort();
    configure(rig.sb, `  webhook_url: http://bot:pw@127.0.0.1:${port}/secret-path?token=abc\n`);
    addJob(rig.sb, 'down');
    const plot = spawnVfab(rig.sb, ['plot', 'down', '--device', 'virtual', '--speed', '20']);
    expect(await plot.exited, plot.stderr()).toBe(0);
    expect(plot.stdout()).toContain('down\tCOMPLETED');
    const warnings = logLines(rig.sb).filter((l) => / WARNING /.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(
        `WARNING job down: notify: the hook at 127\\.0\\.0\\.1:${port} did not take completed: connection refused`,
      ),
    );
    expect(fs.readFileSync(rig.sb.logFile, 'utf8')).not.toMatch(/secret-path|token=abc|bot:pw/);
  }, 30_000);

  it('a hook that never answers: the plot completes and vfab exits within the timeout', async () => {
    server = await startHookServer('never');
    configure(rig.sb, `  webhook_url: ${server.origin}/hook\n  timeout_s: 1\n`);
    addJob(rig.sb, 'slow');
    const plot = spawnVfab(rig.sb, ['plot', 'slow', '--device', 'virtual', '--speed', '20']);
    const exited = plot.exited.then((code) => ({ code, at: Date.now() }));
    await server.waitFor(1);
    const { code, at } = await exited;
    expect(code, plot.stderr()).toBe(0);
    expect(plot.stdout()).toContain('slow\tCOMPLETED');
    // The timeout (1 s) plus the process's own exit, with room for a loaded machine.
    expect(at - server.received[0]!.at).toBeLessThan(3_000);
    expect(
      logLines(rig.sb).some((l) =>
        / WARNING job slow: notify: the hook at 127\.0\.0\.1:\d+ did not take completed: no answer within 1 s/.test(
          l,
        ),
      ),
    ).toBe(true);
  }, 30_000);
});
