/** A plotter's state as the queue runner that drives it sees it, shared with whoever shows it. */
import type { JobState } from '../jobs/states';

/** What a plotter is doing, as its runner sees it. */
export type PlotterState =
  /** Nothing to do for it now (its port is closed: another process may use it). */
  | { kind: 'idle' }
  /** Its port is being opened. */
  | { kind: 'connecting' }
  /** It has work, and its sheet must be changed first: by a person, or by the page delay (`--unattended`). */
  | { kind: 'waiting_paper'; next: string; how: 'person' | 'page_delay'; since: string }
  | { kind: 'plotting'; job: string; resumed: boolean; fraction: number }
  /** Its sheet holds a job that waits for a person: paused (a pen change), or interrupted with the carriage position lost. */
  | { kind: 'holding'; job: string; state: JobState; why: string }
  /** Not found, or in use by another process; retried while there is work for it. */
  | { kind: 'offline'; reason: string };

export type PlotterStateKind = PlotterState['kind'];
