/** A webhook receiver on 127.0.0.1 for notifier tests: records each POST; may answer an error or never answer. */
import http from 'node:http';
import net from 'node:net';

export interface HookRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** When the request arrived (Date.now()). */
  at: number;
}

export interface HookServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  port: number;
  received: HookRequest[];
  /** Resolves once `n` requests have arrived. */
  waitFor(n: number): Promise<void>;
  close(): Promise<void>;
}

/** `answer`: the status to reply with, or 'never' to hold every request open without a reply. */
export async function startHookServer(answer: number | 'never' = 204): Promise<HookServer> {
  const received: HookRequest[] = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => {
      let body: unknown = data;
      try {
        body = JSON.parse(data);
      } catch {
        // kept as text: the test says what it expected
      }
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        at: Date.now(),
      });
      for (const w of waiters.splice(0)) w();
      if (answer !== 'never') res.writeHead(answer).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const waitFor = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (received.length >= n ? resolve() : waiters.push(check));
      check();
    });
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    received,
    waitFor,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port on 127.0.0.1 where nothing listens (bound, then freed). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
