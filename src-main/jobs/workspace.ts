/**
 * Job folders on disk: `<workspace>/jobs/<id>/{src.svg, job.json, plan.json, journal.jsonl, snapshots/}`.
 * A job folder appears atomically (staged, then renamed into place) so a crash never leaves half a job.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { VfabError } from '../errors';
import { JOB_ID, JOB_ID_RULE } from '../shared/names';
import { MAX_SVG_BYTES } from '../svg/xml';
import { fsyncDir, writeFileAtomic } from '../util/atomic';
import { storageError } from '../util/storage';
import { backupStamp } from '../util/time';
import { appendEntry } from './journal';
import { isProcessAlive } from './lock';

const STAGING_PREFIX = '.staging-';
/** A job being replaced by `add --force`: put back at start-up if the replacement never landed. */
const REPLACED_PREFIX = '.replaced-';
/** A job being deleted: finished off at start-up. */
const DELETED_PREFIX = '.deleted-';

export interface JobFiles {
  dir: string;
  source: string;
  meta: string;
  plan: string;
  /** The queue row's picture, made from the plan (plan/thumbnail-file.ts): a cache. */
  thumbnail: string;
  journal: string;
  snapshots: string;
}

/** job.json: facts about the job that never change after creation. State lives only in the journal. */
export interface JobMeta {
  format: 1;
  id: string;
  source_name: string;
  source_path: string;
  source_size: number;
  source_sha256: string;
  created_at: string;
}

export function jobFiles(jobsDir: string, id: string): JobFiles {
  const dir = path.join(jobsDir, id);
  // Plain concatenation below: start-up builds these for every job, and `dir` is already normal.
  const inDir = (name: string) => `${dir}${path.sep}${name}`;
  return {
    dir,
    source: inDir('src.svg'),
    meta: inDir('job.json'),
    plan: inDir('plan.json'),
    thumbnail: inDir('thumbnail.json'),
    journal: inDir('journal.jsonl'),
    snapshots: inDir('snapshots'),
  };
}

export function isValidJobId(id: string): boolean {
  return JOB_ID.test(id);
}

export function checkJobId(id: string): string {
  if (!isValidJobId(id)) {
    throw new VfabError(
      'INVALID_INPUT',
      `'${id}' is not a valid job id: use ${JOB_ID_RULE} (no '/', no '..').`,
    );
  }
  return id;
}

/** A job id from a file name: `My Drawing (v2).svg` → `My-Drawing-v2`, made unique with -2, -3 … */
export function deriveJobId(fileName: string, taken: (id: string) => boolean): string {
  const stem = path.basename(fileName).replace(/\.[^.]*$/, '');
  const base =
    stem
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .replace(/-+$/, '')
      .slice(0, 120) || 'job';
  if (!taken(base)) return base;
  for (let n = 2; ; n++) if (!taken(`${base}-${n}`)) return `${base}-${n}`;
}

export function jobExists(jobsDir: string, id: string): boolean {
  return fs.existsSync(path.join(jobsDir, id));
}

export interface JobsDirListing {
  ids: string[];
  /** Hidden folders left by creates, replaces and deletes: see cleanInterruptedOperations. */
  pending: string[];
}

/** One read of the jobs folder: job ids, and the hidden folders of unfinished operations. */
export function scanJobsDir(jobsDir: string): JobsDirListing {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(jobsDir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ids: [], pending: [] };
    throw err;
  }
  const listing: JobsDirListing = { ids: [], pending: [] };
  for (const d of entries) {
    if (!d.isDirectory()) continue;
    if (isValidJobId(d.name)) listing.ids.push(d.name);
    else if (d.name.startsWith('.')) listing.pending.push(d.name);
  }
  return listing;
}

/** Ids of every job folder (staging and trash folders are not jobs). */
export function listJobIds(jobsDir: string): string[] {
  return scanJobsDir(jobsDir).ids;
}

export function readJobMeta(jobsDir: string, id: string): JobMeta | undefined {
  try {
    const meta = JSON.parse(fs.readFileSync(jobFiles(jobsDir, id).meta, 'utf8')) as JobMeta;
    return meta && typeof meta === 'object' && meta.id === id ? meta : undefined;
  } catch {
    return undefined;
  }
}

const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Read and hashed a piece at a time into one buffer, so each turn of the event loop costs a few ms at most. */
const READ_CHUNK = 2 ** 19;

