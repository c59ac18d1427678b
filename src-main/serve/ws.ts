/**
 * The typed API over WebSocket. Protocol (JSON text frames):
 *   client → { id, method, params }            id: a string (≤ 64) or a number
 *   server → { id, result } | { id, error: { code, message } }
 *   server → { event, payload }                every EVENTS entry, pushed to every client
 * A message that is not JSON, or not such an object, is answered with an INVALID_INPUT error
 * (id null when none could be read) and the connection stays open. A frame over the size cap
 * closes the connection (1009): ws refuses it before buffering it whole.
 */
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import { ApiError, MAX_UPLOAD_BASE64 } from '../api/contract';
import type { ApiService } from '../api/service';
import { API_PROTOCOL } from './auth';

/** A dropped 50 MiB file as base64, plus the envelope. */
export const MAX_MESSAGE_BYTES = MAX_UPLOAD_BASE64 + 64 * 1024;
/** Requests one connection may have running at once. */
const MAX_PENDING = 32;
/** A client this far behind loses progress events (never replies or state changes). */
const MAX_BUFFERED_FOR_PROGRESS = 1024 * 1024;
const PING_MS = 30_000;

type Id = string | number | null;

function errorReply(id: Id, err: unknown) {
  const e = err instanceof ApiError ? err : new ApiError('INTERNAL', (err as Error)?.message ?? String(err));
  return { id, error: { code: e.code, message: e.message } };
}

function send(ws: WebSocket, message: unknown): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}

function readRequest(raw: string): { id: Id; method?: unknown; params?: unknown; problem?: string } {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch (err) {
    return { id: null, problem: `The message is not JSON (${(err as Error).message}).` };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return { id: null, problem: 'A request must be a JSON object { id, method, params }.' };
  const { id, method, params, ...rest } = msg as Record<string, unknown>;
  const idOk = (typeof id === 'string' && id.length <= 64) || (typeof id === 'number' && Number.isSafeInteger(id));
  if (!idOk) return { id: null, problem: 'A request needs an id: a string of at most 64 characters or a whole number.' };
  if (Object.keys(rest).length) return { id: id as Id, problem: `Unknown request field(s): ${Object.keys(rest).slice(0, 5).join(', ')}.` };
  if (typeof method !== 'string') return { id: id as Id, problem: 'A request needs a method name.' };
  return { id: id as Id, method, params };
}

export interface ApiSocketServer {
  readonly wss: WebSocketServer;
  close(): Promise<void>;
}

export function createApiSocketServer(service: ApiService, onError: (err: Error) => void): ApiSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
    // The page offers the token as a second subprotocol; the answer never echoes it.
    handleProtocols: (offered) => (offered.has(API_PROTOCOL) ? API_PROTOCOL : false),
  });
  const alive = new WeakSet<WebSocket>();

  const offEvents = service.onEvent((event, payload) => {
    const text = JSON.stringify({ event, payload });
    for (const ws of wss.clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if (event === 'plot.progress' && ws.bufferedAmount > MAX_BUFFERED_FOR_PROGRESS) continue;
      ws.send(text);
    }
  });

  wss.on('connection', (ws) => {
    let pending = 0;
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    // ws has already closed the connection (1009 for an oversized frame, 1002 for a protocol
    // error); without a listener the error would end the whole server.
    ws.on('error', (err) => onError(err));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return send(ws, errorReply(null, new ApiError('INVALID_INPUT', 'Binary frames are not part of the protocol; send JSON text.')));
      const req = readRequest(data.toString());
      if (req.problem) return send(ws, errorReply(req.id, new ApiError('INVALID_INPUT', req.problem)));
      if (pending >= MAX_PENDING) return send(ws, errorReply(req.id, new ApiError('BUSY', `Too many requests at once (${MAX_PENDING}); wait for the answers.`)));
      pending++;
      service.call(req.method as string, req.params).then(
        (result) => send(ws, { id: req.id, result: result ?? null }),
        (err: unknown) => send(ws, errorReply(req.id, err)),
      ).finally(() => pending--);
    });
  });

  // A client that vanished without a close frame (laptop lid shut) is found and dropped.
  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, PING_MS);
  pinger.unref();

  return {
    wss,
    close: () =>
      new Promise((resolve) => {
        clearInterval(pinger);
        offEvents();
        for (const ws of wss.clients) ws.close(1001, 'vfab serve is stopping');
        // Clients that do not answer the close frame are cut off.
        const cut = setTimeout(() => {
          for (const ws of wss.clients) ws.terminate();
        }, 1000);
        wss.close(() => {
          clearTimeout(cut);
          resolve();
        });
      }),
  };
}
