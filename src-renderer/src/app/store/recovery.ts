import { create } from 'zustand';
import type { JobCondition } from '../../../../src-main/recovery/classify';
import { api } from '../../client';

interface RecoveryStore {
  /** The jobs the wizard walks through, in order; empty when it is closed. */
  jobs: JobCondition[];
  /** Asked once at start: interrupted plots (not deliberate pauses) open the wizard by themselves. */
  scanAtStart(): Promise<void>;
  open(jobs: JobCondition[]): void;
  next(): void;
  close(): void;
}

export const useRecovery = create<RecoveryStore>((set) => ({
  jobs: [],
  async scanAtStart() {
    const { jobs } = await api.call('recovery.scan', {});
    const interrupted = jobs.filter((c) => c.kind === 'interrupted' && c.cause !== 'paused');
    if (interrupted.length) set({ jobs: interrupted });
  },
  open: (jobs) => set({ jobs }),
  next: () => set((s) => ({ jobs: s.jobs.slice(1) })),
  close: () => set({ jobs: [] }),
}));
