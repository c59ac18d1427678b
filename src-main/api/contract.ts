/**
 * The typed API every face offers the renderer (docs/architecture.md "One engine, three faces"): the Electron
 * bridge (ipcMain/preload) and `vfab serve` (WebSocket) both carry exactly these methods and events.
 *
 * Every payload that crosses a process boundary is checked here at run time, before anything
 * reaches the engine: objects are strict (an unknown field is refused, not ignored), strings are
 * bounded, file paths must be absolute, NUL-free and free of `..` segments.
 *
 * The method and event names are src-main/shared/api-names.ts, where the preload and the renderer
 * load them; they import this file with `import type` only (it pulls in zod and the engine).
 */
import { z } from 'zod';
import type { CameraProbe } from '../camera/check';
import type { CameraState } from '../camera/client';
import type { VfabConfig } from '../config/config';
import { VfabError } from '../errors';
import type { JournalEntry, JournalProblem } from '../jobs/journal';
import { JOB_STATES, type JobState } from '../jobs/states';
import type { MethodName } from '../shared/api-names';
import { JOB_ID, JOB_ID_RULE, SNAPSHOT_NAME } from '../shared/names';
import { MAX_CORNERING, MIN_CORNERING } from '../plan/cornering';
import { MAX_MIN_GAP_MM } from '../plan/min-gap';
import { PEN_CHANGE_MODES } from '../plan/pens';
import type { IndexedJob } from '../jobs/store';
import type { JobMeta } from '../jobs/workspace';
import type { ImportSummary } from '../backup/import';
import type { ExportSummary } from '../backup/export';
import type { PlanOverview, PlanSummary } from '../plan/plan-file';
import type { SvgWarning } from '../svg/types';
import type { PreflightReport } from '../plotter/preflight';
import type { PlotEvent, PlotProgress } from '../plotter/runner';
import type { JobCondition } from '../recovery/classify';
import type { RestartOutcome } from '../recovery/restart';
import type { SnapshotInfo } from '../camera/snapshots';
import type { PlotOutcome } from '../notify/outcome';
import type { PlotterState } from '../plotters/state';
import type { PlotterSummary, RunnerEvent } from '../queue/events';
import type { RunnerSummary } from '../queue/runner';
import type { JobTarget } from '../queue/target';
import type { PlanPreview } from '../plan/preview';
import type { HomeResult } from '../app/home';

// The names are shared with the preload and the renderer; METHODS must give each one its params.
export type { EventName, MethodName } from '../shared/api-names';

/** Dropped files are sent whole; no plotter drawing comes near this. */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
/** base64 of MAX_UPLOAD_BYTES. */
export const MAX_UPLOAD_BASE64 = Math.ceil(MAX_UPLOAD_BYTES / 3) * 4;
const MAX_PATH = 4096;
const MAX_TEXT = 256;

const jobId = z
  .string()
  .max(128)
  .regex(JOB_ID, { error: `must be ${JOB_ID_RULE}` });

const absolutePath = z
  .string()
  .min(1)
  .max(MAX_PATH)
  .refine((p) => !p.includes('\0'), { error: 'must not contain NUL' })
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), {
    error: 'must be an absolute path',
  })
  .refine((p) => !p.split(/[\\/]/).includes('..'), { error: "must not contain '..' segments" });

/** A file name, not a path: the server decides the folder. */
const archiveName = z
  .string()
  .max(MAX_TEXT)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.tar\.gz$/, {
    error: 'must be a file name like my-backup.tar.gz (letters, digits, . _ -; no folder)',
  })
  .refine((n) => !n.includes('..'), { error: "must not contain '..'" });

const text = (max = MAX_TEXT) => z.string().max(max);
const device = text()
  .min(1)
  .refine((s) => !s.includes('\0'), { error: 'must not contain NUL' });
const speed = z.number().positive().max(1000);
const millimetres = z.number().finite().min(0).max(10_000);

