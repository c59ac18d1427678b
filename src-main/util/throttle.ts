/**
 * At most one call per `intervalMs` per key; the latest value held back in between is delivered
 * when the interval ends, so the last word (100 %) is never lost.
 */
export function createThrottle<T>(intervalMs: number, deliver: (key: string, value: T) => void) {
  const slots = new Map<string, { last: number; pending?: T; timer?: NodeJS.Timeout }>();
  const fire = (key: string) => {
    const slot = slots.get(key);
    // A late timer must not fire again after a direct delivery, nor early for the next value.
    clearTimeout(slot?.timer);
    if (!slot || slot.pending === undefined) return;
    const value = slot.pending;
    slot.pending = undefined;
    slot.timer = undefined;
    slot.last = Date.now();
    deliver(key, value);
  };
  return {
    push(key: string, value: T): void {
      const slot = slots.get(key) ?? { last: 0 };
      slots.set(key, slot);
      slot.pending = value;
      const wait = slot.last + intervalMs - Date.now();
      if (wait <= 0) fire(key);
      else slot.timer ??= setTimeout(() => fire(key), wait);
    },
    /** Delivers what is held back for `key` now, so it goes out before a later event. */
    flush: fire,
    /** Delivers what is held back and forgets the key. */
    end(key: string): void {
      fire(key);
      slots.delete(key);
    },
  };
}
