/**
 * The order jobs are listed in as a queue. Dependency-free (types only), so the app's page uses
 * the very same rule as `vfab info queue`.
 */
import type { JobState } from './states';
import type { IndexedJob } from './store';

/** What is on the plotter first, then the queue by position, then jobs still being prepared. */
const QUEUE_RANK: Partial<Record<JobState, number>> = { PLOTTING: 0, PAUSED: 1, ARMED: 2, QUEUED: 3, READY: 4, OPTIMIZED: 5, ANALYZED: 6, NEW: 7 };

export function queueOrder(a: IndexedJob, b: IndexedJob): number {
  const rank = (j: IndexedJob) => QUEUE_RANK[j.state as JobState] ?? 99;
  return rank(a) - rank(b) || (a.queue_position ?? 0) - (b.queue_position ?? 0) || a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id);
}
