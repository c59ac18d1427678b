/**
 * The typed API's one implementation over an `Engine`: the Electron bridge and `vfab serve` both
 * forward `call` and `onEvent` and add nothing. Parameters are checked by the contract before any
 * engine code runs; engine failures come back as ApiError carrying their VfabError code.
 *
 * Plots started here run in the background, one AbortController each: pause aborts with 'pause',
 * abort with 'abort', and `shutdown(reason)` takes the signal path for every plot (docs/recovery.md,
 * invariant 6: the pen is lifted, `emergency_shutdown` journaled, the job stays resumable), the
 * queue runner's (queue.start) included.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backupDir, listBackups, runAutoBackupIfDue, startBackupSchedule } from '../backup/auto';
import { exportSystem } from '../backup/export';
import { importSystem, recoverInterruptedImportIfIdle } from '../backup/import';
import { probeCamera } from '../camera/check';
import { sharedCameraClient, type CameraClient } from '../camera/client';
import { writeFileAtomicAsync } from '../camera/file';
import { cameraSource } from '../camera/settings';
import { listSnapshots, readSnapshot, snapshotFile } from '../camera/snapshots';
import { redactUrl } from '../camera/stream';
import { loadConfig, updateConfigFile, type VfabConfig } from '../config/config';
import { openEngine, type Engine } from '../engine';
import { VfabError } from '../errors';
import { addCopies, copyIds } from '../jobs/copies';
import { jobsBeingPlanned, planSettings, prepareJob } from '../jobs/prepare';
import { assertPlottable, JOB_STATES, type JobState } from '../jobs/states';
import { reorderQueue } from '../jobs/queue';
import { queueJobs } from '../queue/edit';
import { parseModel } from '../queue/target';
import { jobFiles } from '../jobs/workspace';
import { readPlan, readPlanOverview } from '../plan/plan-file';
import type { PlanPool } from '../plan/worker-pool';
import { listEbbPorts, usbNickname } from '../plotter/devices';
import { movePen, preflightDevice, releaseMotors } from '../plotter/preflight';
import { sendCarriageHome } from '../app/home';
import { pauseRequestFile, plotterForJob, refuseHeldCarriage } from '../app/plot-session';
import { classifyJob, classifyJobs, type JobCondition } from '../recovery/classify';
import { restartJob } from '../recovery/restart';
import { refuseNonSvg } from '../svg/upload';
import { storageErrorAt } from '../util/storage';
import { VERSION } from '../version';
import { onPlotOutcome } from '../notify/notifier';
import { redactWebhookUrl } from '../notify/webhook';
import { configuredPlotters, plotterFor, plottersNamed } from '../plotters/plotters';
import {
  asksReady,
  confirmReady,
  forgetReady,
  readyNeeded,
  readyQuestion,
  refuseUnready,
  sheetUsed,
} from '../plotters/ready';
import { queuePreview } from '../queue/preview';
import { QueueReader } from '../queue/queued';
import { previewBackup } from './backup-preview';
import { planPreview } from '../plan/preview';
import { jobThumbnail } from '../plan/thumbnail-file';
import { cameraInfo, watchCamera, withoutAddress } from './camera-status';
import {
  ApiError,
  MAX_UPLOAD_BYTES,
  parseParams,
  type EventName,
  type EventPayloads,
  type CameraViewer,
  type MethodName,
  type Params,
  type PlanOutcome,
  type Results,
  type SettingsInfo,
} from './contract';
import { createDeviceLinks } from './device-links';
import { createEventHub } from './events';
import { listPlotters } from './plotters';
import { createBackgroundPlots } from './plots';
import { createServiceQueue } from './queue';

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

/** How long camera.snapshot waits for a frame when none is fresh (the camera may be connecting). */
const SNAPSHOT_WAIT_MS = 3_000;
const FRESH_FRAME_MS = 1_000;

type Handlers = { [M in MethodName]: (p: Params<M>) => Results[M] | Promise<Results[M]> };

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof VfabError) return new ApiError(err.code, err.message);
  return new ApiError('INTERNAL', `Unexpected error: ${(err as Error)?.message ?? String(err)}`);
}

function maskSecrets(config: VfabConfig): VfabConfig {
  return {
    ...config,
    camera: { ...config.camera, url: redactUrl(config.camera.url) },
    websocket: {
      ...config.websocket,
      api_key: config.websocket.api_key === null ? null : '********',
    },
    notify: { ...config.notify, webhook_url: redactWebhookUrl(config.notify.webhook_url) },
  };
}

