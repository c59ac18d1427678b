/**
 * `vfab demo` as a newcomer runs it: the built CLI as its own process, in a home of its own with
 * XDG folders, over a user's existing config and job. Virtual plotters (socat PTYs), the bundled
 * drawings queued, the app's API answering at the printed URL, every drawing COMPLETED, SIGTERM
 * on the signal path (143; nothing ABORTED), a fresh folder at the next start, and the user's own
 * config and data byte for byte as they were. Also the refusals (no socat, a folder it did not make,
 * a demo already running) and a look at the page in Chromium.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium, openApp, screenshot } from './helpers/app-browser';
import { openApiSocket, wsUrl, type ApiEvent, type ApiSocket } from './helpers/api-socket';
import { FIXTURES, ROOT, sandbox, type Sandbox } from './helpers/cli';
import { startServe, type ServeProcess } from './helpers/serve-process';
import { treeHash } from './helpers/tar-fixtures';
import { waitFor } from './helpers/wait';

const DEMO_JOBS = ['bunny', 'rings', 'voronoi', 'circles-1', 'circles-2'];
const ARGS = ['--port', '0', '--speed', '20', '--plotters', '2'];

interface Home {
  sb: Sandbox;
  configFile: string;
  dataDir: string;
  demoDir: string;
  run(args: string[], env?: NodeJS.ProcessEnv): { code: number; stdout: string; stderr: string };
}

let home: Home;
const stops: (() => unknown)[] = [];

/** A user with XDG folders and no VFAB_* variables: config in $XDG_CONFIG_HOME/vfab, data in $XDG_DATA_HOME/vfab. */
function makeHome(): Home {
  const base = sandbox();
  const { VFAB_CONFIG: _c, VFAB_DATA_DIR: _d, ...rest } = base.env;
  const env = {
    ...rest,
    XDG_CONFIG_HOME: path.join(base.root, 'xdg-config'),
    XDG_DATA_HOME: path.join(base.root, 'xdg-data'),
  };
  const sb = { ...base, env };
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'vfab.js'), ...args], {
      env: { ...env, ...extra },
      cwd: base.root,
      encoding: 'utf8',
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  return {
    sb,
    configFile: path.join(env.XDG_CONFIG_HOME, 'vfab', 'config.yaml'),
    dataDir: path.join(env.XDG_DATA_HOME, 'vfab'),
    demoDir: path.join(env.XDG_DATA_HOME, 'vfab-demo'),
    run,
  };
}

beforeEach(() => {
  home = makeHome();
});
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  home.sb.cleanup();
});

async function startDemo(args = ARGS): Promise<{ demo: ServeProcess; api: ApiSocket }> {
  const demo = await startServe(home.sb, 90_000, args, 'demo');
  // SIGTERM first: the demo's own virtual plotters (socat) stop with it; SIGKILL if it hangs.
  stops.push(async () => {
    if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill('SIGTERM');
    await Promise.race([demo.exited, new Promise((r) => setTimeout(r, 10_000))]);
    await demo.kill();
  });
  const api = await openApiSocket(wsUrl(demo.origin, demo.token), demo.origin);
  stops.push(() => api.close());
  return { demo, api };
}

/** The line the demo prints on exit, run as a user would paste it: vfab on the demo's folder. */
function demoVfab(
  demo: ServeProcess,
  args: string[],
): { code: number; stdout: string; stderr: string } {
  const m = /^ {2}VFAB_CONFIG=(\S+) VFAB_DATA_DIR=(\S+) vfab info queue$/m.exec(demo.stderr());
  if (!m) throw new Error(`no env line in: ${demo.stderr()}`);
  return home.run(args, { VFAB_CONFIG: m[1], VFAB_DATA_DIR: m[2] });
}

const completed = (id: string) => (e: ApiEvent) =>
  e.event === 'job.changed' && e.payload.id === id && e.payload.state === 'COMPLETED';