const planOptions = {
  optimization: z.enum(['fast', 'default', 'best']).optional(),
  paper: text(64).min(1).optional(),
  orientation: z.enum(['portrait', 'landscape']).optional(),
  fit: z.enum(['none', 'center', 'scale']).optional(),
  margin: millimetres.optional(),
  simplify: millimetres.optional(),
  /** Pen-up hops shorter than this are drawn pen-down (config plot.min_gap_mm otherwise). */
  minGap: z.number().finite().min(0).max(MAX_MIN_GAP_MM).optional(),
  /** AxiDraw's cornering factor (config device.cornering otherwise). */
  cornering: z.number().finite().min(MIN_CORNERING).max(MAX_CORNERING).optional(),
  /** false: never turn the drawing 90° to fit (config paper.auto_rotate otherwise). */
  autoRotate: z.boolean().optional(),
  /** Which changes of layer number pause for a pen swap (config plot.pen_change otherwise). */
  penChange: z.enum(PEN_CHANGE_MODES).optional(),
};

const source = z.union([
  z.object({ path: absolutePath }).strict(),
  z
    .object({
      name: text(255)
        .min(1)
        .refine((n) => !/[\\/\0]/.test(n) && n !== '.' && n !== '..', {
          error: "must be a file name, without '/', '\\' or NUL",
        }),
      base64: z
        .string()
        .max(MAX_UPLOAD_BASE64, {
          error: `is larger than the ${MAX_UPLOAD_BYTES / 2 ** 20} MiB a dropped file may be`,
        })
        .regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'must be base64' }),
    })
    .strict(),
]);

const snapshotName = text(64).regex(SNAPSHOT_NAME, {
  error: 'must be a snapshot name such as latest.jpg or 20261126T010203-start.jpg',
});

/** A plotter's name from config `devices:` (config.ts PLOTTER_NAME), or a port or `virtual` as `vfab queue run --device` takes them. */
const plotterRef = device.max(128);

const settingKey = text(100).regex(/^[a-z_]+(\.[a-z_0-9]+)*$/, {
  error: 'must be a dotted config key such as device.speed_pendown',
});
const settingValue = z.union([
  text(4096),
  z.number().finite(),
  z.boolean(),
  z.null(),
  z.array(text(MAX_TEXT)).max(64),
]);

