import { create } from 'zustand';
import type { EventPayloads } from '../../../../src-main/api/contract';
import { isActive, queueOrder, type JobState } from '../../../../src-main/shared/job-states';
import type { IndexedJob } from '../../../../src-main/jobs/store';
import type { JobCondition } from '../../../../src-main/recovery/classify';
import { api, errorText } from '../../client';
import { confirmReadyFor } from './ready';
import { coalesced } from './coalesce';
import { plotTarget, useDevice } from './device';
import { omit } from './record';

export type Progress = EventPayloads['plot.progress'];
export type Action = 'queue' | 'plot' | 'continue' | 'pause' | 'restart' | 'abort' | 'remove';
export type Filter = JobState | 'ALL';

interface JobsStore {
  jobs: IndexedJob[];
  loaded: boolean;
  error?: string;
  filter: Filter;
  /** Latest plot.progress per job the list shows plotting (ARMED, PLOTTING, PAUSED). */
  progress: Record<string, Progress>;
  /** ARMED, PLOTTING and PAUSED jobs as recovery.scan classifies them. */
  conditions: Record<string, JobCondition>;
  /** The last failed action or plot error per job, shown next to its row. */
  rowErrors: Record<string, string>;
  /** How much faster than real time a virtual plotter started from this page runs: etaS is plotter time at speed 1. */
  speeds: Record<string, number>;
  /** The action in flight per job. */
  busy: Record<string, Action>;
  /** The last move in the queue, for screen readers: which job, and its place now (1 = plots first). */
  moved?: { id: string; place: number; of: number };
  refresh(): Promise<void>;
  setFilter(filter: Filter): void;
  act(id: string, action: Action): Promise<void>;
  /** Moves queued job `id` before queued job `before`, or to the end when null. */
  reorder(id: string, before: string | null): Promise<void>;
  /** Moves queued job `id` one place earlier (-1) or later (1). */
  moveBy(id: string, by: -1 | 1): Promise<void>;
  noteError(id: string, message: string): void;
  noteSpeed(id: string, target: { speed?: number }): void;
  onProgress(p: Progress): void;
  onPlotEvent(e: EventPayloads['plot.event']): void;
  onRemoved(e: EventPayloads['job.removed']): void;
}

async function fetchAll(): Promise<Pick<JobsStore, 'jobs' | 'conditions'>> {
  const [{ jobs }, scan] = await Promise.all([
    api.call('jobs.list', {}),
    api.call('recovery.scan', {}),
  ]);
  return { jobs, conditions: Object.fromEntries(scan.jobs.map((c) => [c.id, c])) };
}

/**
 * Progress of the jobs `jobs` still shows on the plotter. A plot's end is dropped with the list
 * that shows its new state, not on the job.changed before it: in between, a job still PLOTTING
 * without progress would show nothing on paper (the drawing's ink blank, the bar gone).
 */
function plotting(progress: Record<string, Progress>, jobs: readonly IndexedJob[]) {
  const on = new Set(jobs.filter((j) => isActive(j.state)).map((j) => j.id));
  return Object.fromEntries(Object.entries(progress).filter(([id]) => on.has(id)));
}

const queued = (jobs: readonly IndexedJob[]) =>
  jobs.filter((j) => j.state === 'QUEUED').sort(queueOrder);

/**
 * The queue as jobs.reorder answered it, before the refresh brings the stored positions: the
 * queued jobs trade the positions they have, so the scale stays the one the rest of the list uses.
 */
function inQueueOrder(jobs: IndexedJob[], queue: string[]): IndexedJob[] {
  const place = new Map(queue.map((id, i) => [id, i]));
  const positions = jobs
    .filter((j) => place.has(j.id))
    .map((j) => j.queue_position ?? 0)
    .sort((a, b) => a - b);
  // The list is behind the queue (a job queued elsewhere): the refresh on its way will show it.
  if (positions.length !== queue.length) return jobs;
  return jobs.map((j) =>
    place.has(j.id) ? { ...j, queue_position: positions[place.get(j.id)!]! } : j,
  );
}

