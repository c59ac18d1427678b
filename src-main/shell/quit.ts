/**
 * Quitting the app during a plot (docs/recovery.md, invariant 6). Closing the window or choosing Quit
 * while a plot runs asks first; "Stop and quit" then follows the signal path — the service lifts
 * the pen, stops the motors and journals `emergency_shutdown` (`shutdown('quit')`) — and only then
 * does the app quit. The job stays resumable; nothing is ABORTED on the user's behalf.
 * SIGINT/SIGTERM/SIGHUP (`pkill -f vfab`) take the same path without asking.
 */
import { app, dialog, type BrowserWindow } from './electron';
import type { ApiService } from '../api/service';
import { FORCED_EXIT_MS, onShutdownSignals, SHUTDOWN_SIGNALS } from '../recovery/signals';

export const KEEP_PLOTTING = 0;
export const STOP_AND_QUIT = 1;

export interface QuitGuardOptions {
  /** The window the question belongs to, when there is one. */
  window(): BrowserWindow | undefined;
  /** Runs after the service has shut down, before the app quits (closing the engine). */
  afterShutdown?(): void | Promise<void>;
  /** How long the plotter may take to let go before the app quits regardless. */
  forcedQuitMs?: number;
  log?(message: string): void;
  /** Handle SIGINT/SIGTERM/SIGHUP (default true; tests turn it off). */
  handleSignals?: boolean;
}

export interface QuitGuard {
  /** What the window's close and the Quit menu item call. Resolves when quitting or cancelled. */
  requestQuit(): Promise<void>;
  /** True once shutdown has run and the app may really quit. */
  readonly finished: boolean;
  /** Removes the signal handlers (tests). */
  dispose(): void;
}

/** Asks whether to stop the running plots; true to go ahead. */
async function confirmStop(win: BrowserWindow | undefined, plots: string[]): Promise<boolean> {
  const options = {
    type: 'warning' as const,
    buttons: ['Keep plotting', 'Stop and quit'],
    defaultId: KEEP_PLOTTING,
    cancelId: KEEP_PLOTTING,
    noLink: true,
    title: 'vfab',
    message:
      plots.length === 1
        ? `Job ${plots[0]} is plotting.`
        : `${plots.length} jobs are plotting: ${plots.join(', ')}.`,
    detail:
      'Quitting lifts the pen and stops the plotter where it is. The job stays resumable: ' +
      '`vfab resume` or Resume in the app continues it from the last stroke on the paper.',
  };
  const { response } =
    win && !win.isDestroyed()
      ? await dialog.showMessageBox(win, options)
      : await dialog.showMessageBox(options);
  return response === STOP_AND_QUIT;
}

/** Resolves with the promise, or after `ms` (logged): the journal is already safe by then. */
async function bounded(work: Promise<void>, ms: number, log: (m: string) => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log(`shutdown did not finish within ${ms} ms; quitting anyway`);
      resolve();
    }, ms);
  });
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function installQuitGuard(service: ApiService, opts: QuitGuardOptions): QuitGuard {
  const log = opts.log ?? (() => undefined);
  const forcedMs = opts.forcedQuitMs ?? FORCED_EXIT_MS;
  let finished = false;
  let pending: Promise<void> | undefined;

  const shutdown = async (reason: string) => {
    try {
      await bounded(
        (async () => {
          await service.shutdown(reason);
          await service.close();
        })(),
        forcedMs,
        log,
      );
    } catch (err) {
      log(`shutdown (${reason}) failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      await opts.afterShutdown?.();
    } catch (err) {
      log(`closing after shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    finished = true;
  };

  const requestQuit = (): Promise<void> => {
    if (finished) {
      app.quit();
      return Promise.resolve();
    }
    // A second Quit while the question is open or shutdown runs joins the first.
    pending ??= (async () => {
      try {
        const plots = service.activePlots();
        if (plots.length > 0 && !(await confirmStop(opts.window(), plots))) return;
        await shutdown('quit');
        app.quit();
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };

  // Every way to quit (menu, Ctrl+Q, last window closed, OS logout) passes here first.
  app.on('before-quit', (event) => {
    if (finished) return;
    event.preventDefault();
    void requestQuit();
  });

  // Signals: no question (nobody to ask), the same path, then the exit status of the signal
  // path (128 + signal number) — also when the plotter does not let go in time.
  const removeSignals =
    opts.handleSignals === false
      ? () => undefined
      : onShutdownSignals(
          (signal) => {
            log(`${signal}: stopping plots and quitting`);
            void shutdown(signal).then(() => app.exit(SHUTDOWN_SIGNALS[signal]));
          },
          (code) => app.exit(code),
        );

  return {
    requestQuit,
    get finished() {
      return finished;
    },
    dispose: removeSignals,
  };
}

/**
 * Closing the main window quits the app (one window holds the whole UI), so it asks the same
 * question first; the window closes only once shutdown has run.
 */
export function guardWindowClose(win: BrowserWindow, guard: QuitGuard): void {
  win.on('close', (event) => {
    if (guard.finished) return;
    event.preventDefault();
    void guard.requestQuit();
  });
}