export const METHODS = {
  'system.info': { params: z.object({}).strict() },
  'jobs.list': {
    params: z
      .object({ states: z.array(z.enum(JOB_STATES)).max(JOB_STATES.length).optional() })
      .strict(),
  },
  'jobs.get': { params: z.object({ id: jobId }).strict() },
  'jobs.add': {
    params: z
      .object({
        source,
        id: jobId.optional(),
        force: z.boolean().optional(),
        /** Plan right away (default), as `vfab add job` does. */
        plan: z.boolean().optional(),
        /** More than 1: that many jobs `<id>-1` … `<id>-N`, planned once (jobs/copies.ts; its MAX_COPIES). */
        copies: z.number().int().min(1).max(1000).optional(),
        ...planOptions,
      })
      .strict(),
  },
  'jobs.plan': { params: z.object({ id: jobId, ...planOptions }).strict() },
  /** `target`: only this plotter, or plotters of this model, take the job (default any); journaled with QUEUED. */
  'jobs.queue': {
    params: z
      .object({
        id: jobId,
        target: z
          .union([
            z.literal('any'),
            z.object({ plotter: text(64).min(1) }).strict(),
            z.object({ model: text(32).min(1) }).strict(),
          ])
          .optional(),
      })
      .strict(),
  },
  'jobs.remove': { params: z.object({ id: jobId, force: z.boolean().optional() }).strict() },
  'jobs.restart': { params: z.object({ id: jobId }).strict() },
  /** The planned paths, for drawing the job (see PlanPreview). */
  'jobs.preview': { params: z.object({ id: jobId }).strict() },
  /** A small picture of the planned paths for the job's row, made once per plan (see plan/thumbnail-file.ts). */
  'jobs.thumbnail': { params: z.object({ id: jobId }).strict() },
  'jobs.snapshots': { params: z.object({ id: jobId }).strict() },
  'jobs.snapshot': { params: z.object({ id: jobId, name: snapshotName }).strict() },
  /** A paused or interrupted plot the artist finished by hand, or does not want finished: COMPLETED. */
  'jobs.markDone': { params: z.object({ id: jobId }).strict() },
  /** Moves a queued job before `before` (another queued job), or to the end of the queue when null. */
  'jobs.reorder': { params: z.object({ id: jobId, before: jobId.nullable() }).strict() },
  /** `layer`: only the layers numbered this (`vfab plot --layer N`); a resume keeps the selection. */
  'plot.start': {
    params: z
      .object({
        id: jobId,
        device: device.optional(),
        speed: speed.optional(),
        carriageAtHome: z.boolean().optional(),
        layer: z.number().int().min(0).max(1_000_000).optional(),
      })
      .strict(),
  },
  'plot.pause': { params: z.object({ id: jobId }).strict() },
  'plot.resume': {
    params: z
      .object({
        id: jobId,
        backUpStrokes: z.number().int().min(0).max(10_000).optional(),
        carriageAtHome: z.boolean().optional(),
        device: device.optional(),
        speed: speed.optional(),
      })
      .strict(),
  },
  'plot.abort': { params: z.object({ id: jobId }).strict() },
  'recovery.scan': { params: z.object({}).strict() },
  'devices.list': { params: z.object({}).strict() },
  /** The pre-flight: the plotter answers, its motors have power, and its pen is raised (nothing moves). */
  'devices.check': { params: z.object({ device: device.optional() }).strict() },
  /** Motors off, so the carriage can be moved by hand (its position is then lost). */
  'devices.release': { params: z.object({ device: device.optional() }).strict() },
  /** The pen up or down, nothing else moves: to align a new pen at a pen change. */
  'devices.pen': {
    params: z.object({ device: device.optional(), position: z.enum(['up', 'down']) }).strict(),
  },
  /** The plotters this server has lost (what `device.status` events say), for a tab that just opened. */
  'devices.status': { params: z.object({}).strict() },
  /** The carriage home, pen up, from where a paused or stopped plot left it; `carriageAtHome`: a person put it there (nothing moves). */
  'devices.home': {
    params: z
      .object({
        device: device.optional(),
        speed: speed.optional(),
        carriageAtHome: z.boolean().optional(),
      })
      .strict(),
  },
  'camera.status': { params: z.object({ probe: z.boolean().optional() }).strict() },
  /** The current frame; with `id`, also saved in that job's snapshots as `<time>-manual.jpg`. */
  'camera.snapshot': { params: z.object({ id: jobId.optional() }).strict() },
  /** Where this face serves the live view (the relay, with its token). */
  'camera.viewer': { params: z.object({}).strict() },
  /**
   * Tries a camera URL before it is saved (first run, Settings): a few seconds of its stream. The
   * configured URL's masked form (password shown as ***) stands for the configured URL itself.
   */
  'camera.test': {
    params: z
      .object({
        url: text(2048).regex(/^https?:\/\/[^\s]+$/, {
          error: 'must be an http:// or https:// URL',
        }),
      })
      .strict(),
  },
  'settings.get': { params: z.object({}).strict() },
  'settings.set': {
    params: z
      .object({
        /** Dotted keys; null removes a key so its default applies. */
        values: z
          .record(settingKey, settingValue)
          .refine((v) => Object.keys(v).length >= 1 && Object.keys(v).length <= 64, {
            error: 'must hold 1 to 64 keys',
          }),
      })
      .strict(),
  },
  'logs.tail': {
    params: z.object({ lines: z.number().int().min(1).max(2000).optional() }).strict(),
  },
  /** An archive of that name in the backups folder; never over an existing file. */
  'backup.export': { params: z.object({ name: archiveName }).strict() },
  'backup.import': {
    params: z.object({ archive: absolutePath, verifyOnly: z.boolean().optional() }).strict(),
  },
  'backup.preview': { params: z.object({ archive: absolutePath }).strict() },
  /** The backups folder (config backups.dir) and what is in it. */
  'backup.list': { params: z.object({}).strict() },
  /** A backup into that folder now, pruned to backups.keep, as `vfab system backup` does. */
  'backup.run': { params: z.object({}).strict() },
  /** Every plotter config.yaml names, with what it does now (this process's queue runner, or as `vfab list devices` sees it). */
  'plotters.list': { params: z.object({}).strict() },
  /** The app's "paper changed" for a plotter the queue runner waits on (every waiting plotter when absent). */
  'plotters.paperChanged': { params: z.object({ plotter: plotterRef.optional() }).strict() },
  /** Whether plotting job `id` (on `device`) first needs paper and pen confirmed (physical_setup.require_confirmation, paper.require_one_per_session), and the question to ask. */
  'plotters.ready': { params: z.object({ id: jobId, device: device.optional() }).strict() },
  /** Paper loaded and first pen in on that plotter: fresh plots may start on it. */
  'plotters.confirmReady': { params: z.object({ plotter: plotterRef }).strict() },
  /**
   * Starts this process's queue runner in the background (BUSY when it runs): the queue plotted on
   * `plotters` (default every plotter), waiting for a paper change between jobs, or unattended with
   * a page delay of `pageDelayS` (default 15). `watch`: keep running for jobs queued later;
   * `speed`: a virtual plotter's speed factor, for every plotter (default each plotter's own).
   */
  'queue.start': {
    params: z
      .object({
        plotters: z.array(plotterRef).min(1).max(64).optional(),
        unattended: z.boolean().optional(),
        pageDelayS: z.number().finite().min(0).max(3600).optional(),
        watch: z.boolean().optional(),
        speed: speed.optional(),
      })
      .strict()
      .refine((p) => p.pageDelayS === undefined || p.unattended === true, {
        error:
          'goes with unattended: true (nobody changes the paper, the page delay passes instead)',
        path: ['pageDelayS'],
      }),
  },
  /** 'finish': start nothing new, let the jobs under way finish; 'pause': pause them now (each plotter then holds its job). */
  'queue.stop': { params: z.object({ mode: z.enum(['finish', 'pause']) }).strict() },
  'queue.status': { params: z.object({}).strict() },
  /** Which plotter will take each queued job, or why none can (as `vfab info queue` shows it). */
  'queue.preview': { params: z.object({}).strict() },
} as const satisfies { readonly [M in MethodName]: { readonly params: z.ZodType } };
export type Params<M extends MethodName> = z.infer<(typeof METHODS)[M]['params']>;

