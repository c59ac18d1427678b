import type { JobCondition } from '../../../../src-main/recovery/classify';
import type { Action } from '../store/jobs';

/** The store's actions, plus two that open a place to decide first: the recovery wizard, the plan settings. */
export type RowAction = Action | 'recover' | 'plan';

export const ACTION_LABEL: Record<RowAction, string> = {
  plan: 'Plan…',
  queue: 'Queue',
  plot: 'Plot',
  continue: 'Continue',
  pause: 'Pause',
  recover: 'Recover…',
  restart: 'Restart',
  abort: 'Abort',
  remove: 'Remove',
};

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
