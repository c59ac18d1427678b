/**
 * `vfab plot <job>`, `vfab pause <job>`, `vfab resume [<job>]`, `vfab restart <job>`.
 *
 * Plotting runs in the foreground with a progress bar. Ctrl-C, SIGTERM and SIGHUP take the signal
 * path (recovery/signals.ts): the pen is lifted, the plot stops, the journal records it and the
 * process exits 130/143/129; `vfab resume` continues from the last checkpoint. `vfab pause` asks
 * the plotting process to pause gracefully instead.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import type { Engine } from '../../engine';
import { ERROR_CODES, VfabError } from '../../errors';
import { readPlan } from '../../plan/plan-file';
import { layersToPlot } from '../../plan/pens';
import { readPlotHistory } from '../../jobs/checkpoint';
import { motionProfile } from '../../plan/motion';
import { plotProgram, programDuration, moveLengthMm, MoveKind } from '../../plan/planner';
import { homeText, sendCarriageHome } from '../../app/home';
import { backUpFrom } from '../../plotter/plot-setup';
import type { PlotProgress } from '../../plotter/runner';
import {
  pauseRequestFile,
  plotterForJob,
  refuseHeldCarriage,
  runPlotSession,
  type PlotSessionResult,
} from '../../app/plot-session';
import { holdersOf, sheetHolders } from '../../plotters/holders';
import { configuredPlotters, type PlotterSpec } from '../../plotters/plotters';
import {
  confirmReady,
  readyNeeded,
  readyQuestion,
  refuseUnready,
  sheetUsed,
} from '../../plotters/ready';
import { CAUSE_TEXT, classifyJobs, type JobCondition } from '../../recovery/classify';
import { admitPlot, admitResume, requestPause } from '../../app/jobs';
import { restartJob } from '../../recovery/restart';
import { onShutdownSignals, SHUTDOWN_SIGNALS, type ShutdownSignal } from '../../recovery/signals';
import { jobFiles } from '../../jobs/workspace';
import { settleNotifications } from '../../notify/notifier';
import { localTime, printJson, type Io } from '../output';
import { ask, confirm } from '../prompt';
import type { CliContext } from './jobs';

const PAUSE_POLL_MS = 250;
/** `vfab plot`/`resume` stopped at a pause (pen change, `!` layer, button): not done, not an error; scripts tell it from 0. */
export const PAUSED_EXIT = 10;

/** How long `vfab pause` waits for the plotting process to finish the queued motion and lift the pen. */
const PAUSE_WAIT_MS = 15_000;

interface DeviceFlags {
  device?: string;
  speed?: string;
}

interface ResumeFlags extends DeviceFlags {
  dryRun?: boolean;
  backUp?: string;
  carriageAtHome?: boolean;
  json?: boolean;
}

function duration(s: number): string {
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600),
    m = Math.floor((t % 3600) / 60),
    sec = t % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** A bar with ETA and layer on a terminal (stderr); a plain line every 5 % otherwise. */
function progressPrinter(
  io: Io,
  id: string,
  speed: number,
): { update(p: PlotProgress): void; end(): void } {
  let lastAt = 0,
    lastStep = -1;
  const tty = io.tty && Boolean(process.stderr.isTTY);
  return {
    update(p) {
      const pct = Math.floor(p.fraction * 100);
      const layer = p.layer === null ? '-' : String(p.layer + 1);
      if (tty) {
        const now = Date.now();
        if (now - lastAt < 100 && p.fraction < 1) return;
        lastAt = now;
        const width = 30,
          full = Math.round(p.fraction * width);
        process.stderr.write(
          `\r\x1b[2K${id} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${pct}% layer ${layer} ETA ${duration(p.etaS / speed)}`,
        );
      } else {
        const step = Math.floor(pct / 5);
        if (step === lastStep) return;
        lastStep = step;
        io.err(
          `${id}: ${pct}% (move ${p.move + 1}/${p.moves}, layer ${layer}, about ${duration(p.etaS / speed)} left)`,
        );
      }
    },
    end() {
      if (tty) process.stderr.write('\r\x1b[2K');
    },
  };
}

function layerNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new VfabError(
      'USAGE',
      `--layer takes a layer number such as 2 (the number its name starts with), not '${value}'.`,
    );
  return n;
}

/** `--speed`, when given; otherwise the plotter's own (config `devices[].speed`, 1 for hardware). */
export function parseSpeed(flags: { speed?: string }): number | undefined {
  if (flags.speed === undefined) return undefined;
  const speed = Number(flags.speed);
  if (!(speed > 0))
    throw new VfabError('USAGE', `--speed must be a number > 0, not '${flags.speed}'.`);
  return speed;
}

const deviceOption =
  "a plotter's name (config devices:), an AxiDraw nickname, a serial port path, or 'virtual' (default: where the job's sheet is, else the first plotter)";
const speedOption =
  "a virtual plotter's speed factor: --device virtual runs this many times faster; for a 'vfab virtual-plotter --speed N' port, pass the same N (default: the plotter's speed in config, else 1)";

/**
 * Plots one job in the foreground under the signal path; prints the outcome. Returns the result,
 * or a signal name when one stopped the plot (the caller then exits with its status).
 */
async function plotInForeground(
  ctx: CliContext,
  engine: Engine,
  id: string,
  flags: DeviceFlags & { carriageAtHome?: boolean },
  extra: { recovery?: boolean; backUpStrokes?: number; layerOnly?: number } = {},
): Promise<{ result: PlotSessionResult; signal?: ShutdownSignal }> {
  const speed = parseSpeed(flags);
  const plotter = plotterForJob(engine, id, flags.device);
  await refuseHeldCarriage(engine, plotter, id);
  warnIfSheetHeld(ctx, engine, id, plotter);
  const ctl = new AbortController();
  let signal: ShutdownSignal | undefined;
  const uninstall = onShutdownSignals((sig) => {
    signal = sig;
    ctx.io.err(
      `\n${id}: ${sig}: lifting the pen and stopping; continue later with: vfab resume ${id}`,
    );
    ctl.abort({ shutdown: sig });
  });
  const printer = progressPrinter(ctx.io, id, speed ?? plotter.speed);
  try {
    const result = await runPlotSession(engine, id, {
      device: flags.device ?? null,
      ...(speed ? { speed } : {}),
      signal: ctl.signal,
      onProgress: (p) => printer.update(p),
      onDevice: (d) => d.paperFile && ctx.io.out(`paper: ${d.paperFile}`),
      carriageAtHome: Boolean(flags.carriageAtHome),
      ...extra,
      ...(ctx.io.tty && process.stdin.isTTY
        ? {
            confirmHome: async (message: string) => {
              printer.end();
              ctx.io.err(message);
              const answer = await ask(
                'Is the carriage at the home corner now? Type "home" to continue: ',
              );
              return answer.trim().toLowerCase() === 'home';
            },
          }
        : {}),
    });
    printer.end();
    const at = result.checkpoint ? ` (checkpoint: move ${result.checkpoint.move + 1})` : '';
    switch (result.state) {
      case 'COMPLETED':
        ctx.io.err(`${id}: COMPLETED`);
        break;
      case 'PAUSED':
        ctx.io.err(
          `${id}: PAUSED${at}${result.reason ? `: ${result.reason}` : ''}; ${result.reason ? 'then ' : ''}resume with: vfab resume ${id}`,
        );
        ctx.exitCode = PAUSED_EXIT;
        break;
      case 'ABORTED':
        ctx.io.err(`${id}: ABORTED`);
        break;
      case 'FAILED':
        ctx.io.err(`${id}: FAILED: ${result.error ?? ''}`);
        ctx.exitCode = ERROR_CODES.INVALID_STATE;
        break;
      case 'PLOTTING':
        if (result.reason === 'signal_received') {
          ctx.io.err(
            `${id}: stopped by ${result.signal}${at}; the job stays PLOTTING. Continue with: vfab resume ${id}`,
          );
        } else {
          ctx.io.err(
            `${id}: interrupted${at}: ${result.error}. The job stays PLOTTING; fix the cause and run: vfab resume ${id}`,
          );
          ctx.exitCode = ERROR_CODES.INTERNAL;
        }
        break;
    }
    ctx.io.out(`${id}\t${result.state}`);
    if (signal) ctx.exitCode = SHUTDOWN_SIGNALS[signal];
    return { result, signal };
  } finally {
    printer.end();
    uninstall();
    // The hook hears how the plot ended before the process does (at most notify.timeout_s).
    await settleNotifications();
  }
}

