/**
 * The renderer's one door to vfab: the typed API (src-main/api/contract.ts) over whichever
 * transport this page has. In the Electron window that is the preload's `window.vfab`; opened
 * from `vfab serve` it is a WebSocket to the same host, with the token from the page URL.
 * Types only come from the contract: nothing of the engine or zod is bundled here.
 */
import type { EventName, EventPayloads, MethodName, Params, Results } from '../../src-main/api/contract';

/** What the Electron preload exposes as `window.vfab`. */
interface Bridge {
  call(method: string, params: unknown): Promise<unknown>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

export interface Api {
  readonly transport: 'electron' | 'websocket';
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Results[M]>;
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
}

/** A refused or failed call: `code` is one of src-main/errors.ts ERROR_CODES' names. */
export class ApiCallError extends Error {
  override name = 'ApiCallError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function asCallError(err: unknown): ApiCallError {
  if (err instanceof ApiCallError) return err;
  const e = err as { code?: unknown; message?: unknown } | null;
  return new ApiCallError(typeof e?.code === 'string' ? e.code : 'INTERNAL', typeof e?.message === 'string' ? e.message : String(err));
}

function bridgeApi(bridge: Bridge): Api {
  return {
    transport: 'electron',
    call: (method, params) => bridge.call(method, params).catch((err: unknown) => Promise.reject(asCallError(err))) as Promise<never>,
    on: (event, listener) => bridge.on(event, listener as (payload: unknown) => void),
  };
}

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 10_000;

type Incoming = { id: string | number | null; result?: unknown; error?: { code: string; message: string } } | { event: EventName; payload: unknown };

function socketApi(url: string): Api {
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: ApiCallError): void }>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const queue: string[] = [];
  let nextId = 1;
  let delay = RECONNECT_MIN_MS;
  let ws: WebSocket;

  const connect = () => {
    ws = new WebSocket(url);
    ws.onopen = () => {
      delay = RECONNECT_MIN_MS;
      for (const text of queue.splice(0)) ws.send(text);
    };
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data)) as Incoming;
      if ('event' in msg) {
        for (const l of listeners.get(msg.event) ?? []) l(msg.payload);
        return;
      }
      const waiter = typeof msg.id === 'number' ? pending.get(msg.id) : undefined;
      if (!waiter) return;
      pending.delete(msg.id as number);
      if (msg.error) waiter.reject(new ApiCallError(msg.error.code, msg.error.message));
      else waiter.resolve(msg.result);
    };
    ws.onclose = () => {
      // The answer to a call in flight is lost with the connection; its caller decides whether to retry.
      for (const w of pending.values()) w.reject(new ApiCallError('INTERNAL', 'The connection to vfab was lost.'));
      pending.clear();
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    };
  };
  connect();

  return {
    transport: 'websocket',
    call(method, params) {
      const id = nextId++;
      const text = JSON.stringify({ id, method, params });
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        if (ws.readyState === WebSocket.OPEN) ws.send(text);
        else queue.push(text);
      });
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      const l = listener as (payload: unknown) => void;
      set.add(l);
      return () => void set.delete(l);
    },
  };
}

/** The API for this page: the Electron bridge when there is one, else the socket of the server that served it. */
export function connectApi(): Api {
  const bridge = (window as unknown as { vfab?: Bridge }).vfab;
  if (bridge) return bridgeApi(bridge);
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return socketApi(`${scheme}//${location.host}/ws?token=${encodeURIComponent(token)}`);
}
