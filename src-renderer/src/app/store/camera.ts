import { create } from 'zustand';
import type { CameraInfo } from '../../../../src-main/api/contract';
import { api, errorText } from '../../client';

interface CameraStore {
  info?: CameraInfo;
  error?: string;
  /** The panel is open: only then does the page hold a stream connection. */
  open: boolean;
  refresh(): Promise<void>;
  onStatus(info: CameraInfo): void;
  toggle(): void;
}

export const useCamera = create<CameraStore>((set) => ({
  open: false,
  refresh: () =>
    api.call('camera.status', {}).then(
      (info) => set({ info, error: undefined }),
      (err: unknown) => set({ error: errorText(err) }),
    ),
  onStatus: (info) => set({ info }),
  toggle: () => set((s) => ({ open: !s.open })),
}));