/**
 * The manual path may draw on a plotter whose sheet holds a paused or interrupted job once its
 * carriage was sent home (the queue runner never does): said, so the artist knows.
 */
function warnIfSheetHeld(ctx: CliContext, engine: Engine, id: string, plotter: PlotterSpec): void {
  const names = configuredPlotters(engine.config).map((p) => p.name);
  const held = holdersOf(
    sheetHolders(engine.store, {
      jobsDir: engine.paths.jobsDir,
      stuckAfterS: engine.config.recovery.stuck_after_s,
    }),
    plotter,
    names,
  ).filter((h) => h.id !== id && h.kind === 'interrupted');
  for (const h of held) {
    ctx.io.err(
      `warning: plotter '${plotter.name}' holds job '${h.id}' (${h.state}, ${h.cause === 'paused' ? (h.detail ?? 'paused') : 'interrupted'}): '${id}' is drawn on that sheet. '${h.id}' resumes later with the carriage confirmed at home.`,
    );
  }
}

/** Paper and first pen confirmed (the flag, or a yes on the terminal) when config asks for it; INVALID_STATE otherwise. */
async function checkReady(
  ctx: CliContext,
  engine: Engine,
  id: string,
  plotter: string,
  given: boolean,
): Promise<void> {
  const { dataDir } = engine.paths;
  if (readyNeeded(engine.config, dataDir, plotter)) {
    const yes =
      given ||
      (ctx.io.tty &&
        process.stdin.isTTY &&
        (await confirm(
          `Plotter '${plotter}': ${readyQuestion(jobFiles(engine.paths.jobsDir, id).plan)}`,
        )));
    if (yes) confirmReady(dataDir, plotter);
  }
  refuseUnready(engine.config, dataDir, plotter, id);
  sheetUsed(engine.config, dataDir, plotter, id);
}

/** What `vfab resume --dry-run` tells about one interrupted job. */
function resumePreview(engine: Engine, c: JobCondition, backUp: number) {
  const files = jobFiles(engine.paths.jobsDir, c.id);
  const plan = readPlan(files.plan);
  // The layers the plot draws (a `--layer N` plot keeps its selection): checkpoints count in them.
  const layers = layersToPlot(plan.layers, readPlotHistory(files.journal).layerOnly, c.id);
  const program = plotProgram(layers, motionProfile(engine.config.device, plan.settings.cornering));
  let from = c.checkpoint?.move ?? -1;
  if (backUp > 0) from = backUpFrom(program, from, backUp);
  let inkLeft = 0;
  for (let k = from + 1; k < program.length; k++) {
    if (program.kind[k] === MoveKind.Draw) inkLeft += moveLengthMm(program, k);
  }
  const layer = c.checkpoint?.layer ?? null;
  return {
    id: c.id,
    state: c.state,
    cause: c.cause ?? null,
    detail: c.detail ?? null,
    since: c.since ?? null,
    from_move: from,
    moves: program.length,
    layer:
      layer === null
        ? null
        : {
            index: (layers[layer] ? plan.layers.indexOf(layers[layer]) : layer) + 1,
            name: layers[layer]?.name ?? null,
          },
    path: c.checkpoint?.path ?? null,
    point: c.checkpoint?.point ?? null,
    remaining_mm: Math.round(inkLeft * 10) / 10,
    remaining_s: Math.round(programDuration(program, from + 1)),
  };
}

