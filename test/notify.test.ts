/**
 * The notifier (src-main/notify/): the outcome of a plot result, its log line, the webhook's JSON
 * and headers against a real HTTP server on 127.0.0.1, and hooks that fail (refused, an error
 * status, no answer) logged as warnings naming the host only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig, type VfabConfig } from '../src-main/config/config';
import { createLogger } from '../src-main/log';
import {
  MAX_IN_FLIGHT,
  notifyOutcome,
  onPlotOutcome,
  settleNotifications,
} from '../src-main/notify/notifier';
import { OUTCOME_KINDS } from '../src-main/config/config';
import {
  outcomeLogLine,
  outcomeOfResult,
  plotOutcome,
  type PlotOutcome,
} from '../src-main/notify/outcome';
import { redactWebhookUrl, webhookHost, webhookPayload } from '../src-main/notify/webhook';
import { VERSION } from '../src-main/version';
import { closedPort, startHookServer, type HookServer } from './helpers/hook-server';
import { useTempDirs } from './helpers/tmp';

const tempDir = useTempDirs('vfab-notify-');
const servers: HookServer[] = [];
afterEach(async () => {
  await settleNotifications();
  for (const s of servers.splice(0)) await s.close();
});

async function hook(answer: number | 'never' = 204): Promise<HookServer> {
  const s = await startHookServer(answer);
  servers.push(s);
  return s;
}

/** A real logger in a temp dir and the config the notifier reads. */
function context(notify: Partial<VfabConfig['notify']> = {}) {
  const file = path.join(tempDir(), 'vfab.log');
  return {
    config: { notify: { ...defaultConfig().notify, ...notify } },
    logger: createLogger({ file, level: 'DEBUG' }),
    lines: () =>
      fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [],
  };
}

const done: PlotOutcome = plotOutcome('completed', {
  job: 'card-1',
  plotter: 'left',
  state: 'COMPLETED',
  duration_s: 12.3,
  snapshot: '/w/jobs/card-1/snapshots/x.jpg',
  at: '2026-05-01T10:00:00.000Z',
});

describe('outcomes', () => {
  it('come from a plot result: completed, failed and interrupted tell; paused and aborted do not', () => {
    expect(outcomeOfResult({ state: 'COMPLETED' })).toEqual({ kind: 'completed' });
    expect(outcomeOfResult({ state: 'FAILED', error: 'pre-flight failed: no power' })).toEqual({
      kind: 'failed',
      reason: 'pre-flight failed: no power',
    });
    expect(
      outcomeOfResult({ state: 'PLOTTING', error: 'USB gone', reason: 'device_lost' }),
    ).toEqual({ kind: 'interrupted', reason: 'USB gone' });
    expect(outcomeOfResult({ state: 'PAUSED' })).toBeNull();
    expect(outcomeOfResult({ state: 'ABORTED' })).toBeNull();
  });

  it('log at INFO (completed), WARNING (waiting for paper, interrupted: the runner logged its ERROR) and ERROR (failed), naming the plotter', () => {
    expect(outcomeLogLine(done)).toEqual({
      level: 'INFO',
      message: 'plot completed on left after 12.3 s of plotting',
    });
    expect(
      outcomeLogLine(plotOutcome('failed', { plotter: '/dev/ttyACM0', reason: 'no AxiDraw' })),
    ).toEqual({ level: 'ERROR', message: 'plot failed on /dev/ttyACM0: no AxiDraw' });
    expect(
      outcomeLogLine(
        plotOutcome('interrupted', { plotter: 'virtual', duration_s: 2, reason: 'USB gone' }),
      ),
    ).toEqual({
      level: 'WARNING',
      message: 'plot interrupted on virtual after 2 s of plotting: USB gone',
    });
    expect(
      outcomeLogLine(plotOutcome('waiting_for_paper', { plotter: 'right', job: 'card-2' })),
    ).toEqual({ level: 'WARNING', message: 'plotter right is waiting for paper' });
  });

  it('become the webhook JSON with the version and host', () => {
    expect(webhookPayload(done, { version: '1.2.3', host: 'studio' })).toEqual({
      event: 'completed',
      job: 'card-1',
      state: 'COMPLETED',
      plotter: 'left',
      duration_s: 12.3,
      snapshot: '/w/jobs/card-1/snapshots/x.jpg',
      reason: null,
      at: '2026-05-01T10:00:00.000Z',
      vfab_version: '1.2.3',
      host: 'studio',
    });
  });

  it("show a hook's host only, never its credentials, path or query", () => {
    expect(webhookHost('https://bot:pw@hooks.example.com:8443/services/T0/B0/XXXX?token=abc')).toBe(
      'hooks.example.com:8443',
    );
    expect(redactWebhookUrl('https://bot:pw@hooks.example.com/services/XXXX?token=abc')).toBe(
      'https://hooks.example.com/***',
    );
    expect(redactWebhookUrl('http://10.0.0.2:9000/')).toBe('http://10.0.0.2:9000/');
    expect(redactWebhookUrl(null)).toBeNull();
  });
});

