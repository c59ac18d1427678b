/**
 * `vfab system import`: restore an archive made by `vfab system export`, all or nothing.
 *
 * 1. Refuse while a plot is running (its files would change under it).
 * 2. Read the whole archive once, writing nothing: every member, every checksum against the
 *    manifest, and its declared size against the free space (extract.ts). Then stream it again
 *    into a staging folder inside the data folder; any problem removes the staging folder and
 *    leaves the installation untouched. The imported config keeps this computer's paths.
 * 3. Move what is there now into `<data>/backups/pre-import-<time>/` and the staged files into
 *    place, by renames, undoing them all if any step fails.
 * 4. Open the engine once: the index is reconciled with the imported journals (they win).
 *
 * `--job <id>` instead adds one job from an archive to the current workspace.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import { ConfigError, defaultConfig, parseConfig, type VfabConfig } from '../config/config';
import { applyConfigPaths, resolvePaths, type VfabPaths } from '../config/paths';
import { openEngine } from '../engine';
import { VfabError } from '../errors';
import { checkJobId, jobFiles, type JobMeta } from '../jobs/workspace';
import { livePlotOwners } from '../jobs/owner';
import { fsyncDir, writeFileAtomic } from '../util/atomic';
import { backupStamp } from '../util/time';
import { stageArchive, verifyArchive, type ArchivePhase } from './extract';
import { findInstallation, type Installation } from './installation';
import { describeKept, localizeConfig, type KeptSetting } from './local-config';
import {
  CONFIG_MEMBER,
  DATABASE_MEMBER,
  jobOfMember,
  JOBS_ROOT,
  WORKSPACE_ROOT,
  type Manifest,
} from './manifest';
import { recoverInterruptedImport, runSwap, SWAP_MARKER, type SwapStep } from './swap';
import { ArchiveError, type TarLimits } from './tar';

export interface ImportOptions {
  archive: string;
  env?: NodeJS.ProcessEnv;
  nativeBinding?: string;
  /** Check the archive completely and change nothing. */
  verifyOnly?: boolean;
  limits?: TarLimits;
  /** Compressed bytes read, of `total`, while the archive is checked and then written. */
  onProgress?: (read: number, total: number, phase: ArchivePhase) => void;
}

export interface ArchiveInfo {
  file: string;
  created_at: string;
  vfab_version: string;
  host: string;
  files: number;
  jobs: number;
  notes: string[];
}

export interface ImportSummary {
  archive: ArchiveInfo;
  verifyOnly: boolean;
  /** The jobs in the index after the import, with their states. */
  jobs: { id: string; state: string }[];
  /** Where the replaced config, database and workspace were kept. */
  backupDir?: string;
  config: 'restored' | 'kept' | 'none';
  /** Settings of the imported config that name places on disk: this installation's values were kept. */
  keptSettings: KeptSetting[];
  database: 'restored' | 'rebuilt from the journals' | 'none';
  notes: string[];
  ms: number;
}

export interface JobImportOptions {
  archive: string;
  job: string;
  /** Import under this id instead. */
  as?: string;
  env?: NodeJS.ProcessEnv;
  nativeBinding?: string;
  limits?: TarLimits;
}

function archiveInfo(file: string, m: Manifest): ArchiveInfo {
  return {
    file,
    created_at: m.created_at,
    vfab_version: m.vfab_version,
    host: m.host,
    files: m.files.length,
    jobs: m.jobs,
    notes: m.notes,
  };
}

/** The archive's absolute path, or NOT_FOUND / INVALID_INPUT saying what a backup file is. */
export function checkArchiveFile(archive: string): string {
  const file = path.resolve(archive);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new VfabError(
      'NOT_FOUND',
      `Backup file '${archive}' not found. Give the path of a .tar.gz made by 'vfab system export'.`,
    );
  }
  if (!st.isFile())
    throw new VfabError(
      'INVALID_INPUT',
      `'${archive}' is not a file. Give the path of a .tar.gz made by 'vfab system export'.`,
    );
  return file;
}

/** BUSY naming the job and process when a plot runs: its files must not change under it. */
export function refuseWhilePlotting(jobsDir: string, what: string): void {
  const live = livePlotOwners(jobsDir);
  if (!live.length) return;
  const who = live
    .map(
      (s) =>
        `job '${s.owner.job}' (pid ${s.owner.pid} on ${s.owner.host}, device ${s.owner.device})`,
    )
    .join(', ');
  throw new VfabError(
    'BUSY',
    `Cannot ${what} while a plot is running: ${who}. Let it finish or pause it (vfab pause ${live[0]!.owner.job}), then try again.`,
  );
}

