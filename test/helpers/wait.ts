/**
 * Waiting in tests: for a condition (polled, bounded, failing with what it waited for), or, where
 * the passing of time is itself what a test checks, a named hold that says why.
 */

/**
 * Polls `probe` until it returns something other than undefined or false, and returns that.
 * Fails after `timeoutMs` naming `what`.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 5000, everyMs = 10 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Lets `ms` pass on purpose: the length is an experiment's input (when a seeded kill lands, how
 * long a process stays frozen). `why` documents it at the call.
 */
export function holdFor(ms: number, why: string): Promise<void> {
  void why;
  return new Promise((r) => setTimeout(r, ms));
}
