import { create } from 'zustand';
import type { PlotterInfo, QueuePreviewInfo, QueueStatus } from '../../../../src-main/api/contract';
import type { RunnerEvent } from '../../../../src-main/queue/events';
import { api, errorText } from '../../client';
import { coalesced } from './coalesce';
import { useJobs } from './jobs';
import { omit } from './record';

export type QueueAssignment = QueuePreviewInfo['jobs'][number];

export type QueueAction = 'start' | 'finish' | 'pause';

/** What the queue controls send with "Start queue". */
export interface StartChoice {
  /** A roll or feeder changes the paper: nobody is waited for. */
  unattended: boolean;
  /** Seconds before each page when unattended. */
  pageDelayS: number;
  /** Keep running when the queue is done, for jobs queued later (until stopped). */
  watch: boolean;
}

interface PlottersStore {
  plotters: PlotterInfo[];
  loaded: boolean;
  error?: string;
  queue?: QueueStatus;
  /** Which plotter takes each queued job (or why none can), and which plotter holds each job on one. */
  assignments: Record<string, QueueAssignment>;
  onPlotter: Record<string, string>;
  choice: StartChoice;
  /** A start or stop in flight. */
  queueBusy?: QueueAction;
  /** Plotters whose paper change is in flight: one plotter's call does not hold back another's. */
  paperBusy: Record<string, true>;
  /** Why the last start, stop or paper change did not happen. */
  actionError?: string;
  refresh(): Promise<void>;
  /** The queue's assignments only: jobs were queued, moved or taken. */
  refreshPreview(): Promise<void>;
  setChoice(choice: Partial<StartChoice>): void;
  start(): Promise<void>;
  stop(mode: 'finish' | 'pause'): Promise<void>;
  paperChanged(plotter: string): Promise<void>;
  onQueueEvent(e: RunnerEvent): void;
}

const previewOf = (p: QueuePreviewInfo) => ({
  assignments: Object.fromEntries(p.jobs.map((j) => [j.id, j])),
  onPlotter: p.onPlotter,
});

export const usePlotters = create<PlottersStore>((set, get) => {
  const fetchPreview = coalesced(() =>
    api.call('queue.preview', {}).then(
      (p) => set(previewOf(p)),
      // The rows then show no plotter; the strip says why the API cannot be reached.
      () => undefined,
    ),
  );

  /** Runs an action between `begin` and `end`; its refusal (BUSY, INVALID_STATE…) is shown beside the controls. */
  const act = async (begin: () => void, end: () => void, run: () => Promise<unknown>) => {
    begin();
    set({ actionError: undefined });
    try {
      await run();
    } catch (err) {
      set({ actionError: errorText(err) });
    } finally {
      end();
      void get().refresh();
    }
  };
  const queueAct = (action: QueueAction, run: () => Promise<unknown>) =>
    act(
      () => set({ queueBusy: action }),
      () => set({ queueBusy: undefined }),
      run,
    );

  return {
    plotters: [],
    loaded: false,
    assignments: {},
    onPlotter: {},
    paperBusy: {},
    choice: { unattended: false, pageDelayS: 15, watch: false },

    refresh: coalesced(() =>
      Promise.all([
        api.call('plotters.list', {}),
        api.call('queue.status', {}),
        api.call('queue.preview', {}),
      ]).then(
        ([{ plotters }, queue, preview]) =>
          set({ plotters, queue, ...previewOf(preview), loaded: true, error: undefined }),
        (err: unknown) => set({ error: errorText(err) }),
      ),
    ),

    refreshPreview: fetchPreview,

    setChoice: (choice) => set((s) => ({ choice: { ...s.choice, ...choice } })),

    start() {
      const { unattended, pageDelayS, watch } = get().choice;
      return queueAct('start', () =>
        api.call('queue.start', {
          ...(unattended ? { unattended, pageDelayS } : {}),
          ...(watch ? { watch } : {}),
        }),
      );
    },

    stop: (mode) => queueAct(mode, () => api.call('queue.stop', { mode })),

    paperChanged: (plotter) =>
      act(
        () => set((s) => ({ paperBusy: { ...s.paperBusy, [plotter]: true } })),
        () => set((s) => ({ paperBusy: omit(s.paperBusy, plotter) })),
        () => api.call('plotters.paperChanged', { plotter }),
      ),

    onQueueEvent(e) {
      switch (e.type) {
        case 'plotter.state':
          if (!get().plotters.some((p) => p.name === e.plotter)) return void get().refresh();
          set((s) => ({
            plotters: s.plotters.map((p) =>
              p.name === e.plotter ? { ...p, state: e.state, inRun: true } : p,
            ),
          }));
          return;
        case 'job.started': {
          // Its ETA is plotter time at speed 1: a virtual plotter at speed 20 is done 20 times sooner.
          const speed = get().plotters.find((p) => p.name === e.plotter)?.speed ?? 1;
          useJobs.getState().noteSpeed(e.job, { speed });
          void fetchPreview();
          return;
        }
        case 'runner.started':
        case 'runner.stopped':
          void get().refresh();
          return;
        default:
          return;
      }
    },
  };
});
