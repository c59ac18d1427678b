/**
 * The renderer's one door to vfab: the typed API (src-main/api/contract.ts) over whichever
 * transport this page has. In the Electron window that is the preload's `window.vfab`; opened
 * from `vfab serve` it is a WebSocket to the same host, carrying the token from the printed URL
 * (kept for this tab, see pageToken) as a subprotocol.
 * Types only come from the contract: nothing of the engine or zod is bundled here, only the
 * shared names (src-main/shared/).
 */
import type {
  EventName,
  EventPayloads,
  MethodName,
  Params,
  Results,
} from '../../src-main/api/contract';
import { API_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from '../../src-main/shared/api-names';

/** What the Electron preload exposes as `window.vfab`. */
interface Bridge {
  call(method: string, params: unknown): Promise<unknown>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

/** The link to vfab: `lost` from the moment the socket closes until it opens again; `refused` when the server no longer takes this tab's token. */
export type Connection = 'connecting' | 'open' | 'lost' | 'refused';

export interface Api {
  readonly transport: 'electron' | 'websocket';
  connection(): Connection;
  /** Told every change of `connection()`. */
  onConnection(listener: (c: Connection) => void): () => void;
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
  return new ApiCallError(
    typeof e?.code === 'string' ? e.code : 'INTERNAL',
    typeof e?.message === 'string' ? e.message : String(err),
  );
}

function bridgeApi(bridge: Bridge): Api {
  return {
    transport: 'electron',
    // The window and its engine are one process: the bridge is there as long as the page is.
    connection: () => 'open',
    onConnection: () => () => {},
    call: (method, params) =>
      bridge
        .call(method, params)
        .catch((err: unknown) => Promise.reject(asCallError(err))) as Promise<never>,
    on: (event, listener) => bridge.on(event, listener as (payload: unknown) => void),
  };
}

const TOKEN_KEY = 'vfab.token';

/**
 * The token from the printed URL, kept in this tab's sessionStorage and taken out of the address
 * bar, so a reload still connects. Storage belongs to this origin alone (port included), where a
 * cookie would also be sent to every other server on the same host.
 */
function pageToken(): string | null {
  const url = new URL(location.href);
  const given = url.searchParams.get('token');
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    url.searchParams.delete('token');
    history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Why the server refuses `token` (it was restarted, with a new one), or undefined when it does not or cannot be asked. */
async function tokenRefused(token: string): Promise<ApiCallError | undefined> {
  const res = await fetch('/ws', {
    headers: { Authorization: `Bearer ${token}` },
    cache: 'no-store',
  }).catch(() => undefined);
  if (res?.status !== 401) return undefined;
  sessionStorage.removeItem(TOKEN_KEY);
  return new ApiCallError(
    'USAGE',
    "vfab serve no longer takes this tab's token (it makes a new one each start): open the URL it printed.",
  );
}

/** An API every call of which fails with `why`. */
function refusedApi(why: ApiCallError): Api {
  return {
    transport: 'websocket',
    connection: () => 'refused',
    onConnection: () => () => {},
    call: () => Promise.reject(why),
    on: () => () => {},
  };
}

const RECONNECT_MIN_MS = 500;
/** A server back after a restart is found within this long (a few requests a while it is away cost nothing). */
const RECONNECT_MAX_MS = 2_000;

type Incoming =
  | { id: string | number | null; result?: unknown; error?: { code: string; message: string } }
  | { event: EventName; payload: unknown };

function socketApi(url: string, token: string): Api {
  type Waiter = { resolve(v: unknown): void; reject(e: ApiCallError): void };
  const pending = new Map<number, Waiter>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  /** Calls made while there is no connection: sent when there is one. */
  const queue: (Waiter & { id: number; text: string })[] = [];
  let nextId = 1;
  let delay = RECONNECT_MIN_MS;
  let refused: ApiCallError | undefined;
  let ws: WebSocket;
  let state: Connection = 'connecting';
  const watchers = new Set<(c: Connection) => void>();
  const become = (next: Connection) => {
    if (next === state) return;
    state = next;
    for (const w of [...watchers]) w(next);
  };

  const connect = () => {
    ws = new WebSocket(url, [API_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`]);
    ws.onopen = () => {
      delay = RECONNECT_MIN_MS;
      become('open');
      for (const q of queue.splice(0)) send(q.id, q.text, q);
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
      // Said at once (a server that was never reached stays 'connecting'): the page must not look live.
      if (state === 'open') become('lost');
      // The answer to a call in flight is lost with the connection; its caller decides whether to retry.
      for (const w of pending.values())
        w.reject(new ApiCallError('INTERNAL', 'The connection to vfab was lost.'));
      pending.clear();
      // A browser is not told why an upgrade failed: ask plainly whether the token is still this server's.
      void tokenRefused(token).then((no) => {
        if (!no) return void setTimeout(connect, delay);
        refused = no;
        become('refused');
        for (const q of queue.splice(0)) q.reject(no);
      });
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    };
  };
  const send = (id: number, text: string, waiter: Waiter) => {
    pending.set(id, waiter);
    ws.send(text);
  };
  connect();

  return {
    transport: 'websocket',
    connection: () => state,
    onConnection(listener) {
      watchers.add(listener);
      return () => void watchers.delete(listener);
    },
    call(method, params) {
      const id = nextId++;
      const text = JSON.stringify({ id, method, params });
      return new Promise((resolve, reject) => {
        const waiter = { resolve: resolve as (v: unknown) => void, reject };
        if (refused) reject(refused);
        else if (ws.readyState === WebSocket.OPEN) send(id, text, waiter);
        else queue.push({ id, text, ...waiter });
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
  const token = pageToken();
  if (!token)
    return refusedApi(
      new ApiCallError(
        'USAGE',
        'this tab has no token: open the URL that vfab serve printed (…/?token=…).',
      ),
    );
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return socketApi(`${scheme}//${location.host}/ws`, token);
}