function tailLines(file: string, count: number): string[] {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    // Log lines are short: 512 bytes a line on average is plenty, and bounds the read.
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, count * 512 + 1);
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, size - length);
    const lines = buf.toString('utf8').split('\n').filter(Boolean);
    if (length < size) lines.shift();
    return lines.slice(-count);
  } finally {
    fs.closeSync(fd);
  }
}

export function createApiService(engine: Engine, opts: ApiServiceOptions = {}): ApiService {
  const env = opts.env ?? process.env;
  const hub = createEventHub((err) =>
    engine.logger.warning(
      `api: an event listener failed: ${(err as Error)?.message ?? String(err)}`,
    ),
  );
  const currentCamera = () => cameraInfo(engine, opts.camera);
  const stopWatchingCamera = watchCamera(hub, currentCamera, opts.cameraPollMs ?? 1000);

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
  /** Every job this service plots now: single plots and the queue runner's. */
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

  const conditionOf = (id: string): JobCondition | undefined =>
    classifyJob(id, {
      jobsDir: engine.paths.jobsDir,
      stuckAfterS: engine.config.recovery.stuck_after_s,
    });

  /** Only a fresh plot asks for paper and pen: a paused or interrupted one continues on its sheet. */
  const freshPlot = (id: string) =>
    conditionOf(id) === undefined && engine.jobs.state(id) !== 'PAUSED';

  const refuseForeignOwner = (id: string, c: JobCondition | undefined) => {
    if (!c || c.kind === 'interrupted' || !c.owner) return;
    const o = c.owner.owner;
    throw new VfabError(
      'BUSY',
      `Job '${id}' is being plotted by vfab (pid ${o.pid} on ${o.host}, device ${o.device})${c.kind === 'stuck' ? `, which has made no progress for ${c.silentS} s (stuck): stop that process first` : ''}.`,
    );
  };

  // Planning runs in a worker while this loop goes on feeding plots and answering; close() stops it.
  const planning = new AbortController();
  const planOutcome = async (
    id: string,
    p: Omit<Params<'jobs.plan'>, 'id'>,
  ): Promise<PlanOutcome> => {
    const settings = planSettings(engine.config, {
      preset: p.optimization,
      paper: p.paper,
      orientation: p.orientation,
      fit: p.fit,
      marginMm: p.margin,
      simplifyMm: p.simplify,
      minGapMm: p.minGap,
      cornering: p.cornering,
      autoRotate: p.autoRotate,
      penChange: p.penChange,
    });
    let r;
    try {
      r = await prepareJob({ jobs: engine.jobs, store: engine.store, logger: engine.logger }, id, {
        settings,
        device: engine.config.device,
        pool: opts.planPool,
        signal: planning.signal,
      });
    } finally {
      changed(id);
    }
    return {
      id,
      state: r.state,
      error: r.error ?? null,
      warnings: r.warnings,
      summary: r.summary ?? null,
    };
  };

  const addJobCopies = async (
    file: string,
    p: Params<'jobs.add'> & { copies: number },
  ): Promise<Results['jobs.add']> => {
    const planningNow =
      p.force && p.id !== undefined
        ? copyIds(p.id, p.copies).filter((id) => jobsBeingPlanned().includes(id))
        : [];
    if (planningNow.length)
      throw new VfabError(
        'BUSY',
        `Job '${planningNow[0]}' is being planned; replace it once that has finished.`,
      );
    let plan: PlanOutcome | null = null;
    const made = await addCopies(
      engine.jobs,
      { file, id: p.id, copies: p.copies, force: p.force },
      p.plan === false ? undefined : async (first) => (plan = await planOutcome(first, p)).state,
    );
    for (const id of made.ids) changed(id);
    return { job: made.first, plan, copies: made.ids };
  };

  // This process's own plot holds the port; opening it again would talk over the runner.
  const refuseWhilePlotting = (what: string) => {
    const busy = plotting();
    if (busy.length)
      throw new VfabError(
        'BUSY',
        `Plotting ${busy.join(', ')} now; ${what} is for a plotter at rest.`,
      );
  };

  const snapshotsDir = (id: string) => {
    engine.jobs.state(id); // NOT_FOUND for a job that is not there
    return jobFiles(engine.paths.jobsDir, id).snapshots;
  };

  // Kept between queue.preview calls (each job's plan read once), anew when an import swapped the store.
  let reader: { store: Engine['store']; reader: QueueReader } | undefined;
  const queueReader = () => {
    if (reader?.store !== engine.store)
      reader = { store: engine.store, reader: new QueueReader(engine.store, engine.paths.jobsDir) };
    return reader.reader;
  };

  /** The device lock keeps a single plot and the queue apart; this says which job holds the plotter before trying. */
  const refuseQueuePlotter = (id: string, device: string | undefined) => {
    const plotter = plotterForJob(engine, id, device);
    const doing = queue.busyWith(plotter);
    if (doing)
      throw new VfabError(
        'BUSY',
        `Plotter '${plotter.name}' is taken by the queue: ${doing}. Stop the queue (or let it finish), or plot job '${id}' on another plotter.`,
      );
  };

  const settingsInfo = (): SettingsInfo => ({
    file: engine.paths.configFile,
    exists: engine.configExists,
    config: maskSecrets(engine.config),
    warnings: engine.configWarnings.map((w) => w.message),
  });

  const handlers: Handlers = {
    'system.info': () => {
      const counts = engine.store.countsByState();
      return {
        version: VERSION,
        node: process.versions.node,
        platform: `${process.platform}-${process.arch}`,
        paths: {
          configFile: engine.paths.configFile,
          dataDir: engine.paths.dataDir,
          workspaceDir: engine.paths.workspaceDir,
          logFile: engine.paths.logFile,
        },
        config: {
          exists: engine.configExists,
          warnings: engine.configWarnings.map((w) => w.message),
        },
        jobs: {
          total: Object.values(counts).reduce((a, b) => a + b, 0),
          byState: Object.fromEntries(JOB_STATES.map((s) => [s, counts[s] ?? 0])) as Record<
            JobState,
            number
          >,
        },
        plotting: plotting(),
      };
    },

    'jobs.list': (p) => ({
      jobs: engine.jobs
        .list({ states: p.states })
        .sort((a, b) => b.created_at.localeCompare(a.created_at) || a.id.localeCompare(b.id)),
    }),

    'jobs.get': (p) => {
      const d = engine.jobs.detail(p.id);
      const plan = d.hasPlan ? readPlanOverview(d.files.plan) : undefined;
      return {
        id: p.id,
        state: d.state ?? null,
        meta: d.meta ?? null,
        indexed: d.indexed ?? null,
        plan: plan
          ? {
              createdAt: plan.createdAt,
              settings: plan.settings,
              summary: plan.summary,
              layers: plan.layers,
            }
          : null,
        journal: {
          entries: d.journal.records.length,
          lastSeq: d.journal.lastSeq,
          problems: d.journal.problems,
          history: d.journal.records.filter((r) => r.entry.type !== 'progress').map((r) => r.entry),
        },
        condition: conditionOf(p.id) ?? null,
      };
    },

    'jobs.add': async (p) => {
      if (p.force && p.id !== undefined && jobsBeingPlanned().includes(p.id))
        throw new VfabError(
          'BUSY',
          `Job '${p.id}' is being planned; replace it once that has finished.`,
        );
      let upload: string | undefined;
      try {
        let file: string;
        if ('path' in p.source) {
          refuseNonSvg(p.source.path);
          file = p.source.path;
        } else {
          const data = Buffer.from(p.source.base64, 'base64');
          if (data.length > MAX_UPLOAD_BYTES)
            throw new VfabError(
              'INVALID_INPUT',
              `'${p.source.name}' is larger than the ${MAX_UPLOAD_BYTES / 2 ** 20} MiB a dropped file may be.`,
            );
          refuseNonSvg(p.source.name, data);
          upload = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-upload-'));
          file = path.join(upload, p.source.name);
          fs.writeFileSync(file, data);
        }
        if (p.copies !== undefined && p.copies > 1)
          return await addJobCopies(file, { ...p, copies: p.copies });
        const job = await engine.jobs.add({ file, id: p.id, force: p.force });
        changed(job.id);
        return { job, plan: p.plan === false ? null : await planOutcome(job.id, p) };
      } finally {
        if (upload) fs.rmSync(upload, { recursive: true, force: true });
      }
    },

    'jobs.plan': (p) => planOutcome(p.id, p),

    'jobs.queue': (p) => {
      const t = p.target;
      queueJobs(
        engine,
        [p.id],
        t === undefined || t === 'any' ? 'any' : 'model' in t ? { model: parseModel(t.model) } : t,
      );
      changed(p.id);
      return { id: p.id, state: engine.jobs.state(p.id) };
    },

    'jobs.remove': (p) => {
      if (plots.has(p.id))
        throw new VfabError(
          'BUSY',
          `Job '${p.id}' is being plotted; pause or abort it before removing it.`,
        );
      if (jobsBeingPlanned().includes(p.id))
        throw new VfabError(
          'BUSY',
          `Job '${p.id}' is being planned; remove it once that has finished.`,
        );
      refuseForeignOwner(p.id, conditionOf(p.id));
      const was = engine.jobs.remove(p.id, { force: p.force }) ?? null;
      hub.emit('job.removed', { id: p.id, was });
      return { id: p.id, was };
    },

    'jobs.restart': async (p) => {
      if (plots.has(p.id))
        throw new VfabError(
          'BUSY',
          `Job '${p.id}' is being plotted; pause or abort it before restarting it.`,
        );
      const outcome = await restartJob(engine, p.id, {
        pool: opts.planPool,
        signal: planning.signal,
      });
      changed(p.id);
      return { id: p.id, ...outcome };
    },

    'jobs.preview': (p) => {
      const d = engine.jobs.detail(p.id);
      if (!d.hasPlan)
        throw new VfabError(
          'NOT_FOUND',
          `Job '${p.id}' is ${d.state ?? 'unreadable'} and has no plan yet: plan it first.`,
        );
      return planPreview(p.id, readPlan(d.files.plan));
    },

    'jobs.thumbnail': (p) => {
      const thumbnail = jobThumbnail(p.id, jobFiles(engine.paths.jobsDir, p.id));
      if (thumbnail) return thumbnail;
      const state = engine.jobs.state(p.id); // NOT_FOUND for a job that is not there
      throw new VfabError(
        'NOT_FOUND',
        `Job '${p.id}' is ${state} and has no plan yet: plan it first.`,
      );
    },

    'jobs.snapshots': (p) => ({ id: p.id, snapshots: listSnapshots(snapshotsDir(p.id)) }),

    'jobs.snapshot': (p) => {
      const { data, info } = readSnapshot(snapshotsDir(p.id), p.name, p.id);
      return {
        id: p.id,
        name: info.name,
        mime: 'image/jpeg',
        base64: data.toString('base64'),
        takenAt: info.takenAt,
      };
    },

    'jobs.markDone': (p) => {
      if (plots.has(p.id))
        throw new VfabError(
          'BUSY',
          `Job '${p.id}' is being plotted; pause it before marking it done.`,
        );
      const c = conditionOf(p.id);
      refuseForeignOwner(p.id, c);
      const state = engine.jobs.state(p.id);
      if (state !== 'PAUSED' && !(state === 'PLOTTING' && c?.kind === 'interrupted')) {
        throw new VfabError(
          'INVALID_STATE',
          `Job '${p.id}' is ${state}; only a paused or interrupted plot can be marked done${state === 'ARMED' ? ' (nothing was drawn yet: restart or abort it)' : ''}.`,
        );
      }
      engine.jobs.transition(p.id, 'COMPLETED', 'the user marked the drawing complete', {
        checkpoint: c?.checkpoint ?? null,
      });
      changed(p.id);
      return { id: p.id, state: engine.jobs.state(p.id) };
    },

    'jobs.reorder': (p) => {
      engine.jobs.assertWritable();
      const queue = reorderQueue(engine.store, engine.paths.jobsDir, p.id, p.before, engine.logger);
      changed(p.id);
      return { id: p.id, queue };
    },

    'plot.start': async (p) => {
      if (plots.has(p.id)) throw new VfabError('BUSY', `Job '${p.id}' is already being plotted.`);
      const state = engine.jobs.state(p.id);
      assertPlottable(p.id, state);
      const c = conditionOf(p.id);
      refuseForeignOwner(p.id, c);
      refuseQueuePlotter(p.id, p.device);
      const fresh = freshPlot(p.id);
      const plotter = plotterForJob(engine, p.id, p.device);
      await refuseHeldCarriage(engine, plotter, p.id);
      if (plots.has(p.id)) throw new VfabError('BUSY', `Job '${p.id}' is already being plotted.`);
      if (fresh) refuseUnready(engine.config, engine.paths.dataDir, plotter.name, p.id);
      plots.start(p.id, {
        device: p.device ?? null,
        speed: p.speed,
        carriageAtHome: p.carriageAtHome,
        recovery: c?.kind === 'interrupted' && c.cause !== 'paused',
        ...(p.layer !== undefined && { layerOnly: p.layer }),
      });
      if (fresh) sheetUsed(engine.config, engine.paths.dataDir, plotter.name, p.id);
      return { id: p.id, started: true };
    },

    'plot.resume': async (p) => {
      if (plots.has(p.id)) throw new VfabError('BUSY', `Job '${p.id}' is already being plotted.`);
      const c = conditionOf(p.id);
      if (!c) {
        const state = engine.jobs.state(p.id);
        throw new VfabError(
          'INVALID_STATE',
          `Job '${p.id}' is ${state}, not paused or interrupted; ${state === 'READY' || state === 'QUEUED' ? 'start it with plot.start' : 'restart plots it again from the start'}.`,
        );
      }
      refuseForeignOwner(p.id, c);
      refuseQueuePlotter(p.id, p.device);
      await refuseHeldCarriage(engine, plotterForJob(engine, p.id, p.device), p.id);
      if (plots.has(p.id)) throw new VfabError('BUSY', `Job '${p.id}' is already being plotted.`);
      plots.start(p.id, {
        device: p.device ?? null,
        speed: p.speed,
        carriageAtHome: p.carriageAtHome,
        backUpStrokes: p.backUpStrokes,
        recovery: c.cause !== 'paused',
      });
      return { id: p.id, started: true };
    },

    'plot.pause': async (p) => {
      if (plots.has(p.id)) return { id: p.id, state: await plots.stop(p.id, 'pause') };
      const state = engine.jobs.state(p.id);
      if (state === 'PAUSED') return { id: p.id, state };
      const c = conditionOf(p.id);
      if (state !== 'PLOTTING' || c?.kind !== 'running')
        throw new VfabError(
          'INVALID_STATE',
          `Job '${p.id}' is ${state}${c?.kind === 'interrupted' ? ' and interrupted (already stopped)' : ''}; only a running plot can be paused.`,
        );
      // Another vfab process plots it: ask it the way `vfab pause` does.
      fs.writeFileSync(pauseRequestFile(engine.paths.jobsDir, p.id), `${process.pid}\n`);
      return { id: p.id, state, requested: true };
    },

    'plot.abort': async (p) => {
      if (plots.has(p.id)) return { id: p.id, state: await plots.stop(p.id, 'abort') };
      refuseForeignOwner(p.id, conditionOf(p.id));
      engine.jobs.transition(p.id, 'ABORTED', 'the user aborted the job');
      changed(p.id);
      return { id: p.id, state: engine.jobs.state(p.id) };
    },

    'recovery.scan': () => ({
      jobs: classifyJobs(engine.store, {
        jobsDir: engine.paths.jobsDir,
        stuckAfterS: engine.config.recovery.stuck_after_s,
      }),
    }),

    'devices.list': async () => {
      const detected = await listEbbPorts().catch((err: Error) => err);
      return {
        model: engine.config.device.model,
        configured: engine.config.device.port ?? null,
        detected:
          detected instanceof Error
            ? []
            : detected.map((d) => ({
                path: d.path,
                nickname: usbNickname(d),
                serial: d.serialNumber ?? null,
              })),
        error: detected instanceof Error ? detected.message : null,
        virtual: true,
      };
    },

    'devices.status': () => ({ plotters: links.list() }),

    'devices.check': async (p) => {
      refuseWhilePlotting('the pre-flight');
      const report = await preflightDevice(
        p.device ?? null,
        engine.config.device,
        engine.paths.dataDir,
      );
      // It answered: whatever said it was lost is over.
      links.answered(plotterFor(engine.config, p.device ?? null).name);
      return report;
    },

    'devices.release': (p) => {
      refuseWhilePlotting('releasing the motors');
      return releaseMotors(p.device ?? null, engine.config.device, engine.paths.dataDir);
    },

    'devices.pen': (p) => {
      refuseWhilePlotting('moving the pen');
      return movePen(p.device ?? null, engine.config.device, engine.paths.dataDir, p.position);
    },

    'devices.home': (p) => {
      refuseWhilePlotting('sending the carriage home');
      const plotter = plotterFor(engine.config, p.device ?? null);
      const doing = queue.busyWith(plotter);
      if (doing)
        throw new VfabError(
          'BUSY',
          `Plotter '${plotter.name}' is taken by the queue: ${doing}. Stop the queue (or let it finish) first.`,
        );
      return sendCarriageHome(engine, p.device, {
        ...(p.carriageAtHome ? { carriageAtHome: true } : {}),
        ...(p.speed ? { speed: p.speed } : {}),
      });
    },

    'camera.status': async (p) => {
      const info = currentCamera();
      if (!p.probe || !info.enabled) return info;
      const { url, ...probe } = await probeCamera(engine.config.camera.url, {
        timeoutMs: 5000,
        service: engine.config.camera.motion_service,
      });
      return { ...info, probe: { ...probe, error: withoutAddress(probe.error, url) } };
    },

    'camera.snapshot': async (p) => {
      const dir = p.id === undefined ? undefined : snapshotsDir(p.id);
      const source = cameraSource(engine.config.camera);
      if (!source.enabled)
        throw new VfabError(
          'INVALID_STATE',
          `The camera is off (${source.reason}); turn it on in Settings.`,
        );
      const client =
        opts.camera === undefined
          ? sharedCameraClient(source.url, engine.logger, source.service)
          : opts.camera;
      if (!client)
        throw new VfabError(
          'INVALID_STATE',
          'This vfab process has no camera connection; restart it with the camera on.',
        );
      const release = client.acquire();
      let frame;
      try {
        frame = client.latest();
        if (!frame || Date.now() - frame.at > FRESH_FRAME_MS)
          frame = await client.nextFrame(SNAPSHOT_WAIT_MS);
      } finally {
        release();
      }
      if (!frame) {
        const why = withoutAddress(client.status().lastError, client.url);
        throw new VfabError(
          'INVALID_STATE',
          `No picture from the camera within ${SNAPSHOT_WAIT_MS / 1000} s${why ? ` (${why})` : ''}: check it with 'vfab check camera'.`,
        );
      }
      let savedAs: string | null = null;
      if (dir && p.id !== undefined) {
        const file = snapshotFile(dir, new Date(frame.at), 'manual');
        await fs.promises.mkdir(dir, { recursive: true });
        await writeFileAtomicAsync(file, frame.jpeg);
        savedAs = path.basename(file);
        engine.logger.info(`camera snapshot ${savedAs}`, p.id);
      }
      return {
        mime: 'image/jpeg',
        base64: frame.jpeg.toString('base64'),
        takenAt: new Date(frame.at).toISOString(),
        width: frame.width,
        height: frame.height,
        savedAs,
      };
    },

    'camera.test': async (p) => {
      const configured = engine.config.camera.url;
      const url = p.url === redactUrl(configured) ? configured : p.url;
      const {
        url: _shown,
        frame,
        ...probe
      } = await probeCamera(url, {
        timeoutMs: 5000,
        sampleMs: 1500,
        service: engine.config.camera.motion_service,
        keepFrame: true,
      });
      return {
        ...probe,
        ...(frame
          ? {
              picture: {
                mime: 'image/jpeg' as const,
                base64: frame.toString('base64'),
                takenAt: new Date().toISOString(),
              },
            }
          : {}),
      };
    },

    'camera.viewer': () =>
      opts.cameraViewer?.() ?? { streamUrl: null, reason: 'this window has no live view relay' },

    'settings.get': () => settingsInfo(),

    'settings.set': (p) => {
      updateConfigFile(
        engine.paths.configFile,
        Object.fromEntries(Object.entries(p.values).map(([k, v]) => [k, v ?? undefined])),
      );
      const loaded = loadConfig(engine.paths.configFile);
      // Every face holds this one engine: the new values apply to what it does next.
      Object.assign(engine, {
        config: loaded.config,
        configWarnings: loaded.warnings,
        configExists: loaded.exists,
      });
      return settingsInfo();
    },

    'logs.tail': (p) => ({
      file: engine.paths.logFile,
      lines: tailLines(engine.paths.logFile, p.lines ?? 200),
    }),

    'backup.export': async (p) => {
      const recovered = recoverInterruptedImportIfIdle(engine.paths);
      const dir = backupDir(engine);
      const summary = await exportSystem({
        paths: engine.paths,
        output: path.join(dir, p.name),
        backupsDir: dir,
        nativeBinding: opts.nativeBinding,
        notes: [],
      });
      if (recovered) summary.notes.push(recovered);
      engine.logger.info(
        `system export to ${summary.file}: ${summary.jobs} job(s), ${summary.files} file(s), ${summary.archiveBytes} bytes`,
      );
      return summary;
    },

    'backup.import': async (p) => {
      if (plotting().length)
        throw new VfabError(
          'BUSY',
          `Cannot import a backup while plotting ${plotting().join(', ')}; let the plot finish or pause it first.`,
        );
      if (queue.status().running)
        throw new VfabError(
          'BUSY',
          'Cannot import a backup while the queue runs; stop the queue first.',
        );
      if (jobsBeingPlanned().length)
        throw new VfabError(
          'BUSY',
          `Cannot import a backup while planning ${jobsBeingPlanned().join(', ')}; try again once that has finished.`,
        );
      const summary = await importSystem({
        archive: p.archive,
        env,
        nativeBinding: opts.nativeBinding,
        verifyOnly: p.verifyOnly,
      });
      if (!summary.verifyOnly) {
        // The import replaced the database and workspace under the open engine. Every face holds
        // this one object, so its parts are swapped in place rather than handing out a new one.
        const closeOld = engine.close;
        Object.assign(engine, openEngine({ env, nativeBinding: opts.nativeBinding }));
        closeOld();
        for (const j of summary.jobs) changed(j.id);
      }
      return summary;
    },

    'backup.preview': (p) => previewBackup(p.archive),

    'backup.list': () => {
      const b = engine.config.backups;
      const dir = backupDir(engine);
      const archives = listBackups(dir).map((a) => ({
        file: a.file,
        name: path.basename(a.file),
        bytes: fs.statSync(a.file, { throwIfNoEntry: false })?.size ?? 0,
        createdAt: new Date(a.mtimeMs).toISOString(),
      }));
      const nextDue = b.auto
        ? new Date(
            archives.length
              ? Date.parse(archives[0]!.createdAt) + b.interval_hours * 3_600_000
              : Date.now(),
          ).toISOString()
        : null;
      return {
        dir,
        auto: b.auto,
        intervalHours: b.interval_hours,
        keep: b.keep,
        nextDue,
        archives,
      };
    },

    'backup.run': async () => {
      const r = await runAutoBackupIfDue(engine, {
        force: true,
        nativeBinding: opts.nativeBinding,
      });
      return { ...r.export!, pruned: r.pruned };
    },

    'plotters.list': async () => ({
      plotters: await listPlotters(
        engine,
        queue.views(),
        (name) =>
          opts.plotterCamera?.(name) ?? {
            streamUrl: null,
            reason: 'this window has no live view of plotter cameras',
          },
      ),
    }),

    'plotters.paperChanged': (p) => {
      const named =
        p.plotter === undefined
          ? undefined
          : plottersNamed(engine.config, [p.plotter]).map((x) => x.name); // NOT_FOUND for a plotter that is none
      // New paper: whatever was confirmed about the old sheet no longer holds.
      forgetReady(
        engine.paths.dataDir,
        named ?? configuredPlotters(engine.config).map((x) => x.name),
      );
      // With ready checks on, a paper change means something outside the queue too: the next plot asks again.
      if (asksReady(engine.config) && !queue.status().running) return { confirmed: [] };
      return { confirmed: queue.paperChanged(p.plotter) };
    },

    'plotters.ready': (p) => {
      const plotter = plotterForJob(engine, p.id, p.device).name;
      return {
        plotter,
        needed:
          (freshPlot(p.id) && readyNeeded(engine.config, engine.paths.dataDir, plotter)) || null,
        question: readyQuestion(jobFiles(engine.paths.jobsDir, p.id).plan),
      };
    },

    'plotters.confirmReady': (p) => {
      const plotter = plottersNamed(engine.config, [p.plotter])[0]!.name;
      return { plotter, confirmedAt: confirmReady(engine.paths.dataDir, plotter) };
    },

    'queue.start': (p) => queue.start(p),

    'queue.stop': (p) => queue.stop(p.mode),

    'queue.status': () => queue.status(),

    'queue.preview': () => {
      const preview = queuePreview(engine, queue.views(), queueReader());
      return {
        jobs: preview.assignments.map((a) => ({
          id: a.job,
          target: preview.targets.get(a.job) ?? 'any',
          plotter: a.plotter,
          startsInS: a.startsInS ?? null,
          reason: a.reason ?? null,
        })),
        onPlotter: Object.fromEntries(preview.onPlotter),
      };
    },
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
