import { create } from 'zustand';
import type { JobCondition } from '../../../../src-main/recovery/classify';
import { api } from '../../client';

interface RecoveryStore {
  /** The jobs the wizard walks through, in order; empty when it is closed. */
  jobs: JobCondition[];
  /** Jobs the user put off ("Later"): a scan after a reconnect does not push them on the user again. */
  deferred: ReadonlySet<string>;
  /** Asked once at start: interrupted plots (not deliberate pauses) open the wizard by themselves. */
  scanAtStart(): Promise<void>;
  /** A running plot was interrupted just now: its wizard opens (after any already open). */
  openInterrupted(id: string): Promise<void>;
  open(jobs: JobCondition[]): void;
  next(): void;
  close(): void;
}

const needsRecovery = (c: JobCondition) => c.kind === 'interrupted' && c.cause !== 'paused';

export const useRecovery = create<RecoveryStore>((set) => ({
  jobs: [],
  deferred: new Set(),
  async scanAtStart() {
    const { jobs } = await api.call('recovery.scan', {});
    set((s) => {
      const interrupted = jobs.filter((j) => needsRecovery(j) && !s.deferred.has(j.id));
      return interrupted.length && !s.jobs.length ? { jobs: interrupted } : s;
    });
  },
  async openInterrupted(id) {
    const { jobs } = await api.call('recovery.scan', {});
    const c = jobs.find((j) => j.id === id && needsRecovery(j));
    if (c) set((s) => (s.jobs.some((j) => j.id === id) ? s : { jobs: [...s.jobs, c] }));
  },
  open: (jobs) => set({ jobs }),
  next: () => set((s) => ({ jobs: s.jobs.slice(1) })),
  close: () =>
    set((s) => ({ jobs: [], deferred: new Set([...s.deferred, ...s.jobs.map((j) => j.id)]) })),
}));
