/**
 * The main window and the guards around it (Electron's security checklist): an isolated,
 * sandboxed renderer without Node, the CSP header on its document, no navigation, no new
 * windows, no webviews, no permissions. test/shell-security.test.ts builds the window through
 * this module and fails when any of it weakens.
 */
import {
  app,
  BrowserWindow,
  type BrowserWindowConstructorOptions,
  type Session,
  type WebContents,
  type WebPreferences,
} from './electron';
import { rendererCsp, type CspOptions } from './csp';
import { isRendererUrl, type RendererSource } from './renderer';

export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    // The renderer gets the bridge, not the preload's world, and no Node at all.
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

export function mainWindowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 800,
    minHeight: 560,
    show: false,
    title: 'vfab',
    webPreferences: secureWebPreferences(preload),
  };
}

/**
 * Every webContents (the window's and any that might appear) may not navigate away from the
 * renderer, open windows or attach webviews: the UI is one page that talks to main over IPC.
 */
export function guardWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Applies `guardWebContents` to every webContents the app ever creates. */
export function guardAllWebContents(): void {
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents));
}

/**
 * The session refuses every permission (camera, microphone, notifications from the page,
 * geolocation, HID/serial/USB from the page…): the plotter and camera are main's business.
 * The renderer's document gets the strict CSP as a header; in dev the vite server's own page
 * is left to its meta tag (HMR needs inline scripts and a websocket), never in a packaged app.
 */
export function guardSession(ses: Session, source: RendererSource, csp: CspOptions = {}): void {
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  const policy = rendererCsp(csp);
  ses.webRequest.onHeadersReceived((details, callback) => {
    if (source.kind === 'file' && isRendererUrl(details.url, source)) {
      callback({
        responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] },
      });
    } else {
      callback({});
    }
  });
}

/** Creates and loads the main window; it shows itself once painted. */
export function createMainWindow(preload: string, source: RendererSource): BrowserWindow {
  const win = new BrowserWindow(mainWindowOptions(preload));
  guardWebContents(win.webContents);
  win.once('ready-to-show', () => win.show());
  void (source.kind === 'file' ? win.loadFile(source.file) : win.loadURL(source.url));
  return win;
}

/** A second `vfab` start brings the running window forward instead of opening another. */
export function focusWindow(win: BrowserWindow | undefined): void {
  if (!win || win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
