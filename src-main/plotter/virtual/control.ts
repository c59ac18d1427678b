/**
 * The fault-injection channel: newline-delimited JSON over a Unix socket created with mode 0600
 * inside a private directory, so only this user can unplug "their" plotter (no token needed).
 *
 *   request:  {"id": 1, "op": "unplug", ...arguments}\n
 *   reply:    {"id": 1, "ok": true, "result": {...}}\n   or   {"id": 1, "ok": false, "error": "..."}\n
 *
 * Requests on one connection are answered in order. The operations are listed in main.ts (OPS).
 */
import fs from 'node:fs';
import net from 'node:net';

export type ControlHandler = (op: string, args: Record<string, unknown>) => unknown;

export interface ControlServer {
  readonly address: string;
  close(): Promise<void>;
}

export async function serveControl(
  address: string,
  handle: ControlHandler,
): Promise<ControlServer> {
  fs.rmSync(address, { force: true });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    let chain = Promise.resolve();
    socket.on('data', (d) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        chain = chain.then(() =>
          answer(line).then((reply) => void socket.write(`${JSON.stringify(reply)}\n`)),
        );
      }
    });
  });
  async function answer(line: string): Promise<Record<string, unknown>> {
    let id: unknown = null;
    try {
      const req = JSON.parse(line) as Record<string, unknown>;
      if (typeof req !== 'object' || req === null || typeof req.op !== 'string')
        throw new Error('a request is a JSON object with an "op" string');
      id = req.id ?? null;
      const { op, id: _id, ...args } = req;
      return { id, ok: true, result: (await handle(op as string, args)) ?? null };
    } catch (err) {
      return { id, ok: false, error: (err as Error).message };
    }
  }
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
        fs.rmSync(address, { force: true });
      }),
  };
}

/** One request on a fresh connection; rejects with the plotter's error message. */
export function controlRequest<T = unknown>(
  address: string,
  op: string,
  args: Record<string, unknown> = {},
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const socket = net.connect(address);
    let buf = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`virtual plotter control: no answer to '${op}' within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (d) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      socket.end();
      const reply = JSON.parse(buf.slice(0, nl)) as { ok: boolean; result?: T; error?: string };
      if (reply.ok) resolve(reply.result as T);
      else reject(new Error(reply.error));
    });
    socket.write(`${JSON.stringify({ id: 1, op, ...args })}\n`);
  });
}
