/**
 * A stand-in for the parts of Electron the shell touches (src-main/index.ts, src-main/shell/**,
 * src-preload). Mocked in for `electron` in every test file (electron-mock.ts), because the real
 * package downloads its binary on first require. It records what the shell does — handlers,
 * options, sent messages, dialogs, notifications — so tests can assert on it; `resetFakeElectron()`
 * clears that state between tests. Behaviour follows Electron's documented API, no more.
 */

type Listener = (...args: any[]) => unknown;

class Emitter {
  private readonly listeners = new Map<string, Listener[]>();
  on(name: string, fn: Listener): this {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn]);
    return this;
  }
  once(name: string, fn: Listener): this {
    const wrapped: Listener = (...args) => {
      this.off(name, wrapped);
      return fn(...args);
    };
    return this.on(name, wrapped);
  }
  off(name: string, fn: Listener): this {
    this.listeners.set(
      name,
      (this.listeners.get(name) ?? []).filter((l) => l !== fn),
    );
    return this;
  }
  removeListener(name: string, fn: Listener): this {
    return this.off(name, fn);
  }
  removeAllListeners(name?: string): this {
    if (name) this.listeners.delete(name);
    else this.listeners.clear();
    return this;
  }
  listenerCount(name: string): number {
    return this.listeners.get(name)?.length ?? 0;
  }
  emit(name: string, ...args: unknown[]): boolean {
    const ls = [...(this.listeners.get(name) ?? [])];
    for (const l of ls) l(...args);
    return ls.length > 0;
  }
}

/** An event object as Electron passes it: `preventDefault()` marks it. */
export function fakeEvent<T extends object>(
  extra?: T,
): { defaultPrevented: boolean; preventDefault(): void } & T {
  const event = {
    defaultPrevented: false,
    preventDefault() {
      event.defaultPrevented = true;
    },
    ...(extra ?? ({} as T)),
  };
  return event;
}

type PermissionRequestHandler = (
  wc: unknown,
  permission: string,
  callback: (granted: boolean) => void,
  details: unknown,
) => void;
type HeadersListener = (
  details: { url: string; resourceType: string; responseHeaders?: Record<string, string[]> },
  callback: (response: { responseHeaders?: Record<string, string[]>; cancel?: boolean }) => void,
) => void;

export class Session {
  permissionRequestHandler: PermissionRequestHandler | null = null;
  permissionCheckHandler: ((...args: unknown[]) => boolean) | null = null;
  devicePermissionHandler: ((...args: unknown[]) => boolean) | null = null;
  headersReceived: { filter?: unknown; listener: HeadersListener } | null = null;
  readonly webRequest = {
    onHeadersReceived: (filterOrListener: unknown, maybeListener?: HeadersListener) => {
      this.headersReceived =
        typeof filterOrListener === 'function'
          ? { listener: filterOrListener as HeadersListener }
          : { filter: filterOrListener, listener: maybeListener as HeadersListener };
    },
  };
  setPermissionRequestHandler(h: PermissionRequestHandler | null): void {
    this.permissionRequestHandler = h;
  }
  setPermissionCheckHandler(h: ((...args: unknown[]) => boolean) | null): void {
    this.permissionCheckHandler = h;
  }
  setDevicePermissionHandler(h: ((...args: unknown[]) => boolean) | null): void {
    this.devicePermissionHandler = h;
  }
}

let nextWebContentsId = 1;
export class WebContents extends Emitter {
  readonly id = nextWebContentsId++;
  readonly sent: Array<[string, ...unknown[]]> = [];
  windowOpenHandler: ((details: { url: string }) => { action: 'deny' | 'allow' }) | null = null;
  destroyed = false;
  url = '';
  readonly session: Session;
  constructor(ses: Session = session.defaultSession) {
    super();
    this.session = ses;
  }
  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.sent.push([channel, ...args]);
  }
  setWindowOpenHandler(h: (details: { url: string }) => { action: 'deny' | 'allow' }): void {
    this.windowOpenHandler = h;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  getURL(): string {
    return this.url;
  }
  reload(): void {}
  toggleDevTools(): void {}
}

