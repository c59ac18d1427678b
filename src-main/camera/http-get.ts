/**
 * A minimal HTTP/1.1 GET over a plain socket, for one endless response (a camera stream).
 *
 * Why not node:http: its client emits one 'data' event per HTTP chunk, and Motion writes its
 * stream in 1024-byte chunks, so a 720p stream at 30 fps becomes ~4,700 stream events a second.
 * Measured on the 2-core dev machine, 720p at 30 fps: node:http ~3.4 % of a core just to
 * receive, a socket with our own chunk decoding ~2.4 % (bench/camera.ts has the whole picture).
 * A plain socket reads into one buffer of its own (net's `onread`): no Buffer and no stream
 * event per read. The body is handed on as ranges of that buffer (no copying, no views made
 * here); the multipart parser copies each frame once into a Buffer of its own.
 *
 * Supports what cameras send: chunked, Content-Length or read-to-close bodies, 1xx interim
 * responses, user:password@ in the URL (Basic auth), http and https. No redirects, no keep-alive.
 */
import { VfabError } from '../errors';
import net from 'node:net';
import tls from 'node:tls';

export interface HttpHead {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
}

export interface HttpGetHandlers {
  /** The final (non-1xx) response head. */
  onHead(head: HttpHead): void;
  /** Body bytes `data[start..end)`, chunk framing removed. Valid only during the call: the buffer is reused for the next read. */
  onBody(data: Buffer, start: number, end: number): void;
  /** Exactly once: the body ended cleanly (`err` undefined), or the connection failed. */
  onEnd(err?: NodeJS.ErrnoException | HttpProtocolError): void;
}

export interface HttpGetOptions {
  headers?: Record<string, string>;
  /** Socket idle time before `onTimeout` (connect included). */
  idleTimeoutMs: number;
  onTimeout(): void;
  /** Let the process exit while this is open (the camera rides along; it never keeps a process alive). */
  unref?: boolean;
}

export interface HttpGetHandle {
  close(): void;
}

