import { create } from 'zustand';
import type { SystemInfo } from '../../../../src-main/api/contract';
import { api, errorText } from '../../client';

interface SystemStore {
  info?: SystemInfo;
  error?: string;
  refresh(): Promise<void>;
}

export const useSystem = create<SystemStore>((set) => ({
  refresh: () =>
    api.call('system.info', {}).then(
      (info) => set({ info, error: undefined }),
      (err: unknown) => set({ error: errorText(err) }),
    ),
}));