export class BrowserWindow extends Emitter {
  static readonly instances: BrowserWindow[] = [];
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.instances.filter((w) => !w.destroyed);
  }
  static fromWebContents(wc: unknown): BrowserWindow | null {
    return BrowserWindow.instances.find((w) => w.webContents === wc) ?? null;
  }
  static getFocusedWindow(): BrowserWindow | null {
    return BrowserWindow.getAllWindows()[0] ?? null;
  }
  readonly options: any;
  readonly webContents = new WebContents();
  destroyed = false;
  minimized = false;
  focused = 0;
  shown = false;
  loaded: { file?: string; url?: string } = {};
  constructor(options: any = {}) {
    super();
    this.options = options;
    BrowserWindow.instances.push(this);
  }
  loadFile(file: string): Promise<void> {
    this.loaded = { file };
    this.webContents.url = `file://${file}`;
    return Promise.resolve();
  }
  loadURL(url: string): Promise<void> {
    this.loaded = { url };
    this.webContents.url = url;
    return Promise.resolve();
  }
  show(): void {
    this.shown = true;
  }
  focus(): void {
    this.focused++;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.minimized = false;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Like Electron: 'close' may be prevented; otherwise the window and its contents are gone. */
  close(): void {
    const event = fakeEvent();
    this.emit('close', event);
    if (event.defaultPrevented) return;
    this.destroy();
  }
  destroy(): void {
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

type Handler = (event: unknown, ...args: unknown[]) => unknown;
export const ipcMain = {
  handlers: new Map<string, Handler>(),
  handle(channel: string, fn: Handler): void {
    // Electron throws on a second handler for one channel; so does the fake.
    if (ipcMain.handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    ipcMain.handlers.set(channel, fn);
  },
  removeHandler(channel: string): void {
    ipcMain.handlers.delete(channel);
  },
  /** Test helper: what `ipcRenderer.invoke` would make main do, with the given sender frame URL. */
  async invoke(channel: string, senderUrl: string | null, ...args: unknown[]): Promise<unknown> {
    const fn = ipcMain.handlers.get(channel);
    if (!fn) throw new Error(`No handler registered for '${channel}'`);
    const sender = BrowserWindow.getAllWindows()[0]?.webContents ?? new WebContents();
    return fn({ sender, senderFrame: senderUrl === null ? null : { url: senderUrl } }, ...args);
  },
};

export const session = { defaultSession: new Session() };

export interface MessageBoxCall {
  window?: unknown;
  options: {
    message: string;
    detail?: string;
    buttons?: string[];
    type?: string;
    defaultId?: number;
    cancelId?: number;
  };
}
export const dialog = {
  messageBoxes: [] as MessageBoxCall[],
  /** Responses the next message boxes return, in order; 0 (the first button) when empty. */
  nextResponses: [] as number[],
  openDialogs: [] as unknown[],
  nextOpenPaths: [] as string[][],
  showMessageBox(
    windowOrOptions: any,
    maybeOptions?: any,
  ): Promise<{ response: number; checkboxChecked: boolean }> {
    const call: MessageBoxCall = maybeOptions
      ? { window: windowOrOptions, options: maybeOptions }
      : { options: windowOrOptions };
    dialog.messageBoxes.push(call);
    return Promise.resolve({ response: dialog.nextResponses.shift() ?? 0, checkboxChecked: false });
  },
  showOpenDialog(
    windowOrOptions: any,
    maybeOptions?: any,
  ): Promise<{ canceled: boolean; filePaths: string[] }> {
    dialog.openDialogs.push(maybeOptions ?? windowOrOptions);
    const paths = dialog.nextOpenPaths.shift() ?? [];
    return Promise.resolve({ canceled: paths.length === 0, filePaths: paths });
  },
  showErrorBox(title: string, content: string): void {
    dialog.errorBoxes.push({ title, content });
  },
  errorBoxes: [] as Array<{ title: string; content: string }>,
};

export class Notification extends Emitter {
  static readonly shown: Array<{ title: string; body?: string }> = [];
  static supported = true;
  static isSupported(): boolean {
    return Notification.supported;
  }
  constructor(readonly options: { title: string; body?: string; silent?: boolean }) {
    super();
  }
  show(): void {
    Notification.shown.push({ title: this.options.title, body: this.options.body });
  }
}

export interface FakeMenu {
  template: any[];
}
export const Menu = {
  current: null as FakeMenu | null,
  buildFromTemplate(template: any[]): FakeMenu {
    return { template };
  },
  setApplicationMenu(menu: FakeMenu | null): void {
    Menu.current = menu;
  },
};

class FakeApp extends Emitter {
  isPackaged = false;
  appPath = '/tmp/fake-electron/app';
  quitCalls = 0;
  exitCodes: number[] = [];
  singleInstance = true;
  getPath(name: string): string {
    return `/tmp/fake-electron/${name}`;
  }
  getAppPath(): string {
    return this.appPath;
  }
  getName(): string {
    return 'vfab';
  }
  getVersion(): string {
    return '0.0.0-test';
  }
  requestSingleInstanceLock(): boolean {
    return this.singleInstance;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  /** Like Electron: 'before-quit' may be prevented; otherwise 'will-quit' follows. */
  quit(): void {
    this.quitCalls++;
    const event = fakeEvent();
    this.emit('before-quit', event);
    if (event.defaultPrevented) return;
    const willQuit = fakeEvent();
    this.emit('will-quit', willQuit);
  }
  exit(code = 0): void {
    this.exitCodes.push(code);
  }
}
export const app = new FakeApp();

export const contextBridge = {
  exposed: {} as Record<string, unknown>,
  exposeInMainWorld(key: string, api: unknown): void {
    contextBridge.exposed[key] = api;
  },
};

export const ipcRenderer = Object.assign(new Emitter(), {
  invoked: [] as Array<[string, ...unknown[]]>,
  /** What main answers to `invoke`; tests replace it. */
  reply: (_channel: string, ..._args: unknown[]): Promise<unknown> => Promise.resolve(undefined),
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    ipcRenderer.invoked.push([channel, ...args]);
    return ipcRenderer.reply(channel, ...args);
  },
});

export const shell = {
  opened: [] as string[],
  openExternal(url: string): Promise<void> {
    shell.opened.push(url);
    return Promise.resolve();
  },
};

/** Clears everything the fake recorded, so each test starts from a fresh Electron. */
export function resetFakeElectron(): void {
  ipcMain.handlers.clear();
  BrowserWindow.instances.splice(0);
  session.defaultSession = new Session();
  dialog.messageBoxes = [];
  dialog.nextResponses = [];
  dialog.openDialogs = [];
  dialog.nextOpenPaths = [];
  dialog.errorBoxes = [];
  Notification.shown.splice(0);
  Notification.supported = true;
  Menu.current = null;
  app.removeAllListeners();
  app.isPackaged = false;
  app.quitCalls = 0;
  app.exitCodes = [];
  app.singleInstance = true;
  contextBridge.exposed = {};
  ipcRenderer.removeAllListeners();
  ipcRenderer.invoked = [];
  ipcRenderer.reply = () => Promise.resolve(undefined);
  shell.opened = [];
}

export default {
  app,
  ipcMain,
  ipcRenderer,
  contextBridge,
  BrowserWindow,
  WebContents,
  session,
  dialog,
  Notification,
  Menu,
  shell,
};
