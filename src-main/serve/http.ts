/**
 * `vfab serve`'s host: the built renderer, the camera relay and the typed API on one loopback
 * HTTP server (docs/architecture.md "One engine, three faces"). The API socket and the camera need the
 * token; the app's files (the public bundle, no secret in them) do not, so the page can load
 * from its address without a credential the browser would also send elsewhere (auth.ts). A wrong
 * token is refused everywhere; the upgrade to the API socket also needs the page's own Origin.
 *
 *   const host = await startServeHost({ service, rendererDir, host: '127.0.0.1', port: 0 });
 *   host.url   // http://127.0.0.1:PORT/?token=...
 *   await host.close();
 */
import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { createCameraRoutes } from '../camera/relay';
import type { CameraClient } from '../camera/client';
import type { ApiService } from '../api/service';
import { VfabError } from '../errors';
import { createServeAuth } from './auth';
import { contentSecurityPolicy, securityHeaders, serveStatic } from './static';
import { createApiSocketServer } from './ws';

const API_SOCKET_PATH = '/ws';
const NO_TOKEN = 'A valid token is required: open the URL that vfab serve printed (…/?token=…).';
const WRONG_TOKEN =
  'This is not the token of this vfab serve (it makes a new one each start): open the URL it printed.';

export interface ServeHostOptions {
  service: ApiService;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * The camera client the settings name now (a plotter's own camera, given its name), or why there
   * is none (what /camera/* then says); asked at each request.
   */
  camera: (plotter?: string) => CameraClient | string;
  /** Default: a fresh random token. */
  token?: string;
  /** A request or a client's connection failed (an oversized frame, a file gone while served); that one is already closed. */
  onError?: (err: Error) => void;
  /** WebSocket clients at once; default 100 (config websocket.max_connections). */
  maxClients?: number;
  /** Request bytes held at once across all clients (uploads); default 128 MiB. */
  maxUploadBytes?: number;
}

export interface ServeHost {
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

function plain(
  res: http.ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(`${text}\n`);
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  const reason = http.STATUS_CODES[status] ?? 'Refused';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      if (err.code === 'EADDRINUSE')
        reject(
          new VfabError(
            'BUSY',
            `Port ${port} on ${host} is in use (another vfab serve?). Stop that program or choose another port: vfab serve --port ${port + 1}`,
          ),
        );
      else if (err.code === 'EACCES')
        reject(
          new VfabError(
            'BUSY',
            `Not allowed to listen on ${where} (ports below 1024 need privileges). Choose a port above 1024: vfab serve --port 8765`,
          ),
        );
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
        reject(
          new VfabError(
            'INVALID_INPUT',
            `Cannot listen on ${where}: this machine has no such address (${err.code}). Use --host 127.0.0.1 or one of its own addresses.`,
          ),
        );
      else reject(err);
    };
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

export async function startServeHost(opts: ServeHostOptions): Promise<ServeHost> {
  const server = http.createServer();
  const port = await listen(server, opts.host, opts.port);
  const auth = createServeAuth(opts.host, port, opts.token);
  const sockets = createApiSocketServer(opts.service, {
    maxUploadBytes: opts.maxUploadBytes,
    onError: (err) => opts.onError?.(err),
  });
  const relay = createCameraRoutes(opts.camera, { token: auth.token });
  const maxClients = opts.maxClients ?? 100;
  const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const origin = `http://${shownHost}:${port}`;

  const headersFor = (req: http.IncomingMessage) =>
    securityHeaders(
      contentSecurityPolicy(auth.origins(req).map((o) => o.replace(/^http:/, 'ws:'))),
    );

  const answer = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://vfab.invalid');
    const headers = headersFor(req);
    if (!auth.hostAllowed(req))
      return plain(res, 421, `This server answers to ${origin} only.`, headers);
    const token = auth.checkToken(req, url);
    if (token === 'invalid') return plain(res, 401, WRONG_TOKEN, headers);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (!auth.originOk(req))
        return plain(res, 403, 'Cross-origin requests are refused.', headers);
      return plain(res, 405, 'Only GET and HEAD; the API is on the WebSocket.', {
        ...headers,
        Allow: 'GET, HEAD',
      });
    }
    const camera = url.pathname.startsWith('/camera/');
    if ((camera || url.pathname === API_SOCKET_PATH) && token === 'absent')
      return plain(res, 401, NO_TOKEN, headers);
    if (camera) {
      const answered = relay.handle(req, res);
      return answered === true ? undefined : plain(res, answered.status, answered.text, headers);
    }
    if (url.pathname === API_SOCKET_PATH)
      return plain(res, 426, 'This is the API socket: connect with a WebSocket.', headers);
    // The raw path, not url.pathname: URL parsing would quietly resolve `..` and `%2e%2e`, and a
    // request that tries them is refused rather than guessed at.
    serveStatic(opts.rendererDir, (req.url ?? '/').split('?')[0]!, req, res, headers);
  };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    try {
      answer(req, res);
    } catch (err) {
      // One bad request (a file removed while being served, a rebuild of out/) never ends the server.
      opts.onError?.(err as Error);
      if (!res.headersSent) plain(res, 500, 'Internal error; see the vfab log.');
      else res.destroy();
    }
  });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://vfab.invalid');
    if (url.pathname !== API_SOCKET_PATH) return refuseUpgrade(socket, 404, 'not found');
    if (!auth.hostAllowed(req)) return refuseUpgrade(socket, 421, 'wrong host');
    if (auth.checkToken(req, url) !== 'valid')
      return refuseUpgrade(socket, 401, 'a valid token is required');
    if (!auth.originOk(req)) return refuseUpgrade(socket, 403, 'cross-origin WebSocket refused');
    if (sockets.wss.clients.size >= maxClients)
      return refuseUpgrade(socket, 503, `too many connections (${maxClients}); close another tab`);
    sockets.upgrade(req, socket, head);
  });

  return {
    url: `${origin}/?token=${auth.token}`,
    origin,
    port,
    token: auth.token,
    async close() {
      relay.close();
      await sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
