/** The service's event fan-out: one listener throwing never keeps the event from the others. */
import type { EventName, EventPayloads } from './contract';

export type EventListener = <E extends EventName>(name: E, payload: EventPayloads[E]) => void;

export interface EventHub {
  on(listener: EventListener): () => void;
  emit<E extends EventName>(name: E, payload: EventPayloads[E]): void;
  size(): number;
  clear(): void;
}

export function createEventHub(onListenerError: (err: unknown) => void): EventHub {
  const listeners = new Set<EventListener>();
  return {
    on(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    emit(name, payload) {
      for (const l of [...listeners]) {
        try {
          l(name, payload);
        } catch (err) {
          onListenerError(err);
        }
      }
    },
    size: () => listeners.size,
    clear: () => listeners.clear(),
  };
}
