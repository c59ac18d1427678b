/**
 * The typed API's one implementation over an `Engine`: the Electron bridge and `vfab serve` both
 * forward `call` and `onEvent` and add nothing. Parameters are checked by the contract before any
 * engine code runs; engine failures come back as ApiError carrying their VfabError code. The
 * handlers live in handlers/, one file per method prefix, over the use cases of app/.
 *
 * Plots started here run in the background, one AbortController each: pause aborts with 'pause',
 * abort with 'abort', and `shutdown(reason)` takes the signal path for every plot (docs/recovery.md,
 * invariant 6: the pen is lifted, `emergency_shutdown` journaled, the job stays resumable), the
 * queue runner's (queue.start) included.
 */
import { startBackupSchedule } from '../backup/auto';
import type { Engine } from '../engine';
import { VfabError } from '../errors';
import type { JobState } from '../jobs/states';
import { onPlotOutcome } from '../notify/notifier';
import { configuredPlotters } from '../plotters/plotters';
import { storageErrorAt } from '../util/storage';
import { cameraInfo, watchCamera } from './camera-status';
import { ApiError, parseParams, type EventName, type EventPayloads } from './contract';
import { createDeviceLinks } from './device-links';
import { createEventHub } from './events';
import { backupHandlers } from './handlers/backup';
import { cameraHandlers } from './handlers/camera';
import type { ApiServiceOptions, Handlers, ServiceParts } from './handlers/context';
import { deviceHandlers } from './handlers/devices';
import { jobHandlers } from './handlers/jobs';
import { plotHandlers } from './handlers/plot';
import { plotterHandlers } from './handlers/plotters';
import { systemHandlers } from './handlers/system';
import { createBackgroundPlots } from './plots';
import { createServiceQueue } from './queue';

export type { ApiServiceOptions } from './handlers/context';

export interface ApiService {
  call(method: string, params: unknown): Promise<unknown>;
  onEvent(listener: <E extends EventName>(name: E, payload: EventPayloads[E]) => void): () => void;
  /** Ids of the jobs this service is plotting now (single plots and the queue runner's). */
  activePlots(): string[];
  /** The quit path: every plot (the queue runner's too) takes the signal path with `reason`; resolves once all have stopped. */
  shutdown(reason: string): Promise<void>;
  /** Stops plots as `shutdown` does, then timers and listeners. The engine stays open: its owner closes it. */
  close(): Promise<void>;
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof VfabError) return new ApiError(err.code, err.message);
  return new ApiError('INTERNAL', `Unexpected error: ${(err as Error)?.message ?? String(err)}`);
}

export function createApiService(engine: Engine, opts: ApiServiceOptions = {}): ApiService {
  const hub = createEventHub((err) =>
    engine.logger.warning(
      `api: an event listener failed: ${(err as Error)?.message ?? String(err)}`,
    ),
  );
  const stopWatchingCamera = watchCamera(
    hub,
    () => cameraInfo(engine, opts.camera),
    opts.cameraPollMs ?? 1000,
  );

  const changed = (id: string) => {
    let state: JobState;
    try {
      state = engine.jobs.state(id);
    } catch {
      return; // removed, or unreadable: jobs.get says why
    }
    hub.emit('job.changed', { id, state });
  };
  const stopWaitMs = opts.stopWaitMs ?? 15_000;
  const links = createDeviceLinks(
    hub,
    () => configuredPlotters(engine.config).map((p) => ({ plotter: p.name, port: p.port })),
    opts.devicePollMs ?? 1000,
  );
  const plots = createBackgroundPlots(engine, hub, changed, {
    progressIntervalMs: opts.progressIntervalMs ?? 100,
    stopWaitMs,
    links,
  });
  const queue = createServiceQueue(engine, hub, changed, { stopWaitMs });
  const plotting = () => [...plots.ids(), ...queue.plotting()];
  // Each outcome once (the notifier's listeners), to every client: the app's notification list.
  const stopOutcomes = onPlotOutcome((o) => hub.emit('notify.outcome', o));

  const backupEveryMs = opts.autoBackupCheckMs ?? 600_000;
  const stopBackups =
    backupEveryMs > 0
      ? startBackupSchedule(engine, {
          everyMs: backupEveryMs,
          // A look soon after start: an app opened once a day still backs up that day.
          firstMs: Math.min(backupEveryMs, 60_000),
          nativeBinding: opts.nativeBinding,
          // The export reads every journal while the runner writes one; it waits for a quiet plotter.
          holdOff: () => (plotting().length ? `plotting ${plotting().join(', ')}` : undefined),
        })
      : () => undefined;

  // Planning runs in a worker while this loop goes on feeding plots and answering; close() stops it.
  const planning = new AbortController();
  const parts: ServiceParts = {
    engine,
    opts,
    hub,
    changed,
    plots,
    queue,
    links,
    plotting,
    planning: planning.signal,
  };
  const handlers: Handlers = {
    ...systemHandlers(parts),
    ...jobHandlers(parts),
    ...plotHandlers(parts),
    ...deviceHandlers(parts),
    ...cameraHandlers(parts),
    ...backupHandlers(parts),
    ...plotterHandlers(parts),
  };

  return {
    async call(method, params) {
      const req = parseParams(method, params);
      try {
        return await (handlers[req.method] as (p: unknown) => unknown)(req.params);
      } catch (err) {
        const apiErr = toApiError(storageErrorAt(err, engine.paths.dataDir) ?? err);
        if (apiErr.code === 'INTERNAL')
          engine.logger.error(`api ${req.method} failed: ${(err as Error)?.stack ?? String(err)}`);
        throw apiErr;
      }
    },
    onEvent: (listener) => hub.on(listener),
    activePlots: plotting,
    shutdown: async (reason) =>
      void (await Promise.all([plots.shutdown(reason), queue.shutdown(reason)])),
    async close() {
      planning.abort(
        new VfabError(
          'BUSY',
          'vfab is closing: planning was stopped and the job keeps its state. Plan it again when vfab runs (vfab plan <job>).',
        ),
      );
      await Promise.all([plots.shutdown('service closed'), queue.shutdown('service closed')]);
      stopOutcomes();
      links.stop();
      stopBackups();
      stopWatchingCamera();
      hub.clear();
    },
  };
}
