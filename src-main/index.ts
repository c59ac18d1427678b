/**
 * The Electron shell: wiring only. The engine does the work; this file owns the window and its
 * security settings. Everything here is replaceable by `vfab serve` or the CLI.
 */
import path from 'node:path';
import { app, BrowserWindow } from 'electron';
import { openEngine, type Engine } from './engine';

let engine: Engine | undefined;

/** Electron loads better-sqlite3 built for its own ABI, kept beside (never instead of) the Node build. */
function electronSqliteBinding(): string {
  return app.isPackaged
    ? path.join(process.resourcesPath, 'native', 'better_sqlite3.node')
    : path.join(app.getAppPath(), 'native', 'electron', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    show: false,
    title: 'vfab',
    webPreferences: {
      preload: path.join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  void win.loadFile(path.join(__dirname, '../renderer/index.html'));
  return win;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void app.whenReady().then(() => {
    engine = openEngine({ nativeBinding: electronSqliteBinding() });
    createWindow();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => engine?.close());
}