describe('vfab demo', () => {
  it("plots the bundled drawings on two virtual plotters through the API it serves, stops on SIGTERM (143), starts afresh next time, and never touches the user's config or data", async () => {
    expect(home.run(['setup', '--yes']).code).toBe(0);
    expect(home.run(['add', 'job', 'mine', path.join(FIXTURES, 'AxiDraw_trivial.svg')]).code).toBe(
      0,
    );
    expect(
      fs.existsSync(home.configFile) &&
        fs.existsSync(path.join(home.dataDir, 'workspace', 'jobs', 'mine')),
    ).toBe(true);
    const before = treeHash(path.dirname(home.configFile), home.dataDir);

    // First start: the drawings plot by themselves.
    const { demo, api } = await startDemo();
    expect(demo.stdout().split('\n')[0]).toBe(demo.url);
    expect(demo.stderr()).toContain(`a fresh demo in ${home.demoDir}`);
    const plotters = (await api.call('plotters.list')).plotters;
    expect(
      plotters.map(
        (p: { name: string; port: string; model: string; paper: string; speed: number }) => [
          p.name,
          p.port,
          p.model,
          p.paper,
          p.speed,
        ],
      ),
    ).toEqual([
      ['left', 'virtual', 'V3/A4', 'A4', 20],
      ['right', 'virtual', 'V3/A4', 'A4', 20],
    ]);
    expect(await api.call('queue.status')).toMatchObject({
      running: true,
      options: { plotters: ['left', 'right'], unattended: true, watch: true },
    });
    const jobs = (await api.call('jobs.list', {})).jobs;
    expect(jobs.map((j: { id: string }) => j.id).sort()).toEqual([...DEMO_JOBS].sort());
    const preview = (await api.call('queue.preview')).jobs;
    expect(preview.find((j: { id: string }) => j.id === 'voronoi').target).toEqual({
      plotter: 'right',
    });
    for (const id of DEMO_JOBS) await api.waitForEvent(completed(id), 150_000, `${id} COMPLETED`);
    const started = api.events
      .filter((e) => e.event === 'queue.event' && e.payload.type === 'job.started')
      .map((e) => [e.payload.job, e.payload.plotter]);
    expect(new Set(started.map(([, p]) => p))).toEqual(new Set(['left', 'right']));
    expect(started.find(([j]) => j === 'voronoi')?.[1]).toBe('right');
    await waitFor(
      'the demo to say it is done',
      () => /all 5 drawings are plotted/.test(demo.stderr()),
      {
        timeoutMs: 5000,
      },
    ).catch(() => undefined);
    expect(demo.stderr()).toMatch(/all 5 drawings are plotted\. Still serving .* until Ctrl-C/);

    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(143);
    expect(demo.stderr()).toContain(`the demo is kept in ${home.demoDir}`);
    const listed = demoVfab(demo, ['list', 'jobs', '--json']);
    expect(listed.code).toBe(0);
    expect(
      JSON.parse(listed.stdout)
        .jobs.map((j: { id: string; state: string }) => [j.id, j.state])
        .sort(),
    ).toEqual(DEMO_JOBS.map((id) => [id, 'COMPLETED']).sort());

    // Second start: the folder is made anew; SIGTERM mid-plot leaves the plots resumable.
    fs.writeFileSync(path.join(home.demoDir, 'left-over.txt'), 'from the first demo\n');
    const second = await startDemo();
    expect(second.demo.stderr()).toContain(`a fresh demo (the last one wiped) in ${home.demoDir}`);
    expect(fs.existsSync(path.join(home.demoDir, 'left-over.txt'))).toBe(false);
    const plotting = await second.api.waitForEvent(
      (e) => e.event === 'plot.progress' && (e.payload.fraction as number) > 0.05,
      60_000,
      'a plot under way',
    );
    // A second demo leaves the running one alone.
    const again = home.run(['demo', ...ARGS]);
    expect(again.code).toBe(9);
    expect(again.stderr).toMatch(
      new RegExp(`A vfab demo is running in ${home.demoDir} \\(pid ${second.demo.child.pid} `),
    );
    second.demo.child.kill('SIGTERM');
    expect(await second.demo.exited).toBe(143);
    expect(second.demo.stderr()).toMatch(/vfab demo: SIGTERM: stopping .*pen up, journaled/);
    const states = Object.fromEntries(
      JSON.parse(demoVfab(second.demo, ['list', 'jobs', '--json']).stdout).jobs.map(
        (j: { id: string; state: string }) => [j.id, j.state],
      ),
    );
    expect(Object.keys(states).sort()).toEqual([...DEMO_JOBS].sort());
    expect(states[plotting.payload.id as string]).toBe('PLOTTING');
    for (const id of DEMO_JOBS) {
      const history = JSON.parse(demoVfab(second.demo, ['info', 'job', id, '--json']).stdout).job
        .journal.history as { type: string; reason: string; to_state?: string }[];
      expect(history.filter((e) => e.to_state === 'NEW')).toHaveLength(1);
      if (states[id] === 'PLOTTING')
        expect(history.at(-1)).toMatchObject({
          type: 'emergency_shutdown',
          reason: 'signal_received',
        });
      else expect(['COMPLETED', 'QUEUED']).toContain(states[id]);
    }

    expect(treeHash(path.dirname(home.configFile), home.dataDir)).toEqual(before);
  }, 300_000);

  it('without socat: says how to install it, exit 3, and makes nothing', () => {
    const r = home.run(['demo'], { PATH: path.join(home.sb.root, 'bin') });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/socat is not installed.*sudo apt install socat/);
    expect(fs.existsSync(home.demoDir)).toBe(false);
  });

  it('a folder it did not make is left alone (exit 4); bad flags are usage errors (exit 2)', () => {
    fs.mkdirSync(home.demoDir, { recursive: true });
    fs.writeFileSync(path.join(home.demoDir, 'notes.txt'), 'mine\n');
    const r = home.run(['demo', ...ARGS]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${home.demoDir} exists and was not made by vfab demo`);
    expect(fs.readdirSync(home.demoDir)).toEqual(['notes.txt']);
    for (const bad of [
      ['--plotters', '5'],
      ['--plotters', '0'],
      ['--speed', '0'],
      ['--port', 'x'],
    ]) {
      const u = home.run(['demo', ...bad]);
      expect(u.code, bad.join(' ')).toBe(2);
    }
  });

  it('the page shows both plotters at work (Chromium)', async () => {
    const { demo, api } = await startDemo(['--port', '0', '--speed', '4']);
    await api.waitForEvent(
      (e) => e.event === 'plot.progress' && (e.payload.fraction as number) > 0.02,
      60_000,
      'a plot under way',
    );
    const browser = await launchChromium();
    stops.push(() => browser.close());
    const app = await openApp(browser, demo.url);
    const cards = app.page.getByTestId('plotter');
    await expect.poll(() => cards.count(), { timeout: 15_000 }).toBe(2);
    await app.page.locator('[data-testid="plotter"][data-state="plotting"]').first().waitFor();
    // A single plot from a row goes to a plotter chosen by its name, as config.yaml names them.
    const select = app.page.getByTestId('device').first();
    expect(await select.locator('option').allTextContents()).toEqual([
      'First plotter (left)',
      'left (virtual)',
      'right (virtual)',
      'Virtual plotter (dry run)',
    ]);
    expect(await app.page.getByTestId('device-note').textContent()).toBe('2 plotters configured');
    await screenshot(app.page, 'demo', {
      theme: 'light',
      fullPage: true,
      shows: [cards.nth(0), cards.nth(1), select],
    });
    expect(await app.problems()).toEqual([]);
  }, 120_000);
});
