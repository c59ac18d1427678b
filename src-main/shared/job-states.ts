/**
 * The job states and the plot queue's order: jobs/states.ts builds the transition table on these,
 * jobs/queue.ts stores the order, and the renderer shows both.
 */

/** In the order a job goes through them: lists and filters show them so. */
export const JOB_STATES = [
  'NEW',
  'ANALYZED',
  'OPTIMIZED',
  'READY',
  'QUEUED',
  'ARMED',
  'PLOTTING',
  'PAUSED',
  'COMPLETED',
  'ABORTED',
  'FAILED',
] as const;

export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_STATES: readonly JobState[] = ['COMPLETED', 'ABORTED', 'FAILED'];

/** States in which the plotter may hold ink on paper for this job: a crash here needs recovery. */
export const ACTIVE_STATES: readonly JobState[] = ['ARMED', 'PLOTTING', 'PAUSED'];

/** Whether a state (as the index stores it, a plain string) is one of ACTIVE_STATES. */
export const isActive = (state: string): boolean => ACTIVE_STATES.includes(state as JobState);

/** What is on the plotter first, then the queue by position, then jobs still being prepared. */
const QUEUE_RANK: Partial<Record<JobState, number>> = {
  PLOTTING: 0,
  PAUSED: 1,
  ARMED: 2,
  QUEUED: 3,
  READY: 4,
  OPTIMIZED: 5,
  ANALYZED: 6,
  NEW: 7,
};

/** The fields of an indexed job (jobs/store.ts IndexedJob) the queue order reads. */
export interface QueuePlace {
  id: string;
  state: string;
  queue_position: number | null;
  created_at: string;
}

export function queueOrder(a: QueuePlace, b: QueuePlace): number {
  const rank = (j: QueuePlace) => QUEUE_RANK[j.state as JobState] ?? 99;
  return (
    rank(a) - rank(b) ||
    (a.queue_position ?? 0) - (b.queue_position ?? 0) ||
    a.created_at.localeCompare(b.created_at) ||
    a.id.localeCompare(b.id)
  );
}