export interface SystemInfo {
  version: string;
  node: string;
  platform: string;
  paths: { configFile: string; dataDir: string; workspaceDir: string; logFile: string };
  config: { exists: boolean; warnings: string[] };
  jobs: { total: number; byState: Record<JobState, number> };
  /** Jobs this process is plotting now. */
  plotting: string[];
}

export interface JobInfo {
  id: string;
  state: JobState | null;
  meta: JobMeta | null;
  indexed: IndexedJob | null;
  plan: Pick<PlanOverview, 'createdAt' | 'settings' | 'summary' | 'layers'> | null;
  journal: {
    entries: number;
    lastSeq: number;
    problems: JournalProblem[];
    history: JournalEntry[];
  };
  /** Set for ARMED, PLOTTING and PAUSED jobs: running here or elsewhere, stuck or interrupted. */
  condition: JobCondition | null;
}

export interface PlanOutcome {
  id: string;
  state: JobState;
  /** Why the job did not reach READY. */
  error: string | null;
  warnings: SvgWarning[];
  summary: PlanSummary | null;
}

export interface CameraInfo {
  enabled: boolean;
  /** Why the camera is off, when it is. */
  reason?: string;
  state?: CameraState;
  frames?: number;
  fps?: number;
  width?: number;
  height?: number;
  lastFrameAt?: number;
  lastError?: string;
  /** The camera's address stays in the main process (docs/architecture.md "Camera"). */
  probe?: Omit<CameraProbe, 'url'>;
}

/** A plotter this server has lost: why, in words, and the job it was plotting then. */
export interface DeviceLink {
  plotter: string;
  state: 'lost';
  reason: string;
  job: string | null;
  since: string;
}

/** A JPEG in the API: small enough (a camera frame) to travel as base64 and show as a data: URL. */
export interface Picture {
  mime: 'image/jpeg';
  base64: string;
  takenAt: string;
}

