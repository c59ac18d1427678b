/**
 * The Electron wiring against the fake `electron` (test/setup/fake-electron.ts): the real entry
 * (src-main/index.ts) with a real engine in a temp dir, the IPC handlers, the preload bridge, event
 * forwarding, notifications, and quitting during a plot.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as electron from 'electron';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { METHODS, type EventName, type EventPayloads } from '../src-main/api/contract';
import type { ApiService } from '../src-main/api/service';
import { registerIpc, toIpcFailure, type IpcReply } from '../src-main/shell/ipc';
import { EVENT_CHANNEL, EVENT_NAMES } from '../src-main/shared/api-names';
import { defaultConfig } from '../src-main/config/config';
import { createStderrLogger } from '../src-main/log';
import { notifyOutcome } from '../src-main/notify/notifier';
import { OUTCOME_KINDS } from '../src-main/config/config';
import { plotOutcome } from '../src-main/notify/outcome';
import { plotNotification, notifyPlotEvents } from '../src-main/shell/notify';
import {
  guardWindowClose,
  installQuitGuard,
  KEEP_PLOTTING,
  STOP_AND_QUIT,
} from '../src-main/shell/quit';
import { isRendererUrl, rendererSource } from '../src-main/shell/renderer';
import { menuTemplate } from '../src-main/shell/menu';
import { bootShell, type BootedShell } from './helpers/electron-shell';
import * as fake from './setup/fake-electron';
import { waitFor } from './helpers/wait';

const FIXTURE = path.resolve(__dirname, 'fixtures', 'AxiDraw_trivial.svg');
const RENDERER = '/opt/vfab/resources/app.asar/out/renderer/index.html';
const RENDERER_URL = pathToFileURL(RENDERER).href;

type Listener = <E extends EventName>(name: E, payload: EventPayloads[E]) => void;

/**
 * An ApiService that records calls and lets the test emit events and set active plots. With
 * `shutdownGate`, shutdown lasts until the test opens the gate (a plotter slow to let go).
 */
function stubService(opts: { plots?: string[]; shutdownGate?: Promise<void> } = {}) {
  const listeners = new Set<Listener>();
  const calls: Array<[string, unknown]> = [];
  const log: string[] = [];
  let plots = opts.plots ?? [];
  const service: ApiService = {
    async call(method, params) {
      calls.push([method, params]);
      if (method === 'jobs.get')
        throw Object.assign(new Error('Job nope not found.'), { code: 'NOT_FOUND' });
      if (method === 'logs.tail') throw new TypeError('boom');
      return { echoed: method };
    },
    onEvent(l) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    activePlots: () => plots,
    async shutdown(reason) {
      log.push(`shutdown:${reason}`);
      await opts.shutdownGate;
      plots = [];
    },
    async close() {
      log.push('close');
    },
  };
  const emit = <E extends EventName>(name: E, payload: EventPayloads[E]) => {
    for (const l of [...listeners]) l(name, payload);
  };
  return { service, calls, log, emit, listenerCount: () => listeners.size };
}

beforeEach(() => fake.resetFakeElectron());

describe('the fake electron', () => {
  it('is what `electron` resolves to in tests', () => {
    expect(electron.ipcMain).toBe(fake.ipcMain);
    expect(electron.app).toBe(fake.app);
  });
});

