/**
 * `vfab demo`: the whole product running with no hardware. Virtual plotters, the bundled drawings
 * planned and queued, the app served as `vfab serve` serves it, and the queue runner started
 * through the API (so the app shows it running). Everything lives in the demo's own folder
 * (demo/folder.ts): the user's config, jobs and backups are never read or written.
 */
import type { Command } from 'commander';
import path from 'node:path';
import type { Params, Results } from '../../api/contract';
import type { ApiService } from '../../api/service';
import { demoFolder, prepareDemoFolder, type DemoFolder } from '../../demo/folder';
import {
  bundledDrawingsDir,
  DEFAULT_DEMO_PLOTTERS,
  DEFAULT_DEMO_SPEED,
  DEMO_DRAWINGS,
  DEMO_PAGE_DELAY_S,
  demoConfigYaml,
  demoPlotterNames,
  MAX_DEMO_PLOTTERS,
} from '../../demo/scene';
import { openEngine } from '../../engine';
import { VfabError } from '../../errors';
import { hasExecutable } from '../../plotter/devices';
import type { RunnerEvent } from '../../queue/events';
import { writeFileAtomic } from '../../util/atomic';
import { createRunPrinter } from '../queue-printer';
import type { CliContext } from './jobs';
import { parseSpeed } from './plot';
import { parsePort, startServing, type Serving } from './serve';

interface DemoFlags {
  plotters?: string;
  speed?: string;
  port?: string;
  attended?: boolean;
  keep?: boolean;
}

const HOST = '127.0.0.1';

function parsePlotters(value: string | undefined): number {
  if (value === undefined) return DEFAULT_DEMO_PLOTTERS;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_DEMO_PLOTTERS)
    throw new VfabError(
      'USAGE',
      `--plotters '${value}' must be a whole number from 1 to ${MAX_DEMO_PLOTTERS}.`,
    );
  return n;
}

/** A path as a shell line can carry it. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The API in-process, its errors as the CLI's (their code decides the exit status). */
async function call<M extends keyof Results>(
  service: ApiService,
  method: M,
  params: Params<M>,
): Promise<Results[M]> {
  // ApiError is a VfabError: the CLI's exit status follows its code as it is.
  return (await service.call(method, params)) as Results[M];
}

/** Adds, plans and queues the bundled drawings; returns the jobs queued. */
async function queueDrawings(
  ctx: CliContext,
  service: ApiService,
  plotters: readonly string[],
  speed: number,
): Promise<string[]> {
  const dir = bundledDrawingsDir();
  const queued: string[] = [];
  for (const d of DEMO_DRAWINGS) {
    const added = await call(service, 'jobs.add', {
      source: { path: path.join(dir, d.file) },
      id: d.id,
      fit: 'scale',
      ...(d.copies ? { copies: d.copies } : {}),
    });
    const plan = added.plan;
    if (plan?.state !== 'READY')
      throw new VfabError(
        'INTERNAL',
        `The bundled drawing ${path.join(dir, d.file)} could not be planned (${plan?.error ?? plan?.state ?? 'no plan'}); this is a bug in vfab demo.`,
      );
    const ids = added.copies ?? [added.job.id];
    const target = d.pinned ? { plotter: plotters.at(-1)! } : 'any';
    for (const id of ids) await call(service, 'jobs.queue', { id, target });
    const seconds = Math.max(1, Math.round((plan.summary?.estimateS ?? 0) / speed));
    ctx.io.err(
      `  ${ids.join(', ')}: ${d.file}, about ${seconds} s${ids.length > 1 ? ' each' : ''} at this speed, queued for ${typeof target === 'string' ? 'any plotter' : `${target.plotter} only`}`,
    );
    queued.push(...ids);
  }
  return queued;
}

/** Serving on the port asked for; without --port, the config's port, or any free one when that is taken. */
async function serveDemo(
  ctx: CliContext,
  engine: ReturnType<typeof openEngine>,
  port: number | undefined,
): Promise<Serving> {
  const start = (p: number) =>
    startServing(ctx, engine, { host: HOST, port: p, name: 'vfab demo' });
  if (port !== undefined) return start(port);
  try {
    return await start(engine.config.websocket.port);
  } catch (err) {
    if (!(err instanceof VfabError && err.code === 'BUSY')) throw err;
    ctx.io.err(
      `Port ${engine.config.websocket.port} is taken (a vfab serve?): serving on a free port instead.`,
    );
    return start(0);
  }
}

function guide(
  folder: DemoFolder,
  url: string,
  plotters: readonly string[],
  opts: { attended: boolean; kept: boolean },
): string {
  const rule = '─'.repeat(Math.min(100, Math.max(40, url.length)));
  return [
    '',
    rule,
    '  Open this in your browser:',
    '',
    `  ${url}`,
    rule,
    `  What to look at: the plotters strip (${plotters.join(', ')}: each one's state, job and progress),`,
    `  the queue (which plotter takes each job; voronoi is for ${plotters.at(-1)} only), a job's`,
    '  detail page (its drawing inks live as the plotter draws), and the notifications.',
    opts.attended
      ? '  Each plotter waits for a fresh sheet before each drawing: click "Paper changed" on its card.'
      : `  Nobody needs to change paper: each plotter takes ${DEMO_PAGE_DELAY_S} s between pages, then goes on.`,
    ...(opts.kept
      ? [
          '  A drawing stopped mid-plot last time waits on its plotter: open it and resume it, confirming',
          "  the carriage is at home (a restarted virtual plotter's is); it continues from its checkpoint.",
        ]
      : []),
    '  Drop an SVG of your own on the page and queue it: it plots too.',
    `  Ctrl-C stops it (plots stop with the pen up). The demo lives in ${folder.dir}`,
    '  (wiped at the next vfab demo); your own config and jobs are not touched.',
    '',
  ].join('\n');
}

