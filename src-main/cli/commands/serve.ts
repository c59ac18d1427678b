/**
 * `vfab serve [--host H] [--port N]`: the app for a browser, for a headless workstation (a
 * Raspberry Pi beside the plotter, opened from a laptop). The URL it prints carries the token.
 * SIGINT/SIGTERM stop it the way they stop `vfab plot`: every plot takes the signal path (pen up,
 * journaled, resumable), then the process exits 130/143.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { cameraClientFor } from '../../api/plotters';
import { createApiService, type ApiService } from '../../api/service';
import { closeSharedCameraClients } from '../../camera/client';
import { plotterCameraPath } from '../../camera/relay';
import type { Engine } from '../../engine';
import { VfabError } from '../../errors';
import { onShutdownSignals, SHUTDOWN_SIGNALS, type ShutdownSignal } from '../../recovery/signals';
import { forgetReady } from '../../plotters/ready';
import { keptToken } from '../../serve/auth';
import { startServeHost } from '../../serve/http';
import type { CliContext } from './jobs';

/** Beside out/main/cli.js in the build: out/renderer. */
const RENDERER_DIR = path.join(__dirname, '..', 'renderer');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new VfabError(
      'USAGE',
      `--port '${value}' must be a whole number from 0 (any free port) to 65535.`,
    );
  return n;
}

export interface Serving {
  /** The page's address, with this start's token. */
  url: string;
  service: ApiService;
  /** The first SIGINT, SIGTERM or SIGHUP. */
  signal: Promise<ShutdownSignal>;
  /** The signal path: every plot (the queue runner's too) stops pen up, journaled; then the host closes and the exit code is set. */
  stop(sig: ShutdownSignal): Promise<void>;
  /** The same, quietly: for a command that failed after starting to serve. */
  close(): Promise<void>;
}

/**
 * The app, its API and the camera relay over `engine`, listening on host:port, with the shutdown
 * signals caught from now on. `name` starts the lines it says ("vfab serve", "vfab demo").
 */
export async function startServing(
  ctx: CliContext,
  engine: Engine,
  opts: { host: string; port: number; name: string; token?: string },
): Promise<Serving> {
  const { host, port, name } = opts;
  // Asked at each request: a camera changed in Settings applies without a restart.
  const camera = (plotter?: string) => cameraClientFor(engine, plotter);
  let token: string | undefined;
  // The relay is mounted on this host (same origin as the page) and takes the page's token.
  const cameraViewer = () => {
    const client = camera();
    if (typeof client === 'string') return { streamUrl: null, reason: client };
    return token
      ? { streamUrl: `/camera/stream.mjpeg?token=${encodeURIComponent(token)}` }
      : { streamUrl: null, reason: 'the server is starting' };
  };
  const plotterCamera = (plotter: string) => {
    const client = camera(plotter);
    if (typeof client === 'string') return { streamUrl: null, reason: client };
    return token
      ? { streamUrl: `${plotterCameraPath(plotter)}?token=${encodeURIComponent(token)}` }
      : { streamUrl: null, reason: 'the server is starting' };
  };
  // A server start is a new session: paper and pen are confirmed again before its first plot.
  forgetReady(engine.paths.dataDir);
  const service = createApiService(engine, { cameraViewer, plotterCamera });
  const served = await startServeHost({
    service,
    rendererDir: RENDERER_DIR,
    host,
    port,
    camera,
    token: opts.token,
    maxClients: engine.config.websocket.max_connections,
    onError: (err) =>
      engine.logger.warning(`${name}: a request or connection failed: ${err.message}`),
  }).catch(async (err: unknown) => {
    await service.close();
    closeSharedCameraClients();
    throw err;
  });
  token = served.token;
  let uninstall = () => {};
  const signal = new Promise<ShutdownSignal>((resolve) => (uninstall = onShutdownSignals(resolve)));

  if (!fs.existsSync(path.join(RENDERER_DIR, 'index.html')))
    ctx.io.err(
      `warning: the app is not built (${RENDERER_DIR} is missing): run npm run build. The API still answers.`,
    );
  if (!LOOPBACK.has(host))
    ctx.io.err(
      `warning: listening on ${host}: anyone on the network who has the URL can drive the plotter.`,
    );
  engine.logger.info(`${name}: listening on ${served.origin}`);

  const close = async (reason: string) => {
    await service.shutdown(reason);
    await served.close();
    await service.close();
    closeSharedCameraClients();
    uninstall();
  };
  return {
    url: served.url,
    service,
    signal,
    async stop(sig) {
      const plots = service.activePlots();
      ctx.io.err(
        `${name}: ${sig}: ${plots.length ? `stopping ${plots.join(', ')} (pen up, journaled; continue with vfab resume) and ` : ''}closing`,
      );
      engine.logger.info(
        `${name}: ${sig}, stopping${plots.length ? ` plots ${plots.join(', ')}` : ''}`,
      );
      await close(sig);
      ctx.exitCode = SHUTDOWN_SIGNALS[sig];
    },
    close: () => close(`${name} failed`),
  };
}

export function registerServeCommand(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description(
      'serve the app to a browser: the same engine and UI over HTTP + WebSocket (loopback only by default)',
    )
    .option('--host <address>', 'address to listen on (default: config websocket.host, 127.0.0.1)')
    .option(
      '--port <port>',
      'port to listen on, 0 for any free one (default: config websocket.port, 8765)',
    )
    .option(
      '--keep-token',
      'keep the token in <data folder>/serve.token (mode 0600) across restarts, so open pages reconnect by themselves',
    )
    .addHelpText(
      'after',
      '\nPrints the URL to open; it carries a fresh random token that the API and the camera need.\n' +
        'Ctrl-C or SIGTERM: running plots stop with the pen up (vfab resume continues them), exit 130/143.\n' +
        'On a network address anyone who has the URL can drive the plotter: prefer an SSH tunnel\n' +
        '(ssh -L 8765:127.0.0.1:8765 pi@plotter) to --host 0.0.0.0.',
    )
    .action(async (flags: { host?: string; port?: string; keepToken?: boolean }) => {
      const engine = ctx.engine();
      const host = flags.host ?? engine.config.websocket.host;
      const port = flags.port !== undefined ? parsePort(flags.port) : engine.config.websocket.port;
      const token = flags.keepToken
        ? keptToken(path.join(engine.paths.dataDir, 'serve.token'))
        : undefined;
      const serving = await startServing(ctx, engine, { host, port, name: 'vfab serve', token });
      ctx.io.out(serving.url);
      ctx.io.err(
        `vfab serve: open ${serving.url}\nCtrl-C stops it; running plots stop with the pen up and continue with vfab resume.`,
      );
      await serving.stop(await serving.signal);
    });
}
