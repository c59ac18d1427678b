/**
 * Who may talk to `vfab serve`. Three checks, each cheap:
 *  - Host: only the names this server is reached by, so a DNS-rebound page cannot borrow it;
 *  - token: a random secret from the printed URL, required on the API socket and the camera
 *    relay. The page keeps it itself (sessionStorage is scoped to this origin, port included) and
 *    offers it as a WebSocket subprotocol; other clients use the query `token` or
 *    `Authorization: Bearer`. Never a cookie: browsers send a cookie for 127.0.0.1 to every port;
 *  - Origin: must be the served origin on the upgrade and on anything but GET/HEAD, so another
 *    site open in the same browser cannot drive the plotter even if it guessed the port.
 */
import fs from 'node:fs';
import { VfabError } from '../errors';
import crypto from 'node:crypto';
import type http from 'node:http';
import { TOKEN_PROTOCOL_PREFIX } from '../shared/api-names';

/** What a request presents: the right token, none, or another one (a restarted server's). */
export type TokenCheck = 'valid' | 'absent' | 'invalid';

export interface ServeAuth {
  readonly token: string;
  hostAllowed(req: http.IncomingMessage): boolean;
  checkToken(req: http.IncomingMessage, url: URL): TokenCheck;
  /** True when the Origin header is present and names this server. */
  originOk(req: http.IncomingMessage): boolean;
  /** The origins a page of this server has (for the CSP's connect-src). */
  origins(req: http.IncomingMessage): string[];
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

export function newToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

function digest(s: string): Buffer {
  return crypto.createHash('sha256').update(s).digest();
}

function offeredToken(req: http.IncomingMessage): string | undefined {
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  return offered
    .find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))
    ?.slice(TOKEN_PROTOCOL_PREFIX.length);
}

function presentedToken(req: http.IncomingMessage, url: URL): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  return url.searchParams.get('token') ?? bearer ?? offeredToken(req);
}

/** `host` as given to listen(); `port` as bound. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{22,}$/;

/**
 * `vfab serve --keep-token`: the token in `file` (mode 0600, made on first use), so a restarted
 * server takes the open pages' token and they reconnect by themselves. A file anyone else can read
 * is refused: the token is the key to the plotter.
 */
export function keptToken(file: string): string {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (stat && (stat.mode & 0o077) !== 0)
    throw new VfabError(
      'CONFIG',
      `${file} can be read by other users (mode ${(stat.mode & 0o777).toString(8)}): chmod 600 it, or delete it for a new token.`,
    );
  const kept = stat ? fs.readFileSync(file, 'utf8').trim() : '';
  if (TOKEN_SHAPE.test(kept)) return kept;
  if (stat)
    throw new VfabError(
      'CONFIG',
      `${file} does not hold a vfab serve token: delete it and a new one is made.`,
    );
  const token = newToken();
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return token;
}

export function createServeAuth(host: string, port: number, token = newToken()): ServeAuth {
  const tokenDigest = digest(token);
  const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);
  // Reached through a wildcard bind, the server answers to whatever name the client used; the
  // token is then what keeps strangers out.
  const hosts = WILDCARD.has(host)
    ? undefined
    : new Set((LOOPBACK.has(host) ? [...LOOPBACK] : [host]).map((h) => `${bracket(h)}:${port}`));
  const origins = (req: http.IncomingMessage) =>
    (hosts ? [...hosts] : [req.headers.host ?? '']).map((h) => `http://${h}`);
  return {
    token,
    hostAllowed: (req) => {
      const h = req.headers.host;
      return typeof h === 'string' && (hosts ? hosts.has(h.toLowerCase()) : h.length > 0);
    },
    checkToken(req, url) {
      const given = presentedToken(req, url);
      if (given === undefined) return 'absent';
      // Equal-length digests keep the comparison constant-time whatever was presented.
      return crypto.timingSafeEqual(digest(given), tokenDigest) ? 'valid' : 'invalid';
    },
    originOk(req) {
      const origin = req.headers.origin;
      return typeof origin === 'string' && origins(req).includes(origin.toLowerCase());
    },
    origins,
  };
}
