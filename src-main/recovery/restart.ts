/**
 * `vfab restart <job>`: the job starts over from its plan, back in the queue. Journaled as a
 * restart transition (the history stays); source and plan are kept. A job with no usable plan —
 * the recovery guide's reconstructed journal (`NEW → NEW`), or a failed analysis — is planned
 * again from its source file first, with the settings of its last plan when there was one.
 */
import type { Engine } from '../engine';
import { VfabError } from '../errors';
import { planSettings, prepareJob, type PrepareOptions } from '../jobs/prepare';
import type { JobState } from '../jobs/states';
import { jobFiles } from '../jobs/workspace';
import { readPlanOverview } from '../plan/plan-file';
import { classifyJob } from './classify';

export interface RestartOutcome {
  from: JobState;
  state: JobState;
  reason: string;
}

/** `planning`: the pool and stop signal for a job that must be planned again (see prepareJob). */
export async function restartJob(
  engine: Engine,
  id: string,
  planning: Pick<PrepareOptions, 'pool' | 'signal'> = {},
): Promise<RestartOutcome> {
  const from = engine.jobs.state(id);
  const condition = classifyJob(id, {
    jobsDir: engine.paths.jobsDir,
    stuckAfterS: engine.config.recovery.stuck_after_s,
  });
  if (condition && condition.kind !== 'interrupted') {
    const o = condition.owner!.owner;
    throw new VfabError(
      'BUSY',
      `Job '${id}' is being plotted by vfab (pid ${o.pid} on ${o.host}); stop or pause that plot before restarting it.`,
    );
  }
  const files = jobFiles(engine.paths.jobsDir, id);
  const plan = readPlanOverview(files.plan);
  const done = (state: JobState, reason: string): RestartOutcome => ({ from, state, reason });

  if (from === 'QUEUED') return done('QUEUED', 'already queued; it starts from the beginning');
  if (from === 'READY') {
    engine.jobs.transition(id, 'QUEUED', 'queued for plotting');
    return done('QUEUED', 'queued for plotting');
  }
  const planned = from === 'NEW' || from === 'ANALYZED' || from === 'OPTIMIZED' || !plan;
  if (!planned) {
    const reason = 'restart from the beginning of the plan';
    engine.jobs.transition(
      id,
      'QUEUED',
      reason,
      {
        previous_state: from,
        ...(condition?.checkpoint ? { previous_checkpoint: condition.checkpoint } : {}),
      },
      'restart',
    );
    return done('QUEUED', reason);
  }
  if (
    from !== 'NEW' &&
    from !== 'ANALYZED' &&
    from !== 'OPTIMIZED' &&
    from !== 'FAILED' &&
    from !== 'ABORTED'
  ) {
    throw new VfabError(
      'DATA',
      `Job '${id}' is ${from} but its plan (${files.plan}) is missing or unreadable; remove it and add it again (vfab remove job ${id} --force; vfab add job ${id} <file.svg>).`,
    );
  }
  // A planning step cut short leaves OPTIMIZED, which only goes forward: close it as failed first.
  if (from === 'OPTIMIZED')
    engine.jobs.transition(id, 'FAILED', 'planning was interrupted before the estimate');
  if (from === 'OPTIMIZED' || from === 'FAILED' || from === 'ABORTED')
    engine.jobs.transition(id, 'NEW', 'restart from the source file', {}, 'restart');
  const settings = plan?.settings ?? planSettings(engine.config);
  const prepared = await prepareJob(
    { jobs: engine.jobs, store: engine.store, logger: engine.logger },
    id,
    { settings, device: engine.config.device, ...planning },
  );
  if (prepared.state !== 'READY')
    throw new VfabError(
      'INVALID_STATE',
      `Job '${id}' could not be planned again: ${prepared.error ?? prepared.state}.`,
    );
  engine.jobs.transition(id, 'QUEUED', 'queued for plotting');
  return done('QUEUED', 'planned again from the source file and queued');
}
