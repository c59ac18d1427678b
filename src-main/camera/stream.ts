/**
 * One HTTP connection to an MJPEG stream: connect, check what answered, split it into JPEG
 * frames, and end with exactly one `onClose` carrying a message that names the URL and what to
 * do. No retrying here; the client (client.ts) and the probe (check.ts) decide what comes next.
 *
 * The connection is made by http-get.ts (see there why not node:http). Its socket is unref'd:
 * the camera never keeps a process alive. A process lives for its real work (a plot, an HTTP
 * server, a probe's timer) and the camera rides along.
 */
import { VfabError } from '../errors';
import { httpGet, HttpProtocolError, type HttpGetHandle } from './http-get';
import { jpegSize } from './jpeg';
import { boundaryFromContentType, MultipartError, MultipartParser } from './multipart';

export interface CameraFrame {
  /** A Buffer of its own: never reused or changed after it is handed out. */
  jpeg: Buffer;
  width: number;
  height: number;
  /** Date.now() when the last byte arrived. */
  at: number;
}

export type CameraFailure =
  | 'refused'
  | 'unreachable'
  | 'http_status'
  | 'not_mjpeg'
  | 'malformed'
  | 'not_jpeg'
  | 'stalled'
  | 'ended'
  | 'bad_url';

export class CameraError extends VfabError {
  override name = 'CameraError';
  constructor(
    readonly kind: CameraFailure,
    readonly url: string,
    message: string,
  ) {
    super('INTERNAL', message);
  }
}

export interface StreamOptions {
  /** Idle time (no bytes) after which the connection is given up. Default 10 s: Motion sends >= 1 frame/s. */
  idleTimeoutMs?: number;
  /** Largest JPEG accepted. */
  maxPartBytes?: number;
  /** The Motion service name for hints (config camera.motion_service). */
  service?: string;
}

export interface StreamHandlers {
  onFrame(frame: CameraFrame): void;
  /** Called once per connection; `undefined` only when close() was called by us. */
  onClose(err: CameraError | undefined): void;
  /** The camera answered with a stream (headers accepted). */
  onOpen?(): void;
  /** A part that was not a JPEG; the stream goes on. Reported so the owner can warn once. */
  onBadPart?(err: CameraError): void;
}

export interface StreamHandle {
  close(): void;
}

