import type { IndexedJob } from '../../../../src-main/jobs/store';
import type { JobCondition } from '../../../../src-main/recovery/classify';

/** Plotting now, with a process driving it: ARMED or PLOTTING and not interrupted. */
export function isLive(
  job: Pick<IndexedJob, 'state'>,
  condition: JobCondition | undefined,
): boolean {
  return (job.state === 'ARMED' || job.state === 'PLOTTING') && condition?.kind !== 'interrupted';
}

/**
 * Why Plot is not offered for job `id` now: a plot from this page goes to its one chosen plotter,
 * which is drawing another job. Queue still takes the job, to plot after.
 */
export function plotBlockedBy(
  id: string,
  jobs: readonly IndexedJob[],
  conditions: Record<string, JobCondition>,
): string | undefined {
  const live = jobs.find((j) => j.id !== id && isLive(j, conditions[j.id]));
  return live
    ? `The plotter is drawing ${live.source_name ?? live.id}: Queue this job to plot after it.`
    : undefined;
}
