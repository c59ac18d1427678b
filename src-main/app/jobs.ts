/**
 * What a person may do with a job now, stated once for every face: the CLI, the typed API (so the
 * desktop app and `vfab serve`). Each use case checks the job's state and who plots it, then acts;
 * the faces only parse their input and present the outcome.
 */
import fs from 'node:fs';
import type { Engine } from '../engine';
import { VfabError } from '../errors';
import {
  jobsBeingPlanned,
  planSettings,
  prepareJob,
  type PrepareOptions,
  type PrepareResult,
} from '../jobs/prepare';
import { assertPlottable, type JobState } from '../jobs/states';
import type { PlanSettings } from '../plan/plan-file';
import { classifyJob, type JobCondition } from '../recovery/classify';
import { pauseRequestFile } from './plot-session';

/** Is the job plotted by a process (running or stuck), or interrupted? undefined: neither. */
export function jobCondition(engine: Engine, id: string): JobCondition | undefined {
  return classifyJob(id, {
    jobsDir: engine.paths.jobsDir,
    stuckAfterS: engine.config.recovery.stuck_after_s,
  });
}

/** BUSY when another live vfab process plots the job. */
export function refuseForeignOwner(id: string, c: JobCondition | undefined): void {
  if (!c || c.kind === 'interrupted' || !c.owner) return;
  const o = c.owner.owner;
  throw new VfabError(
    'BUSY',
    `Job '${id}' is being plotted by vfab (pid ${o.pid} on ${o.host}, device ${o.device})${c.kind === 'stuck' ? `, which has made no progress for ${c.silentS} s (stuck)` : ''}: stop that plot first (vfab pause ${id}).`,
  );
}

export interface PlotAdmission {
  state: JobState;
  condition: JobCondition | undefined;
  /** A plot from a fresh sheet: it asks for paper and pen; a paused or interrupted one continues on its sheet. */
  fresh: boolean;
  /** Continuing after a crash or a lost plotter (not a pause): journaled as a recovery. */
  recovery: boolean;
}

/** Only a fresh plot asks for paper and pen: a paused or interrupted one continues on its sheet. */
export function freshPlot(
  engine: Engine,
  id: string,
  condition = jobCondition(engine, id),
): boolean {
  return condition === undefined && engine.jobs.state(id) !== 'PAUSED';
}

/** May the job be plotted (started, or continued) now? */
export function admitPlot(engine: Engine, id: string): PlotAdmission {
  const state = engine.jobs.state(id);
  assertPlottable(id, state);
  const condition = jobCondition(engine, id);
  refuseForeignOwner(id, condition);
  return {
    state,
    condition,
    fresh: freshPlot(engine, id, condition),
    recovery: condition?.kind === 'interrupted' && condition.cause !== 'paused',
  };
}

/** May the job be resumed now? Its condition: paused or interrupted, by nobody else plotted. */
export function admitResume(engine: Engine, id: string): JobCondition {
  const c = jobCondition(engine, id);
  if (!c) {
    const state = engine.jobs.state(id);
    const hint =
      state === 'READY' || state === 'QUEUED'
        ? `it has not started: vfab plot ${id}`
        : `vfab restart ${id} plots it again from the start`;
    throw new VfabError('INVALID_STATE', `Job '${id}' is ${state}, not interrupted; ${hint}.`);
  }
  refuseForeignOwner(id, c);
  return c;
}

/**
 * Asks the process plotting the job (another one: a plot of this process is paused through its
 * own signal) to pause it. `requested` false: it is PAUSED already.
 */
export function requestPause(engine: Engine, id: string): { state: JobState; requested: boolean } {
  const state = engine.jobs.state(id);
  if (state === 'PAUSED') return { state, requested: false };
  const c = jobCondition(engine, id);
  if (state !== 'PLOTTING' || !c || c.kind === 'interrupted')
    throw new VfabError(
      'INVALID_STATE',
      `Job '${id}' is ${state}${c?.kind === 'interrupted' ? ' and interrupted (already stopped): continue it with vfab resume ' + id : ''}; only a running plot can be paused.`,
    );
  fs.writeFileSync(pauseRequestFile(engine.paths.jobsDir, id), `${process.pid}\n`);
  return { state, requested: true };
}

/** Removes a job no process plots or plans; `force` also takes queued, paused and interrupted ones. */
export function removeJob(
  engine: Engine,
  id: string,
  opts: { force?: boolean } = {},
): JobState | undefined {
  if (jobsBeingPlanned().includes(id))
    throw new VfabError('BUSY', `Job '${id}' is being planned; remove it once that has finished.`);
  refuseForeignOwner(id, jobCondition(engine, id));
  return engine.jobs.remove(id, { force: opts.force });
}

/** Aborts a job no process plots now (a plot under way is aborted through its own signal). */
export function abortResting(engine: Engine, id: string): JobState {
  refuseForeignOwner(id, jobCondition(engine, id));
  engine.jobs.transition(id, 'ABORTED', 'the user aborted the job');
  return engine.jobs.state(id);
}

/** Declares a paused or interrupted plot's drawing complete (the person finished it by hand, or is content). */
export function markDone(engine: Engine, id: string): JobState {
  const c = jobCondition(engine, id);
  refuseForeignOwner(id, c);
  const state = engine.jobs.state(id);
  if (state !== 'PAUSED' && !(state === 'PLOTTING' && c?.kind === 'interrupted')) {
    throw new VfabError(
      'INVALID_STATE',
      `Job '${id}' is ${state}; only a paused or interrupted plot can be marked done${state === 'ARMED' ? ' (nothing was drawn yet: restart or abort it)' : ''}.`,
    );
  }
  engine.jobs.transition(id, 'COMPLETED', 'the user marked the drawing complete', {
    checkpoint: c?.checkpoint ?? null,
  });
  return engine.jobs.state(id);
}

/** Planning choices a face may set; the rest comes from config (jobs/prepare.ts, planSettings). */
export interface PlanChoices {
  optimization?: PlanSettings['preset'];
  paper?: string;
  orientation?: PlanSettings['orientation'];
  fit?: PlanSettings['fit'];
  margin?: number;
  simplify?: number;
  minGap?: number;
  cornering?: number;
  autoRotate?: boolean;
  penChange?: PlanSettings['penChange'];
}

/** Plans (or re-plans) a job with config's settings and the face's choices. */
export function planJob(
  engine: Engine,
  id: string,
  choices: PlanChoices,
  run: Pick<PrepareOptions, 'onProgress' | 'pool' | 'signal'> = {},
): Promise<PrepareResult> {
  const settings = planSettings(engine.config, {
    preset: choices.optimization,
    paper: choices.paper,
    orientation: choices.orientation,
    fit: choices.fit,
    marginMm: choices.margin,
    simplifyMm: choices.simplify,
    minGapMm: choices.minGap,
    cornering: choices.cornering,
    autoRotate: choices.autoRotate,
    penChange: choices.penChange,
  });
  return prepareJob({ jobs: engine.jobs, store: engine.store, logger: engine.logger }, id, {
    settings,
    device: engine.config.device,
    ...run,
  });
}