describe('IPC handlers (src-main/shell/ipc.ts)', () => {
  const trusted = (url: string) => isRendererUrl(url, { kind: 'file', file: RENDERER });

  it('registers one handler per contract method, and nothing else', () => {
    const { service } = stubService();
    const dispose = registerIpc(service, { isTrustedUrl: trusted, eventTargets: () => [] });
    expect(new Set(fake.ipcMain.handlers.keys())).toEqual(
      new Set(Object.keys(METHODS).map((m) => `vfab:${m}`)),
    );
    dispose();
    expect(fake.ipcMain.handlers.size).toBe(0);
  });

  it('answers our renderer and refuses every other sender before the service is called', async () => {
    const { service, calls } = stubService();
    registerIpc(service, { isTrustedUrl: trusted, eventTargets: () => [] });
    const ok = (await fake.ipcMain.invoke('vfab:system.info', RENDERER_URL, {})) as IpcReply;
    expect(ok).toEqual({ ok: true, result: { echoed: 'system.info' } });
    // Query and fragment (client-side routes) are still our document.
    expect(
      await fake.ipcMain.invoke('vfab:system.info', `${RENDERER_URL}#/jobs`, {}),
    ).toMatchObject({ ok: true });

    for (const foreign of [
      'file:///tmp/evil/index.html',
      pathToFileURL('/opt/vfab/resources/app.asar/out/renderer/other.html').href,
      'https://example.com/',
      'http://127.0.0.1:5173/',
      'about:blank',
      'devtools://devtools/bundled/inspector.html',
      '',
      null,
    ]) {
      const reply = (await fake.ipcMain.invoke('vfab:plot.start', foreign, {
        id: 'a',
      })) as IpcReply;
      expect(reply.ok, String(foreign)).toBe(false);
      if (!reply.ok) expect(reply.error.message).toMatch(/refused/);
    }
    expect(calls.map(([m]) => m)).toEqual(['system.info', 'system.info']);
  });

  it('passes params through and maps failures to a serialisable { code, message }', async () => {
    const { service, calls } = stubService();
    registerIpc(service, { isTrustedUrl: trusted, eventTargets: () => [] });
    await fake.ipcMain.invoke('vfab:jobs.list', RENDERER_URL, { states: ['READY'] });
    expect(calls).toEqual([['jobs.list', { states: ['READY'] }]]);

    const notFound = (await fake.ipcMain.invoke('vfab:jobs.get', RENDERER_URL, {
      id: 'nope',
    })) as IpcReply;
    expect(notFound).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'Job nope not found.' },
    });
    const internal = (await fake.ipcMain.invoke('vfab:logs.tail', RENDERER_URL, {})) as IpcReply;
    expect(internal).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'boom' } });
    // The reply survives structured cloning as it is (no Error objects, no functions).
    expect(structuredClone(notFound)).toEqual(notFound);
    expect(toIpcFailure('weird')).toEqual({ code: 'INTERNAL', message: 'weird' });
    expect(toIpcFailure(Object.assign(new Error('x'), { code: 'NOT_A_CODE' }))).toEqual({
      code: 'INTERNAL',
      message: 'x',
    });
  });

  it('forwards every service event to the window on vfab:event, skipping destroyed contents', () => {
    const stub = stubService();
    const win = new fake.BrowserWindow();
    const gone = new fake.BrowserWindow();
    gone.destroy();
    const dispose = registerIpc(stub.service, {
      isTrustedUrl: trusted,
      eventTargets: () => [win.webContents, gone.webContents] as never,
    });
    stub.emit('job.changed', { id: 'a', state: 'READY' });
    stub.emit('plot.event', { id: 'a', event: 'complete' });
    expect(win.webContents.sent).toEqual([
      [EVENT_CHANNEL, 'job.changed', { id: 'a', state: 'READY' }],
      [EVENT_CHANNEL, 'plot.event', { id: 'a', event: 'complete' }],
    ]);
    expect(gone.webContents.sent).toEqual([]);
    dispose();
    expect(stub.listenerCount()).toBe(0);
  });
});

describe('renderer identity (src-main/shell/renderer.ts)', () => {
  it('uses the dev server only when not packaged, and only on loopback', () => {
    const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173' };
    expect(rendererSource('/app/out/main', false, env)).toEqual({
      kind: 'dev',
      url: 'http://localhost:5173',
    });
    expect(rendererSource('/app/out/main', true, env)).toEqual({
      kind: 'file',
      file: path.join('/app/out/renderer/index.html'),
    });
    expect(
      rendererSource('/app/out/main', false, { ELECTRON_RENDERER_URL: 'http://evil.example:5173' }),
    ).toMatchObject({ kind: 'file' });
    const dev = { kind: 'dev', url: 'http://localhost:5173' } as const;
    expect(isRendererUrl('http://localhost:5173/#/x', dev)).toBe(true);
    expect(isRendererUrl('http://localhost:5174/', dev)).toBe(false);
    expect(
      isRendererUrl('file://otherhost/opt/vfab/resources/app.asar/out/renderer/index.html', {
        kind: 'file',
        file: RENDERER,
      }),
    ).toBe(false);
  });
});