async function readSource(file: string): Promise<{ data: Buffer; sha256: string }> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new VfabError('NOT_FOUND', `File '${file}' not found. Check the path and try again.`);
    if (code === 'EISDIR')
      throw new VfabError(
        'INVALID_INPUT',
        `'${file}' is not a regular file. Give the path of an SVG file.`,
      );
    throw new VfabError('INVALID_INPUT', `Cannot read '${file}': ${(err as Error).message}.`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile())
      throw new VfabError(
        'INVALID_INPUT',
        `'${file}' is not a regular file. Give the path of an SVG file.`,
      );
    if (stat.size > MAX_SVG_BYTES) {
      throw new VfabError(
        'INVALID_INPUT',
        `'${file}' is ${MiB(stat.size)} (${stat.size} bytes); vfab reads drawings up to ${MiB(MAX_SVG_BYTES)}. Simplify the drawing or split it into several files.`,
      );
    }
    const data = Buffer.allocUnsafe(stat.size);
    const hash = crypto.createHash('sha256');
    let total = 0;
    const read = async (into: Buffer) => {
      try {
        return (await handle.read(into, 0, into.length, null)).bytesRead;
      } catch (err) {
        throw new VfabError('INVALID_INPUT', `Cannot read '${file}': ${(err as Error).message}.`);
      }
    };
    while (total < data.length) {
      const n = await read(data.subarray(total, total + READ_CHUNK));
      if (!n) break;
      hash.update(data.subarray(total, total + n));
      total += n;
    }
    if (await read(Buffer.alloc(1)))
      throw new VfabError(
        'INVALID_INPUT',
        `'${file}' grew while it was read; add it again once it is saved.`,
      );
    return { data: data.subarray(0, total), sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

async function writeDurable(file: string, data: Buffer): Promise<void> {
  const handle = await fs.promises.open(file, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates a NEW job from `sourceFile`: a byte-identical `src.svg`, `job.json` and the journal's
 * creation entry, staged in a hidden folder and renamed into place. With `replace`, an existing
 * job of that id is moved to trash only once the new one is complete. Reading, hashing and
 * writing the copy (up to MAX_SVG_BYTES) run on libuv's threads: a plot fed from this thread
 * does not wait for them.
 */
export async function createJobFolder(
  jobsDir: string,
  id: string,
  sourceFile: string,
  opts: { replace?: boolean } = {},
): Promise<JobMeta> {
  checkJobId(id);
  const files = jobFiles(jobsDir, id);
  if (!opts.replace && fs.existsSync(files.dir)) {
    throw new VfabError(
      'ALREADY_EXISTS',
      `Job '${id}' already exists. Choose another id, or pass --force to replace it.`,
    );
  }
  const { data, sha256 } = await readSource(sourceFile);
  const staging = path.join(jobsDir, `${STAGING_PREFIX}${id}-${process.pid}-${Date.now()}`);
  try {
    fs.mkdirSync(jobsDir, { recursive: true });
    fs.mkdirSync(staging);
    const staged = jobFiles(path.dirname(staging), path.basename(staging));
    const meta: JobMeta = {
      format: 1,
      id,
      source_name: path.basename(sourceFile),
      source_path: path.resolve(sourceFile),
      source_size: data.length,
      source_sha256: sha256,
      created_at: new Date().toISOString(),
    };
    await writeDurable(staged.source, data);
    writeFileAtomic(staged.meta, `${JSON.stringify(meta, null, 2)}\n`);
    appendEntry(staged.journal, {
      type: 'state_change',
      from_state: null,
      to_state: 'NEW',
      reason: `Job created from ${meta.source_name}`,
      metadata: {
        source_name: meta.source_name,
        source_size: meta.source_size,
        source_sha256: meta.source_sha256,
      },
    });
    const trash =
      opts.replace && fs.existsSync(files.dir)
        ? moveAside(jobsDir, id, REPLACED_PREFIX)
        : undefined;
    fs.renameSync(staging, files.dir);
    fsyncDir(jobsDir);
    if (trash) fs.rmSync(trash, { recursive: true, force: true });
    return meta;
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (err instanceof Error && (err as NodeJS.ErrnoException).code === 'ENOTEMPTY') {
      throw new VfabError(
        'ALREADY_EXISTS',
        `Job '${id}' was created by another process at the same moment. Choose another id.`,
      );
    }
    // The copy, job.json and the first journal line: what a new job needs, give or take a block.
    throw storageError(err, jobsDir, data.length + 4096) ?? err;
  }
}

function moveAside(jobsDir: string, id: string, prefix: string): string {
  const trash = path.join(jobsDir, `${prefix}${id}-${backupStamp()}-${process.pid}`);
  fs.renameSync(path.join(jobsDir, id), trash);
  return trash;
}

/** Deletes a job folder: renamed away first so a crash mid-delete never leaves a half job that looks whole. */
export function deleteJobFolder(jobsDir: string, id: string): void {
  const trash = moveAside(jobsDir, checkJobId(id), DELETED_PREFIX);
  fsyncDir(jobsDir);
  fs.rmSync(trash, { recursive: true, force: true });
}

/**
 * Start-up housekeeping of interrupted creates/deletes: a staging folder older than `staleMs`
 * is dropped (its job never existed); a replaced job whose replacement is missing is put back (the
 * replace was cut between its two renames); a deleted job is finished off. Replaces and deletes
 * whose process (named in the folder) is still alive are left to it, unless older than `staleMs`.
 */
export function cleanInterruptedOperations(
  jobsDir: string,
  staleMs = 60 * 60 * 1000,
  pending: readonly string[] = scanJobsDir(jobsDir).pending,
): { restored: string[]; removed: string[] } {
  const restored: string[] = [];
  const removed: string[] = [];
  const now = Date.now();
  for (const name of pending) {
    if (
      ![STAGING_PREFIX, REPLACED_PREFIX, DELETED_PREFIX].some((prefix) => name.startsWith(prefix))
    )
      continue;
    const full = path.join(jobsDir, name);
    try {
      const stale = now - fs.statSync(full).mtimeMs > staleMs;
      // A replace or delete still being carried out by another vfab process is its own business.
      const owner = Number(/-(\d+)$/.exec(name)?.[1]);
      if (
        !name.startsWith(STAGING_PREFIX) &&
        owner !== process.pid &&
        isProcessAlive(owner) &&
        !stale
      )
        continue;
      if (name.startsWith(REPLACED_PREFIX)) {
        const id = name.slice(REPLACED_PREFIX.length).replace(/-\d{8}T\d{6}-\d+$/, '');
        if (isValidJobId(id) && !fs.existsSync(path.join(jobsDir, id))) {
          fs.renameSync(full, path.join(jobsDir, id));
          restored.push(id);
          continue;
        }
      }
      if (name.startsWith(DELETED_PREFIX) || stale) {
        fs.rmSync(full, { recursive: true, force: true });
        removed.push(name);
      }
    } catch (err) {
      // Another vfab process starting at the same moment finished this one first.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return { restored, removed };
}
