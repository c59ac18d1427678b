import { create } from 'zustand';

/** Which job's detail panel is open. */
interface DetailStore {
  id?: string;
  show(id: string): void;
  close(): void;
}

export const useDetail = create<DetailStore>((set) => ({
  show: (id) => set({ id }),
  close: () => set({ id: undefined }),
}));
