import { create } from 'zustand';
import type { DeviceLink } from '../../../../src-main/api/contract';
import { api } from '../../client';

interface LinksStore {
  /** The plotters the server has lost, as it tells every tab. */
  lost: DeviceLink[];
  refresh(): Promise<void>;
  onStatus(e: { plotters: DeviceLink[] }): void;
}

export const useLinks = create<LinksStore>((set) => ({
  lost: [],
  refresh: () =>
    api.call('devices.status', {}).then(
      ({ plotters }) => set({ lost: plotters }),
      // The server itself is gone: the banner says that instead.
      () => undefined,
    ),
  onStatus: ({ plotters }) => set({ lost: plotters }),
}));
