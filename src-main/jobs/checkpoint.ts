/**
 * What a job's journal says about its plot so far: the last confirmed-motion checkpoint and the
 * last interruption. Read by the runner (where to continue, whether the carriage position can be
 * trusted) and by crash recovery (what to tell the user).
 */
import { readJournal, type EmergencyShutdownEntry, type JournalEntry } from './journal';

/** What a `progress` journal entry holds. */
export interface Checkpoint {
  /** Index of the last move of the program the plotter has physically completed (−1: none). */
  move: number;
  layer: number | null;
  path: number | null;
  point: number | null;
  /** Absolute step position (motor1, motor2) at the end of that move. */
  steps: [number, number];
  pen_down_mm: number;
  [key: string]: unknown;
}

/**
 * Why a plot stopped without finishing, as written in `emergency_shutdown.reason`:
 * a signal (Ctrl-C, `kill`, logout, the app quitting), the USB link gone, an error reply the run
 * could not continue after, or the plotter's motor supply gone.
 */
export const INTERRUPTION_REASONS = [
  'signal_received',
  'device_lost',
  'device_error',
  'plotter_power_lost',
] as const;
export type InterruptionReason = (typeof INTERRUPTION_REASONS)[number];

/** The journal's plot history since the job last entered QUEUED (a restart starts afresh). */
export interface PlotHistory {
  checkpoint: Checkpoint | undefined;
  /** The last emergency_shutdown after the last state change, if any. */
  interruption: EmergencyShutdownEntry | undefined;
  /** The plotter's motor power was lost since the plot started: step counters mean nothing. */
  powerLost: boolean;
  /** The plot draws only the layers of this number (`vfab plot --layer N`), as ARMED/PLOTTING journaled it. */
  layerOnly: number | undefined;
}

export function plotHistory(entries: readonly JournalEntry[]): PlotHistory {
  let checkpoint: Checkpoint | undefined;
  let interruption: EmergencyShutdownEntry | undefined;
  let powerLost = false;
  let layerOnly: number | undefined;
  for (const e of entries) {
    if (e.type === 'state_change' && e.to_state === 'QUEUED') {
      checkpoint = undefined;
      powerLost = false;
      layerOnly = undefined;
    }
    if (e.type === 'state_change' && (e.to_state === 'ARMED' || e.to_state === 'PLOTTING')) {
      const only = e.metadata?.layer_only;
      layerOnly = typeof only === 'number' ? only : undefined;
    }
    if (e.type === 'state_change') interruption = undefined;
    else if (e.type === 'progress' && typeof e.progress.move === 'number')
      checkpoint = e.progress as Checkpoint;
    else if (e.type === 'emergency_shutdown') {
      interruption = e;
      if (e.reason === 'plotter_power_lost') powerLost = true;
    } else if (e.type === 'recovery' && e.metadata?.position === 'home_confirmed')
      powerLost = false;
  }
  return { checkpoint, interruption, powerLost, layerOnly };
}

export function readPlotHistory(journalPath: string): PlotHistory {
  return plotHistory(readJournal(journalPath).records.map((r) => r.entry));
}
