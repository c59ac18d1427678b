/**
 * The `notify.webhook_url` POST: one JSON object per outcome, as AxiDraw's software posts when a
 * plot ends, with the job's state added. One attempt, no retries: a request whose answer was lost
 * may still have been taken, and a retry would tell it twice; waiting to retry would also hold a
 * process that has finished its plot. No redirects are followed (a 3xx counts as a failure).
 */
import { VfabError } from '../errors';
import http from 'node:http';
import https from 'node:https';
import type { PlotOutcome } from './outcome';

export interface WebhookPayload {
  event: PlotOutcome['kind'];
  job: string | null;
  state: PlotOutcome['state'];
  plotter: string | null;
  duration_s: number | null;
  snapshot: string | null;
  reason: string | null;
  at: string;
  vfab_version: string;
  /** The workstation's host name: several may post to one hook. */
  host: string;
}

export function webhookPayload(
  o: PlotOutcome,
  from: { version: string; host: string },
): WebhookPayload {
  return {
    event: o.kind,
    job: o.job,
    state: o.state,
    plotter: o.plotter,
    duration_s: o.duration_s,
    snapshot: o.snapshot,
    reason: o.reason ?? null,
    at: o.at,
    vfab_version: from.version,
    host: from.host,
  };
}

/** The part of a hook's URL a log line or a settings page may show: host and port, never credentials, path or query. */
export function webhookHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(not a URL)';
  }
}

/** The URL as settings show it: a token in the credentials, path or query stays hidden. */
export function redactWebhookUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const u = new URL(url);
    const hidden = u.username || u.password || u.search || u.pathname !== '/';
    return hidden ? `${u.protocol}//${u.host}/***` : u.toString();
  } catch {
    return '***';
  }
}

/** Why a hook failed, in words for the log; `message` never carries the URL. */
/** A failure outside vfab (the receiver, the camera's bytes); callers say it in the user's terms. */
export class WebhookError extends VfabError {
  override name = 'WebhookError';
  constructor(message: string) {
    super('INTERNAL', message);
  }
}

function failure(err: NodeJS.ErrnoException): WebhookError {
  switch (err.code) {
    case 'ECONNREFUSED':
      return new WebhookError('connection refused (is the receiver running?)');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new WebhookError(`host not found (${err.code})`);
    case 'ECONNRESET':
      return new WebhookError('the connection was closed before an answer');
    default:
      return new WebhookError(err.code ? `${err.code}: ${err.message}` : err.message);
  }
}

/**
 * POSTs `body` as JSON; resolves on a 2xx answer, rejects otherwise (a WebhookError, or the URL's
 * own error: async, so even that never throws at the caller). The whole exchange, connecting
 * included, ends within `timeoutMs`: the socket is destroyed at the deadline.
 */
export async function postJson(
  url: string,
  body: unknown,
  opts: { timeoutMs: number; userAgent: string },
): Promise<void> {
  const data = Buffer.from(JSON.stringify(body));
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (err?: WebhookError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      if (err) reject(err);
      else resolve();
    };
    // agent: false and Connection: close: nothing stays open to keep a finished CLI alive.
    const req = client.request(
      target,
      {
        method: 'POST',
        agent: false,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': data.length,
          'User-Agent': opts.userAgent,
          Connection: 'close',
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        finish(
          status >= 200 && status < 300
            ? undefined
            : new WebhookError(
                `the receiver answered HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`,
              ),
        );
      },
    );
    const timer = setTimeout(
      () => finish(new WebhookError(`no answer within ${opts.timeoutMs / 1000} s`)),
      opts.timeoutMs,
    );
    req.on('error', (err: NodeJS.ErrnoException) => finish(failure(err)));
    req.end(data);
  });
}
