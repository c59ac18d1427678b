import { create } from 'zustand';
import { useSettings } from './settings';

/** Which job's detail panel is open, and whether it was opened to plan the job again. */
interface DetailStore {
  id?: string;
  planning: boolean;
  show(id: string, focus?: 'plan'): void;
  close(): void;
}

export const useDetail = create<DetailStore>((set) => ({
  planning: false,
  show(id, focus) {
    // Both take the right-hand side of the window: one at a time.
    useSettings.setState({ open: false });
    set({ id, planning: focus === 'plan' });
  },
  close: () => set({ id: undefined, planning: false }),
}));
