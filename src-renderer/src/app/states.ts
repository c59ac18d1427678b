import type { JobState } from '../../../src-main/jobs/states';

// A record, not a list: the type checker then insists on every state src-main knows, and the renderer imports no engine code.
const ORDER: Record<JobState, number> = {
  NEW: 0,
  ANALYZED: 1,
  OPTIMIZED: 2,
  READY: 3,
  QUEUED: 4,
  ARMED: 5,
  PLOTTING: 6,
  PAUSED: 7,
  COMPLETED: 8,
  ABORTED: 9,
  FAILED: 10,
};

export const STATES = (Object.keys(ORDER) as JobState[]).sort((a, b) => ORDER[a] - ORDER[b]);
