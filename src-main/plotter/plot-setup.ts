/**
 * What a plot is about to draw, read and checked before the plotter is touched: the job's state,
 * its plan as a motion program, the layers selected and, for a resume, the move it continues after.
 */
import { VfabError } from '../errors';
import { readPlotHistory, type PlotHistory } from '../jobs/checkpoint';
import { readJournal, repairJournal } from '../jobs/journal';
import { assertPlottable, type JobState } from '../jobs/states';
import { jobFiles } from '../jobs/workspace';
import type { Logger } from '../log';
import { planProfile, type MotionProfile } from '../plan/motion';
import { layersToPlot } from '../plan/pens';
import { readPlan, type Plan } from '../plan/plan-file';
import { MoveKind, plotProgram, type MotionProgram } from '../plan/planner';
import { ProgramTable } from './program-table';
import { travelProblem } from './travel';
import type { VfabConfig } from '../config/config';
import type { JobService } from '../jobs/lifecycle';

export interface RunPlotContext {
  jobs: JobService;
  logger: Logger;
  jobsDir: string;
}

/** What a plot is asked to draw (the rest of runner.ts's RunPlotOptions says how). */
export interface PlotRequest {
  profile: MotionProfile;
  device: VfabConfig['device'];
  /** Take the job only if it is QUEUED: anything else means another process took it since the caller looked (BUSY). */
  onlyQueued?: boolean;
  /** Move index of the last checkpoint; default: the journal's last `progress` entry when resuming. */
  resumeFrom?: number;
  /** Resume this many strokes (pen-down paths) before the checkpoint; 1 = redraw the current one whole. */
  backUpStrokes?: number;
  /** Draw only the layers numbered this (`vfab plot --layer N`); journaled, and a resume keeps it. */
  layerOnly?: number;
}

export interface PlotSetup {
  /** The journal's state when the plot was asked for. */
  state: JobState;
  /** PAUSED, PLOTTING or ARMED: the plot continues a journaled one. */
  resuming: boolean;
  history: PlotHistory | undefined;
  /** The plan with only the layers this plot draws. */
  plan: Plan;
  /** Every layer as planned: pauses are numbered in it, as `vfab info job` and the app show them. */
  planned: Plan['layers'];
  /** `layer_only` journal metadata, when the plot draws one layer. */
  only: { layer_only?: number };
  profile: MotionProfile;
  program: MotionProgram;
  table: ProgramTable;
  /** The move already drawn that the plot continues after (−1: from the start). */
  from: number;
}

export function setUpPlot(ctx: RunPlotContext, id: string, opts: PlotRequest): PlotSetup {
  const files = jobFiles(ctx.jobsDir, id);
  const state = ctx.jobs.state(id);
  if (opts.onlyQueued && state !== 'QUEUED')
    throw new VfabError(
      'BUSY',
      `Job '${id}' is ${state} now, no longer QUEUED: another process took it.`,
    );
  // ARMED here means a pre-flight that was interrupted: nothing moved yet, but it is a resume.
  const resuming = state === 'PAUSED' || state === 'PLOTTING' || state === 'ARMED';
  assertPlottable(id, state);
  if (resuming) repairTornTail(ctx.logger, id, files.journal);
  const history = resuming ? readPlotHistory(files.journal) : undefined;
  let plan: Plan;
  try {
    plan = readPlan(files.plan);
  } catch (err) {
    throw new VfabError(
      'DATA',
      `Job '${id}' has no readable plan (${(err as Error).message}); run 'vfab plan ${id}'.`,
    );
  }
  if (resuming && opts.layerOnly !== undefined && opts.layerOnly !== history?.layerOnly) {
    const was =
      history?.layerOnly === undefined ? 'every layer' : `layer ${history.layerOnly} only`;
    throw new VfabError(
      'INVALID_STATE',
      `Job '${id}' is plotting ${was}; a resume continues that selection. Resume without --layer, or 'vfab restart ${id}' and plot it with --layer ${opts.layerOnly}.`,
    );
  }
  const layerOnly = resuming ? history?.layerOnly : opts.layerOnly;
  const planned = plan.layers;
  plan = { ...plan, layers: layersToPlot(planned, layerOnly, id) };
  const profile = planProfile(opts.profile, plan.settings.cornering);
  const program = plotProgram(plan.layers, profile);
  const table = new ProgramTable(program);
  const beyond = travelProblem(table, opts.device.model);
  if (beyond)
    throw new VfabError(
      'INVALID_INPUT',
      `Job '${id}' ${beyond}; nothing was sent. Plan it for this plotter (vfab plan ${id}), or plot it on a larger one.`,
    );
  return {
    state,
    resuming,
    history,
    plan,
    planned,
    only: layerOnly === undefined ? {} : { layer_only: layerOnly },
    profile,
    program,
    table,
    from: resuming ? resumeMove(id, table, history, opts) : -1,
  };
}

/** The move a resume continues after: the last checkpoint's (or the caller's), backed up if asked. */
function resumeMove(
  id: string,
  table: ProgramTable,
  history: PlotHistory | undefined,
  opts: PlotRequest,
): number {
  const n = table.program.length;
  const last = opts.resumeFrom === undefined ? history?.checkpoint : undefined;
  const from = opts.resumeFrom ?? last?.move ?? -1;
  if (!(Number.isInteger(from) && from >= -1 && from < n)) {
    throw new VfabError(
      'DATA',
      `Job '${id}': checkpoint move ${from} is not in its plan of ${n} moves; restart it with 'vfab restart ${id}'.`,
    );
  }
  // The program is re-planned from plan.json and config: a checkpoint only means something if
  // it lands where it was taken (a change of speed or pen settings re-times every move).
  const at = table.positionAt(from);
  if (last && Array.isArray(last.steps) && (last.steps[0] !== at[0] || last.steps[1] !== at[1])) {
    throw new VfabError(
      'DATA',
      `Job '${id}': its checkpoint (move ${from} at steps ${last.steps.join(',')}) does not match the plan as planned now (steps ${at.join(',')}); ` +
        `were the device speed or pen settings changed since it started? Restore them to resume, or 'vfab restart ${id}'.`,
    );
  }
  return opts.backUpStrokes && opts.backUpStrokes > 0
    ? backUpFrom(table.program, from, opts.backUpStrokes)
    : from;
}

/**
 * The move to resume after when backing up `strokes` pen-down paths from checkpoint move `from`:
 * just before the PenDown of the stroke `from` is in (or last finished), `strokes − 1` more back.
 * The carriage then travels pen up to that stroke's start and draws it whole.
 */
export function backUpFrom(p: MotionProgram, from: number, strokes: number): number {
  if (strokes <= 0) return from;
  let k = from;
  for (let left = strokes; left > 0; left--) {
    while (k >= 0 && p.kind[k] !== MoveKind.PenDown) k--;
    if (k < 0) return -1;
    if (left > 1) k--;
  }
  return k - 1;
}

/**
 * A crash mid-append leaves a torn last line: an entry that never completed, so it never happened.
 * Cut it (the original is kept beside the journal) before appending again would bury it mid-file.
 */
function repairTornTail(logger: Logger, id: string, journal: string): void {
  if (!readJournal(journal).problems.some((p) => p.kind === 'torn_tail')) return;
  const fixed = repairJournal(journal);
  logger.warning(
    `the journal's last line was torn by the crash; removed it (original kept as ${fixed.backupPath ?? 'n/a'})`,
    id,
  );
}
