/**
 * Scheduled backups (`backups:` in config.yaml): an export into the backups folder when the newest
 * archive there is older than `interval_hours`, then the folder is pruned to the newest `keep`.
 * Only files named like ours (`vfab-backup-<time>.tar.gz`) are counted or deleted, so a folder
 * shared with other backups, or the `pre-import-*` folders an import leaves, are never touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { resolveConfigPath } from '../config/paths';
import type { Engine } from '../engine';
import { backupStamp } from '../util/time';
import { exportSystem, type ExportProgress, type ExportSummary } from './export';
import { recoverInterruptedImportIfIdle } from './import';

const ARCHIVE_NAME = /^vfab-backup-\d{8}T\d{6}(?:-\d+)?\.tar\.gz$/;

export interface BackupArchive {
  file: string;
  mtimeMs: number;
}

export interface AutoBackupOptions {
  /** Export now whatever the age of the newest archive (`vfab system backup`). */
  force?: boolean;
  /** Run when due even if `backups.auto` is false: a cron job or timer is the user's own opt-in. */
  ignoreAutoSetting?: boolean;
  now?: number;
  nativeBinding?: string;
  onProgress?: (p: ExportProgress) => void;
}

export interface AutoBackupResult {
  ran: boolean;
  /** Why nothing was exported, when `ran` is false. */
  reason?: string;
  dir: string;
  export?: ExportSummary;
  /** Archives deleted to keep `keep`. */
  pruned: string[];
  /** When the next backup is due (ISO). */
  nextDue: string;
}

/** The folder archives go to: `backups.dir` (relative to config.yaml's folder), else `<data>/backups`. */
export function backupDir(
  engine: Pick<Engine, 'config' | 'paths'>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const dir = engine.config.backups.dir;
  return dir
    ? resolveConfigPath(dir, engine.paths, env)
    : path.join(engine.paths.dataDir, 'backups');
}

/** Our archives in `dir`, newest first. */
export function listBackups(dir: string): BackupArchive[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: BackupArchive[] = [];
  for (const name of names) {
    if (!ARCHIVE_NAME.test(name)) continue;
    try {
      const st = fs.statSync(path.join(dir, name));
      if (st.isFile()) out.push({ file: path.join(dir, name), mtimeMs: st.mtimeMs });
    } catch {
      // deleted meanwhile
    }
  }
  return out.sort((a, b) => b.mtimeMs - a.mtimeMs || b.file.localeCompare(a.file));
}

/** The archives beyond the newest `keep`: pure, so the rule can be tested on its own. */
export function archivesToPrune(archives: readonly BackupArchive[], keep: number): BackupArchive[] {
  return [...archives]
    .sort((a, b) => b.mtimeMs - a.mtimeMs || b.file.localeCompare(a.file))
    .slice(Math.max(1, keep));
}

function freeName(dir: string, now: number): string {
  const stem = `vfab-backup-${backupStamp(new Date(now))}`;
  let file = path.join(dir, `${stem}.tar.gz`);
  for (let n = 2; fs.existsSync(file); n++) file = path.join(dir, `${stem}-${n}.tar.gz`);
  return file;
}

/**
 * Exports when due and prunes. The app calls this on a timer (it respects `backups.auto`);
 * `vfab system backup [--if-due]` calls it for cron and systemd timers.
 */
export async function runAutoBackupIfDue(
  engine: Pick<Engine, 'config' | 'paths' | 'logger'>,
  opts: AutoBackupOptions = {},
): Promise<AutoBackupResult> {
  const settings = engine.config.backups;
  const now = opts.now ?? Date.now();
  const intervalMs = settings.interval_hours * 3_600_000;
  const dir = backupDir(engine);
  const newest = listBackups(dir)[0];
  const due = !newest || now - newest.mtimeMs >= intervalMs;
  const nextDue = newest && !due ? newest.mtimeMs + intervalMs : now;
  if (!opts.force && !settings.auto && !opts.ignoreAutoSetting) {
    return {
      ran: false,
      reason: 'automatic backups are off (backups.auto: false in config.yaml)',
      dir,
      pruned: [],
      nextDue: new Date(nextDue).toISOString(),
    };
  }
  if (!opts.force && !due) {
    return {
      ran: false,
      reason: `the newest backup (${path.basename(newest!.file)}) is younger than ${settings.interval_hours} h`,
      dir,
      pruned: [],
      nextDue: new Date(nextDue).toISOString(),
    };
  }
  const recovered = recoverInterruptedImportIfIdle(engine.paths);
  if (recovered) engine.logger.warning(recovered);
  const summary = await exportSystem({
    paths: engine.paths,
    output: freeName(dir, now),
    backupsDir: dir,
    nativeBinding: opts.nativeBinding,
    onProgress: opts.onProgress,
  });
  const pruned: string[] = [];
  for (const old of archivesToPrune(listBackups(dir), settings.keep)) {
    if (old.file === summary.file) continue;
    fs.rmSync(old.file, { force: true });
    pruned.push(old.file);
  }
  engine.logger.info(
    `backup written to ${summary.file} (${summary.jobs} job(s), ${summary.archiveBytes} bytes)${pruned.length ? `; ${pruned.length} older backup(s) deleted` : ''}`,
  );
  return {
    ran: true,
    dir,
    export: summary,
    pruned,
    nextDue: new Date(now + intervalMs).toISOString(),
  };
}

export interface BackupScheduleOptions {
  /** How often to look whether a backup is due; the first look is after `firstMs` (default: the same). */
  everyMs: number;
  firstMs?: number;
  nativeBinding?: string;
  /** Why not now (e.g. a plot is running): the look is skipped and made again at the next tick. */
  holdOff?: () => string | undefined;
  onResult?: (r: AutoBackupResult) => void;
}

/**
 * The app's and `vfab serve`'s timer for `backups.auto`: looks every `everyMs`, exports when due.
 * One export at a time; a failure is logged and tried again at the next look. Returns stop().
 */
export function startBackupSchedule(
  engine: Pick<Engine, 'config' | 'paths' | 'logger'>,
  opts: BackupScheduleOptions,
): () => void {
  let running = false;
  let timer: NodeJS.Timeout;
  const look = async () => {
    if (running || !engine.config.backups.auto) return;
    const held = opts.holdOff?.();
    if (held) return engine.logger.debug(`scheduled backup waits: ${held}`);
    running = true;
    try {
      const r = await runAutoBackupIfDue(engine, { nativeBinding: opts.nativeBinding });
      if (r.ran) opts.onResult?.(r);
    } catch (err) {
      engine.logger.warning(
        `scheduled backup failed: ${(err as Error)?.message ?? String(err)}; trying again in ${Math.round(opts.everyMs / 60_000)} min`,
      );
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => {
    void look();
    timer = setInterval(() => void look(), opts.everyMs);
    timer.unref();
  }, opts.firstMs ?? opts.everyMs);
  first.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
