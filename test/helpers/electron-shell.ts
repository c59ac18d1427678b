/**
 * Boots the real Electron entry (src-main/index.ts) against the fake `electron`
 * (test/setup/fake-electron.ts) and a real engine in a temporary data dir. The fake app's
 * path holds a native/electron tree whose better_sqlite3.node is the Node build, so the
 * shell's `nativeBinding` path is exercised exactly as in Electron.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as fake from '../setup/fake-electron';
import { waitFor } from './wait';

const ROOT = path.resolve(__dirname, '..', '..');
const NODE_SQLITE = path.join(
  ROOT,
  'node_modules',
  'better-sqlite3',
  'build',
  'Release',
  'better_sqlite3.node',
);

export interface BootedShell {
  root: string;
  dataDir: string;
  window: fake.BrowserWindow;
  /** The URL of the renderer document the window loaded: the only trusted sender. */
  rendererUrl: string;
  /** Quits through the shell's own path (closes service and engine), removes signal handlers and the temp dir. */
  stop(): Promise<void>;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function bootShell(): Promise<BootedShell> {
  fake.resetFakeElectron();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-shell-'));
  const appPath = path.join(root, 'app');
  const binDir = path.join(
    appPath,
    'native',
    'electron',
    'node_modules',
    'better-sqlite3',
    'build',
    'Release',
  );
  fs.mkdirSync(binDir, { recursive: true });
  fs.symlinkSync(NODE_SQLITE, path.join(binDir, 'better_sqlite3.node'));
  const configFile = path.join(root, 'config', 'config.yaml');
  fs.mkdirSync(path.dirname(configFile), { recursive: true });
  // No camera: nothing here serves one, and the service would poll it.
  fs.writeFileSync(configFile, 'camera:\n  enabled: false\n');
  const dataDir = path.join(root, 'data');
  process.env['VFAB_CONFIG'] = configFile;
  process.env['VFAB_DATA_DIR'] = dataDir;
  fake.app.appPath = appPath;

  const before = new Map(SIGNALS.map((s) => [s, process.listeners(s)]));
  await import('../../src-main/index');
  // start() runs after whenReady(); wait until the window exists.
  await waitFor('the shell to open its window', () => fake.BrowserWindow.instances.length > 0, {
    timeoutMs: 2000,
  }).catch(() => undefined);
  const window = fake.BrowserWindow.instances[0];
  if (!window) throw new Error('the shell did not open a window');
  const added = SIGNALS.flatMap((s) =>
    process
      .listeners(s)
      .filter((l) => !before.get(s)!.includes(l))
      .map((l) => [s, l] as const),
  );

  return {
    root,
    dataDir,
    window,
    rendererUrl: window.webContents.getURL(),
    async stop() {
      fake.app.quit();
      // The first quit is held for shutdown; the shell quits again once the service and engine are closed.
      await waitFor('the shell to quit again', () => fake.app.quitCalls >= 2, {
        timeoutMs: 5000,
      }).catch(() => undefined);
      const quit = fake.app.quitCalls >= 2;
      for (const [s, l] of added) process.off(s, l);
      delete process.env['VFAB_CONFIG'];
      delete process.env['VFAB_DATA_DIR'];
      fs.rmSync(root, { recursive: true, force: true });
      if (!quit) throw new Error('the shell did not quit after shutting the service down');
    },
  };
}