export interface CameraViewer {
  /** An `<img>` source for the live MJPEG view, or null with `reason`. */
  streamUrl: string | null;
  reason?: string;
}

export interface BackupPreview {
  file: string;
  formatVersion: number;
  vfabVersion: string;
  createdAt: string;
  host: string;
  jobs: string[];
  database: boolean;
  config: boolean;
  files: number;
  bytes: number;
  notes: string[];
}

export interface BackupsInfo {
  dir: string;
  /** backups.auto: this app or `vfab serve` backs up by itself every intervalHours. */
  auto: boolean;
  intervalHours: number;
  keep: number;
  /** When the next automatic backup is due (ISO); null when automatic backups are off. */
  nextDue: string | null;
  /** Newest first. */
  archives: { file: string; name: string; bytes: number; createdAt: string }[];
}

export interface SettingsInfo {
  file: string;
  exists: boolean;
  /** Secrets (camera URL credentials, websocket.api_key) are masked. */
  config: VfabConfig;
  warnings: string[];
}

/** A plotter and what it does now. */
export interface PlotterInfo extends PlotterSummary {
  /** How many times faster than real time it runs (a virtual plotter); progress ETAs are at speed 1. */
  speed: number;
  /** Named in config.yaml's `devices:` (false: the single `device:` of an older config, or a port named outright). */
  configured: boolean;
  state: PlotterState;
  /** This process's queue runner drives it (its paper-changed button works here). */
  inRun: boolean;
  /** Its own camera (`camera:` in its devices: entry): where this face shows it; null without one. */
  camera: CameraViewer | null;
}

export interface QueueRunOptions {
  /** The plotters of the run, by name. */
  plotters: string[];
  unattended: boolean;
  pageDelayS: number;
  watch: boolean;
  /** The speed factor given for every plotter; null: each plotter's own. */
  speed: number | null;
}

/** How the last run of this process's queue runner ended. */
export type QueueRunSummary = RunnerSummary & { startedAt: string; endedAt: string };

export interface QueueStatus {
  running: boolean;
  /** When the run started (ISO); null when none runs. */
  since: string | null;
  options: QueueRunOptions | null;
  /** A stop asked for and not yet done. */
  stopping: 'finish' | 'pause' | 'signal' | null;
  /** The run's plotters and their states (empty when none runs). */
  plotters: { plotter: PlotterSummary; state: PlotterState }[];
  /** Plotters waiting for a person to change the paper. */
  waitingForPaper: string[];
  last: QueueRunSummary | null;
}

export interface QueuePreviewInfo {
  /** Queued jobs in queue order: the plotter that will take each, or why none can. */
  jobs: {
    id: string;
    target: JobTarget;
    plotter: string | null;
    startsInS: number | null;
    reason: string | null;
  }[];
  /** ARMED, PLOTTING and PAUSED jobs: the plotter their journal names. */
  onPlotter: Record<string, string>;
}