/** For messages and logs: the URL without its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

function connectError(url: string, err: NodeJS.ErrnoException, service: string): CameraError {
  const shown = redactUrl(url);
  switch (err.code) {
    case 'ECONNREFUSED':
      return new CameraError(
        'refused',
        url,
        `Camera at ${shown} refused the connection: is Motion running? (systemctl status ${service})`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CameraError(
        'unreachable',
        url,
        `Camera host in ${shown} was not found (${err.code}): check camera.url in config.yaml`,
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return new CameraError(
        'unreachable',
        url,
        `Camera at ${shown} cannot be reached (${err.code}): check the network and camera.url in config.yaml`,
      );
    case 'ECONNRESET':
    case 'EPIPE':
      return new CameraError(
        'ended',
        url,
        `Camera at ${shown} dropped the connection (${err.code}): check 'journalctl -u ${service}' for errors`,
      );
    default:
      return new CameraError(
        'unreachable',
        url,
        `Camera at ${shown} failed: ${err.message}; check camera.url in config.yaml`,
      );
  }
}

export function openMjpegStream(
  url: string,
  handlers: StreamHandlers,
  opts: StreamOptions = {},
): StreamHandle {
  const idleMs = opts.idleTimeoutMs ?? 10_000;
  const service = opts.service ?? 'motion';
  const shown = redactUrl(url);
  let closed = false;
  // Assigned below; finish() may only run after that (all outcomes are asynchronous).
  let request: HttpGetHandle | undefined;

  const finish = (err: CameraError | undefined): void => {
    if (closed) return;
    closed = true;
    request?.close();
    handlers.onClose(err);
  };

  let parsed: URL;
  try {
    parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    // Reported asynchronously like every other outcome, so callers have one code path.
    queueMicrotask(() =>
      finish(
        new CameraError(
          'bad_url',
          url,
          `camera.url '${shown}' is not an http:// or https:// URL: set it in config.yaml (Motion's is http://127.0.0.1:8881/stream.mjpeg)`,
        ),
      ),
    );
    return { close: () => finish(undefined) };
  }

  let parser: MultipartParser | undefined;
  request = httpGet(
    parsed,
    {
      onHead: ({ status, headers }) => {
        if (status !== 200) {
          const hint =
            status === 401 || status === 403
              ? 'the camera wants a login: put user:password@ in camera.url'
              : status >= 300 && status < 400 && headers.location
                ? `it redirects to ${headers.location}: put that in camera.url`
                : 'check the path in camera.url in config.yaml';
          return finish(
            new CameraError(
              'http_status',
              url,
              `Camera at ${shown} answered HTTP ${status}: ${hint}`,
            ),
          );
        }
        const contentType = headers['content-type'];
        const boundary = boundaryFromContentType(contentType);
        if (!boundary) {
          const multipart = /^\s*multipart\//i.test(contentType ?? '');
          const what = multipart
            ? `a multipart stream without a usable boundary (Content-Type: ${contentType})`
            : `not an MJPEG stream (Content-Type: ${contentType ?? 'none'})`;
          return finish(
            new CameraError(
              multipart ? 'malformed' : 'not_mjpeg',
              url,
              `Camera at ${shown} sent ${what}: camera.url must be the stream URL (Motion: .../stream.mjpeg)`,
            ),
          );
        }
        handlers.onOpen?.();
        parser = new MultipartParser(
          boundary,
          (part) => {
            const size = jpegSize(part.body);
            if (!size) {
              handlers.onBadPart?.(
                new CameraError(
                  'not_jpeg',
                  url,
                  `Camera at ${shown} sent a part that is not a JPEG image (Content-Type: ${part.headers['content-type'] ?? 'none'}, ${part.body.length} bytes): set Motion to stream JPEG`,
                ),
              );
              return;
            }
            handlers.onFrame({
              jpeg: part.body,
              width: size.width,
              height: size.height,
              at: Date.now(),
            });
          },
          { maxPartBytes: opts.maxPartBytes },
        );
      },
      onBody: (data, start, end) => {
        if (closed || !parser) return;
        try {
          parser.push(data, start, end);
        } catch (err) {
          // A failing frame consumer is a bug, but it must not become an uncaught exception in a
          // process that is plotting: the connection ends with the error and the owner logs it.
          finish(
            err instanceof MultipartError
              ? new CameraError(
                  'malformed',
                  url,
                  `Camera at ${shown} sent a malformed stream (${err.message}): check that camera.url is Motion's stream URL`,
                )
              : new CameraError(
                  'ended',
                  url,
                  `Handling a frame from the camera at ${shown} failed: ${(err as Error)?.message ?? String(err)}`,
                ),
          );
        }
      },
      onEnd: (err) => {
        if (err instanceof HttpProtocolError)
          return finish(
            new CameraError(
              'malformed',
              url,
              `Camera at ${shown} sent a broken HTTP response (${err.message}): check that camera.url is Motion's stream URL`,
            ),
          );
        if (err && err.code !== 'ECONNRESET') return finish(connectError(url, err, service));
        if (!parser)
          return finish(
            err
              ? connectError(url, err, service)
              : new CameraError(
                  'ended',
                  url,
                  `Camera at ${shown} closed the connection without a response: check 'systemctl status ${service}'`,
                ),
          );
        finish(
          new CameraError(
            'ended',
            url,
            `Camera at ${shown} closed the stream${parser.midPart ? ' in the middle of a frame' : ''}: check 'systemctl status ${service}'`,
          ),
        );
      },
    },
    {
      headers: { 'User-Agent': 'vfab', Accept: 'multipart/x-mixed-replace, image/jpeg' },
      idleTimeoutMs: idleMs,
      onTimeout: () =>
        finish(
          new CameraError(
            'stalled',
            url,
            `Camera at ${shown} sent nothing for ${+(idleMs / 1000).toFixed(1)} s: check the camera is connected (systemctl status ${service})`,
          ),
        ),
      unref: true,
    },
  );
  return { close: () => finish(undefined) };
}
