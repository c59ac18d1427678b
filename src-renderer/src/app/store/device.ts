import { create } from 'zustand';
import type { Params, Results } from '../../../../src-main/api/contract';
import { api, errorText } from '../../client';

/** '' plots on the plotter config.yaml names (or the one detected); 'virtual' is the dry-run simulator. */
export type DeviceChoice = string;

/** What the plotter said when last asked (devices.check), for the chosen device. */
export type DeviceCheck =
  | { state: 'idle' }
  | { state: 'checking' }
  | { state: 'ok'; report: Results['devices.check'] }
  | { state: 'failed'; error: string }
  | { state: 'released'; port: string };

interface DeviceStore {
  devices?: Results['devices.list'];
  error?: string;
  device: DeviceChoice;
  /** How much faster than real time a virtual plotter runs; real plotters ignore it. */
  speed: number;
  check: DeviceCheck;
  refresh(): Promise<void>;
  /** Asks the chosen plotter: it answers, its motors have power, its pen is raised. */
  runCheck(): Promise<void>;
  /** Motors off, so the carriage can be pushed by hand. */
  release(): Promise<void>;
  choose(device: DeviceChoice): void;
  setSpeed(speed: number): void;
}

/** Bumped by each request and each change of device: an answer about another choice is dropped. */
let asked = 0;

/** Asks the chosen plotter something; its answer (or why not) becomes `check`. */
function ask<M extends 'devices.check' | 'devices.release'>(
  get: () => DeviceStore,
  set: (s: Partial<DeviceStore>) => void,
  method: M,
  answer: (r: Results[M]) => DeviceCheck,
): Promise<void> {
  const mine = ++asked;
  const { device, speed } = get();
  const { device: target } = plotTarget(device, speed);
  set({ check: { state: 'checking' } });
  return api.call(method, (target ? { device: target } : {}) as Params<M>).then(
    (r) => void (mine === asked && set({ check: answer(r) })),
    (err: unknown) =>
      void (mine === asked && set({ check: { state: 'failed', error: errorText(err) } })),
  );
}

export const useDevice = create<DeviceStore>((set, get) => ({
  device: '',
  speed: 1,
  check: { state: 'idle' },
  refresh: () =>
    api.call('devices.list', {}).then(
      (devices) => set({ devices, error: devices.error ?? undefined }),
      (err: unknown) => set({ error: errorText(err) }),
    ),
  runCheck: () => ask(get, set, 'devices.check', (report) => ({ state: 'ok', report })),
  release: () => ask(get, set, 'devices.release', ({ port }) => ({ state: 'released', port })),
  choose(device) {
    asked++;
    set({ device, check: { state: 'idle' } });
  },
  setSpeed: (speed) =>
    set({ speed: Number.isFinite(speed) && speed > 0 ? Math.min(speed, 1000) : 1 }),
}));

/** plot.start / plot.resume parameters for the chosen device. */
export function plotTarget(
  device: DeviceChoice,
  speed: number,
): { device?: string; speed?: number } {
  if (device === 'virtual') return { device, speed };
  return device ? { device } : {};
}
