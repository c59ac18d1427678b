import { create } from 'zustand';
import type { CameraInfo, CameraViewer, Results } from '../../../../src-main/api/contract';
import { api, errorText } from '../../client';

export type Snapshot = Results['camera.snapshot'] & { job?: string };

interface CameraStore {
  info?: CameraInfo;
  error?: string;
  /** Where this face shows the live view; asked each time the panel opens. */
  viewer?: CameraViewer;
  /** The last picture taken from the panel. */
  snapshot?: Snapshot;
  snapshotError?: string;
  taking: boolean;
  /** The panel is open: only then does the page hold a stream connection. */
  open: boolean;
  /** The status, and where the live view is. */
  refresh(): Promise<void>;
  onStatus(info: CameraInfo): void;
  toggle(): void;
  /** With `job`, the picture is also kept in that job's snapshots. */
  takeSnapshot(job: string | undefined): Promise<void>;
}

export const useCamera = create<CameraStore>((set) => ({
  open: false,
  taking: false,
  refresh: () =>
    Promise.all([api.call('camera.status', {}), api.call('camera.viewer', {})]).then(
      ([info, viewer]) => set({ info, viewer, error: undefined }),
      (err: unknown) => set({ error: errorText(err) }),
    ),
  onStatus: (info) => set({ info }),
  toggle: () => set((s) => ({ open: !s.open })),
  async takeSnapshot(job) {
    set({ taking: true, snapshotError: undefined });
    try {
      const picture = await api.call('camera.snapshot', job === undefined ? {} : { id: job });
      set({ snapshot: { ...picture, job } });
    } catch (err) {
      set({ snapshotError: errorText(err) });
    } finally {
      set({ taking: false });
    }
  },
}));
