import { create } from 'zustand';

export interface ConfirmRequest {
  title: string;
  body: string;
  /** The confirming button's words: what happens ("Abort job"), never "OK". */
  confirm: string;
}

interface ConfirmStore {
  open?: ConfirmRequest & { answer(ok: boolean): void };
  /** Resolves true when the person confirms; false on Cancel, Escape, or another question asked meanwhile. */
  ask(request: ConfirmRequest): Promise<boolean>;
}

export const useConfirm = create<ConfirmStore>((set, get) => ({
  ask(request) {
    get().open?.answer(false);
    return new Promise<boolean>((resolve) => {
      const answer = (ok: boolean) => {
        set((s) => (s.open?.answer === answer ? { open: undefined } : s));
        resolve(ok);
      };
      set({ open: { ...request, answer } });
    });
  },
}));
