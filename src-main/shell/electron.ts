/**
 * The one door to Electron. The shell's modules (and index.ts) take what they use from here, so
 * the engine cannot reach Electron by accident and an audit has a single line to read.
 */
export { app, BrowserWindow, dialog, ipcMain, Menu, Notification, session } from 'electron';
export type {
  BrowserWindowConstructorOptions,
  IpcMainInvokeEvent,
  MenuItemConstructorOptions,
  Session,
  WebContents,
  WebPreferences,
} from 'electron';
