/** `vfab plan <job>` and the planning options shared with `vfab add job`. */
import { Option, type Command } from 'commander';
import { ERROR_CODES, VfabError } from '../../errors';
import { planJob, type PlanChoices } from '../../app/jobs';
import type { PrepareResult, PrepareStage } from '../../jobs/prepare';
import { MAX_CORNERING, MIN_CORNERING } from '../../plan/cornering';
import { MAX_MIN_GAP_MM } from '../../plan/min-gap';
import { paperLabel } from '../../plan/plan-file';
import { PEN_CHANGE_MODES } from '../../plan/pens';
import { printJson, type Io } from '../output';
import type { CliContext } from './jobs';

/** `autoRotate` is false with --no-auto-rotate; commander's default true stands for "as config says". */
export type PlanFlags = PlanChoices;

function millimetres(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new VfabError('USAGE', `'${value}' is not a length in mm (a number ≥ 0).`);
  return n;
}

function minGap(value: string): number {
  const n = millimetres(value);
  if (n > MAX_MIN_GAP_MM)
    throw new VfabError(
      'USAGE',
      `--min-gap ${value}: at most ${MAX_MIN_GAP_MM} mm (a join is drawn ink; 0 = no joins).`,
    );
  return n;
}

function cornering(value: string): number {
  const n = Number(value);
  if (!(value.trim() !== '' && n >= MIN_CORNERING && n <= MAX_CORNERING)) {
    throw new VfabError(
      'USAGE',
      `--cornering ${value}: a number from ${MIN_CORNERING} to ${MAX_CORNERING} (AxiDraw's cornering; 10 is its default).`,
    );
  }
  return n;
}

/** The recovery guide's `--optimization fast|default|best` plus paper and fit. */
export function addPlanOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--optimization <preset>', 'path ordering effort')
        .choices(['fast', 'default', 'best', 'hq'])
        .argParser((v) => (v === 'hq' ? 'best' : v)),
    )
    .option(
      '--paper <paper>',
      "document (the SVG's own page), a paper name (A4, A3, Letter, …) or a size such as 210x297mm; default from config",
    )
    .addOption(
      new Option(
        '--orientation <orientation>',
        'paper orientation (default: follow the drawing)',
      ).choices(['portrait', 'landscape']),
    )
    .addOption(
      new Option(
        '--fit <mode>',
        'none: keep coordinates; center: move to the middle; scale: scale down to fit the margins',
      ).choices(['none', 'center', 'scale']),
    )
    .option('--margin <mm>', 'margin kept by --fit scale; default from config', millimetres)
    .option(
      '--simplify <mm>',
      'drop points that change the drawing by less than this (0 = keep every point)',
      millimetres,
    )
    .option(
      '--min-gap <mm>',
      `draw pen-up hops shorter than this pen-down, saving the lift (0 = never, at most ${MAX_MIN_GAP_MM}); default: config plot.min_gap_mm`,
      minGap,
    )
    .option(
      '--cornering <factor>',
      `speed through corners, ${MIN_CORNERING}-${MAX_CORNERING} (AxiDraw's cornering: 10 = 0.05 mm junction deviation; higher is faster, corners rounder); default: config device.cornering`,
      cornering,
    )
    .addOption(
      new Option(
        '--pen-change <mode>',
        'stop for a pen swap between numbered layers: auto (when their colours or mapped pens differ), pause (every change of number), ignore (never); default: config plot.pen_change',
      ).choices([...PEN_CHANGE_MODES]),
    )
    .option(
      '--no-auto-rotate',
      'keep the drawing upright: no turn for portrait documents nor to fit (default: config paper.auto_rotate, on)',
    );
}

function progressPrinter(
  io: Io,
): ((stage: PrepareStage, fraction: number, detail?: string) => void) | undefined {
  if (!io.tty) return undefined;
  let last = '';
  return (stage, fraction, detail) => {
    const line = `${stage}${detail ? ` ${detail}` : ''} ${Math.round(fraction * 100)}%`;
    if (line === last) return;
    last = line;
    process.stderr.write(`\r\x1b[2K${line}`);
    if (stage === 'estimating') process.stderr.write('\r\x1b[2K');
  };
}

/** Plans a job; its warnings and why it failed go to stderr (exit 5 when the job failed or did not fit, 1 when planning itself broke). */
export async function prepareForCli(
  ctx: CliContext,
  id: string,
  flags: PlanFlags,
): Promise<PrepareResult> {
  const result = await planJob(
    ctx.engine(),
    id,
    { ...flags, autoRotate: flags.autoRotate === false ? false : undefined },
    { onProgress: progressPrinter(ctx.io) },
  );
  for (const w of result.warnings)
    ctx.io.err(`${id}: warning: ${w.message}${w.count > 1 ? ` (${w.count}×)` : ''}`);
  if (result.error) {
    ctx.io.err(`${id}: ${result.error}`);
    if (result.state === 'ANALYZED')
      ctx.io.err(
        `The job stays ANALYZED; plan it again with other settings: vfab plan ${id} --fit scale (or --paper …).`,
      );
    ctx.exitCode = ERROR_CODES[result.errorCode ?? 'INVALID_INPUT'];
  }
  return result;
}

/** What planning gave: JSON, or on a terminal the plan in one line. */
export function printPrepared(
  ctx: CliContext,
  id: string,
  result: PrepareResult,
  json: boolean,
): void {
  if (json)
    printJson(ctx.io, {
      job: {
        id,
        state: result.state,
        error: result.error ?? null,
        warnings: result.warnings,
        plan: result.summary ?? null,
      },
    });
  else if (ctx.io.tty && result.summary) {
    const s = result.summary;
    ctx.io.out(
      `${id}: ${result.state} on ${paperLabel(s)}${s.scale !== 1 ? ` (scaled ×${s.scale.toFixed(3)})` : ''}: ${s.layerCount} layer(s), ${s.pathCount} path(s), ` +
        `pen down ${(s.penDownMm / 1000).toFixed(2)} m, pen-up travel ${(s.travelBeforeMm / 1000).toFixed(2)} -> ${(s.travelMm / 1000).toFixed(2)} m, ` +
        `${s.lifts} lift(s), about ${Math.round(s.estimateS / 60)} min.`,
    );
  }
}

/** Plans a job and reports (see prepareForCli and printPrepared). */
export async function runPrepare(
  ctx: CliContext,
  id: string,
  flags: PlanFlags,
  json: boolean,
): Promise<PrepareResult> {
  const result = await prepareForCli(ctx, id, flags);
  printPrepared(ctx, id, result, json);
  return result;
}

export function registerPlanCommand(program: Command, ctx: CliContext): void {
  addPlanOptions(
    program
      .command('plan')
      .description('(re-)plan a NEW, ANALYZED or READY job: fit to paper, order paths, estimate')
      .argument('<job_id>'),
  )
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: PlanFlags & { json?: boolean }) => {
      await runPrepare(ctx, id, opts, Boolean(opts.json));
    });
}
