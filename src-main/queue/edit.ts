/**
 * Putting jobs in the queue and taking them out: READY → QUEUED (at the end, with its target
 * journaled) and QUEUED → READY. Every job named is checked before any changes, so a typo in a
 * list of ten changes nothing. A queued job keeps the target it was queued with: to change it,
 * take it out and queue it again (it then goes to the end), so the journal's one QUEUED entry per
 * stay in the queue stays the whole truth.
 */
import type { Engine } from '../engine';
import { VfabError } from '../errors';
import { saveQueueOrder } from '../jobs/queue';
import { summarizeJournal } from '../jobs/journal';
import { IllegalTransitionError } from '../jobs/states';
import { jobFiles } from '../jobs/workspace';
import { configuredPlotters } from '../plotters/plotters';
import { targetLabel, targetOf, type JobTarget } from './target';

function checkTarget(engine: Engine, target: JobTarget): void {
  if (target === 'any' || !('plotter' in target)) return;
  const names = configuredPlotters(engine.config).map((p) => p.name);
  if (!names.includes(target.plotter))
    throw new VfabError(
      'NOT_FOUND',
      `No plotter named '${target.plotter}'. Plotters in config.yaml: ${names.join(', ')} (vfab list devices).`,
    );
}

/** The target of a queued job's current stay in the queue. */
export function currentTarget(engine: Engine, id: string): JobTarget {
  const last = summarizeJournal(jobFiles(engine.paths.jobsDir, id).journal).lastStateChange;
  return last?.type === 'state_change' && last.to_state === 'QUEUED' ? targetOf(last) : 'any';
}

/**
 * READY → QUEUED for each job, at the end of the queue in the order given. Any other state is the
 * lifecycle table's refusal, naming both states, before any job changes.
 */
export function queueJobs(engine: Engine, ids: readonly string[], target: JobTarget = 'any'): void {
  checkTarget(engine, target);
  for (const id of ids) {
    const state = engine.jobs.state(id);
    if (state !== 'READY') throw new IllegalTransitionError(id, state, 'QUEUED', 'normal');
  }
  for (const id of ids) engine.jobs.transition(id, 'QUEUED', 'queued for plotting', { target });
}

/** Refuses a job already queued, saying how to queue it for another target (the CLI's wording). */
export function refuseRequeue(engine: Engine, ids: readonly string[], target: JobTarget): void {
  for (const id of ids) {
    if (engine.jobs.state(id) !== 'QUEUED') continue;
    throw new VfabError(
      'INVALID_STATE',
      `Job '${id}' is already QUEUED (for ${targetLabel(currentTarget(engine, id))}). To queue it for ${targetLabel(target)}, take it out first: vfab queue remove ${id}, then queue it again (it goes to the end).`,
    );
  }
}

/** QUEUED → READY for each job. */
export function unqueueJobs(engine: Engine, ids: readonly string[]): void {
  for (const id of ids) {
    const state = engine.jobs.state(id);
    if (state !== 'QUEUED')
      throw new VfabError('INVALID_STATE', `Job '${id}' is ${state}, not in the queue.`);
  }
  for (const id of ids) engine.jobs.transition(id, 'READY', 'taken out of the queue');
  saveQueueOrder(engine.paths.jobsDir, engine.store, engine.logger);
}
