/** A minimal stand-in for the parts of Electron the shell touches; tests extend it as the shell grows. */
export const app = {
  isPackaged: false,
  getPath: (name: string) => `/tmp/fake-electron/${name}`,
  getVersion: () => '0.0.0-test',
  requestSingleInstanceLock: () => true,
  whenReady: () => Promise.resolve(),
  on: () => app,
  quit: () => undefined,
};
export const ipcMain = { handle: () => undefined, removeHandler: () => undefined };
export class BrowserWindow {
  loadFile(): Promise<void> {
    return Promise.resolve();
  }
}
export default { app, ipcMain, BrowserWindow };
