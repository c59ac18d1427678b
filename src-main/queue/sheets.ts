/**
 * The sheet on a plotter, as the runner tracks it (in memory only: journals hold the durable half,
 * the `sheet` of each ARMED entry). Unknown when the runner starts or let the plotter go (another
 * process may have plotted there), fresh once a paper change is confirmed, used once a job
 * reached PLOTTING on it. Only a fresh sheet takes a new job: nothing is drawn on a used one.
 */
import type { PaperConfirmation } from './events';

export type SheetState = 'unknown' | 'fresh' | 'used';

/** Before a new job: plot on the sheet, or wait for a paper change first. */
export function beforeNewJob(sheet: SheetState): 'plot' | 'change_paper' {
  return sheet === 'fresh' ? 'plot' : 'change_paper';
}

/** After a job ran on it: used if the job reached PLOTTING (a pre-flight failure leaves no ink). */
export function afterJob(sheet: SheetState, reachedPlotting: boolean): SheetState {
  return reachedPlotting ? 'used' : sheet;
}

/** What the job's ARMED entry journals of the sheet under it. */
export function armedSheetMetadata(confirmedBy: PaperConfirmation): {
  sheet: 'changed' | 'page_delay';
  paper_confirmed_by: PaperConfirmation;
} {
  return {
    sheet: confirmedBy === 'page_delay' ? 'page_delay' : 'changed',
    paper_confirmed_by: confirmedBy,
  };
}
