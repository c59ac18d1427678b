/**
 * What a plot's end (or a plotter waiting for its next sheet) tells people: the event the notifier
 * takes from every face (plot session, queue runner) and hands to the log, the webhook and the
 * desktop. Pure: no files, no network.
 */
import type { OutcomeKind } from '../config/config';
import type { JobState } from '../jobs/states';
import type { RunPlotResult } from '../plotter/runner';

export interface PlotOutcome {
  kind: OutcomeKind;
  /** The job plotted; for waiting_for_paper, the one that plots on the fresh sheet. */
  job: string | null;
  /** The plotter's name (a nickname, a port, `virtual`), when known. */
  plotter: string | null;
  /** The job's state after the event. */
  state: JobState | null;
  /** Plotting time of this run, seconds; null when nothing was plotted. */
  duration_s: number | null;
  /** The job's last camera snapshot of this run (a path under the job's snapshots/). */
  snapshot: string | null;
  /** Why: the error of a failure or interruption. */
  reason?: string;
  /** When it happened (ISO). */
  at: string;
}

/** An outcome with the fields not given left null and `at` now. */
export function plotOutcome(
  kind: OutcomeKind,
  fields: Partial<Omit<PlotOutcome, 'kind'>> = {},
): PlotOutcome {
  return {
    kind,
    job: null,
    plotter: null,
    state: null,
    duration_s: null,
    snapshot: null,
    at: new Date().toISOString(),
    ...fields,
  };
}

/** What a plot run's result tells, or null (paused, aborted: the person at the plotter did that). */
export function outcomeOfResult(
  result: RunPlotResult,
): { kind: OutcomeKind; reason?: string } | null {
  switch (result.state) {
    case 'COMPLETED':
      return { kind: 'completed' };
    case 'FAILED':
      return { kind: 'failed', ...(result.error ? { reason: result.error } : {}) };
    case 'PLOTTING':
      return { kind: 'interrupted', reason: result.error };
    default:
      return null;
  }
}

type OutcomeLevel = 'INFO' | 'WARNING' | 'ERROR';

/**
 * An interruption already has its ERROR line, the runner's `emergency_shutdown`, and the recovery
 * guide's crash_analysis.sh counts every ERROR line as a crash: its notification is a WARNING, so
 * one interruption stays one crash.
 */
const LEVEL: Record<OutcomeKind, OutcomeLevel> = {
  completed: 'INFO',
  waiting_for_paper: 'WARNING',
  interrupted: 'WARNING',
  failed: 'ERROR',
};

/** The log line of an outcome (the logger adds time, level and `job <id>: `). */
export function outcomeLogLine(o: PlotOutcome): { level: OutcomeLevel; message: string } {
  const on = o.plotter ? ` on ${o.plotter}` : '';
  const took = o.duration_s !== null ? ` after ${o.duration_s} s of plotting` : '';
  const why = o.reason ? `: ${o.reason}` : '';
  const message =
    o.kind === 'waiting_for_paper'
      ? `plotter ${o.plotter ?? '?'} is waiting for paper${why}`
      : o.kind === 'completed'
        ? `plot completed${on}${took}`
        : `plot ${o.kind}${on}${took}${why}`;
  return { level: LEVEL[o.kind], message };
}
