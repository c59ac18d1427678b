/**
 * The built renderer (out/renderer) over HTTP, read-only: only files inside the folder, never
 * a dot-file, never through a symlink that leads out of it. Every answer carries the CSP and
 * nosniff; `Referrer-Policy: no-referrer` keeps the token in the page URL from leaking.
 */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The page's rules: its own scripts, styles and images (the camera relay is same-origin), and the
 * API socket. CSP has no syntax for IPv6 literals, so those origins rely on 'self', which CSP 3
 * browsers match against ws: of the same host and port.
 */
export function contentSecurityPolicy(wsOrigins: readonly string[]): string {
  const listed = wsOrigins.filter((o) => !o.includes('['));
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${listed.join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

type StaticResult =
  { status: 200; file: string; type: string; size: number } | { status: 400 | 404; reason: string };

/** Maps a URL path to a file inside `root`, or says why not. */
function resolveStatic(root: string, urlPath: string): StaticResult {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { status: 400, reason: 'malformed path' };
  }
  if (decoded.includes('\0') || decoded.includes('\\'))
    return { status: 400, reason: 'malformed path' };
  const segments = decoded.split('/').filter(Boolean);
  if (segments.some((s) => s === '..' || s.startsWith('.')))
    return { status: 404, reason: 'not found' };
  const rel = segments.length ? segments.join('/') : 'index.html';
  let real: string;
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(root);
    real = fs.realpathSync(path.join(realRoot, rel));
  } catch {
    return { status: 404, reason: 'not found' };
  }
  if (!real.startsWith(realRoot + path.sep)) return { status: 404, reason: 'not found' };
  const st = fs.statSync(real);
  if (!st.isFile()) return { status: 404, reason: 'not found' };
  return {
    status: 200,
    file: real,
    type: TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream',
    size: st.size,
  };
}

export function serveStatic(
  root: string,
  urlPath: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  headers: Record<string, string>,
): void {
  const found = resolveStatic(root, urlPath);
  if (found.status !== 200) {
    res.writeHead(found.status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`${found.reason}\n`);
    return;
  }
  res.writeHead(200, {
    ...headers,
    'Content-Type': found.type,
    'Content-Length': String(found.size),
    // Vite names assets by content hash; the page itself must always be fresh.
    'Cache-Control': found.type.startsWith('text/html')
      ? 'no-store'
      : 'private, max-age=31536000, immutable',
  });
  if (req.method === 'HEAD') return void res.end();
  fs.createReadStream(found.file)
    .on('error', () => res.destroy())
    .pipe(res);
}
