import { create } from 'zustand';
import { api } from '../../client';

interface Asking {
  plotter: string;
  question: string;
  why: string;
  answer(yes: boolean): void;
}

interface ReadyStore {
  asking?: Asking;
}

export const useReady = create<ReadyStore>(() => ({}));

/**
 * Before a fresh plot of job `id`: when config asks for it (physical_setup.require_confirmation,
 * paper.require_one_per_session), the person confirms paper and first pen, and the server records
 * it. Resolves false when they did not.
 */
export async function confirmReadyFor(id: string, device: string | undefined): Promise<boolean> {
  const ready = await api.call('plotters.ready', { id, ...(device ? { device } : {}) });
  if (!ready.needed) return true;
  const why = ready.needed;
  const yes = await new Promise<boolean>((answer) =>
    useReady.setState({
      asking: { plotter: ready.plotter, question: ready.question, why, answer },
    }),
  );
  useReady.setState({ asking: undefined });
  if (yes) await api.call('plotters.confirmReady', { plotter: ready.plotter });
  return yes;
}
