import type { Cause } from '../../../../src-main/recovery/classify';

/** The words of src-main/recovery/classify.ts CAUSE_TEXT, for a person at the plotter. */
export const CAUSE_TEXT: Record<Cause, string> = {
  signal_received:
    'vfab was stopped by a signal (Ctrl-C, kill, logout or quit); the pen was lifted',
  device_lost: 'the plotter stopped answering (USB cable, hub, or the plotter was switched off)',
  device_error: 'the plotter rejected a command',
  plotter_power_lost: "the plotter's motor power was lost",
  crash: 'vfab ended without a word (killed, crashed, or the computer lost power)',
  paused: 'the plot was paused',
};

/** After these the carriage may have been moved or its motors released: its position must be confirmed by hand. */
export function mayHaveLostPosition(cause: Cause | undefined, device: string): boolean {
  // Each virtual plotter starts freshly powered, with no idea where its carriage is.
  return cause === 'plotter_power_lost' || cause === 'device_lost' || device === 'virtual';
}
