/**
 * NEW → ANALYZED → OPTIMIZED → READY: read the SVG, fit it to the paper, order the strokes,
 * estimate, and journal each step with what it found. A file that is not a plottable SVG fails
 * its job with the reason; a drawing that does not fit leaves the job ANALYZED so it can be
 * re-planned with other paper or fit settings, losing nothing. The reading and planning run in a
 * worker thread (plan/worker-pool.ts); a worker that crashes or runs out of memory fails the job
 * with the reason.
 */
import type { VfabConfig } from '../config/config';
import { VfabError, type ErrorCode } from '../errors';
import type { Logger } from '../log';
import type { DrawingFacts } from '../plan/build';
import { paperLabel, type PlanSettings, type PlanSummary } from '../plan/plan-file';
import type { SvgWarning } from '../svg/types';
import { PlanningFailed, sharedPlanPool, type PlanPool } from '../plan/worker-pool';
import type { PlanStage } from '../plan/worker-protocol';
import { SvgError } from '../svg/errors';
import { removeAtomicLeftovers } from '../util/atomic';
import type { JobService } from './lifecycle';
import type { JobState } from './states';
import type { Store } from './store';
import { planFactsMetadata } from './reconcile';
import { jobFiles, readJobMeta } from './workspace';

export type PrepareStage = PlanStage;

export interface PrepareOptions {
  settings: PlanSettings;
  device: VfabConfig['device'];
  onProgress?: (stage: PrepareStage, fraction: number, detail?: string) => void;
  /** Default: the process's shared pool. */
  pool?: PlanPool;
  /** Aborting stops the planning; the job stays as it was before it (NEW or ANALYZED). */
  signal?: AbortSignal;
}

export interface PrepareResult {
  state: JobState;
  /** Why the job did not reach READY (it is FAILED, or still ANALYZED when it did not fit). */
  error?: string;
  /** What kind of failure `error` is: the drawing's (INVALID_INPUT) or vfab's (INTERNAL). */
  errorCode?: ErrorCode;
  warnings: SvgWarning[];
  summary?: PlanSummary;
}

export interface PrepareContext {
  jobs: JobService;
  store: Store;
  logger: Logger;
}

