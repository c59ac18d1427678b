/**
 * A refresh that bursts of events can call freely: one call in flight at a time, and at most one
 * more after it (for what changed meanwhile). Every caller gets the promise of the one in flight.
 */
export function coalesced(run: () => Promise<void>): () => Promise<void> {
  let inFlight: Promise<void> | undefined;
  let again = false;
  const refresh = (): Promise<void> => {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = run().finally(() => {
      inFlight = undefined;
      if (again) {
        again = false;
        void refresh();
      }
    });
    return inFlight;
  };
  return refresh;
}
