/**
 * Telling people from the desktop app: the real shell (src-main/index.ts) over the fake `electron`
 * and a real engine plots on virtual plotters through IPC; each ending is one desktop notification
 * and one webhook POST (notify.webhook_url set through settings.set), and a pulled cable is one
 * interruption, not two.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IpcReply } from '../src-main/shell/ipc';
import { EVENT_CHANNEL } from '../src-main/shared/api-names';
import { sandbox, type Sandbox } from './helpers/cli';
import { startPlotterProcess, type PlotterProcess } from './helpers/crash-rig';
import { writeZigzag } from './helpers/dense-svg';
import { bootShell, type BootedShell } from './helpers/electron-shell';
import { startHookServer, type HookServer } from './helpers/hook-server';
import * as fake from './setup/fake-electron';
import { waitFor } from './helpers/wait';

let shell: BootedShell;
let server: HookServer;
let plotterBox: Sandbox;
let plotter: PlotterProcess | undefined;

beforeAll(async () => {
  shell = await bootShell();
  server = await startHookServer();
  plotterBox = sandbox();
});
afterAll(async () => {
  await plotter?.stop();
  plotterBox?.cleanup();
  await server?.close();
  await shell?.stop();
});

async function call<T>(method: string, params: unknown): Promise<T> {
  const reply = (await fake.ipcMain.invoke(
    `vfab:${method}`,
    shell.rendererUrl,
    params,
  )) as IpcReply;
  if (!reply.ok) throw new Error(`${method}: ${reply.error.message}`);
  return reply.result as T;
}

const zigzag = (strokes: number) =>
  writeZigzag(path.join(shell.root, `zigzag-${strokes}.svg`), strokes);

async function until(
  what: string,
  ok: () => boolean | Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  await waitFor(what, ok, { timeoutMs: ms, everyMs: 20 });
}

/** Until the service has let the plot go (after its last event). */
const plotEnded = (id: string) =>
  until(
    `${id} to end`,
    async () => !(await call<{ plotting: string[] }>('system.info', {})).plotting.includes(id),
  );

const plotEvents = (id: string) =>
  shell.window.webContents.sent
    .filter(
      ([ch, name, payload]) =>
        ch === EVENT_CHANNEL && name === 'plot.event' && (payload as { id: string }).id === id,
    )
    .map(([, , p]) => p as { event: string; error?: string });

describe('desktop notifications and the webhook from the app', () => {
  it('a completed plot: one notification, one POST', async () => {
    await call('settings.set', { values: { 'notify.webhook_url': `${server.origin}/hook` } });
    await call('jobs.add', { source: { path: zigzag(3) }, id: 'done' });
    await call('plot.start', { id: 'done', device: 'virtual', speed: 20 });
    await plotEnded('done');
    await server.waitFor(1);
    expect(fake.Notification.shown).toEqual([
      { title: 'Plot complete', body: 'Job done is finished on virtual.' },
    ]);
    expect(server.received.map((r) => r.body)).toEqual([
      expect.objectContaining({
        event: 'completed',
        job: 'done',
        state: 'COMPLETED',
        plotter: 'virtual',
      }),
    ]);
  }, 30_000);

  it('a pulled cable: one interruption, told once in the window, on the desktop and to the hook', async () => {
    fake.Notification.shown.splice(0);
    server.received.splice(0);
    plotter = await startPlotterProcess(plotterBox, 5);
    await call('jobs.add', { source: { path: zigzag(40) }, id: 'usb' });
    await call('plot.start', { id: 'usb', device: plotter.port, speed: 5 });
    await until('usb to start', () => plotEvents('usb').some((e) => e.event === 'start'));
    await plotter.ctl('unplug');
    await plotEnded('usb');
    expect(plotEvents('usb').filter((e) => e.event === 'interrupt')).toEqual([
      {
        id: 'usb',
        event: 'interrupt',
        error: expect.stringMatching(/^plot interrupted: the plotter stopped answering/),
      },
    ]);
    expect(fake.Notification.shown.map((n) => n.title)).toEqual(['Plot interrupted']);
    expect(fake.Notification.shown[0]!.body).toMatch(
      /^Job usb was interrupted on .*plotter\.tty; it stays resumable\. plot interrupted at move/,
    );
    await server.waitFor(1);
    expect(server.received.map((r) => r.body)).toEqual([
      expect.objectContaining({ event: 'interrupted', job: 'usb', state: 'PLOTTING' }),
    ]);
  }, 40_000);

  it("the queue runner's plots: one notification and one POST per job, and one notify.outcome for the window", async () => {
    fake.Notification.shown.splice(0);
    server.received.splice(0);
    const sentBefore = shell.window.webContents.sent.length;
    for (const id of ['q1', 'q2']) {
      await call('jobs.add', { source: { path: zigzag(3) }, id });
      await call('jobs.queue', { id });
    }
    await call('queue.start', {
      plotters: ['virtual'],
      unattended: true,
      pageDelayS: 0,
      speed: 20,
    });
    await until(
      'the queue to finish',
      async () =>
        (await call<{ last: { completed: string[] } | null }>('queue.status', {})).last?.completed
          .length === 2,
    );
    await server.waitFor(2);
    expect(fake.Notification.shown).toEqual([
      { title: 'Plot complete', body: 'Job q1 is finished on virtual.' },
      { title: 'Plot complete', body: 'Job q2 is finished on virtual.' },
    ]);
    expect(server.received.map((r) => (r.body as { job: string }).job)).toEqual(['q1', 'q2']);
    const told = shell.window.webContents.sent
      .slice(sentBefore)
      .filter(([ch, name]) => ch === EVENT_CHANNEL && name === 'notify.outcome')
      .map(([, , p]) => p as { kind: string; job: string });
    expect(told.map((o) => [o.kind, o.job])).toEqual([
      ['completed', 'q1'],
      ['completed', 'q2'],
    ]);
  }, 40_000);
});
