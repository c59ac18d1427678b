/**
 * The desktop window's camera relay: a loopback HTTP server that serves only the relay
 * (docs/architecture.md "Camera"), so the renderer's `<img>` shows the live view without learning the
 * camera's address. `vfab serve` mounts the same relay on its own host instead.
 *
 *   const host = await startRelayHost(() => currentClient());
 *   guardSession(session, source, { imgOrigins: [host.origin] });   // the CSP names it exactly
 *   host.streamUrl   // http://127.0.0.1:<port>/camera/stream.mjpeg?token=<random>
 *
 * The client is asked for at each request, so turning the camera on or changing its URL in
 * Settings takes effect without restarting the app. Requests naming another Host (DNS
 * rebinding) or without the token are refused.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import type { CameraClient } from './client';
import { createCameraRoutes, plotterCameraPath } from './relay';

export interface RelayHost {
  /** `http://127.0.0.1:<port>`, for the CSP's img-src. */
  readonly origin: string;
  readonly streamUrl: string;
  readonly snapshotUrl: string;
  /** The live view of a plotter's own camera. */
  plotterStreamUrl(plotter: string): string;
  close(): Promise<void>;
}

/** `clientFor` answers the current client (of a plotter's own camera, given its name), or why there is none (the 503 text). */
export async function startRelayHost(
  clientFor: (plotter?: string) => CameraClient | string,
  opts: { token?: string } = {},
): Promise<RelayHost> {
  const token = opts.token ?? crypto.randomBytes(24).toString('base64url');
  const relay = createCameraRoutes(clientFor, { token });

  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const refuse = (res: http.ServerResponse, status: number, text: string) => {
    res.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(`${text}\n`);
  };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.headers.host !== `127.0.0.1:${port}`)
      return refuse(res, 421, `This relay answers to ${origin} only.`);
    const answered = relay.handle(req, res);
    if (answered !== true) refuse(res, answered.status, answered.text);
  });

  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const query = `?token=${encodeURIComponent(token)}`;
  return {
    origin,
    streamUrl: `${origin}/camera/stream.mjpeg${query}`,
    snapshotUrl: `${origin}/camera/snapshot.jpg${query}`,
    plotterStreamUrl: (plotter) => `${origin}${plotterCameraPath(plotter)}${query}`,
    close: () =>
      new Promise<void>((resolve) => {
        relay.close();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