describe('the preload bridge (src-preload)', () => {
  it('exposes only call and on; call reaches main, on filters by event and unsubscribes', async () => {
    fake.resetFakeElectron();
    // Round trip through the real main-side handlers, as ipcRenderer.invoke would.
    const stub = stubService();
    registerIpc(stub.service, { isTrustedUrl: (u) => u === RENDERER_URL, eventTargets: () => [] });
    fake.ipcRenderer.reply = (channel, ...args) =>
      fake.ipcMain.invoke(channel, RENDERER_URL, ...args);
    // The preload's only import in this file: it runs now, against the state set up above.
    await import('../src-preload/index');
    expect(Object.keys(fake.contextBridge.exposed)).toEqual(['vfab']);
    const vfab = fake.contextBridge.exposed['vfab'] as {
      call(m: unknown, p?: unknown): Promise<unknown>;
      on(e: unknown, cb: unknown): () => void;
    };
    expect(Object.keys(vfab).sort()).toEqual(['call', 'on']);

    await expect(vfab.call('system.info', {})).resolves.toEqual({ echoed: 'system.info' });
    await expect(vfab.call('jobs.get', { id: 'nope' })).rejects.toEqual({
      name: 'ApiError',
      code: 'NOT_FOUND',
      message: 'Job nope not found.',
    });
    await expect(vfab.call('ipc.anything', {})).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(vfab.call({ toString: () => 'system.info' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    // Unknown names never reach ipcRenderer.
    expect(fake.ipcRenderer.invoked.map(([c]) => c)).toEqual(['vfab:system.info', 'vfab:jobs.get']);
    // Every method main handles gets through: the preload's list is the contract's.
    for (const method of Object.keys(METHODS)) await vfab.call(method, {}).catch(() => undefined);
    expect(new Set(stub.calls.map(([m]) => m))).toEqual(new Set(Object.keys(METHODS)));
    for (const event of EVENT_NAMES) vfab.on(event, () => undefined)();

    const got: unknown[] = [];
    const off = vfab.on('plot.event', (p: unknown) => got.push(p));
    fake.ipcRenderer.emit(EVENT_CHANNEL, {}, 'plot.event', { id: 'a', event: 'pause' });
    fake.ipcRenderer.emit(EVENT_CHANNEL, {}, 'job.changed', { id: 'a', state: 'PAUSED' });
    off();
    off();
    fake.ipcRenderer.emit(EVENT_CHANNEL, {}, 'plot.event', { id: 'a', event: 'resume' });
    expect(got).toEqual([{ id: 'a', event: 'pause' }]);
    expect(fake.ipcRenderer.listenerCount(EVENT_CHANNEL)).toBe(0);
    expect(() => vfab.on('vfab:event', () => undefined)).toThrow();
    expect(() => vfab.on('plot.event', 'not a function')).toThrow();
  });
});

describe('quitting during a plot (src-main/shell/quit.ts)', () => {
  const disposers: Array<() => void> = [];
  afterEach(() => {
    for (const d of disposers.splice(0)) d();
  });
  const until = (cond: () => boolean) =>
    waitFor('the quit guard to act', cond, { timeoutMs: 1500, everyMs: 5 });

  it('asks first; "Stop and quit" takes the signal path (shutdown) before the app quits', async () => {
    let letGo!: () => void;
    const stub = stubService({
      plots: ['job-1'],
      shutdownGate: new Promise<void>((r) => (letGo = r)),
    });
    const win = new fake.BrowserWindow();
    const order: string[] = [];
    const guard = installQuitGuard(stub.service, {
      window: () => win as never,
      handleSignals: false,
      afterShutdown: () => void order.push('engine closed'),
    });
    disposers.push(guard.dispose);
    fake.app.on('will-quit', () => order.push('will-quit'));
    fake.dialog.nextResponses.push(STOP_AND_QUIT);

    fake.app.quit();
    expect(order).toEqual([]); // held: nothing quits before the question is answered
    await until(() => stub.log.includes('shutdown:quit'));
    // The plotter has not let go yet: the engine stays open and the app does not quit.
    expect(order).toEqual([]);
    expect(guard.finished).toBe(false);
    letGo();
    await until(() => order.includes('will-quit'));
    expect(fake.dialog.messageBoxes).toHaveLength(1);
    expect(fake.dialog.messageBoxes[0]!.window).toBe(win);
    expect(fake.dialog.messageBoxes[0]!.options.message).toContain('job-1');
    expect(fake.dialog.messageBoxes[0]!.options.buttons).toEqual([
      'Keep plotting',
      'Stop and quit',
    ]);
    expect(stub.log).toEqual(['shutdown:quit', 'close']);
    expect(order).toEqual(['engine closed', 'will-quit']);
    expect(guard.finished).toBe(true);
  });

  it('"Keep plotting" quits nothing and stops nothing; closing the window asks too', async () => {
    const stub = stubService({ plots: ['job-1'] });
    const win = new fake.BrowserWindow();
    const guard = installQuitGuard(stub.service, {
      window: () => win as never,
      handleSignals: false,
    });
    disposers.push(guard.dispose);
    guardWindowClose(win as never, guard);
    let quit = false;
    fake.app.on('will-quit', () => (quit = true));

    fake.dialog.nextResponses.push(KEEP_PLOTTING);
    win.close();
    expect(fake.dialog.messageBoxes).toHaveLength(1);
    // The close asked; a second request joins that question, so this resolves once it is answered.
    await guard.requestQuit();
    expect(fake.dialog.messageBoxes).toHaveLength(1);
    expect(win.isDestroyed()).toBe(false);
    expect(quit).toBe(false);
    expect(stub.log).toEqual([]);

    fake.dialog.nextResponses.push(STOP_AND_QUIT);
    fake.app.quit();
    await until(() => quit);
    expect(stub.log).toEqual(['shutdown:quit', 'close']);
  });

  it('without a plot it quits without asking, still through shutdown', async () => {
    const stub = stubService();
    const guard = installQuitGuard(stub.service, { window: () => undefined, handleSignals: false });
    disposers.push(guard.dispose);
    let quit = false;
    fake.app.on('will-quit', () => (quit = true));
    fake.app.quit();
    await until(() => quit);
    expect(fake.dialog.messageBoxes).toEqual([]);
    expect(stub.log).toEqual(['shutdown:quit', 'close']);
  });

  it('quits anyway when the plotter does not let go in time', async () => {
    const stub = stubService({ plots: ['job-1'], shutdownGate: new Promise<void>(() => {}) });
    const guard = installQuitGuard(stub.service, {
      window: () => undefined,
      handleSignals: false,
      forcedQuitMs: 50,
    });
    disposers.push(guard.dispose);
    let quit = false;
    fake.app.on('will-quit', () => (quit = true));
    fake.dialog.nextResponses.push(STOP_AND_QUIT);
    const t0 = Date.now();
    fake.app.quit();
    await until(() => quit);
    expect(quit).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});

describe('notifications and menu', () => {
  it("notifies a pause from the plot events and each of the notifier's outcomes once, nothing else", () => {
    const stub = stubService();
    const off = notifyPlotEvents(stub.service);
    for (const event of [
      'start',
      'resume',
      'pen_change',
      'complete',
      'pause',
      'fail',
      'interrupt',
    ] as const)
      stub.emit('plot.event', { id: 'j', event });
    stub.emit('job.changed', { id: 'j', state: 'COMPLETED' });
    const ctx = {
      config: defaultConfig(),
      logger: createStderrLogger({ file: 'vfab.log', write: () => undefined }),
    };
    for (const kind of OUTCOME_KINDS)
      notifyOutcome(
        ctx,
        plotOutcome(kind, {
          job: 'j',
          plotter: 'left',
          reason: kind === 'failed' ? 'USB unplugged' : undefined,
        }),
      );
    expect(fake.Notification.shown.map((n) => n.title)).toEqual([
      'Plot paused',
      'Plot complete',
      'Plot failed',
      'Plot interrupted',
      'Waiting for paper',
    ]);
    expect(fake.Notification.shown[2]!.body).toBe(
      'Job j stopped on an error on left. USB unplugged',
    );
    expect(
      plotNotification({ id: 'j', event: 'pause', error: 'pause button pressed' })!.body,
    ).toContain('pause button pressed');
    off();
    notifyOutcome(ctx, plotOutcome('completed', { job: 'j' }));
    expect(fake.Notification.shown).toHaveLength(5);
  });

  it('has File (Add job…, Quit), Help (About), and View (Reload) only in development', () => {
    const noop = () => undefined;
    const actions = { addJob: noop, quit: noop, about: noop, reload: noop, toggleDevTools: noop };
    const labels = (t: ReturnType<typeof menuTemplate>) =>
      t.map(
        (m) =>
          `${m.label}: ${((m.submenu as Array<{ label?: string }>) ?? [])
            .map((i) => i.label)
            .filter(Boolean)
            .join(', ')}`,
      );
    const prod = labels(menuTemplate(actions, { dev: false, mac: false }));
    expect(prod).toContain('File: Add job…, Quit');
    expect(prod).toContain('Help: About vfab');
    expect(prod.some((l) => l.startsWith('View'))).toBe(false);
    expect(labels(menuTemplate(actions, { dev: true, mac: false }))).toContain(
      'View: Reload, Toggle Developer Tools',
    );
  });
});

describe('the real shell (src-main/index.ts) over a real engine', () => {
  let shell: BootedShell | undefined;
  afterEach(async () => {
    await shell?.stop();
    shell = undefined;
  });

  it('opens one window, registers the contract, answers its renderer, forwards events, focuses on a second start', async () => {
    shell = await bootShell();
    const { window, rendererUrl } = shell;
    expect(fake.BrowserWindow.instances).toHaveLength(1);
    expect(window.loaded.file).toMatch(/renderer[\\/]index\.html$/);
    expect(new Set(fake.ipcMain.handlers.keys())).toEqual(
      new Set(Object.keys(METHODS).map((m) => `vfab:${m}`)),
    );
    expect(fake.Menu.current).not.toBeNull();

    const info = (await fake.ipcMain.invoke('vfab:system.info', rendererUrl, {})) as IpcReply;
    expect(info.ok).toBe(true);
    if (info.ok)
      expect((info.result as { paths: { dataDir: string } }).paths.dataDir).toBe(shell.dataDir);

    const refused = (await fake.ipcMain.invoke('vfab:jobs.remove', 'file:///tmp/evil.html', {
      id: 'x',
      force: true,
    })) as IpcReply;
    expect(refused.ok).toBe(false);
    const invalid = (await fake.ipcMain.invoke('vfab:jobs.get', rendererUrl, {
      id: '../etc',
    })) as IpcReply;
    expect(invalid).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });

    const added = (await fake.ipcMain.invoke('vfab:jobs.add', rendererUrl, {
      source: { path: FIXTURE },
      id: 'trivial',
    })) as IpcReply;
    expect(added).toMatchObject({ ok: true });
    const changed = window.webContents.sent.filter(
      ([ch, name]) => ch === EVENT_CHANNEL && name === 'job.changed',
    );
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.at(-1)![2]).toMatchObject({ id: 'trivial' });

    const list = (await fake.ipcMain.invoke('vfab:jobs.list', rendererUrl, {})) as IpcReply;
    expect(
      list.ok && (list.result as { jobs: Array<{ id: string }> }).jobs.map((j) => j.id),
    ).toEqual(['trivial']);

    // A second start focuses the first window (the entry runs once per file: same test).
    shell.window.minimized = true;
    fake.app.emit('second-instance');
    expect(shell.window.minimized).toBe(false);
    expect(shell.window.focused).toBe(1);
  });
});
