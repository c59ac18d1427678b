import { create } from 'zustand';
import type { SettingsInfo } from '../../../../src-main/api/contract';
import { api, errorText } from '../../client';
import type { Value } from '../settings/fields';

interface SettingsStore {
  settings?: SettingsInfo;
  error?: string;
  open: boolean;
  load(): Promise<void>;
  /** Writes only the keys given: masked secrets shown in the form are never written back. */
  save(values: Record<string, Value>): Promise<boolean>;
  toggle(): void;
}

export const useSettings = create<SettingsStore>((set) => ({
  open: false,
  load: () =>
    api.call('settings.get', {}).then(
      (settings) => set({ settings, error: undefined }),
      (err: unknown) => set({ error: errorText(err) }),
    ),
  async save(values) {
    try {
      set({ settings: await api.call('settings.set', { values }), error: undefined });
      return true;
    } catch (err) {
      set({ error: errorText(err) });
      return false;
    }
  },
  toggle: () => set((s) => ({ open: !s.open })),
}));
