import { create } from 'zustand';
import type { PlotOutcome } from '../../../../src-main/notify/outcome';

/** The list keeps this many; older ones are in the log. */
const KEEP = 200;

interface NotificationsStore {
  /** Newest first. */
  entries: PlotOutcome[];
  /** Arrived since the list was last looked at. */
  unread: number;
  open: boolean;
  onOutcome(o: PlotOutcome): void;
  toggle(): void;
}

export const useNotifications = create<NotificationsStore>((set) => ({
  entries: [],
  unread: 0,
  open: false,
  // Seen at once while the list is open.
  onOutcome: (o) =>
    set((s) => ({ entries: [o, ...s.entries].slice(0, KEEP), unread: s.open ? 0 : s.unread + 1 })),
  toggle: () => set((s) => ({ open: !s.open, unread: 0 })),
}));