/** A failure outside vfab (the receiver, the camera's bytes); callers say it in the user's terms. */
export class HttpProtocolError extends VfabError {
  override name = 'HttpProtocolError';
  constructor(message: string) {
    super('INTERNAL', message);
  }
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE = 1024;
/** Net's own read size: a read never holds more than this. */
const READ_BUFFER_BYTES = 64 * 1024;

type Body =
  | { kind: 'head' }
  /** Reading a chunk-size line; `line` holds the bytes so far. */
  | { kind: 'size'; line: string }
  | { kind: 'data'; left: number }
  /** The CRLF after a chunk's data; `left` bytes of it still to skip. */
  | { kind: 'crlf'; left: number }
  /** After the last (zero) chunk: trailer lines up to an empty one. */
  | { kind: 'trailer'; line: string }
  | { kind: 'length'; left: number }
  | { kind: 'close' }
  | { kind: 'done' };

export function httpGet(url: URL, handlers: HttpGetHandlers, opts: HttpGetOptions): HttpGetHandle {
  const secure = url.protocol === 'https:';
  const port = Number(url.port) || (secure ? 443 : 80);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const readBuffer = secure ? undefined : Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const onread = readBuffer && {
    buffer: readBuffer,
    callback: (n: number) => {
      received(readBuffer, n);
      // Keep reading (false would pause the socket).
      return true;
    },
  };
  const socket = secure
    ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host })
    : net.connect({ host, port, onread });
  let ended = false;
  let state: Body = { kind: 'head' };
  let head: Buffer = Buffer.alloc(0);

  const end = (err?: NodeJS.ErrnoException | HttpProtocolError) => {
    if (ended) return;
    ended = true;
    socket.destroy();
    handlers.onEnd(err);
  };

  const headers: Record<string, string> = { ...opts.headers, Connection: 'close' };
  if (url.username || url.password) {
    headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  }
  const hostHeader = url.port ? `${url.hostname}:${url.port}` : url.hostname;
  const request = [
    `GET ${url.pathname}${url.search} HTTP/1.1`,
    `Host: ${hostHeader}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');

  if (opts.unref) socket.unref();
  socket.setNoDelay(true);
  socket.setTimeout(opts.idleTimeoutMs, () => {
    if (!ended) opts.onTimeout();
  });
  socket.once(secure ? 'secureConnect' : 'connect', () => socket.write(request));
  socket.on('error', (err: NodeJS.ErrnoException) => end(err));
  socket.on('end', () => {
    if (state.kind === 'close' || state.kind === 'done') end();
    else
      end(
        Object.assign(new Error('connection closed before the response ended'), {
          code: 'ECONNRESET',
        }),
      );
  });
  socket.on('close', () =>
    end(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' })),
  );
  if (secure) socket.on('data', (chunk: Buffer) => received(chunk, chunk.length));

  function received(chunk: Buffer, length: number): void {
    try {
      consume(chunk, 0, length);
    } catch (err) {
      end(
        err instanceof HttpProtocolError ? err : Object.assign(err as Error, { code: 'EHANDLER' }),
      );
    }
  }

  /** Decodes `chunk[from..to)`; keeps no reference to `chunk` (a plain socket reuses it for the next read). */
  function consume(chunk: Buffer, from: number, to: number): void {
    let at = from;
    while (at < to && !ended) {
      const st = state;
      switch (st.kind) {
        case 'head': {
          head = Buffer.concat([head, chunk.subarray(at, to)]);
          at = to;
          const endOfHead = head.indexOf('\r\n\r\n');
          if (endOfHead < 0) {
            if (head.length > MAX_HEAD_BYTES)
              throw new HttpProtocolError(`response headers longer than ${MAX_HEAD_BYTES} bytes`);
            break;
          }
          const rest = head;
          const parsed = parseHead(head.subarray(0, endOfHead).toString('latin1'));
          head = Buffer.alloc(0);
          // 100 Continue and friends: the real response follows.
          if (parsed.status >= 100 && parsed.status < 200) {
            consume(rest, endOfHead + 4, rest.length);
            return;
          }
          state = bodyState(parsed);
          handlers.onHead(parsed);
          if (!ended) consume(rest, endOfHead + 4, rest.length);
          return;
        }
        case 'size':
        case 'trailer': {
          const nl = chunk.indexOf(0x0a, at);
          if (st.kind === 'size' && st.line === '' && nl >= 0 && nl < to) {
            const size = plainChunkSize(chunk, at, nl);
            if (size !== undefined) {
              at = nl + 1;
              state = size === 0 ? { kind: 'trailer', line: '' } : { kind: 'data', left: size };
              break;
            }
          }
          const stop = nl < 0 || nl >= to ? to : nl + 1;
          st.line += chunk.toString('latin1', at, stop);
          at = stop;
          if (st.line.length > MAX_CHUNK_LINE)
            throw new HttpProtocolError('chunk header line too long');
          if (nl < 0) break;
          const line = st.line.trim();
          if (st.kind === 'trailer') {
            if (line === '') {
              state = { kind: 'done' };
              end();
            } else st.line = '';
            break;
          }
          const hex = line.split(';')[0]!.trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex))
            throw new HttpProtocolError(`bad chunk size '${line.slice(0, 40)}'`);
          const size = parseInt(hex, 16);
          state = size === 0 ? { kind: 'trailer', line: '' } : { kind: 'data', left: size };
          break;
        }
        case 'data':
        case 'length': {
          const take = Math.min(st.left, to - at);
          handlers.onBody(chunk, at, at + take);
          at += take;
          st.left -= take;
          if (st.left > 0) break;
          if (st.kind === 'data') state = { kind: 'crlf', left: 2 };
          else {
            state = { kind: 'done' };
            end();
          }
          break;
        }
        case 'crlf': {
          const byte = chunk[at]!;
          // Tolerate a bare LF after the chunk data, as browsers do.
          if (st.left === 2 && byte === 0x0a) {
            at++;
            state = { kind: 'size', line: '' };
            break;
          }
          if (byte !== (st.left === 2 ? 0x0d : 0x0a))
            throw new HttpProtocolError('chunk data not followed by CRLF');
          at++;
          st.left--;
          if (st.left === 0) state = { kind: 'size', line: '' };
          break;
        }
        case 'close':
          handlers.onBody(chunk, at, to);
          at = to;
          break;
        case 'done':
          return;
      }
    }
  }

  return { close: () => end() };
}

/**
 * The size of a chunk-size line written the usual way, `<hex>\r\n` or `<hex>;ext\r\n`, read in
 * place from `bytes[from..lf)`; undefined for anything else (the line-as-text path decides).
 */
function plainChunkSize(bytes: Buffer, from: number, lf: number): number | undefined {
  let size = 0;
  let i = from;
  for (; i < lf && i - from < 12; i++) {
    const b = bytes[i]!;
    const digit =
      b >= 0x30 && b <= 0x39
        ? b - 0x30
        : b >= 0x61 && b <= 0x66
          ? b - 0x57
          : b >= 0x41 && b <= 0x46
            ? b - 0x37
            : -1;
    if (digit < 0) break;
    size = size * 16 + digit;
  }
  if (i === from) return undefined;
  const next = bytes[i];
  if (i === lf || next === 0x3b || (next === 0x0d && i + 1 === lf)) return size;
  return undefined;
}

function parseHead(text: string): HttpHead {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? '');
  if (!m) throw new HttpProtocolError(`not an HTTP response: '${(lines[0] ?? '').slice(0, 60)}'`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(m[1]), headers };
}

function bodyState(head: HttpHead): Body {
  if (/(^|,)\s*chunked\s*$/i.test(head.headers['transfer-encoding'] ?? ''))
    return { kind: 'size', line: '' };
  const length = head.headers['content-length'];
  if (length !== undefined) {
    if (!/^\d+$/.test(length)) throw new HttpProtocolError(`bad Content-Length '${length}'`);
    return Number(length) === 0 ? { kind: 'done' } : { kind: 'length', left: Number(length) };
  }
  return { kind: 'close' };
}
