/**
 * The planning worker (a worker thread; built as out/main/plan-worker.js): reads a job's SVG,
 * builds its plan and writes plan.json (and the queue row's thumbnail of it), off the thread that feeds the plotter. It never touches
 * the journal: it reports what it found and waits for `continue` once the drawing is read, so the
 * main thread journals ANALYZED before anything is planned (docs/recovery.md, invariant 1).
 */
import fs from 'node:fs';
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { VfabError } from '../errors';
import { SvgError } from '../svg/errors';
import { readSvg } from '../svg/read';
import { buildPlan, drawingFacts } from './build';
import { writePlan } from './plan-file';
import { saveThumbnail } from './thumbnail-file';
import type {
  FromWorker,
  PlanOutcome,
  PlanRequest,
  PlanStage,
  ToWorker,
  WorkerError,
} from './worker-protocol';

// Linux sets a nice value per thread: on a busy machine this thread yields the cores to the one
// feeding the plotter (below normal, not lowest: a CLI plan on a busy machine still progresses).
// Elsewhere the call would lower the whole process, that thread too, so it is left alone there.
if (process.platform === 'linux') {
  try {
    os.setPriority(0, os.constants.priority.PRIORITY_BELOW_NORMAL);
  } catch {
    // A sandbox that refuses it: plan at normal priority.
  }
}

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);

const inbox: ToWorker[] = [];
let waiting: ((m: ToWorker) => void) | undefined;
port.on('message', (m: ToWorker) => {
  if (waiting) {
    const w = waiting;
    waiting = undefined;
    w(m);
  } else inbox.push(m);
});
const next = () =>
  inbox.length ? Promise.resolve(inbox.shift()!) : new Promise<ToWorker>((r) => (waiting = r));

/** One message per whole percent, stage or layer: the optimiser reports far more often. */
function progressReporter(): (stage: PlanStage, fraction: number, detail?: string) => void {
  let last = '';
  return (stage, fraction, detail) => {
    const key = `${stage}\u0000${detail ?? ''}\u0000${Math.floor(fraction * 100)}`;
    if (key === last) return;
    last = key;
    post({ type: 'progress', stage, fraction, ...(detail !== undefined && { detail }) });
  };
}

function asWorkerError(err: unknown): WorkerError {
  if (err instanceof SvgError) return { message: err.message, code: err.code, svgKind: err.kind };
  if (err instanceof VfabError) return { message: err.message, code: err.code };
  return { message: (err as Error)?.message ?? String(err), stack: (err as Error)?.stack };
}

/** ENOENT on the job's own files: another process removed or replaced the folder meanwhile. */
function folderGone<T>(job: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new VfabError(
      'BUSY',
      `Job '${job}' was removed or replaced by another vfab process while it was being planned; nothing was written. Check it with: vfab info job ${job}`,
    );
  }
}

async function plan(req: PlanRequest): Promise<PlanOutcome> {
  const progress = progressReporter();
  progress('reading', 0, req.fileName);
  const source = folderGone(req.job, () => fs.readFileSync(req.source));
  const drawing = readSvg(source, {
    toleranceMm: req.settings.toleranceMm,
    fileName: req.fileName,
  });
  post({ type: 'drawing', facts: drawingFacts(drawing) });
  // `continue`: the journal has it. Had journaling failed, the host would have ended this thread.
  await next();

  const built = buildPlan(drawing, {
    job: req.job,
    settings: req.settings,
    device: req.device,
    fileName: req.fileName,
    onProgress: progress,
  });
  if ('unfit' in built) return { kind: 'unfit', reason: built.unfit, warnings: drawing.warnings };
  folderGone(req.job, () => writePlan(req.plan, built.plan));
  if (req.thumbnail)
    saveThumbnail(req.job, built.plan, { plan: req.plan, thumbnail: req.thumbnail });
  const { summary, layers } = built.plan;
  return {
    kind: 'planned',
    warnings: drawing.warnings,
    summary,
    layers: layers.map((l) => ({
      name: l.name,
      seconds: l.estimate.seconds,
      pause: l.pause,
      pen: l.pen,
      color: l.color,
      ...(l.penName !== undefined && { pen_name: l.penName }),
    })),
  };
}

async function serve(): Promise<void> {
  for (;;) {
    const m = await next();
    if (m.type !== 'plan') continue;
    try {
      post({ type: 'done', outcome: await plan(m.request) });
    } catch (err) {
      post({ type: 'failed', error: asWorkerError(err) });
    }
  }
}

void serve();
