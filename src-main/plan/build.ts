/**
 * Drawing → plan: fit it to the paper, order each layer's strokes from where the last ended, and
 * estimate the program. Pure and CPU-bound (it runs in the planning worker, see worker.ts); the
 * facts it returns are what the journal records of a drawing and of its plan.
 */
import type { DeviceMotionSettings } from './motion';
import { VfabError } from '../errors';
import { plotProgram, programDuration } from './planner';
import { estimatePaths } from './estimate';
import { motionProfile } from './motion';
import { optimizePaths } from './optimize';
import { placeDrawing } from './paper';
import { isPenChange, mappedPen, type PenLayer } from './pens';
import {
  PLAN_FORMAT,
  type Plan,
  type PlanLayer,
  type PlanSettings,
  type PlanSummary,
} from './plan-file';
import type { Drawing, SvgWarning } from '../svg/types';

/** What reading a drawing found: the ANALYZED entry's facts (small, whatever the drawing's size). */
export interface DrawingFacts {
  widthMm: number;
  heightMm: number;
  layers: {
    name: string;
    pen: number | null;
    pause_before: boolean;
    speed_pct: number | null;
    height_pct: number | null;
    delay_ms: number | null;
    color: string | null;
    paths: number;
    points: number;
  }[];
  skippedLayers: string[];
  warnings: SvgWarning[];
  stats: Drawing['stats'];
}

export function drawingFacts(drawing: Drawing): DrawingFacts {
  return {
    widthMm: drawing.widthMm,
    heightMm: drawing.heightMm,
    layers: drawing.layers.map((l) => ({
      name: l.name,
      pen: l.pen,
      pause_before: l.pauseBefore,
      speed_pct: l.speedPct ?? null,
      height_pct: l.heightPct ?? null,
      delay_ms: l.delayMs ?? null,
      color: l.color,
      paths: l.paths.length,
      points: l.paths.reduce((n, p) => n + p.length / 2, 0),
    })),
    skippedLayers: drawing.skippedLayers,
    warnings: drawing.warnings,
    stats: drawing.stats,
  };
}

export type BuildStage = 'optimizing' | 'estimating';

export interface BuildOptions {
  job: string;
  settings: PlanSettings;
  device: DeviceMotionSettings;
  fileName: string;
  onProgress?: (stage: BuildStage, fraction: number, detail?: string) => void;
}

/** A drawing that does not fit the paper: the reason, and the job stays re-plannable. */
export type BuildResult = { plan: Plan } | { unfit: string };

export function buildPlan(drawing: Drawing, opts: BuildOptions): BuildResult {
  const { settings } = opts;
  let placed;
  try {
    placed = placeDrawing(drawing, {
      paper: settings.paper,
      ...(settings.orientation && { orientation: settings.orientation }),
      autoRotate: settings.autoRotate ?? false,
      model: settings.model,
      marginMm: settings.marginMm,
      fit: settings.fit,
      fileName: opts.fileName,
    });
  } catch (err) {
    if (!(err instanceof VfabError)) throw err;
    return { unfit: err.message };
  }
  const { paper, fitted } = placed;

  const profile = motionProfile(opts.device, settings.cornering);
  const layers: PlanLayer[] = [];
  let position: [number, number] = [0, 0];
  let previousPen: PenLayer | undefined;
  fitted.layers.forEach((layer, index) => {
    opts.onProgress?.('optimizing', index / fitted.layers.length, layer.name);
    const optimized = optimizePaths(layer.paths, {
      preset: settings.preset,
      simplifyToleranceMm: settings.simplifyMm,
      minGapMm: settings.minGapMm,
      start: position,
      onProgress: (f) =>
        opts.onProgress?.('optimizing', (index + f) / fitted.layers.length, layer.name),
    });
    const codes = {
      speedPct: layer.speedPct ?? null,
      heightPct: layer.heightPct ?? null,
      delayMs: layer.delayMs ?? null,
    };
    const { end, ...estimate } = estimatePaths(optimized.paths, profile, position, codes);
    position = end;
    // A pen change between numbered layers is a planned pause for the swap, like a `!` layer.
    const penChange = isPenChange(previousPen, layer, settings.penChange ?? 'pause', settings.pens);
    if (layer.pen !== null) previousPen = layer;
    const penName = mappedPen(settings.pens, layer.pen);
    layers.push({
      name: layer.name,
      pen: layer.pen,
      pauseBefore: layer.pauseBefore || penChange,
      pause: layer.pauseBefore ? 'layer_pause' : penChange ? 'pen_change' : null,
      ...codes,
      color: layer.color,
      ...(penName !== undefined && { penName }),
      source: layer.source,
      stats: optimized.stats,
      estimate,
      paths: optimized.paths,
    });
  });

  opts.onProgress?.('estimating', 0);
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
  return {
    plan: {
      format: PLAN_FORMAT,
      job: opts.job,
      createdAt: new Date().toISOString(),
      settings,
      summary,
      layers,
    },
  };
}