describe('notifyOutcome', () => {
  it('logs one line naming job and plotter, POSTs the JSON with its headers, and tells the listeners', async () => {
    const server = await hook();
    const ctx = context({
      webhook_url: `http://user:secret@127.0.0.1:${server.port}/hook?token=t0k3n`,
    });
    const heard: PlotOutcome[] = [];
    const off = onPlotOutcome((o) => heard.push(o));
    notifyOutcome(ctx, done);
    off();
    await settleNotifications();
    expect(heard).toEqual([done]);
    expect(server.received).toHaveLength(1);
    const [req] = server.received;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/hook?token=t0k3n');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['user-agent']).toBe(`vfab/${VERSION}`);
    expect(req!.headers.authorization).toBe(
      `Basic ${Buffer.from('user:secret').toString('base64')}`,
    );
    expect(req!.body).toEqual(webhookPayload(done, { version: VERSION, host: os.hostname() }));
    const lines = ctx.lines();
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO job card-1: plot completed on left after 12\.3 s of plotting$/,
    );
    expect(lines.join('\n')).not.toMatch(/WARNING/);
  });

  it('tells the hook and listeners only the kinds notify.events lists; the log gets every one', async () => {
    const server = await hook();
    const ctx = context({ webhook_url: `${server.origin}/hook`, events: ['failed'] });
    const heard: string[] = [];
    const off = onPlotOutcome((o) => heard.push(o.kind));
    for (const kind of OUTCOME_KINDS)
      notifyOutcome(ctx, plotOutcome(kind, { job: 'j', plotter: 'p' }));
    off();
    await settleNotifications();
    expect(heard).toEqual(['failed']);
    expect(server.received.map((r) => (r.body as { event: string }).event)).toEqual(['failed']);
    expect(ctx.lines().map((l) => l.split(' ')[2])).toEqual([
      'INFO',
      'ERROR',
      'WARNING',
      'WARNING',
      'DEBUG',
    ]);
  });

  it.each([
    [
      'refused',
      async () => `http://user:pw@127.0.0.1:${await closedPort()}/secret-path?token=abc`,
      /connection refused/,
    ],
    [
      'an error status',
      async () => `${(await hook(500)).origin}/secret-path?token=abc`,
      /HTTP 500/,
    ],
    [
      'no answer',
      async () => `${(await hook('never')).origin}/secret-path?token=abc`,
      /no answer within 0\.3 s/,
    ],
  ])(
    'a hook that fails (%s) is a WARNING naming its host, never its credentials, path or query',
    async (_, url, why) => {
      const target = await url();
      const ctx = context({ webhook_url: target, timeout_s: 0.3 });
      notifyOutcome(ctx, done);
      await settleNotifications();
      const warnings = ctx.lines().filter((l) => / WARNING /.test(l));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(
        `job card-1: notify: the hook at ${new URL(target).host} did not take completed`,
      );
      expect(warnings[0]).toMatch(why);
      expect(warnings[0]).not.toMatch(/secret-path|token|abc|user|pw@/);
    },
  );

  it(`keeps at most ${MAX_IN_FLIGHT} hooks in flight and drops the rest with a warning`, async () => {
    const server = await hook('never');
    const ctx = context({ webhook_url: `${server.origin}/h`, timeout_s: 0.5 });
    for (let i = 0; i < MAX_IN_FLIGHT + 2; i++) notifyOutcome(ctx, { ...done, job: `j${i}` });
    await server.waitFor(MAX_IN_FLIGHT);
    await settleNotifications();
    expect(server.received).toHaveLength(MAX_IN_FLIGHT);
    const dropped = ctx.lines().filter((l) => l.includes('was not sent'));
    expect(dropped.map((l) => l.split(' ')[4])).toEqual([
      `j${MAX_IN_FLIGHT}:`,
      `j${MAX_IN_FLIGHT + 1}:`,
    ]);
  });

  it('never throws: a listener that fails is logged and the others still hear', async () => {
    const ctx = context();
    const heard: string[] = [];
    const offs = [
      onPlotOutcome(() => {
        throw new Error('window gone');
      }),
      onPlotOutcome((o) => heard.push(o.kind)),
    ];
    expect(() => notifyOutcome(ctx, done)).not.toThrow();
    for (const off of offs) off();
    expect(heard).toEqual(['completed']);
    expect(
      ctx
        .lines()
        .some((l) =>
          / WARNING job card-1: notify: a listener failed on completed: window gone$/.test(l),
        ),
    ).toBe(true);
  });
});
