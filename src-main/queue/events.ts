/**
 * What the queue runner tells its faces (CLI, app, `vfab serve`, notifications): one typed union,
 * delivered through `QueueRunner.subscribe`. Every event carries its time (`at`, ISO) and names
 * its plotter; job events name the job, its state afterwards and how long the run took.
 */
import type { JobState } from '../jobs/states';
import type { InterruptionReason } from '../jobs/checkpoint';
import type { PlotProgress } from '../plotter/runner';
import type { PlotterState } from '../plotters/state';

/** How a fresh sheet was confirmed: the plotter's PRG button, Enter in the CLI, the app's button, or the unattended page delay. */
export type PaperConfirmation = 'button' | 'enter' | 'app' | 'page_delay';

/** One line about a plotter, for lists and notifications. */
export interface PlotterSummary {
  name: string;
  port: string | null;
  model: string;
  /** The sheet loaded, as config.yaml says; null: any. */
  paper: string | null;
}

interface Base {
  /** ISO time of the event. */
  at: string;
}

interface JobEnd extends Base {
  plotter: string;
  job: string;
  state: JobState;
  /** Seconds from the start of this run of the job (pre-flight included) to its end. */
  durationS: number;
  /** The camera's last snapshot of the job, when there is one. */
  snapshot?: string;
}

export type RunnerEvent =
  | (Base & { type: 'runner.started'; plotters: PlotterSummary[]; unattended: boolean })
  | (Base & { type: 'plotter.state'; plotter: string; state: PlotterState })
  /** At most a few a second per plotter. */
  | (Base & { type: 'plot.progress'; plotter: string; job: string; progress: PlotProgress })
  | (Base & {
      type: 'paper.waiting';
      plotter: string;
      next: string;
      how: 'person' | 'page_delay';
      delayS?: number;
    })
  | (Base & { type: 'paper.changed'; plotter: string; how: PaperConfirmation })
  /** `sheet`: how the sheet under it was confirmed; 'same' when an interrupted job continues on its own sheet. */
  | (Base & {
      type: 'job.started';
      plotter: string;
      job: string;
      resumed: boolean;
      sheet: PaperConfirmation | 'same';
    })
  | (JobEnd & { type: 'job.completed' })
  /** Paused on the plotter (a pen change, the pause button, vfab pause): the plotter holds it until a person resumes it. */
  | (JobEnd & { type: 'job.paused'; reason: string })
  /** `state` is FAILED when its pre-flight failed, or the state it was left in when it could not start at all. */
  | (JobEnd & { type: 'job.failed'; error: string })
  /** Stopped mid-plot: the job stays PLOTTING and resumes from its checkpoint. */
  | (JobEnd & { type: 'job.interrupted'; reason: InterruptionReason; error: string })
  | (Base & { type: 'runner.stopped'; reason: RunnerStopReason; left: LeftJob[] });

export type RunnerEventType = RunnerEvent['type'];

/** Why a run ended: nothing left it can plot, `stop()`, or a signal (SIGINT, SIGTERM, SIGHUP). */
export type RunnerStopReason = 'done' | 'stopped' | 'signal';

/** A queued job the run ended without plotting, and why. */
export interface LeftJob {
  job: string;
  reason: string;
}
