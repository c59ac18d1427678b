/**
 * Planning runs in worker threads (worker.ts) so the event loop that feeds a plot never waits for
 * it. The pool is bounded: at most `maxWorkers` plans run at once, the rest wait their turn, so
 * requests cannot make a process start threads without end. A worker is reused while it is
 * warm and ended after a quiet spell; one that crashed, ran out of memory or was stopped is
 * never reused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { VfabError, type ErrorCode } from '../errors';
import { SvgError } from '../svg/errors';
import type { DrawingFacts } from './build';
import type {
  FromWorker,
  PlanOutcome,
  PlanRequest,
  PlanStage,
  WorkerError,
} from './worker-protocol';

/** The worker ended without an answer, or threw something unexpected: the job fails with this message as its reason. */
export class PlanningFailed extends VfabError {
  override name = 'PlanningFailed';
  constructor(
    code: ErrorCode,
    message: string,
    /** The worker's stack, for the log. */
    readonly detail?: string,
  ) {
    super(code, message);
  }
}

export interface PlanHandlers {
  onProgress?: (stage: PlanStage, fraction: number, detail?: string) => void;
  /** The drawing is read. Runs before the worker goes on; if it throws, the worker is ended and the run rejects with that error. */
  onDrawing(facts: DrawingFacts): void;
  /** Aborting ends the worker; the run rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface PlanPoolOptions {
  /** Default: one per spare core, at most 2 (one core is left to the plot feed). */
  maxWorkers?: number;
  /** How long a worker is kept for the next plan; default 30 s. */
  idleMs?: number;
  /** V8 heap limits per worker: a drawing that needs more fails its job instead of the process. */
  resourceLimits?: ResourceLimits;
}

/**
 * Built, the worker is its own entry beside the app's (out/main/plan-worker.js; this module may
 * sit in out/main/chunks). Run from the TypeScript sources (tests, benchmarks), tsx loads it.
 */
function workerEntry(): { file: string; execArgv?: string[] } {
  if (__filename.endsWith('.ts'))
    return {
      file: path.join(__dirname, 'worker.ts'),
      execArgv: ['--require', require.resolve('tsx/cjs')],
    };
  const outMain = path.basename(__dirname) === 'chunks' ? path.dirname(__dirname) : __dirname;
  const file = path.join(outMain, 'plan-worker.js');
  if (!fs.existsSync(file))
    throw new VfabError(
      'INTERNAL',
      `vfab is incompletely built: ${file} is missing. Build it again (npm run build).`,
    );
  return { file };
}

function fromWorker(e: WorkerError): Error {
  if (e.svgKind) return new SvgError(e.svgKind, e.message);
  if (e.code) return new VfabError(e.code, e.message);
  return new PlanningFailed('INTERNAL', `Planning failed: ${e.message}`, e.stack);
}

function crashed(err: Error & { code?: string }): PlanningFailed {
  if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new PlanningFailed(
      'INVALID_INPUT',
      'Planning ran out of memory: the drawing is too large to plan here. Simplify it, or split it into several jobs.',
    );
  }
  return new PlanningFailed('INTERNAL', `The planning worker crashed: ${err.message}`, err.stack);
}

interface Parked {
  worker: Worker;
  timer: NodeJS.Timeout;
  /** On 'exit' or 'error' while parked: it is gone, not to be handed out. */
  drop: () => void;
}

const ignore = () => {};

export class PlanPool {
  readonly maxWorkers: number;
  private running = 0;
  private readonly parked: Parked[] = [];
  private readonly turns: (() => void)[] = [];

  constructor(private readonly opts: PlanPoolOptions = {}) {
    this.maxWorkers = opts.maxWorkers ?? Math.max(1, Math.min(2, os.availableParallelism() - 1));
  }

  /** Plans one job in a worker, once one is free. */
  async run(request: PlanRequest, handlers: PlanHandlers): Promise<PlanOutcome> {
    await this.turn(handlers.signal);
    try {
      return await this.runOn(this.take(), request, handlers);
    } finally {
      this.running--;
      this.turns.shift()?.();
    }
  }

  private turn(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.running < this.maxWorkers) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        this.running++;
        resolve();
      };
      const onAbort = () => {
        this.turns.splice(this.turns.indexOf(go), 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.turns.push(go);
    });
  }

  private take(): Worker {
    const warm = this.parked.pop();
    if (!warm) {
      const entry = workerEntry();
      return new Worker(entry.file, {
        execArgv: entry.execArgv,
        resourceLimits: this.opts.resourceLimits,
      });
    }
    clearTimeout(warm.timer);
    warm.worker.off('exit', warm.drop).off('error', warm.drop);
    warm.worker.ref();
    return warm.worker;
  }

  /** Keeps a worker for the next plan; it does not hold the process open meanwhile. */
  private park(worker: Worker): void {
    const drop = () => {
      const i = this.parked.indexOf(parked);
      if (i >= 0) this.parked.splice(i, 1);
    };
    const parked: Parked = {
      worker,
      timer: setTimeout(() => {
        drop();
        void worker.terminate();
      }, this.opts.idleMs ?? 30_000).unref(),
      drop,
    };
    worker.on('exit', drop).on('error', drop);
    worker.unref();
    this.parked.push(parked);
  }

  private runOn(
    worker: Worker,
    request: PlanRequest,
    handlers: PlanHandlers,
  ): Promise<PlanOutcome> {
    const { signal } = handlers;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (reusable: boolean, settle: () => void) => {
        if (settled) return;
        settled = true;
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
        if (reusable) this.park(worker);
        else void worker.on('error', ignore).terminate();
        settle();
      };
      const onMessage = (m: FromWorker) => {
        // A handler that throws ends this run with its error: never an uncaught exception here.
        try {
          switch (m.type) {
            case 'progress':
              return handlers.onProgress?.(m.stage, m.fraction, m.detail);
            case 'drawing':
              handlers.onDrawing(m.facts);
              return worker.postMessage({ type: 'continue' });
            case 'done':
              return finish(true, () => resolve(m.outcome));
            case 'failed':
              return finish(true, () => reject(fromWorker(m.error)));
          }
        } catch (err) {
          finish(false, () => reject(err));
        }
      };
      const onError = (err: Error) => finish(false, () => reject(crashed(err)));
      const onExit = (code: number) =>
        finish(false, () =>
          reject(
            new PlanningFailed(
              'INTERNAL',
              `The planning worker stopped unexpectedly (exit code ${code}).`,
            ),
          ),
        );
      const onAbort = () => finish(false, () => reject(signal!.reason));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.postMessage({ type: 'plan', request });
    });
  }
}

let shared: PlanPool | undefined;

/** The process's pool: every face (CLI, serve, the desktop app) plans through it. */
export function sharedPlanPool(): PlanPool {
  return (shared ??= new PlanPool());
}
