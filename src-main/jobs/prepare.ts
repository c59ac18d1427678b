/**
 * NEW → ANALYZED → OPTIMIZED → READY: read the SVG, fit it to the paper, order the strokes,
 * estimate, and journal each step with what it found. A file that is not a plottable SVG fails
 * its job with the reason; a drawing that does not fit leaves the job ANALYZED so it can be
 * re-planned with other paper or fit settings, losing nothing.
 */
import fs from 'node:fs';
import type { VfabConfig } from '../config/config';
import { VfabError } from '../errors';
import type { Logger } from '../log';
import { estimatePaths } from '../plan/estimate';
import { plotProgram, programDuration } from '../plotter/planner';
import { motionProfile } from '../plan/motion';
import { optimizePaths } from '../plan/optimize';
import { placeDrawing } from '../plan/paper';
import { writePlan, PLAN_FORMAT, type PlanLayer, type PlanSettings, type PlanSummary } from '../plan/plan-file';
import type { Drawing, SvgWarning } from '../plan/types';
import { readSvg, SvgError } from '../svg/read';
import type { JobService } from './lifecycle';
import type { JobState } from './states';
import type { Store } from './store';
import { planFactsMetadata } from './reconcile';
import { jobFiles, readJobMeta } from './workspace';

export type PrepareStage = 'reading' | 'optimizing' | 'estimating';

export interface PrepareOptions {
  settings: PlanSettings;
  device: VfabConfig['device'];
  onProgress?: (stage: PrepareStage, fraction: number, detail?: string) => void;
}

export interface PrepareResult {
  state: JobState;
  /** Why the job did not reach READY (it is FAILED, or still ANALYZED when it did not fit). */
  error?: string;
  warnings: SvgWarning[];
  summary?: PlanSummary;
}

export interface PrepareContext {
  jobs: JobService;
  store: Store;
  logger: Logger;
}

