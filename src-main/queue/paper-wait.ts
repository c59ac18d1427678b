/**
 * Waiting for a fresh sheet on one plotter: its PRG button (the port stays open and `QB` is read
 * every `pollMs`; the button's latch is cleared once first, so a press made before the wait, e.g.
 * to pause the last job, is not taken for a paper change), a confirmation from a face (Enter in
 * the CLI, the app's button), or, unattended, the page delay alone.
 */
import type { Ebb } from '../plotter/ebb';
import type { PaperConfirmation } from './events';

export interface PaperWaitOptions {
  /** Read its PRG button; absent: only `confirmed` or the page delay end the wait. */
  ebb?: Ebb;
  /** Unattended: the sheet is changed by the feeder in this time. */
  pageDelayMs?: number;
  /** Settles when a face confirms the sheet. */
  confirmed: Promise<PaperConfirmation>;
  /** Ends the wait without a confirmation. */
  signal: AbortSignal;
  pollMs: number;
}

/** How the sheet was confirmed, or null when the wait was called off. Rejects when the plotter stops answering. */
export async function waitForPaper(opts: PaperWaitOptions): Promise<PaperConfirmation | null> {
  let other: PaperConfirmation | null = null;
  let wake = () => {};
  void opts.confirmed.then((how) => {
    other = how;
    wake();
  });
  const onAbort = () => wake();
  opts.signal.addEventListener('abort', onAbort);
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  try {
    if (opts.pageDelayMs !== undefined) {
      if (opts.pageDelayMs > 0 && !opts.signal.aborted) await pause(opts.pageDelayMs);
      return opts.signal.aborted ? null : (other ?? 'page_delay');
    }
    if (opts.ebb) await opts.ebb.queryButton();
    for (;;) {
      if (opts.signal.aborted) return null;
      if (other) return other;
      if (opts.ebb && (await opts.ebb.queryButton())) return 'button';
      if (opts.signal.aborted || other) continue;
      await pause(opts.pollMs);
    }
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
  }
}
