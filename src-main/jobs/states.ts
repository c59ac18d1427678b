/**
 * The job lifecycle: the one table that decides which state changes are legal.
 * Everything else (journal, store, CLI, UI) asks this module; none keeps its own rules.
 */

import { VfabError } from '../errors';
import { JOB_STATES, TERMINAL_STATES, type JobState } from '../shared/job-states';

// The state lists live in shared/ so that the renderer can load them; the engine asks this module.
export { ACTIVE_STATES, JOB_STATES, TERMINAL_STATES, type JobState } from '../shared/job-states';

/**
 * `normal` transitions are taken by the pipeline and the user's ordinary actions.
 * `restart` transitions leave a terminal or interrupted state and are only taken by an explicit
 * restart, so nothing can silently revive a finished job.
 */
/**
 * States a plot can start from: a fresh job (READY, QUEUED) or one that stopped mid-plot (PAUSED,
 * or left ARMED/PLOTTING by an interruption, continued from its checkpoint).
 */
export const PLOTTABLE_STATES: readonly JobState[] = [
  'READY',
  'QUEUED',
  'ARMED',
  'PAUSED',
  'PLOTTING',
];

/** Refuses a plot of a job in any other state, saying what to do instead (INVALID_STATE). */
export function assertPlottable(id: string, state: JobState): void {
  if (PLOTTABLE_STATES.includes(state)) return;
  const instead = isTerminal(state)
    ? `restart plots a finished one again: vfab restart ${id}`
    : `plan it first: vfab plan ${id}`;
  throw new VfabError(
    'INVALID_STATE',
    `Job '${id}' is ${state}; plotting takes READY, QUEUED, PAUSED or interrupted (ARMED, PLOTTING) jobs (${instead}).`,
  );
}

export type TransitionKind = 'normal' | 'restart';

export interface TransitionRule {
  readonly to: JobState;
  readonly kind: TransitionKind;
  /** Why this edge exists: shown in errors and documentation. */
  readonly why: string;
}

const rule = (to: JobState, why: string, kind: TransitionKind = 'normal'): TransitionRule => ({
  to,
  kind,
  why,
});

export const TRANSITIONS: Readonly<Record<JobState, readonly TransitionRule[]>> = {
  NEW: [
    rule('ANALYZED', 'the SVG was parsed: geometry, layers and warnings are known'),
    rule('FAILED', 'the file is not a plottable SVG'),
    rule('ABORTED', 'the user cancelled the job before analysis'),
  ],
  ANALYZED: [
    rule('OPTIMIZED', 'a plan was computed and stored'),
    rule('FAILED', 'planning failed (e.g. the drawing does not fit the plotter)'),
    rule('ABORTED', 'the user cancelled the job'),
  ],
  OPTIMIZED: [
    rule('READY', 'the plan was checked and estimated'),
    rule('FAILED', 'the plan could not be checked or estimated'),
    rule('ABORTED', 'the user cancelled the job'),
  ],
  READY: [
    rule('QUEUED', 'the user put the job in the plot queue'),
    rule('ANALYZED', 're-plan with other settings (paper, preset)'),
    rule('ABORTED', 'the user cancelled the job'),
  ],
  QUEUED: [
    rule('ARMED', 'pre-flight started: the plotter is being prepared for this job'),
    rule('READY', 'the user took the job out of the queue'),
    rule('ABORTED', 'the user cancelled the job'),
  ],
  ARMED: [
    rule('PLOTTING', 'pre-flight passed and motion started'),
    rule('FAILED', 'pre-flight failed (device missing, firmware unknown, plan does not fit)'),
    rule('QUEUED', 'pre-flight was cancelled before any motion'),
    rule('ABORTED', 'the user cancelled the job'),
    rule('QUEUED', 'restart of a job interrupted during pre-flight', 'restart'),
  ],
  PLOTTING: [
    rule('PAUSED', 'pause button, pause command, layer pause or pen change'),
    rule('COMPLETED', 'every stroke of the plan was drawn'),
    rule('ABORTED', 'the user aborted the plot'),
    rule('FAILED', 'an unrecoverable device or plan error'),
    rule('QUEUED', 'restart of an interrupted plot from the beginning', 'restart'),
  ],
  PAUSED: [
    rule('PLOTTING', 'resume from the last checkpoint'),
    rule('COMPLETED', 'the user marked the drawing complete'),
    rule('ABORTED', 'the user aborted the paused plot'),
    rule('FAILED', 'the device failed while paused'),
    rule('QUEUED', 'restart of a paused plot from the beginning', 'restart'),
  ],
  COMPLETED: [rule('QUEUED', 'plot the finished job again', 'restart')],
  ABORTED: [
    rule('QUEUED', 'restart an aborted job that has a plan', 'restart'),
    rule('NEW', 'restart an aborted job from its source file', 'restart'),
  ],
  FAILED: [
    rule('QUEUED', 'restart a failed plot that has a plan', 'restart'),
    rule('NEW', 'restart a failed job from its source file (re-analyze)', 'restart'),
  ],
};

export function isJobState(value: unknown): value is JobState {
  return typeof value === 'string' && (JOB_STATES as readonly string[]).includes(value);
}

/** State names are accepted in any case (`plotting`, `Plotting`), as the recovery guide types them. */
export function parseJobState(value: string): JobState | undefined {
  const upper = value.trim().toUpperCase();
  return isJobState(upper) ? upper : undefined;
}

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}

export function findRule(
  from: JobState,
  to: JobState,
  kind: TransitionKind,
): TransitionRule | undefined {
  return TRANSITIONS[from].find((r) => r.to === to && r.kind === kind);
}

/** Whether the table has the edge, of either kind: what a journal line may record. */
export function hasEdge(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].some((r) => r.to === to);
}

export function allowedTargets(from: JobState, kind: TransitionKind = 'normal'): JobState[] {
  return [...new Set(TRANSITIONS[from].filter((r) => r.kind === kind).map((r) => r.to))];
}

export class IllegalTransitionError extends VfabError {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly jobId: string,
    readonly from: JobState,
    readonly to: JobState,
    readonly kind: TransitionKind,
  ) {
    const normal = allowedTargets(from, 'normal');
    const restart = allowedTargets(from, 'restart');
    const restartOnly = kind === 'normal' && restart.includes(to);
    super(
      'INVALID_STATE',
      `Job '${jobId}' cannot go from ${from} to ${to}` +
        (restartOnly
          ? `: only an explicit restart can do that (vfab restart ${jobId}).`
          : `. From ${from} it can go to: ${normal.length ? normal.join(', ') : 'nothing (terminal)'}` +
            (restart.length ? `; by restart: ${restart.join(', ')}` : '') +
            '.'),
    );
  }
}

/** Throws IllegalTransitionError unless the table has the edge. */
export function assertTransition(
  jobId: string,
  from: JobState,
  to: JobState,
  kind: TransitionKind = 'normal',
): TransitionRule {
  const found = findRule(from, to, kind);
  if (!found) throw new IllegalTransitionError(jobId, from, to, kind);
  return found;
}