export function registerPlotCommands(program: Command, ctx: CliContext): void {
  program
    .command('plot <job>')
    .description(
      'plot a READY job, or continue a paused or interrupted one from its last checkpoint',
    )
    .option('--device <device>', deviceOption)
    .option('--speed <factor>', speedOption)
    .option(
      '--carriage-at-home',
      'confirm the carriage is at the home corner when the plotter lost its position',
    )
    .option(
      '--confirm-ready',
      'confirm paper loaded and first pen in (config physical_setup.require_confirmation, paper.require_one_per_session); a terminal is asked instead',
    )
    .option(
      '--layer <n>',
      "plot only the layers numbered n (AxiDraw's layers mode); a resume keeps the selection, and the job is COMPLETED when they are drawn",
      layerNumber,
    )
    .addHelpText(
      'after',
      `\nExit ${PAUSED_EXIT} when the plot stops at a pause (pen change, ! layer, pause button): the message says what to load; continue with vfab resume <job>.\nCtrl-C stops at once (pen up, journaled; exit 130): continue with vfab resume <job>.\nvfab pause <job> from another terminal pauses gracefully.`,
    )
    .action(
      async (
        id: string,
        flags: DeviceFlags & { carriageAtHome?: boolean; confirmReady?: boolean; layer?: number },
      ) => {
        parseSpeed(flags);
        const engine = ctx.engine();
        const { fresh, recovery } = admitPlot(engine, id);
        if (fresh)
          await checkReady(
            ctx,
            engine,
            id,
            plotterForJob(engine, id, flags.device).name,
            Boolean(flags.confirmReady),
          );
        await plotInForeground(ctx, engine, id, flags, {
          recovery,
          ...(flags.layer !== undefined && { layerOnly: flags.layer }),
        });
      },
    );

  program
    .command('pause <job>')
    .description(
      'pause a job being plotted by another vfab process: it finishes the queued motion and lifts the pen',
    )
    .action(async (id: string) => {
      const engine = ctx.engine();
      if (!requestPause(engine, id).requested)
        return ctx.io.err(`${id}: already PAUSED; resume with: vfab resume ${id}`);
      const request = pauseRequestFile(engine.paths.jobsDir, id);
      const deadline = Date.now() + PAUSE_WAIT_MS;
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, PAUSE_POLL_MS));
        if (engine.jobs.state(id) !== 'PLOTTING') break;
      }
      const now = engine.jobs.state(id);
      if (now === 'PLOTTING') {
        fs.rmSync(request, { force: true });
        ctx.io.err(
          `${id}: no plotting process answered within ${PAUSE_WAIT_MS / 1000} s. If the plot was interrupted, it is already stopped; continue it with: vfab resume ${id}`,
        );
        ctx.exitCode = ERROR_CODES.BUSY;
        return;
      }
      ctx.io.err(`${id}: ${now}${now === 'PAUSED' ? `; resume with: vfab resume ${id}` : ''}`);
      ctx.io.out(`${id}\t${now}`);
    });

  program
    .command('resume [job]')
    .description(
      'continue interrupted jobs from their last checkpoint (all of them when no job is named)',
    )
    .addHelpText(
      'after',
      `\nExit ${PAUSED_EXIT} when a plot stops at its next pause: the message says what to load; then resume again.`,
    )
    .option('--device <device>', deviceOption)
    .option('--speed <factor>', speedOption)
    .option('--dry-run', 'only say what would be resumed: from where, how much is left')
    .option(
      '--back-up <strokes>',
      'redraw this many strokes before the checkpoint (1 = the stroke it stopped in)',
      '0',
    )
    .option(
      '--carriage-at-home',
      'confirm the carriage is at the home corner when the plotter lost its position (scripts)',
    )
    .option('--json', 'with --dry-run: machine-readable output')
    .action(async (id: string | undefined, flags: ResumeFlags) => {
      parseSpeed(flags);
      const backUp = Number(flags.backUp ?? 0);
      if (!Number.isInteger(backUp) || backUp < 0)
        throw new VfabError(
          'USAGE',
          `--back-up must be a whole number of strokes, not '${flags.backUp}'.`,
        );
      const engine = ctx.engine();
      const opts = {
        jobsDir: engine.paths.jobsDir,
        stuckAfterS: engine.config.recovery.stuck_after_s,
      };
      let targets: JobCondition[];
      if (id !== undefined) {
        targets = [admitResume(engine, id)];
      } else {
        const all = classifyJobs(engine.store, opts).filter((c) => c.kind === 'interrupted');
        // A deliberate pause (pen change, button, vfab pause) waits for its person, not for cron.
        for (const c of all.filter((c) => c.cause === 'paused'))
          ctx.io.err(
            `${c.id}: PAUSED (${c.detail ?? 'paused'}); resume it by name when ready: vfab resume ${c.id}`,
          );
        targets = all
          .filter((c) => c.cause !== 'paused')
          .sort((a, b) => (a.since ?? '').localeCompare(b.since ?? ''));
        if (!targets.length) {
          ctx.io.err('No interrupted jobs to resume.');
          return;
        }
      }
      if (flags.dryRun) {
        const previews = targets.map((c) => resumePreview(engine, c, backUp));
        if (flags.json) return printJson(ctx.io, { resume: previews });
        for (const p of previews) {
          const where = p.layer
            ? `layer ${p.layer.index} (${p.layer.name}), path ${(p.path ?? 0) + 1}, point ${(p.point ?? 0) + 1}`
            : 'the start';
          ctx.io.out(
            `${p.id}\t${p.state}\t${p.cause ?? ''}\tfrom ${where} (move ${p.from_move + 1} of ${p.moves})\t${p.remaining_mm} mm to draw\tabout ${duration(p.remaining_s)}`,
          );
        }
        return;
      }
      for (const c of targets) {
        ctx.io.err(
          `${c.id}: ${c.state}, ${c.cause === 'paused' ? 'paused' : `interrupted ${localTime(c.since)}: ${CAUSE_TEXT[c.cause ?? 'crash']}`}; resuming${backUp ? ` ${backUp} stroke(s) back` : ''}…`,
        );
        const { result, signal } = await plotInForeground(ctx, engine, c.id, flags, {
          recovery: c.cause !== 'paused',
          backUpStrokes: backUp,
        });
        if (signal || (result.state !== 'COMPLETED' && result.state !== 'PAUSED')) return;
      }
    });

  program
    .command('home [plotter]')
    .description(
      "send the plotter's carriage home, pen up, from where a paused or stopped plot left it (or confirm a person put it there)",
    )
    .option('--speed <factor>', speedOption)
    .option(
      '--carriage-at-home',
      'confirm the carriage is at the home corner: after its motors were let go, push it there by hand first',
    )
    .addHelpText(
      'after',
      '\nThe plotter: a name from config devices:, a port, a nickname (default: the first plotter).\nA job paused mid-sheet stays paused: vfab resume <job> travels back to it.',
    )
    .action(
      async (request: string | undefined, flags: DeviceFlags & { carriageAtHome?: boolean }) => {
        const speed = parseSpeed(flags);
        const result = await sendCarriageHome(ctx.engine(), request, {
          carriageAtHome: Boolean(flags.carriageAtHome),
          ...(speed ? { speed } : {}),
        });
        ctx.io.err(homeText(result));
        ctx.io.out(`${result.plotter}\t${result.how}`);
      },
    );

  program
    .command('restart <job>')
    .description(
      'start a job again from its plan (the journal keeps its history; source and plan are kept)',
    )
    .option('--now', 'plot it right away instead of queueing it')
    .option('--device <device>', deviceOption)
    .option('--speed <factor>', speedOption)
    .option('--carriage-at-home', 'with --now: confirm the carriage is at the home corner')
    .action(
      async (id: string, flags: DeviceFlags & { now?: boolean; carriageAtHome?: boolean }) => {
        const engine = ctx.engine();
        const outcome = await restartJob(engine, id);
        ctx.io.err(`${id}: ${outcome.from} -> ${outcome.state} (${outcome.reason})`);
        if (flags.now && outcome.state === 'QUEUED') {
          await plotInForeground(ctx, engine, id, flags);
          return;
        }
        ctx.io.out(`${id}\t${outcome.state}`);
      },
    );
}
