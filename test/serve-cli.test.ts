/**
 * `vfab serve` as a process: the URL it prints, the signal path (SIGTERM/SIGINT during a plot
 * leave the job resumable, exit 143/130), a port in use (exit 9 naming it), bad flags.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openApiSocket, wsUrl } from './helpers/api-socket';
import { sandbox, type Sandbox } from './helpers/cli';
import { spawnServe, startServe, type ServeProcess } from './helpers/serve-process';
import { waitFor } from './helpers/wait';

let sb: Sandbox;
const served: ServeProcess[] = [];
const closers: (() => unknown)[] = [];

beforeEach(() => {
  sb = sandbox();
  fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
  fs.writeFileSync(sb.configFile, 'camera:\n  enabled: false\n');
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  for (const s of served.splice(0)) await s.kill();
  sb.cleanup();
});

async function serve(): Promise<ServeProcess> {
  const s = await startServe(sb);
  served.push(s);
  return s;
}

function zigzag(): string {
  const file = path.join(sb.root, 'zz.svg');
  const lines = Array.from(
    { length: 40 },
    (_, i) => `<line x1="10" y1="${10 + i * 2}" x2="180" y2="${11 + i * 2}"/>`,
  ).join('');
  fs.writeFileSync(
    file,
    `<svg xmlns="http://www.w3.org/2000/svg" fill="none" stroke="black" width="200mm" height="100mm" viewBox="0 0 200 100">${lines}</svg>`,
  );
  return file;
}

describe('vfab serve', () => {
  it('prints the URL with its token, serves the app, and exits 143 on SIGTERM', async () => {
    const s = await serve();
    expect(s.stdout().trim()).toBe(s.url);
    // stderr is its own pipe: the hint may land a moment after the URL.
    await waitFor('the Ctrl-C hint', () => /Ctrl-C stops it/.test(s.stderr()), { timeoutMs: 2000 });
    const page = await fetch(s.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<div id="root">/);
    // The app's files are public; the API is not, and no cookie is handed out.
    expect(page.headers.get('set-cookie')).toBeNull();
    expect((await fetch(`${s.origin}/ws`)).status).toBe(401);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(143);
    expect(s.stderr()).toMatch(/SIGTERM: closing/);
    expect(fs.readFileSync(sb.logFile, 'utf8')).toMatch(
      /serve: listening on http:\/\/127\.0\.0\.1:\d+/,
    );
  });

  it('SIGTERM during a plot: pen up, emergency_shutdown journaled, job stays PLOTTING, exit 143; vfab resume continues it', async () => {
    expect(sb.run(['add', 'job', 'zz', zigzag(), '--optimization', 'fast']).code).toBe(0);
    const s = await serve();
    const api = await openApiSocket(wsUrl(s.origin, s.token), s.origin);
    closers.push(() => api.close());
    await api.call('plot.start', { id: 'zz', device: 'virtual', speed: 2 });
    await api.waitForEvent(
      (e) => e.event === 'plot.progress' && (e.payload.move as number) > 3,
      20_000,
      'progress',
    );
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(143);
    expect(s.stderr()).toMatch(
      /SIGTERM: stopping zz \(pen up, journaled; continue with vfab resume\)/,
    );
    const journal = fs
      .readFileSync(path.join(sb.jobsDir, 'zz', 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(journal.at(-1)).toMatchObject({
      type: 'emergency_shutdown',
      state: 'PLOTTING',
      reason: 'signal_received',
    });
    expect(JSON.stringify(journal.at(-1))).toMatch(/SIGTERM/);
    expect(sb.run(['info', 'job', 'zz', '--state-only']).stdout.trim()).toBe('PLOTTING');
    expect(sb.run(['info', 'queue', '--interrupted']).stdout).toMatch(
      /^zz\tPLOTTING\tsignal_received/m,
    );
    const resumed = sb.run([
      'resume',
      'zz',
      '--device',
      'virtual',
      '--speed',
      '50',
      '--carriage-at-home',
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(sb.run(['info', 'job', 'zz', '--state-only']).stdout.trim()).toBe('COMPLETED');
  });

  it('exits 130 on SIGINT', async () => {
    const s = await serve();
    s.child.kill('SIGINT');
    expect(await s.exited).toBe(130);
  });

  it('a port in use is a clear error naming it (exit 9)', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => blocker.close(r)));
    const port = (blocker.address() as net.AddressInfo).port;
    const p = spawnServe(sb, ['--port', String(port)]);
    expect(await p.exited).toBe(9);
    expect(p.err()).toMatch(new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is in use`));
    expect(p.out()).toBe('');
  });

  it('refuses a bad --port (exit 2)', async () => {
    const r = sb.run(['serve', '--port', '70000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port '70000' must be a whole number from 0/);
  });
});
