/**
 * Messages between the main thread and a planning worker (worker.ts, worker-pool.ts). Only small
 * facts cross: the worker reads `src.svg` and writes `plan.json` itself, so a drawing of a million
 * strokes is never copied between threads.
 */
import type { DeviceMotionSettings } from './motion';
import type { ErrorCode } from '../errors';
import type { SvgErrorKind } from '../svg/errors';
import type { DrawingFacts } from './build';
import type { PlanLayer, PlanSettings, PlanSummary } from './plan-file';
import type { SvgWarning } from '../svg/types';

export type PlanStage = 'reading' | 'optimizing' | 'estimating';

export interface PlanRequest {
  job: string;
  /** The job's `src.svg`. */
  source: string;
  /** The job's `plan.json`, replaced atomically. */
  plan: string;
  /** Where the queue row's thumbnail of the new plan goes (plan/thumbnail-file.ts); none when absent. */
  thumbnail?: string;
  /** The name the user knows the file by, for messages. */
  fileName: string;
  settings: PlanSettings;
  device: DeviceMotionSettings;
}

/** What the READY entry journals of each layer: its time, its pause, and the pen it takes (jobs/pens-needed.ts). */
export interface PlannedLayer {
  name: string;
  seconds: number;
  pause: PlanLayer['pause'];
  pen: number | null;
  color: string | null;
  /** The config's pen for the layer's number, when it maps one. */
  pen_name?: string;
}

export type PlanOutcome =
  | { kind: 'planned'; warnings: SvgWarning[]; summary: PlanSummary; layers: PlannedLayer[] }
  | { kind: 'unfit'; warnings: SvgWarning[]; reason: string };

/** An error thrown in the worker, as data: VfabErrors keep their code, SvgErrors their kind too. */
export interface WorkerError {
  message: string;
  code?: ErrorCode;
  svgKind?: SvgErrorKind;
  stack?: string;
}

export type ToWorker = { type: 'plan'; request: PlanRequest } | { type: 'continue' };

export type FromWorker =
  | { type: 'progress'; stage: PlanStage; fraction: number; detail?: string }
  /** The drawing is read; the worker waits for `continue` (the journal records this first). */
  | { type: 'drawing'; facts: DrawingFacts }
  | { type: 'done'; outcome: PlanOutcome }
  | { type: 'failed'; error: WorkerError };
