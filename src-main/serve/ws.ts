/**
 * The typed API over WebSocket. Protocol (JSON text frames):
 *   client → { id, method, params }            id: a string (≤ 64) or a number
 *   server → { id, result } | { id, error: { code, message } }
 *   server → { event, payload }                every EVENT_NAMES entry, pushed to every client
 * A message that is not JSON, or not such an object, is answered with an INVALID_INPUT error
 * (id null when none could be read) and the connection stays open. A frame over the size cap
 * closes the connection (1009): ws refuses it before buffering it whole. A large request that
 * does not fit the upload budget shared by all connections is answered BUSY without being
 * held (upload-gate.ts).
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import { ApiError, MAX_UPLOAD_BASE64 } from '../api/contract';
import type { ApiService } from '../api/service';
import { API_PROTOCOL } from '../shared/api-names';
import { FilteredSocket } from './filtered-socket';
import { isRequestId, type RequestId } from './request-id';
import {
  createByteBudget,
  gateConnection,
  UPLOAD_BUDGET_BYTES,
  type ConnectionGate,
} from './upload-gate';

/** A dropped 50 MiB file as base64, plus the envelope. */
export const MAX_MESSAGE_BYTES = MAX_UPLOAD_BASE64 + 64 * 1024;
/** Requests one connection may have running at once. */
const MAX_PENDING = 32;
/** A client this far behind loses progress events (never replies or state changes). */
const MAX_BUFFERED_FOR_PROGRESS = 1024 * 1024;
const PING_MS = 30_000;

function errorReply(id: RequestId, err: unknown) {
  const e =
    err instanceof ApiError
      ? err
      : new ApiError('INTERNAL', (err as Error)?.message ?? String(err));
  return { id, error: { code: e.code, message: e.message } };
}

function send(ws: WebSocket, message: unknown): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}

function readRequest(raw: string): {
  id: RequestId;
  method?: unknown;
  params?: unknown;
  problem?: string;
} {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch (err) {
    return { id: null, problem: `The message is not JSON (${(err as Error).message}).` };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
    return { id: null, problem: 'A request must be a JSON object { id, method, params }.' };
  const { id, method, params, ...rest } = msg as Record<string, unknown>;
  if (!isRequestId(id))
    return {
      id: null,
      problem: 'A request needs an id: a string of at most 64 characters or a whole number.',
    };
  if (Object.keys(rest).length)
    return {
      id,
      problem: `Unknown request field(s): ${Object.keys(rest).slice(0, 5).join(', ')}.`,
    };
  if (typeof method !== 'string') return { id, problem: 'A request needs a method name.' };
  return { id, method, params };
}

export interface ApiSocketServer {
  readonly wss: WebSocketServer;
  /** Completes an upgrade the caller has authorised: the connection then speaks the API. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

export interface ApiSocketOptions {
  /** Request bytes held at once across all connections (upload-gate.ts); default 128 MiB. */
  maxUploadBytes?: number;
  /** A client's connection failed (an oversized frame); that one is already closed. */
  onError(err: Error): void;
}

const NO_HEAD = Buffer.alloc(0);

export function createApiSocketServer(
  service: ApiService,
  opts: ApiSocketOptions,
): ApiSocketServer {
  const { onError } = opts;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
    // The page offers the token as a second subprotocol; the answer never echoes it.
    handleProtocols: (offered) => (offered.has(API_PROTOCOL) ? API_PROTOCOL : false),
  });
  const budget = createByteBudget(opts.maxUploadBytes ?? UPLOAD_BUDGET_BYTES);
  const busy = (id: RequestId) =>
    errorReply(
      id,
      new ApiError(
        'BUSY',
        `Other uploads are using the memory vfab serve sets aside for them (${budget.limit / 2 ** 20} MiB at once); retry this one when they finish.`,
      ),
    );
  const alive = new WeakSet<WebSocket>();

  const offEvents = service.onEvent((event, payload) => {
    const text = JSON.stringify({ event, payload });
    for (const ws of wss.clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if (event === 'plot.progress' && ws.bufferedAmount > MAX_BUFFERED_FOR_PROGRESS) continue;
      ws.send(text);
    }
  });

  const serve = (ws: WebSocket, gate: ConnectionGate) => {
    let pending = 0;
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    // ws has already closed the connection (1009 for an oversized frame, 1002 for a protocol
    // error); without a listener the error would end the whole server.
    ws.on('error', (err) => onError(err));
    ws.on('close', () => gate.close());
    ws.on('message', (data, isBinary) => {
      const release = gate.delivered();
      if (isBinary) {
        release();
        return send(
          ws,
          errorReply(
            null,
            new ApiError(
              'INVALID_INPUT',
              'Binary frames are not part of the protocol; send JSON text.',
            ),
          ),
        );
      }
      const req = readRequest(data.toString());
      if (req.problem || pending >= MAX_PENDING) {
        release();
        if (req.problem)
          return send(ws, errorReply(req.id, new ApiError('INVALID_INPUT', req.problem)));
        return send(
          ws,
          errorReply(
            req.id,
            new ApiError(
              'BUSY',
              `Too many requests at once (${MAX_PENDING}); wait for the answers.`,
            ),
          ),
        );
      }
      pending++;
      service
        .call(req.method as string, req.params)
        .then(
          (result) => send(ws, { id: req.id, result: result ?? null }),
          (err: unknown) => send(ws, errorReply(req.id, err)),
        )
        .finally(() => {
          pending--;
          release();
        });
    });
  };

  const upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    let ws: WebSocket | undefined;
    // ws is handed only the frames of messages that fit the budget; the others are never buffered.
    const gate = gateConnection(
      budget,
      { maxMessage: MAX_MESSAGE_BYTES },
      { pass: (bytes) => wrapped.deliver(bytes), refuse: (id) => ws && send(ws, busy(id)) },
    );
    const wrapped = new FilteredSocket(socket, gate.push);
    wss.handleUpgrade(req, wrapped, NO_HEAD, (client) => {
      ws = client;
      serve(client, gate);
    });
    // What arrived with the upgrade request goes through the gate like the rest.
    if (ws && head.length) gate.push(head);
  };

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
    upgrade,
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