async function runDemo(ctx: CliContext, flags: DemoFlags): Promise<void> {
  const count = parsePlotters(flags.plotters);
  const speed = parseSpeed(flags) ?? DEFAULT_DEMO_SPEED;
  const port = flags.port === undefined ? undefined : parsePort(flags.port);
  const attended = Boolean(flags.attended);
  const env = ctx.env ?? process.env;
  if (!hasExecutable('socat', env.PATH ?? '')) {
    throw new VfabError(
      'NOT_FOUND',
      'vfab demo needs socat for its virtual plotters (each one talks over a pseudo-terminal that socat makes), and socat is not installed. Install it (Debian/Ubuntu: sudo apt install socat; macOS: brew install socat), then run vfab demo again.',
    );
  }
  const folder = demoFolder(env);
  const start = prepareDemoFolder(folder, { keep: Boolean(flags.keep) });
  const plotters = demoPlotterNames(count);
  writeFileAtomic(folder.configFile, demoConfigYaml(plotters, speed));
  ctx.io.err(
    `vfab demo: ${start === 'kept' ? 'continuing the last demo' : start === 'wiped' ? 'a fresh demo (the last one wiped)' : 'a fresh demo'} in ${folder.dir}`,
  );

  const engine = openEngine({ env: { ...env, ...folder.env } });
  let serving: Serving | undefined;
  try {
    serving = await serveDemo(ctx, engine, port);
    let queued: string[] = [];
    if (start !== 'kept') {
      ctx.io.err(
        `Planning the drawings for ${plotters.length} virtual plotter${plotters.length > 1 ? 's' : ''} (${plotters.join(', ')}), A4 loaded, ${speed}× real speed:`,
      );
      queued = await queueDrawings(ctx, serving.service, plotters, speed);
    }
    const following = followQueue(ctx, serving, queued);
    await call(serving.service, 'queue.start', {
      watch: true,
      ...(attended ? {} : { unattended: true, pageDelayS: DEMO_PAGE_DELAY_S }),
    });
    ctx.io.out(serving.url);
    ctx.io.err(guide(folder, serving.url, plotters, { attended, kept: start === 'kept' }));

    const sig = await serving.signal;
    following.end();
    const stopping = serving;
    serving = undefined;
    await stopping.stop(sig);
    ctx.io.err(
      `vfab demo: the demo is kept in ${folder.dir} until the next vfab demo. To look at it with vfab (info queue, list jobs, info job bunny, …):\n` +
        `  VFAB_CONFIG=${shellWord(folder.configFile)} VFAB_DATA_DIR=${shellWord(folder.dataDir)} vfab info queue\n` +
        'To open it again as it is: vfab demo --keep (a drawing stopped mid-plot then waits on its plotter: resume it in the app).',
    );
  } finally {
    // Failed on the way: what started stops too (nothing plots before the queue has started).
    await serving?.close();
    engine.close();
  }
}

/** The runner's events as `vfab queue run` prints them, and a line once every demo drawing is done. */
function followQueue(
  ctx: CliContext,
  serving: Serving,
  queued: readonly string[],
): { end(): void } {
  const printer = createRunPrinter(ctx.io, {
    json: false,
    tty: ctx.io.tty && Boolean(process.stderr.isTTY),
    canType: false,
  });
  const left = new Set(queued);
  const off = serving.service.onEvent((name, payload) => {
    if (name !== 'queue.event') return;
    const e = payload as RunnerEvent;
    printer.event(e);
    if (e.type === 'job.completed' && left.delete(e.job) && left.size === 0) {
      printer.say(
        `vfab demo: all ${queued.length} drawings are plotted. Still serving ${serving.url} (and plotting whatever you queue there) until Ctrl-C.`,
      );
    }
  });
  return {
    end() {
      off();
      printer.end();
    },
  };
}

export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description(
      'see vfab run with no plotter: virtual plotters plot a few bundled drawings from the queue while the app shows it in your browser',
    )
    .option(
      '--plotters <n>',
      `how many virtual plotters, 1-${MAX_DEMO_PLOTTERS} (default ${DEFAULT_DEMO_PLOTTERS}: left and right)`,
    )
    .option(
      '--speed <factor>',
      `how many times faster than a real AxiDraw they draw (default ${DEFAULT_DEMO_SPEED})`,
    )
    .option(
      '--port <port>',
      'port for the app, 0 for any free one (default 8765, or a free one when that is taken)',
    )
    .option(
      '--attended',
      'wait for "Paper changed" clicks in the app between drawings, as with real paper (default: unattended, a short page delay)',
    )
    .option(
      '--keep',
      'continue the last demo as it was (its jobs; interrupted plots resume from their checkpoints) instead of a fresh one',
    )
    .addHelpText(
      'after',
      '\nThe demo has its own folder, $XDG_DATA_HOME/vfab-demo (default ~/.local/share/vfab-demo), wiped at each\n' +
        'start unless --keep; your config.yaml and data folder are never touched. Needs socat (sudo apt install socat).\n' +
        'Prints the URL to open (stdout), then a line per queue event (stderr). Ctrl-C or SIGTERM: plots stop with the\n' +
        'pen up, exit 130/143; the folder stays for a look with vfab (the command to do so is printed).\n' +
        'Exit: 3 socat is missing, 4 the folder exists but vfab demo did not make it, 9 a demo runs there already or the\n' +
        'port asked for is taken.',
    )
    .action((flags: DemoFlags) => runDemo(ctx, flags));
}