/**
 * Undoes an import a crash cut short, unless a plot is running on those files right now (then
 * it is left for later and said so). Export and scheduled backups call this before reading.
 */
export function recoverInterruptedImportIfIdle(
  paths: Pick<VfabPaths, 'dataDir' | 'jobsDir'>,
): string | undefined {
  if (!fs.existsSync(path.join(paths.dataDir, SWAP_MARKER))) return undefined;
  if (livePlotOwners(paths.jobsDir).length)
    return `an interrupted import was found (${path.join(paths.dataDir, SWAP_MARKER)}); it will be undone when no plot is running`;
  return recoverInterruptedImport(paths.dataDir);
}

/** A staging folder that is always removed again, with the data folder if we had to create it. */
function makeStaging(
  parent: string,
  name: string,
): { dir: string; remove(succeeded: boolean): void } {
  const createdParent = !fs.existsSync(parent);
  fs.mkdirSync(parent, { recursive: true });
  const dir = path.join(parent, name);
  fs.mkdirSync(dir);
  return {
    dir,
    remove(succeeded) {
      fs.rmSync(dir, { recursive: true, force: true });
      if (createdParent && !succeeded) fs.rmSync(parent, { recursive: true, force: true });
    },
  };
}

/** The staged database, if SQLite can read it: a damaged one is left out and rebuilt from the journals. */
function stagedDatabaseOk(file: string, nativeBinding: string | undefined): string | undefined {
  try {
    const db = new Database(file, {
      readonly: true,
      fileMustExist: true,
      ...(nativeBinding ? { nativeBinding } : {}),
    });
    try {
      const check = String(db.pragma('quick_check', { simple: true }));
      return check === 'ok' ? undefined : check;
    } finally {
      db.close();
    }
  } catch (err) {
    return (err as Error).message;
  }
}

function loadsOrRefused(text: string, label: string): VfabConfig {
  try {
    return parseConfig(text, `${label}:${CONFIG_MEMBER}`).config;
  } catch (err) {
    if (err instanceof ConfigError)
      throw new ArchiveError(
        `The config in ${label} would not load, so it was not imported: ${err.message}`,
      );
    throw err;
  }
}

/**
 * Rewrites the staged config so that every path in it is this installation's (local-config.ts),
 * and returns what was replaced. The result must load and resolve to exactly the current folders.
 */
function localizeStagedConfig(
  file: string,
  label: string,
  inst: Installation,
  env: NodeJS.ProcessEnv,
): KeptSetting[] {
  const text = fs.readFileSync(file, 'utf8');
  // A current config that does not load is not in use: its defaults are, so the archive gets those.
  const currentText =
    inst.config && fs.existsSync(inst.paths.configFile)
      ? fs.readFileSync(inst.paths.configFile, 'utf8')
      : undefined;
  const { text: local, kept } = localizeConfig(
    { text, config: loadsOrRefused(text, label) },
    { text: currentText, config: inst.config ?? defaultConfig() },
  );
  const resolved = applyConfigPaths(resolvePaths(env), loadsOrRefused(local, label), env);
  if (!isDeepStrictEqual(resolved, inst.paths)) {
    throw new VfabError(
      'INTERNAL',
      `The config in ${label} would still move vfab's folders (${resolved.workspaceDir}, ${resolved.logFile}); it was not imported. Please report this.`,
    );
  }
  if (kept.length) fs.writeFileSync(file, local);
  return kept;
}

const DB_SIDE_FILES = ['', '-wal', '-shm'];

function readmeText(
  stamp: string,
  archive: string,
  paths: VfabPaths,
  workspaceBackup: string,
): string {
  return [
    `State of vfab before 'vfab system import --backup ${archive}' at ${stamp}.`,
    '',
    'To go back to it by hand (with vfab and the app closed):',
    `  config.yaml -> ${paths.configFile}`,
    `  vfab.db     -> ${paths.dbFile}`,
    `  ${workspaceBackup} -> ${paths.workspaceDir}`,
    '',
  ].join('\n');
}

