/**
 * Ready-to-plot checks the config promises (physical_setup.require_confirmation,
 * paper.require_one_per_session): a fresh plot is refused (exit 7 / INVALID_STATE) until paper and
 * first pen are confirmed, then allowed, and asked again after a paper change or, one sheet per
 * plot, after each plot. And a key vfab accepts but does not read is warned about by name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openApiSocket, wsUrl, type ApiSocket } from './helpers/api-socket';
import { sandbox, type Sandbox } from './helpers/cli';
import { startServe, type ServeProcess } from './helpers/serve-process';
import { waitFor } from './helpers/wait';

const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="60mm" height="40mm" viewBox="0 0 60 40"><g inkscape:groupmode="layer" inkscape:label="1-black" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"><path d="M 5 5 H 50 V 30" stroke="black" fill="none"/></g></svg>';

let sb: Sandbox;
const stops: (() => Promise<void>)[] = [];
beforeEach(() => {
  sb = sandbox();
});
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  sb.cleanup();
});

function config(yaml: string) {
  fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
  fs.writeFileSync(sb.configFile, `camera:\n  enabled: false\n${yaml}`);
}

function addJobs(...ids: string[]) {
  const file = path.join(sb.root, 'l.svg');
  fs.writeFileSync(file, SVG);
  for (const id of ids) expect(sb.run(['add', 'job', id, file]).code).toBe(0);
}

const plot = (id: string, ...flags: string[]) =>
  sb.run(['plot', id, '--device', 'virtual', '--speed', '50', ...flags]);

describe('vfab plot with paper.require_one_per_session', () => {
  it('refuses until confirmed, plots after --confirm-ready, and asks again for the next sheet', () => {
    config('paper:\n  require_one_per_session: true\n');
    addJobs('a', 'b');
    const refused = plot('a');
    expect(refused.code).toBe(7);
    expect(refused.stderr).toMatch(
      /Plotter 'virtual' is not confirmed ready for job 'a'.*vfab plot a --confirm-ready/,
    );
    expect(sb.run(['info', 'job', 'a', '--state-only']).stdout).toBe('READY\n');

    const allowed = plot('a', '--confirm-ready');
    expect(allowed.stderr).toContain('a: COMPLETED');
    expect(allowed.code).toBe(0);

    // One sheet, one plot: the next job needs a new sheet confirmed.
    const again = plot('b');
    expect(again.code).toBe(7);
    expect(again.stderr).toMatch(/job 'a' was already plotted on this sheet/);
    expect(plot('b', '--confirm-ready').code).toBe(0);
  });

  it('asks nothing when neither key is set (the defaults)', () => {
    config('');
    addJobs('a', 'b');
    expect(plot('a').code).toBe(0);
    expect(plot('b').code).toBe(0);
  });
});

describe('the API with physical_setup.require_confirmation', () => {
  let served: ServeProcess;
  let api: ApiSocket;
  beforeEach(async () => {
    config('physical_setup:\n  require_confirmation: true\n');
    addJobs('a', 'b', 'c');
    served = await startServe(sb);
    stops.push(() => served.kill());
    api = await openApiSocket(wsUrl(served.origin, served.token), served.origin);
    stops.push(() => api.close());
  });

  const plotted = async (id: string) => {
    await api.call('plot.start', { id, device: 'virtual', speed: 50 });
    await api.waitForEvent(
      (e) => e.event === 'job.changed' && e.payload.id === id && e.payload.state === 'COMPLETED',
      30_000,
      `${id} completed`,
    );
    // The plotter is let go just after the job is COMPLETED.
    await waitFor(
      'the plotter to be let go',
      async () => !(await api.call('system.info')).plotting.length,
      {
        timeoutMs: 10_000,
        everyMs: 50,
      },
    );
  };

  it(
    'refuses plot.start until plotters.confirmReady, and again after a paper change',
    { timeout: 90_000 },
    async () => {
      const ready = await api.call('plotters.ready', { id: 'a', device: 'virtual' });
      expect(ready).toMatchObject({
        plotter: 'virtual',
        question: 'Paper loaded and pen 1 (1-black) in?',
      });
      expect(ready.needed).toMatch(/nobody has confirmed paper and pen/);
      const refused = await api.request('plot.start', { id: 'a', device: 'virtual', speed: 50 });
      expect(refused.error?.code).toBe('INVALID_STATE');
      expect(refused.error?.message).toMatch(/not confirmed ready for job 'a'/);

      await api.call('plotters.confirmReady', { plotter: 'virtual' });
      expect((await api.call('plotters.ready', { id: 'a', device: 'virtual' })).needed).toBeNull();
      await plotted('a');
      // The same sheet and pen: the session's confirmation holds for the next plot.
      await plotted('b');

      await api.call('plotters.paperChanged', { plotter: 'virtual' });
      expect(
        (await api.request('plot.start', { id: 'c', device: 'virtual', speed: 50 })).error?.code,
      ).toBe('INVALID_STATE');
      await api.call('plotters.confirmReady', { plotter: 'virtual' });
      await plotted('c');
    },
  );
});

describe('keys accepted but not implemented', () => {
  it('are warned about on every command, naming the key', () => {
    config('physical_setup:\n  pen_force_check: false\n');
    const r = sb.run(['list', 'jobs']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      "config warning: 'physical_setup.pen_force_check' (line 4) is accepted but not implemented: vfab ignores it",
    );
  });
});