/** Plan settings from config, with command-line overrides on top. */
export function planSettings(config: VfabConfig, overrides: Partial<PlanSettings> = {}): PlanSettings {
  return {
    preset: config.optimization.default_level,
    paper: config.paper.default_size,
    marginMm: config.paper.default_margin_mm,
    ...(config.paper.default_orientation !== 'auto' && { orientation: config.paper.default_orientation }),
    autoRotate: config.paper.auto_rotate,
    fit: 'none',
    model: config.device.model,
    toleranceMm: config.optimization.tolerance_mm,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
}

function layerSummary(drawing: Drawing) {
  return drawing.layers.map((l) => ({
    name: l.name,
    pen: l.pen,
    pause_before: l.pauseBefore,
    color: l.color,
    paths: l.paths.length,
    points: l.paths.reduce((n, p) => n + p.length / 2, 0),
  }));
}

const minutes = (s: number) => (s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`);

export function prepareJob(ctx: PrepareContext, id: string, opts: PrepareOptions): PrepareResult {
  const { settings } = opts;
  let state = ctx.jobs.state(id);
  if (state === 'READY') {
    ctx.jobs.transition(id, 'ANALYZED', 're-plan with other settings', { settings });
    state = 'ANALYZED';
  }
  if (state !== 'NEW' && state !== 'ANALYZED') {
    throw new VfabError('INVALID_STATE', `Job '${id}' is ${state}; only NEW, ANALYZED or READY jobs can be planned.${state === 'QUEUED' ? ' Take it out of the queue first.' : ''}`);
  }
  const files = jobFiles(ctx.jobs.jobsDir, id);
  const fileName = readJobMeta(ctx.jobs.jobsDir, id)?.source_name ?? 'src.svg';

  opts.onProgress?.('reading', 0, fileName);
  let drawing: Drawing;
  try {
    drawing = readSvg(fs.readFileSync(files.source), { toleranceMm: settings.toleranceMm, fileName });
  } catch (err) {
    if (!(err instanceof SvgError)) throw err;
    ctx.jobs.transition(id, 'FAILED', err.message, { error: err.kind, file: fileName });
    return { state: 'FAILED', error: err.message, warnings: [] };
  }
  if (state === 'NEW') {
    const paths = drawing.layers.reduce((n, l) => n + l.paths.length, 0);
    ctx.jobs.transition(id, 'ANALYZED', `SVG analyzed: ${drawing.layers.length} layer(s), ${paths} path(s)`, {
      width_mm: drawing.widthMm,
      height_mm: drawing.heightMm,
      layers: layerSummary(drawing),
      skipped_layers: drawing.skippedLayers,
      warnings: drawing.warnings,
      stats: drawing.stats,
    });
  }

  let placed;
  try {
    placed = placeDrawing(drawing, {
      paper: settings.paper,
      ...(settings.orientation && { orientation: settings.orientation }),
      autoRotate: settings.autoRotate ?? false,
      model: settings.model,
      marginMm: settings.marginMm,
      fit: settings.fit,
      fileName,
    });
  } catch (err) {
    if (!(err instanceof VfabError)) throw err;
    ctx.logger.warning(err.message, id);
    return { state: 'ANALYZED', error: err.message, warnings: drawing.warnings };
  }
  const { paper, fitted } = placed;

  const profile = motionProfile(opts.device);
  const layers: PlanLayer[] = [];
  let position: [number, number] = [0, 0];
  let previousPen: number | null = null;
  fitted.layers.forEach((layer, index) => {
    opts.onProgress?.('optimizing', index / fitted.layers.length, layer.name);
    const optimized = optimizePaths(layer.paths, {
      preset: settings.preset,
      simplifyToleranceMm: settings.simplifyMm,
      start: position,
      onProgress: (f) => opts.onProgress?.('optimizing', (index + f) / fitted.layers.length, layer.name),
    });
    const { end, ...estimate } = estimatePaths(optimized.paths, profile, position);
    position = end;
    // A pen change between numbered layers is a planned pause for the swap, like a `!` layer.
    const penChange = index > 0 && layer.pen !== null && previousPen !== null && layer.pen !== previousPen;
    if (layer.pen !== null) previousPen = layer.pen;
    layers.push({
      name: layer.name,
      pen: layer.pen,
      pauseBefore: layer.pauseBefore || penChange,
      pause: layer.pauseBefore ? 'layer_pause' : penChange ? 'pen_change' : null,
      color: layer.color,
      source: layer.source,
      stats: optimized.stats,
      estimate,
      paths: optimized.paths,
    });
  });

  const sum = (f: (l: PlanLayer) => number) => layers.reduce((n, l) => n + f(l), 0);
  const summary: PlanSummary = {
    paper: paper.name,
    paperWidthMm: paper.widthMm,
    paperHeightMm: paper.heightMm,
    ...(placed.rotated && { rotated: true }),
    scale: fitted.scale,
    layerCount: layers.length,
    pathCount: sum((l) => l.paths.length),
    pointCount: sum((l) => l.stats.pointsOut),
    penDownMm: sum((l) => l.stats.penDownMm),
    travelMm: sum((l) => l.stats.travelAfterMm),
    travelBeforeMm: sum((l) => l.stats.travelBeforeMm),
    lifts: sum((l) => l.stats.liftsAfter),
    // The whole program (pauses, the trip home), not the layers' sum: what the plotter will run.
    estimateS: programDuration(plotProgram(layers, profile)),
  };
  try {
    writePlan(files.plan, { format: PLAN_FORMAT, job: id, createdAt: new Date().toISOString(), settings, summary, layers });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new VfabError('BUSY', `Job '${id}' was removed or replaced by another vfab process while it was being planned; nothing was written. Check it with: vfab info job ${id}`);
  }
  ctx.jobs.transition(id, 'OPTIMIZED', `Plan: ${settings.preset} preset, ${summary.lifts} pen lift(s), pen-up travel ${Math.round(summary.travelBeforeMm)} -> ${Math.round(summary.travelMm)} mm`, {
    settings,
    paper: paper.name,
    ...(placed.rotated && { rotated: true }),
    scale: fitted.scale,
    pen_down_mm: summary.penDownMm,
    travel_before_mm: summary.travelBeforeMm,
    travel_mm: summary.travelMm,
    lifts: summary.lifts,
  });
  opts.onProgress?.('estimating', 1);
  ctx.jobs.transition(id, 'READY', `Estimated ${minutes(summary.estimateS)}`, {
    ...planFactsMetadata(summary),
    layers: layers.map((l) => ({ name: l.name, seconds: l.estimate.seconds, pause: l.pause })),
  });
  return { state: 'READY', warnings: drawing.warnings, summary };
}