export async function importSystem(opts: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const env = opts.env ?? process.env;
  const archive = checkArchiveFile(opts.archive);
  const inst = findInstallation(env);
  const current = inst.paths;
  const notes: string[] = [];
  if (!opts.verifyOnly) {
    refuseWhilePlotting(current.jobsDir, 'import a backup');
    const recovered = recoverInterruptedImport(current.dataDir);
    if (recovered) notes.push(recovered);
  }

  // A check needs only the config and the database on disk (SQLite reads a file); the rest is hashed.
  const keep = opts.verifyOnly
    ? (p: string) => p === CONFIG_MEMBER || p === DATABASE_MEMBER
    : undefined;
  const verified = await verifyArchive(archive, {
    stagingParent: current.dataDir,
    keep,
    limits: opts.limits,
    onProgress: opts.onProgress,
  });
  const info = archiveInfo(archive, verified.manifest);
  const stamp = backupStamp();
  const hadBackups = fs.existsSync(path.join(current.dataDir, 'backups'));
  const staging = makeStaging(current.dataDir, `.import-${stamp}-${process.pid}`);
  let committed = false;
  let backupName: string | undefined;
  try {
    await stageArchive(verified, staging.dir);
    const stagedCfg = path.join(staging.dir, CONFIG_MEMBER);
    const hasCfg = fs.existsSync(stagedCfg);
    const keptSettings = hasCfg ? localizeStagedConfig(stagedCfg, archive, inst, env) : [];
    const stagedDb = path.join(staging.dir, DATABASE_MEMBER);
    const stagedWs = path.join(staging.dir, WORKSPACE_ROOT);
    let hasDb = fs.existsSync(stagedDb);
    if (hasDb) {
      const bad = stagedDatabaseOk(stagedDb, opts.nativeBinding);
      if (bad) {
        notes.push(
          `the database in the archive is damaged (${bad}); it was left out and the index is rebuilt from the journals`,
        );
        fs.rmSync(stagedDb, { force: true });
        hasDb = false;
      }
    }
    if (opts.verifyOnly) {
      return {
        archive: info,
        verifyOnly: true,
        jobs: [],
        config: hasCfg ? 'restored' : 'none',
        keptSettings,
        database: hasDb ? 'restored' : 'none',
        notes,
        ms: Math.round(performance.now() - started),
      };
    }
    if (!fs.existsSync(stagedWs)) fs.mkdirSync(path.join(stagedWs, 'jobs'), { recursive: true });

    // A plot may have started while we were reading the archive.
    refuseWhilePlotting(current.jobsDir, 'import a backup');
    let backupDir = path.join(current.dataDir, 'backups', `pre-import-${stamp}`);
    for (let n = 2; fs.existsSync(backupDir); n++)
      backupDir = path.join(current.dataDir, 'backups', `pre-import-${stamp}-${n}`);
    fs.mkdirSync(backupDir, { recursive: true });
    backupName = path.basename(backupDir);
    const inData = (p: string) => !path.relative(current.dataDir, p).startsWith('..');
    // Renames must stay on one file system: a workspace kept elsewhere is backed up beside itself.
    const workspaceBackup = inData(current.workspaceDir)
      ? path.join(backupDir, 'workspace')
      : `${current.workspaceDir}.pre-import-${stamp}`;
    const steps: SwapStep[] = [];
    if (hasCfg) {
      const hadConfig = fs.existsSync(current.configFile);
      const cfgBackup = path.join(backupDir, 'config.yaml');
      if (hadConfig) fs.copyFileSync(current.configFile, cfgBackup);
      const mode = hadConfig ? fs.statSync(current.configFile).mode & 0o777 : 0o600;
      steps.push({
        kind: 'write',
        file: current.configFile,
        source: stagedCfg,
        backup: hadConfig ? cfgBackup : null,
        mode,
      });
    }
    for (const suffix of DB_SIDE_FILES)
      steps.push({
        kind: 'move',
        from: `${current.dbFile}${suffix}`,
        to: path.join(backupDir, `vfab.db${suffix}`),
      });
    if (hasDb) steps.push({ kind: 'move', from: stagedDb, to: current.dbFile });
    steps.push({ kind: 'move', from: current.workspaceDir, to: workspaceBackup });
    steps.push({ kind: 'move', from: stagedWs, to: current.workspaceDir });
    fs.writeFileSync(
      path.join(backupDir, 'README.txt'),
      readmeText(stamp, archive, current, workspaceBackup),
    );

    const swap = runSwap(current.dataDir, { backup_dir: backupDir, staging: staging.dir, steps });
    let jobs: { id: string; state: string }[];
    try {
      const engine = openEngine({ env, nativeBinding: opts.nativeBinding });
      try {
        jobs = engine.store.all().map((j) => ({ id: j.id, state: j.state }));
        jobs.sort((a, b) => a.id.localeCompare(b.id));
        for (const u of engine.startup.reconcile.unreadable) notes.push(`job ${u.id}: ${u.reason}`);
        engine.logger.info(
          `system import from ${archive} (made ${info.created_at} by vfab ${info.vfab_version} on ${info.host}): ${jobs.length} job(s); the previous state is kept in ${backupDir}`,
        );
        for (const k of keptSettings) engine.logger.warning(`system import: ${describeKept(k)}`);
      } finally {
        engine.close();
      }
    } catch (err) {
      const problems = swap.rollback();
      throw new VfabError(
        'INTERNAL',
        `The imported files did not open (${(err as Error).message}); the import was undone${problems.length ? `, except: ${problems.join('; ')}` : ''}. The previous state is in ${backupDir}.`,
      );
    }
    swap.commit();
    committed = true;
    return {
      archive: info,
      verifyOnly: false,
      jobs,
      backupDir,
      config: hasCfg ? 'restored' : 'kept',
      keptSettings,
      database: hasDb ? 'restored' : 'rebuilt from the journals',
      notes,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    // After a commit the staging folder holds only emptied folders; before it, the whole attempt.
    if (!committed) removeEmptyBackup(current.dataDir, backupName, hadBackups);
    staging.remove(committed);
  }
}

/** A refused import must leave no trace: drop the backup folder it prepared but never filled. */
function removeEmptyBackup(dataDir: string, name: string | undefined, hadBackups: boolean): void {
  const backups = path.join(dataDir, 'backups');
  if (name === undefined || !fs.existsSync(path.join(backups, name))) return;
  const dir = path.join(backups, name);
  const left = fs.readdirSync(dir).filter((n) => n !== 'README.txt' && n !== 'config.yaml');
  if (left.length) return;
  fs.rmSync(dir, { recursive: true, force: true });
  if (!hadBackups && fs.readdirSync(backups).length === 0) fs.rmdirSync(backups);
}

/** Adds one job from an archive to the current workspace, under its own id or `as`. */
export async function importJob(
  opts: JobImportOptions,
): Promise<{ id: string; from: string; state: string; archive: ArchiveInfo }> {
  const env = opts.env ?? process.env;
  const archive = checkArchiveFile(opts.archive);
  const source = checkJobId(opts.job);
  const id = checkJobId(opts.as ?? opts.job);
  const { paths } = findInstallation(env);
  const dest = jobFiles(paths.jobsDir, id).dir;
  if (fs.existsSync(dest)) {
    throw new VfabError(
      'ALREADY_EXISTS',
      `Job '${id}' already exists in this workspace; nothing was imported. Import it under another id: vfab system import --backup ${opts.archive} --job ${source} --as ${id}-restored`,
    );
  }
  const prefix = `${JOBS_ROOT}/${source}`;
  const verified = await verifyArchive(archive, {
    stagingParent: paths.jobsDir,
    keep: (p) => p === prefix || p.startsWith(`${prefix}/`),
    limits: opts.limits,
  });
  if (!verified.kept.length) {
    const ids = [
      ...new Set([...verified.found.keys()].map(jobOfMember).filter((j): j is string => !!j)),
    ].sort();
    throw new VfabError(
      'NOT_FOUND',
      `${archive} has no job '${source}'. Jobs in it: ${ids.length ? ids.slice(0, 20).join(', ') + (ids.length > 20 ? ` … (${ids.length})` : '') : 'none'}.`,
    );
  }
  // Staged inside the jobs folder so the final step is one rename; a leftover is cleaned at start-up.
  const staging = makeStaging(paths.jobsDir, `.staging-import-${id}-${process.pid}-${Date.now()}`);
  let moved = false;
  try {
    await stageArchive(verified, staging.dir);
    const staged = path.join(staging.dir, prefix);
    if (id !== source) renameJobMeta(staged, source, id);
    if (fs.existsSync(dest))
      throw new VfabError(
        'ALREADY_EXISTS',
        `Job '${id}' was created while the archive was read; nothing was imported. Choose another id with --as.`,
      );
    fs.renameSync(staged, dest);
    moved = true;
    fsyncDir(paths.jobsDir);
    const engine = openEngine({ env, nativeBinding: opts.nativeBinding });
    try {
      engine.jobs.reindex(id);
      const state = engine.store.get(id)?.state ?? 'unreadable';
      engine.logger.info(
        `imported from ${archive}${id !== source ? ` (job '${source}' there)` : ''}`,
        id,
      );
      return { id, from: source, state, archive: archiveInfo(archive, verified.manifest) };
    } finally {
      engine.close();
    }
  } finally {
    staging.remove(moved);
  }
}

/** job.json names its id, and a job whose job.json names another id is not trusted: rewrite it. */
function renameJobMeta(dir: string, from: string, to: string): void {
  const file = path.join(dir, 'job.json');
  let meta: JobMeta;
  try {
    meta = JSON.parse(fs.readFileSync(file, 'utf8')) as JobMeta;
  } catch {
    return; // no readable job.json: the journal alone describes the job
  }
  if (meta && typeof meta === 'object' && meta.id === from)
    writeFileAtomic(file, `${JSON.stringify({ ...meta, id: to }, null, 2)}\n`);
}
