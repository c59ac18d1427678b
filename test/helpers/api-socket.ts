/** A Node client for `vfab serve`'s API socket, as a browser page uses it (token + Origin). */
import WebSocket from 'ws';

export interface ApiReply {
  id: string | number | null;
  result?: unknown;
  error?: { code: string; message: string };
}

export interface ApiEvent {
  event: string;
  payload: Record<string, unknown>;
}

export interface ApiSocket {
  ws: WebSocket;
  /** Every event pushed so far, in order. */
  events: ApiEvent[];
  /** Sends a request and resolves with the whole reply (result or error). */
  request(method: string, params?: unknown): Promise<ApiReply>;
  /** Like request, but throws on an error reply. */
  call<T = any>(method: string, params?: unknown): Promise<T>;
  /** Sends raw text and resolves with the next reply that is not an event. */
  raw(text: string): Promise<ApiReply>;
  waitForEvent(pred: (e: ApiEvent) => boolean, ms: number, what: string): Promise<ApiEvent>;
  close(): Promise<void>;
}

export function wsUrl(origin: string, token: string): string {
  return `${origin.replace(/^http:/, 'ws:')}/ws?token=${encodeURIComponent(token)}`;
}

/** Opens the socket; rejects with the HTTP status when the upgrade is refused. */
export function openApiSocket(url: string, origin: string | undefined): Promise<ApiSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { ...(origin ? { origin } : {}), maxPayload: 256 * 1024 * 1024 });
    const events: ApiEvent[] = [];
    const waiting = new Map<string | number, (r: ApiReply) => void>();
    const rawWaiters: ((r: ApiReply) => void)[] = [];
    const eventWaiters = new Set<() => void>();
    let next = 1;
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if ('event' in msg) {
        events.push(msg);
        for (const w of [...eventWaiters]) w();
        return;
      }
      const w = msg.id !== null && waiting.get(msg.id);
      if (w) {
        waiting.delete(msg.id);
        w(msg);
      } else rawWaiters.shift()?.(msg);
    });
    ws.once('unexpected-response', (_req, res) =>
      reject(
        Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }),
      ),
    );
    ws.once('error', reject);
    ws.once('open', () => {
      const request = (method: string, params?: unknown) =>
        new Promise<ApiReply>((res) => {
          const id = `r${next++}`;
          waiting.set(id, res);
          ws.send(JSON.stringify({ id, method, params }));
        });
      resolve({
        ws,
        events,
        request,
        async call(method, params) {
          const reply = await request(method, params);
          if (reply.error)
            throw Object.assign(
              new Error(`${method}: ${reply.error.code}: ${reply.error.message}`),
              { code: reply.error.code },
            );
          return reply.result as any;
        },
        raw: (text) =>
          new Promise((res) => {
            rawWaiters.push(res);
            ws.send(text);
          }),
        waitForEvent(pred, ms, what) {
          const found = events.find(pred);
          if (found) return Promise.resolve(found);
          return new Promise((res, rej) => {
            const check = () => {
              const e = events.find(pred);
              if (!e) return;
              done();
              res(e);
            };
            const timer = setTimeout(() => {
              done();
              rej(
                new Error(
                  `no ${what} event within ${ms} ms; got: ${events.map((e) => e.event).join(', ')}`,
                ),
              );
            }, ms);
            const done = () => {
              clearTimeout(timer);
              eventWaiters.delete(check);
            };
            eventWaiters.add(check);
          });
        },
        close: () =>
          new Promise((res) => {
            if (ws.readyState === ws.CLOSED) return res();
            ws.once('close', () => res());
            ws.close();
          }),
      });
    });
  });
}