/** Plan settings from config, with command-line overrides on top. */
export function planSettings(
  config: VfabConfig,
  overrides: Partial<PlanSettings> = {},
): PlanSettings {
  return {
    preset: config.optimization.default_level,
    paper: config.paper.default_size,
    marginMm: config.paper.default_margin_mm,
    ...(config.paper.default_orientation !== 'auto' && {
      orientation: config.paper.default_orientation,
    }),
    autoRotate: config.paper.auto_rotate,
    penChange: config.plot.pen_change,
    minGapMm: config.plot.min_gap_mm,
    ...(Object.keys(config.pens).length > 0 && { pens: config.pens }),
    fit: 'none',
    model: config.device.model,
    toleranceMm: config.optimization.tolerance_mm,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
}

const minutes = (s: number) =>
  s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`;

/** Jobs this process is planning: a second plan of one of them would race the first for plan.json and the journal. */
const planning = new Set<string>();

/** Jobs this process is planning now: their folders must stay where they are until it ends. */
export function jobsBeingPlanned(): string[] {
  return [...planning];
}

function analyzedEntry(facts: DrawingFacts) {
  const paths = facts.layers.reduce((n, l) => n + l.paths, 0);
  return {
    reason: `SVG analyzed: ${facts.layers.length} layer(s), ${paths} path(s)`,
    metadata: {
      width_mm: facts.widthMm,
      height_mm: facts.heightMm,
      layers: facts.layers,
      skipped_layers: facts.skippedLayers,
      warnings: facts.warnings,
      stats: facts.stats,
    },
  };
}

/**
 * Plans a job in a planning worker; the journal is written here, on the caller's thread, each
 * entry before the step it records is acted upon: ANALYZED before the worker orders anything.
 */
export async function prepareJob(
  ctx: PrepareContext,
  id: string,
  opts: PrepareOptions,
): Promise<PrepareResult> {
  if (planning.has(id))
    throw new VfabError('BUSY', `Job '${id}' is being planned already; wait for that to finish.`);
  planning.add(id);
  try {
    return await prepare(ctx, id, opts);
  } finally {
    planning.delete(id);
  }
}

async function prepare(
  ctx: PrepareContext,
  id: string,
  opts: PrepareOptions,
): Promise<PrepareResult> {
  const { settings } = opts;
  let state = ctx.jobs.state(id);
  if (state === 'READY') {
    ctx.jobs.transition(id, 'ANALYZED', 're-plan with other settings', { settings });
    state = 'ANALYZED';
  }
  if (state !== 'NEW' && state !== 'ANALYZED') {
    throw new VfabError(
      'INVALID_STATE',
      `Job '${id}' is ${state}; only NEW, ANALYZED or READY jobs can be planned.${state === 'QUEUED' ? ' Take it out of the queue first.' : ''}`,
    );
  }
  const files = jobFiles(ctx.jobs.jobsDir, id);
  const fileName = readJobMeta(ctx.jobs.jobsDir, id)?.source_name ?? 'src.svg';

  let warnings: SvgWarning[] = [];
  let outcome;
  try {
    outcome = await (opts.pool ?? sharedPlanPool()).run(
      {
        job: id,
        source: files.source,
        plan: files.plan,
        thumbnail: files.thumbnail,
        fileName,
        settings,
        device: opts.device,
      },
      {
        onProgress: opts.onProgress,
        onDrawing: (facts) => {
          warnings = facts.warnings;
          if (state === 'NEW') {
            const { reason, metadata } = analyzedEntry(facts);
            ctx.jobs.transition(id, 'ANALYZED', reason, metadata);
          }
          opts.onProgress?.('optimizing', 0);
        },
        signal: opts.signal,
      },
    );
  } catch (err) {
    // A worker ended mid-write leaves its temp file; plan.json itself is whole, old or new.
    removeAtomicLeftovers(files.plan);
    if (err instanceof SvgError) {
      ctx.jobs.transition(id, 'FAILED', err.message, { error: err.kind, file: fileName });
      return { state: 'FAILED', error: err.message, errorCode: err.code, warnings: [] };
    }
    if (!(err instanceof PlanningFailed)) throw err;
    ctx.logger.error(`${err.message}${err.detail ? `\n${err.detail}` : ''}`, id);
    ctx.jobs.transition(id, 'FAILED', err.message, { error: 'planning_failed', file: fileName });
    return { state: 'FAILED', error: err.message, errorCode: err.code, warnings };
  }
  if (outcome.kind === 'unfit') {
    ctx.logger.warning(outcome.reason, id);
    return {
      state: 'ANALYZED',
      error: outcome.reason,
      errorCode: 'INVALID_INPUT',
      warnings: outcome.warnings,
    };
  }
  const { summary } = outcome;
  ctx.jobs.transition(
    id,
    'OPTIMIZED',
    `Plan on ${paperLabel(summary)}: ${settings.preset} preset, ${summary.lifts} pen lift(s), pen-up travel ${Math.round(summary.travelBeforeMm)} -> ${Math.round(summary.travelMm)} mm`,
    {
      settings,
      paper: summary.paper,
      ...(summary.rotated && { rotated: true }),
      scale: summary.scale,
      pen_down_mm: summary.penDownMm,
      travel_before_mm: summary.travelBeforeMm,
      travel_mm: summary.travelMm,
      lifts: summary.lifts,
    },
  );
  opts.onProgress?.('estimating', 1);
  ctx.jobs.transition(id, 'READY', `Estimated ${minutes(summary.estimateS)}`, {
    ...planFactsMetadata(summary),
    layers: outcome.layers,
  });
  return { state: 'READY', warnings: outcome.warnings, summary };
}
