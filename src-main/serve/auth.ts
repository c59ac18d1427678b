/**
 * Who may talk to `vfab serve`. Three checks, each cheap:
 *  - Host: only the names this server is reached by, so a DNS-rebound page cannot borrow it;
 *  - token: a random secret from the printed URL (query `token`, a cookie set from it, or
 *    `Authorization: Bearer`), required on every request and on the WebSocket upgrade;
 *  - Origin: must be the served origin on the upgrade and on anything but GET/HEAD, so another
 *    site open in the same browser cannot drive the plotter even if it guessed the port.
 */
import crypto from 'node:crypto';
import type http from 'node:http';

export interface ServeAuth {
  readonly token: string;
  /** The cookie that carries the token for the page's own requests (scripts, styles, images). */
  readonly cookieName: string;
  hostAllowed(req: http.IncomingMessage): boolean;
  tokenOk(req: http.IncomingMessage, url: URL): boolean;
  /** True when the Origin header is present and names this server. */
  originOk(req: http.IncomingMessage): boolean;
  /** The origins a page of this server has (for the CSP's connect-src). */
  origins(req: http.IncomingMessage): string[];
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

function newToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

function digest(s: string): Buffer {
  return crypto.createHash('sha256').update(s).digest();
}

function cookie(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** `host` as given to listen(); `port` as bound. */
export function createServeAuth(host: string, port: number, token = newToken()): ServeAuth {
  const tokenDigest = digest(token);
  const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);
  // Reached through a wildcard bind, the server answers to whatever name the client used; the
  // token is then what keeps strangers out.
  const hosts = WILDCARD.has(host) ? undefined : new Set((LOOPBACK.has(host) ? [...LOOPBACK] : [host]).map((h) => `${bracket(h)}:${port}`));
  const origins = (req: http.IncomingMessage) => (hosts ? [...hosts] : [req.headers.host ?? '']).map((h) => `http://${h}`);
  const cookieName = `vfab_token_${port}`;
  return {
    token,
    cookieName,
    hostAllowed: (req) => {
      const h = req.headers.host;
      return typeof h === 'string' && (hosts ? hosts.has(h.toLowerCase()) : h.length > 0);
    },
    tokenOk(req, url) {
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
      const given = url.searchParams.get('token') ?? bearer ?? cookie(req, cookieName);
      // Equal-length digests keep the comparison constant-time whatever was presented.
      return given !== undefined && given !== null && crypto.timingSafeEqual(digest(given), tokenDigest);
    },
    originOk(req) {
      const origin = req.headers.origin;
      return typeof origin === 'string' && origins(req).includes(origin.toLowerCase());
    },
    origins,
  };
}
