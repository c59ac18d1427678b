import { create } from 'zustand';
import { useSettings } from './settings';

/** Which job's detail panel is open. */
interface DetailStore {
  id?: string;
  show(id: string): void;
  close(): void;
}

export const useDetail = create<DetailStore>((set) => ({
  show(id) {
    // Both take the right-hand side of the window: one at a time.
    useSettings.setState({ open: false });
    set({ id });
  },
  close: () => set({ id: undefined }),
}));
