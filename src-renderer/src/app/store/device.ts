import { create } from 'zustand';
import type { Results } from '../../../../src-main/api/contract';
import { api, errorText } from '../../client';

/** '' plots on the plotter config.yaml names (or the one detected); 'virtual' is the dry-run simulator. */
export type DeviceChoice = string;

interface DeviceStore {
  devices?: Results['devices.list'];
  error?: string;
  device: DeviceChoice;
  /** How much faster than real time a virtual plotter runs; real plotters ignore it. */
  speed: number;
  refresh(): Promise<void>;
  choose(device: DeviceChoice): void;
  setSpeed(speed: number): void;
}

export const useDevice = create<DeviceStore>((set) => ({
  device: '',
  speed: 1,
  refresh: () =>
    api.call('devices.list', {}).then(
      (devices) => set({ devices, error: devices.error ?? undefined }),
      (err: unknown) => set({ error: errorText(err) }),
    ),
  choose: (device) => set({ device }),
  setSpeed: (speed) => set({ speed: Number.isFinite(speed) && speed > 0 ? Math.min(speed, 1000) : 1 }),
}));

/** plot.start / plot.resume parameters for the chosen device. */
export function plotTarget(device: DeviceChoice, speed: number): { device?: string; speed?: number } {
  if (device === 'virtual') return { device, speed };
  return device ? { device } : {};
}