/** Runs one action; resolves to why it did not get where it should, when the API answers so without failing. */
async function call(id: string, action: Action): Promise<string | null | void> {
  const { device, speed } = useDevice.getState();
  switch (action) {
    case 'queue':
      return void (await api.call('jobs.queue', { id }));
    case 'plot': {
      const target = plotTarget(device, speed);
      if (!(await confirmReadyFor(id, target.device)))
        return 'Not plotted: paper and pen were not confirmed ready.';
      useJobs.getState().noteSpeed(id, target);
      return void (await api.call('plot.start', { id, ...target }));
    }
    case 'continue': {
      // A deliberate pause (pen change, pause button): the plotter held its place, nothing to check first.
      const target = plotTarget(device, speed);
      useJobs.getState().noteSpeed(id, target);
      return void (await api.call('plot.resume', { id, ...target }));
    }
    case 'pause':
      return void (await api.call('plot.pause', { id }));
    case 'restart':
      return void (await api.call('jobs.restart', { id }));
    case 'abort':
      return void (await api.call('plot.abort', { id }));
    case 'remove':
      return void (await api.call('jobs.remove', { id }));
  }
}

export const useJobs = create<JobsStore>((set, get) => ({
  jobs: [],
  loaded: false,
  filter: 'ALL',
  progress: {},
  conditions: {},
  rowErrors: {},
  speeds: {},
  busy: {},

  // Bursts of job.changed (a plot's ARMED → PLOTTING, many drops) collapse into one fetch in flight and one after it.
  refresh: coalesced(() =>
    fetchAll().then(
      (fresh) =>
        set((s) => ({
          ...fresh,
          progress: plotting(s.progress, fresh.jobs),
          loaded: true,
          error: undefined,
        })),
      (err: unknown) => set({ error: errorText(err) }),
    ),
  ),

  setFilter: (filter) => set({ filter }),

  async act(id, action) {
    set((s) => ({ busy: { ...s.busy, [id]: action }, rowErrors: omit(s.rowErrors, id) }));
    try {
      const problem = await call(id, action);
      if (problem) set((s) => ({ rowErrors: { ...s.rowErrors, [id]: problem } }));
    } catch (err) {
      set((s) => ({ rowErrors: { ...s.rowErrors, [id]: errorText(err) } }));
    } finally {
      set((s) => ({ busy: omit(s.busy, id) }));
    }
  },

  async reorder(id, before) {
    set((s) => ({ rowErrors: omit(s.rowErrors, id) }));
    try {
      const { queue } = await api.call('jobs.reorder', { id, before });
      set((s) => ({
        jobs: inQueueOrder(s.jobs, queue),
        moved: { id, place: queue.indexOf(id) + 1, of: queue.length },
      }));
    } catch (err) {
      set((s) => ({ rowErrors: { ...s.rowErrors, [id]: errorText(err) } }));
    }
  },

  moveBy(id, by) {
    const order = queued(get().jobs);
    const at = order.findIndex((j) => j.id === id);
    const to = at + by;
    if (at < 0 || to < 0 || to >= order.length) return Promise.resolve();
    // Before the job now at `to` when moving up; before the one after it when moving down.
    return get().reorder(id, order[by < 0 ? to : to + 1]?.id ?? null);
  },

  noteSpeed: (id, target) => set((s) => ({ speeds: { ...s.speeds, [id]: target.speed ?? 1 } })),

  noteError: (id, message) => set((s) => ({ rowErrors: { ...s.rowErrors, [id]: message } })),

  onProgress: (p) => set((s) => ({ progress: { ...s.progress, [p.id]: p } })),

  onPlotEvent(e) {
    if (e.error) set((s) => ({ rowErrors: { ...s.rowErrors, [e.id]: e.error! } }));
    else if (e.event === 'start' || e.event === 'resume')
      set((s) => ({ rowErrors: omit(s.rowErrors, e.id) }));
  },

  onRemoved(e) {
    set((s) => ({
      jobs: s.jobs.filter((j) => j.id !== e.id),
      progress: omit(s.progress, e.id),
      conditions: omit(s.conditions, e.id),
      rowErrors: omit(s.rowErrors, e.id),
    }));
  },
}));

/** Queued jobs in the order they plot, so the list is the queue; every other view as given. */
export function visibleJobs(jobs: IndexedJob[], filter: Filter): IndexedJob[] {
  if (filter === 'QUEUED') return queued(jobs);
  return filter === 'ALL' ? jobs : jobs.filter((j) => j.state === filter);
}
