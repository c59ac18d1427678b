import type { JobCondition } from '../../../../src-main/recovery/classify';
import { ACTIVE_STATES, JOB_STATES, TERMINAL_STATES } from '../../../../src-main/shared/job-states';
import type { Action } from '../store/jobs';

/** The store's actions, plus two that open a place to decide first: the recovery wizard, the plan settings. */
export type RowAction = Action | 'recover' | 'plan';

/** The button's word, and what pressing it does (its tooltip). */
export interface ActionWords {
  label: string;
  title: string;
}

/** States whose plot has not started: stopping such a job is cancelling it, not aborting a plot. */
const NOT_STARTED = new Set<string>(
  JOB_STATES.filter((s) => !ACTIVE_STATES.includes(s) && !TERMINAL_STATES.includes(s)),
);

/**
 * The words for an action in a state, each saying what the API call it makes does there
 * (src-main/jobs/states.ts): plot.abort of a job that never started cancels it; jobs.restart of a
 * finished job plots it again, of a paused one starts it over.
 */
export function actionWords(
  action: RowAction,
  state: string,
  condition?: JobCondition,
): ActionWords {
  switch (action) {
    case 'plan':
      return { label: 'Plan…', title: 'Choose paper, fit and path order, and plan the job again' };
    case 'queue':
      return {
        label: 'Queue',
        title: 'Put the job in the plot queue: the queue plots it on a free plotter',
      };
    case 'plot':
      return { label: 'Plot', title: 'Plot the job now on the plotter chosen above' };
    case 'continue':
      return {
        label: 'Continue',
        title: 'The pen is in: go on plotting from where the plot stopped for it',
      };
    case 'pause':
      return {
        label: 'Pause',
        title: 'Lift the pen and stop after the strokes on their way; resume later from there',
      };
    case 'recover':
      return condition?.kind === 'interrupted' && condition.cause !== 'paused'
        ? {
            label: 'Recover…',
            title:
              'The plot stopped unexpectedly: check the paper, then resume it or start it over',
          }
        : {
            label: 'Resume…',
            title: 'Check the plotter, then continue from where the plot stopped',
          };
    case 'restart':
      if (state === 'COMPLETED')
        return { label: 'Plot again', title: 'Queue the job to plot it again from the beginning' };
      if (state === 'PAUSED')
        return {
          label: 'Start over',
          title:
            'Put the job back in the queue to plot it from the beginning: what is on paper is drawn again',
        };
      return {
        label: 'Restart',
        title:
          'Start the job again: queued again when it has a plan, read and planned again when not',
      };
    case 'abort':
      return NOT_STARTED.has(state)
        ? {
            label: 'Cancel',
            title:
              'Cancel the job before it plots: it stays in the list as ABORTED and can be restarted',
          }
        : {
            label: 'Abort',
            title: 'Stop this plot for good: the pen lifts and the job becomes ABORTED',
          };
    case 'remove':
      return {
        label: 'Remove',
        title: 'Delete the job and its files from vfab (the SVG you added from is not touched)',
      };
  }
}

/** What the state table (src-main/jobs/states.ts) lets the user do from here; a plot nobody runs is recovered, not paused. */
export function actionsFor(state: string, condition: JobCondition | undefined): RowAction[] {
  switch (state) {
    case 'NEW':
    case 'ANALYZED':
    case 'OPTIMIZED':
      return ['plan', 'abort', 'remove'];
    case 'READY':
      return ['plot', 'queue', 'plan', 'remove'];
    case 'QUEUED':
      return ['plot', 'abort'];
    case 'ARMED':
    case 'PLOTTING':
      return condition?.kind === 'interrupted' ? ['recover', 'abort'] : ['pause', 'abort'];
    case 'PAUSED':
      // Stopped at a pen change or layer pause, a step of the plot: one click goes on. The wizard
      // (back-up strokes, carriage home, mark done) stays for interruptions and the pause button.
      return condition?.step ? ['continue', 'restart', 'abort'] : ['recover', 'restart', 'abort'];
    case 'COMPLETED':
    case 'ABORTED':
    case 'FAILED':
      return ['restart', 'remove'];
    default:
      return ['remove'];
  }
}
