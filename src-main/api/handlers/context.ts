/**
 * What every group of API handlers shares: the engine, the service's options, the event hub and
 * the service's own plots, queue and plotter links. Each group (one file per method prefix) is a
 * function of this, so service.ts only assembles them.
 */
import type { Engine } from '../../engine';
import { VfabError } from '../../errors';
import { jobFiles } from '../../jobs/workspace';
import type { CameraViewer, MethodName, Params, Results } from '../contract';
import type { DeviceLinks } from '../device-links';
import type { EventHub } from '../events';
import type { BackgroundPlots } from '../plots';
import type { ServiceQueue } from '../queue';
import type { CameraClient } from '../../camera/client';
import type { PlanPool } from '../../plan/worker-pool';

export type Handler<M extends MethodName> = (p: Params<M>) => Results[M] | Promise<Results[M]>;

export type Handlers = { [M in MethodName]: Handler<M> };

/** The handlers of the methods named `<prefix>.…`. */
export type HandlersFor<Prefix extends string> = {
  [M in MethodName as M extends `${Prefix}.${string}` ? M : never]: Handler<M>;
};

export interface ApiServiceOptions {
  /** Where backups are imported to (VFAB_CONFIG, VFAB_DATA_DIR); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The Electron shell's better-sqlite3 build, for engines the service opens itself (after an import). */
  nativeBinding?: string;
  /** The process's camera client; default the shared client for config camera.url when the camera is enabled. */
  camera?: CameraClient | null;
  /** Shortest interval between two plot.progress events of one job; default 100 ms (≤ 10/s). */
  progressIntervalMs?: number;
  /** How often configured plotter ports are looked at for device.status events; default 1000 ms. */
  devicePollMs?: number;
  /** How often the camera's state is looked at for camera.status events; default 1000 ms. */
  cameraPollMs?: number;
  /** How long pause and abort wait for the plot to let go before answering; default 15 s. */
  stopWaitMs?: number;
  /** How often scheduled backups (backups.auto) are looked at; default 10 min, 0: never. */
  autoBackupCheckMs?: number;
  /** Where this face relays the live camera view; asked at each camera.viewer call. */
  cameraViewer?: () => CameraViewer;
  /** Where this face relays the view of a plotter's own camera (`camera:` in its devices: entry). */
  plotterCamera?: (plotter: string) => CameraViewer;
  /** The planning workers; default the process's shared pool. */
  planPool?: PlanPool;
}

export interface ServiceParts {
  engine: Engine;
  opts: ApiServiceOptions;
  hub: EventHub;
  /** Announces a job's new state (job.changed); quiet for a job that is gone. */
  changed(id: string): void;
  plots: BackgroundPlots;
  queue: ServiceQueue;
  links: DeviceLinks;
  /** Every job this service plots now: single plots and the queue runner's. */
  plotting(): string[];
  /** Aborted when the service closes: planning under way stops and its job keeps its state. */
  planning: AbortSignal;
}

/** A job's snapshots folder; NOT_FOUND for a job that is not there. */
export function snapshotsDir(engine: Engine, id: string): string {
  engine.jobs.state(id);
  return jobFiles(engine.paths.jobsDir, id).snapshots;
}

/** BUSY while this service plots: its plot holds the port, and opening it again would talk over the runner. */
export function refuseWhilePlotting(parts: ServiceParts, what: string): void {
  const busy = parts.plotting();
  if (busy.length)
    throw new VfabError(
      'BUSY',
      `Plotting ${busy.join(', ')} now; ${what} is for a plotter at rest.`,
    );
}