export interface Results {
  'system.info': SystemInfo;
  'jobs.list': { jobs: IndexedJob[] };
  'jobs.get': JobInfo;
  /** With copies: `job` and `plan` are the first copy's, `copies` every job made, in order. */
  'jobs.add': { job: JobMeta; plan: PlanOutcome | null; copies?: string[] };
  'jobs.plan': PlanOutcome;
  'jobs.queue': { id: string; state: JobState };
  'jobs.remove': { id: string; was: JobState | null };
  'jobs.restart': RestartOutcome & { id: string };
  'jobs.preview': PlanPreview;
  /** The plan's paths snapped to a coarse grid, in the preview's shape. */
  'jobs.thumbnail': PlanPreview;
  'jobs.snapshots': { id: string; snapshots: SnapshotInfo[] };
  'jobs.snapshot': Picture & { id: string; name: string };
  'jobs.markDone': { id: string; state: JobState };
  /** The queue after the move, first to plot first. */
  'jobs.reorder': { id: string; queue: string[] };
  /** The plot runs in the background; follow it with plot.progress, plot.event and job.changed. */
  'plot.start': { id: string; started: true };
  /** `requested`: another vfab process plots the job and was asked to pause through its pause file. */
  'plot.pause': { id: string; state: JobState; requested?: boolean };
  'plot.resume': { id: string; started: true };
  'plot.abort': { id: string; state: JobState };
  'recovery.scan': { jobs: JobCondition[] };
  'devices.list': {
    model: string;
    configured: string | null;
    detected: { path: string; nickname: string | null; serial: string | null }[];
    error: string | null;
    virtual: true;
  };
  'devices.check': PreflightReport;
  'devices.release': { port: string };
  /** `virtual`: the virtual plotter is made with each plot, so there was no pen to move. */
  'devices.pen': { port: string; position: 'up' | 'down'; virtual: boolean };
  'devices.status': { plotters: DeviceLink[] };
  'devices.home': HomeResult;
  'camera.status': CameraInfo;
  'camera.snapshot': Picture & { width?: number; height?: number; savedAs: string | null };
  'camera.viewer': CameraViewer;
  'camera.test': Omit<CameraProbe, 'url' | 'frame'> & { picture?: Picture };
  'settings.get': SettingsInfo;
  'settings.set': SettingsInfo;
  'logs.tail': { file: string; lines: string[] };
  'backup.export': ExportSummary;
  'backup.import': ImportSummary;
  'backup.preview': BackupPreview;
  'backup.list': BackupsInfo;
  'backup.run': ExportSummary & { pruned: string[] };
  'plotters.list': { plotters: PlotterInfo[] };
  /** The plotters whose paper change this confirmed. */
  'plotters.paperChanged': { confirmed: string[] };
  /** `needed`: why a confirmation is asked first, or null. */
  'plotters.ready': { plotter: string; needed: string | null; question: string };
  'plotters.confirmReady': { plotter: string; confirmedAt: string };
  'queue.start': QueueStatus;
  'queue.stop': QueueStatus;
  'queue.status': QueueStatus;
  'queue.preview': QueuePreviewInfo;
}

export interface EventPayloads {
  'job.changed': { id: string; state: JobState };
  /** jobs.remove took the job and its folder away; `was`: its last state. */
  'job.removed': { id: string; was: JobState | null };
  'plot.progress': { id: string } & PlotProgress;
  /** `error`: the plot could not start or stopped on an error (then `event` is 'fail' or 'interrupt'). */
  'plot.event': { id: string; event: PlotEvent; error?: string };
  'camera.status': CameraInfo;
  /** Every event of this process's queue runner (src-main/queue/events.ts), in order. */
  'queue.event': RunnerEvent;
  /** How a plot ended, or a plotter waiting for paper: each once, the kinds config notify.events lists. */
  'notify.outcome': PlotOutcome;
  /** Every plotter this server has lost, each time that list changes (empty: all are back). */
  'device.status': { plotters: DeviceLink[] };
}

/** An error as it crosses the API: any VfabError, by its code and message. */
export class ApiError extends VfabError {
  override name = 'ApiError';
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.length ? path.map(String).join('.') : '(params)';
}

/** Checks a request; every refusal is INVALID_INPUT naming the method and the field. */
export function parseParams<M extends MethodName>(
  method: string,
  params: unknown,
): { method: M; params: Params<M> } {
  if (typeof method !== 'string' || !Object.hasOwn(METHODS, method)) {
    const shown =
      typeof method === 'string'
        ? `'${method.slice(0, 64)}${method.length > 64 ? '…' : ''}'`
        : typeof method;
    throw new ApiError(
      'INVALID_INPUT',
      `Unknown method ${shown}. Methods: ${Object.keys(METHODS).join(', ')}.`,
    );
  }
  const schema = METHODS[method as M].params;
  const parsed = schema.safeParse(params ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field =
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((k) => fieldOf([...issue.path, k])).join(', ')
        : fieldOf(issue.path);
    const what =
      issue.code === 'unrecognized_keys' ? 'is not a parameter of this method' : issue.message;
    throw new ApiError('INVALID_INPUT', `${method}: ${field} ${what}.`);
  }
  return { method: method as M, params: parsed.data as Params<M> };
}
