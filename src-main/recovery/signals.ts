/**
 * The signal path (docs/recovery.md, invariant 6): SIGINT, SIGTERM and SIGHUP while plotting stop the
 * plot where it is, lift the pen, journal `emergency_shutdown` and exit with 128 + the signal
 * number. The job stays PLOTTING and `vfab resume` continues it; nothing is ABORTED on the user's
 * behalf. `pkill -f vfab` is a SIGTERM and takes this path too.
 */

/** The signals handled while plotting, and the exit status each ends the process with. */
export const SHUTDOWN_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
export type ShutdownSignal = keyof typeof SHUTDOWN_SIGNALS;

/** If the plotter does not let go in time, the process still ends: the journal is already safe. */
export const FORCED_EXIT_MS = 6000;

/** One line per handler, for `vfab info system`. */
export function describeSignalHandlers(): string[] {
  return (Object.keys(SHUTDOWN_SIGNALS) as ShutdownSignal[]).map(
    (s) =>
      `${s}: during a plot, lift the pen, stop the motors, journal emergency_shutdown, exit ${SHUTDOWN_SIGNALS[s]} (job stays PLOTTING; vfab resume continues it)`,
  );
}

/**
 * Calls `onSignal` on the first of the shutdown signals; a second one is ignored (the first is
 * already stopping the plot), and `FORCED_EXIT_MS` after the first the process exits regardless.
 * Returns the function that removes the handlers.
 */
export function onShutdownSignals(
  onSignal: (signal: ShutdownSignal) => void,
  exit: (code: number) => void = (c) => process.exit(c),
): () => void {
  let first: ShutdownSignal | undefined;
  const handlers = (Object.keys(SHUTDOWN_SIGNALS) as ShutdownSignal[]).map((sig) => {
    const handler = () => {
      if (first) return;
      first = sig;
      setTimeout(() => exit(SHUTDOWN_SIGNALS[sig]), FORCED_EXIT_MS).unref();
      onSignal(sig);
    };
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  return () => {
    for (const [sig, handler] of handlers) process.off(sig, handler);
  };
}
