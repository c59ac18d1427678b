/**
 * The Electron shell: wiring only. The engine does the work behind the typed API service; the
 * modules in ./shell own the window and its security (window.ts, csp.ts), IPC (ipc.ts), quitting
 * during a plot (quit.ts), notifications, the menu and dialogs. `vfab serve` and the CLI are the
 * other faces of the same engine.
 */
import path from 'node:path';
import { app, dialog, session, type BrowserWindow } from './shell/electron';
import { createApiService } from './api/service';
import { startRelayHost } from './camera/relay-host';
import { cameraClientFor } from './api/plotters';
import { openEngine, type Engine } from './engine';
import { settleNotifications } from './notify/notifier';
import { addJobsFromDialog, showAbout } from './shell/dialogs';
import { registerIpc } from './shell/ipc';
import { installMenu } from './shell/menu';
import { notifyPlotEvents } from './shell/notify';
import { guardWindowClose, installQuitGuard } from './shell/quit';
import { isRendererUrl, rendererSource } from './shell/renderer';
import { createMainWindow, focusWindow, guardAllWebContents, guardSession } from './shell/window';

/** Electron loads better-sqlite3 built for its own ABI, kept beside (never instead of) the Node build. */
function electronSqliteBinding(): string {
  return app.isPackaged
    ? path.join(process.resourcesPath, 'native', 'better_sqlite3.node')
    : path.join(
        app.getAppPath(),
        'native',
        'electron',
        'node_modules',
        'better-sqlite3',
        'build',
        'Release',
        'better_sqlite3.node',
      );
}

let engine: Engine | undefined;

const NO_RELAY = 'the window could not start its camera relay (see the log)';
let mainWindow: BrowserWindow | undefined;

async function start(): Promise<void> {
  const source = rendererSource(__dirname, app.isPackaged);
  const preload = path.join(__dirname, '../preload/index.js');
  const nativeBinding = electronSqliteBinding();
  engine = openEngine({ nativeBinding });
  const opened = engine;
  // Asked at each request: camera settings changed in the window apply at once.
  const cameraClient = (plotter?: string) => cameraClientFor(opened, plotter);
  // Without it the app still works; the camera panel says why there is no live view.
  const relay = await startRelayHost(cameraClient).catch((err: unknown) => {
    opened.logger.warning(
      `shell: no camera relay for the window: ${(err as Error)?.message ?? String(err)}`,
    );
    return undefined;
  });
  // The service opens engines itself after a backup import: with the same Electron build.
  const api = createApiService(engine, {
    nativeBinding,
    cameraViewer: () => {
      const client = cameraClient();
      if (typeof client === 'string') return { streamUrl: null, reason: client };
      return relay ? { streamUrl: relay.streamUrl } : { streamUrl: null, reason: NO_RELAY };
    },
    plotterCamera: (plotter) => {
      const client = cameraClient(plotter);
      if (typeof client === 'string') return { streamUrl: null, reason: client };
      return relay
        ? { streamUrl: relay.plotterStreamUrl(plotter) }
        : { streamUrl: null, reason: NO_RELAY };
    },
  });
  const log = (m: string) => engine?.logger.info(`shell: ${m}`);

  guardAllWebContents();
  guardSession(session.defaultSession, source, { imgOrigins: relay ? [relay.origin] : [] });
  registerIpc(api, {
    isTrustedUrl: (url) => isRendererUrl(url, source),
    eventTargets: () => (mainWindow && !mainWindow.isDestroyed() ? [mainWindow.webContents] : []),
  });
  notifyPlotEvents(api);

  const quit = installQuitGuard(api, {
    window: () => mainWindow,
    afterShutdown: async () => {
      void relay?.close();
      // A plot stopped by the quit told its hook; that answer is awaited (at most notify.timeout_s).
      await settleNotifications();
      engine?.close();
      engine = undefined;
    },
    log,
  });
  installMenu(
    {
      addJob: () => void addJobsFromDialog(api, mainWindow),
      quit: () => void quit.requestQuit(),
      about: () => void showAbout(mainWindow),
      reload: () => mainWindow?.webContents.reload(),
      toggleDevTools: () => mainWindow?.webContents.toggleDevTools(),
    },
    { dev: !app.isPackaged, mac: process.platform === 'darwin' },
  );

  mainWindow = createMainWindow(preload, source);
  guardWindowClose(mainWindow, quit);
}

if (!app.requestSingleInstanceLock()) {
  // Another vfab window is open: it is told (second-instance) and comes forward.
  app.quit();
} else {
  app.on('second-instance', () => focusWindow(mainWindow));
  void app
    .whenReady()
    .then(start)
    .catch((err: unknown) => {
      // E.g. the Electron build of better-sqlite3 is missing (docs/development.md: npm run native:electron).
      dialog.showErrorBox('vfab could not start', err instanceof Error ? err.message : String(err));
      app.exit(1);
    });
  // Closing the window quits (guardWindowClose asks first during a plot).
  app.on('window-all-closed', () => app.quit());
}
