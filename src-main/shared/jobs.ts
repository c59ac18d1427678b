/**
 * The job states and names every part of vfab agrees on: the main process, the preload and the
 * renderer import them from here. Nothing in shared/ imports anything (no Node built-in, no other
 * folder), so the sandboxed preload and the browser bundle can hold it.
 */

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

/**
 * States of a plot that has started: the plotter may hold ink on paper for this job, a process
 * owns it while it runs, and a crash here needs recovery.
 */
export const ACTIVE_STATES: readonly JobState[] = ['ARMED', 'PLOTTING', 'PAUSED'];

/** States before a plot started: stopping such a job cancels it, nothing is on paper. */
export const UNSTARTED_STATES: readonly JobState[] = [
  'NEW',
  'ANALYZED',
  'OPTIMIZED',
  'READY',
  'QUEUED',
];

/** A job id: a file-name-safe word (it names the job's folder), 1–128 characters. */
export const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A camera snapshot's file name in a job's snapshots folder (camera/snapshots.ts writes them). */
export const SNAPSHOT_NAME = /^(latest|\d{8}T\d{6}-[a-z_]+(-\d+)?)\.jpg$/;
