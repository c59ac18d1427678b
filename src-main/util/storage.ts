/**
 * A disk that is full or cannot be written, said as what it is: which folder, how much space,
 * what to do. These exit DATA (8): the data folder cannot be used as it is, and the fix lies
 * there (free space, remount, permissions), not in the command line or config.yaml.
 */
import fs from 'node:fs';
import path from 'node:path';
import { VfabError } from '../errors';

/** errno codes, and SQLite's, of a disk with no room left. */
const FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
/** A read-only mount (SQLite: its file or folder cannot be written). */
const READ_ONLY = /^(EROFS$|SQLITE_READONLY)/;
const DENIED = new Set(['EACCES', 'EPERM']);
/**
 * SQLite reports an ENOSPC met while making its -shm or -wal file as a plain "disk I/O error"
 * (or "unable to open"). With less than this left on the disk, that is the full disk.
 */
const SQLITE_IO = /^SQLITE_(IOERR|CANTOPEN)/;
const NEARLY_FULL_BYTES = 1024 * 1024;

export const DATA_DIR_HINT =
  'or point VFAB_DATA_DIR (paths.data_dir in config.yaml) at a writable folder';

/** 1536 → "1.5 KiB": free space is read by people. */
export function sizeText(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let u = 0;
  for (; n >= 1024 && u < units.length - 1; u++) n /= 1024;
  return u === 0 ? `${n} B` : `${n.toFixed(1)} ${units[u]}`;
}

/** Free bytes for this user on the disk holding `folder` (or its nearest existing parent). */
export function freeBytes(folder: string): number | undefined {
  for (let dir = path.resolve(folder); ; dir = path.dirname(dir)) {
    try {
      const s = fs.statfsSync(dir);
      return s.bavail * s.bsize;
    } catch {
      if (dir === path.dirname(dir)) return undefined;
    }
  }
}

function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isStorageCode(code: string | undefined): code is string {
  return code !== undefined && (FULL.has(code) || READ_ONLY.test(code) || DENIED.has(code));
}

/** The errno (or SQLite) code of a storage failure: the error's own, or its cause's when vfab already wrapped it. */
function storageCode(err: unknown): string | undefined {
  const own = errCode(err);
  if (isStorageCode(own)) return own;
  const cause = err instanceof Error ? errCode(err.cause) : undefined;
  return isStorageCode(cause) ? cause : undefined;
}

/** What is wrong, naming the folder, and what to do: said as an error, or by `vfab check self`. */
export interface StorageProblem {
  kind: 'full' | 'read-only' | 'denied';
  reason: string;
  fix: string;
}

function diskFull(folder: string, neededBytes: number | undefined, quota: boolean): StorageProblem {
  const free = freeBytes(folder);
  const numbers = [
    free === undefined ? '' : `${sizeText(free)} free`,
    neededBytes ? `${sizeText(neededBytes)} needed` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return {
    kind: 'full',
    reason: `${quota ? 'your disk quota for' : 'the disk holding'} ${folder} is ${quota ? 'used up' : 'full'}${numbers ? ` (${numbers})` : ''}`,
    fix: 'free some space there (vfab cleanup --jobs --older-than 30d removes finished jobs) and retry',
  };
}

function readOnly(folder: string): StorageProblem {
  return {
    kind: 'read-only',
    reason: `${folder} is on a read-only file system`,
    fix: `remount it read-write, ${DATA_DIR_HINT}`,
  };
}

function denied(folder: string): StorageProblem {
  return {
    kind: 'denied',
    reason: `this user may not write to ${folder} (permission denied)`,
    fix: `give this user write access to it (ls -ld ${folder} shows its owner), run vfab as its owner, ${DATA_DIR_HINT}`,
  };
}

/** A write into `folder` that failed because the disk is full, read-only or not ours; undefined for any other failure. */
export function storageProblem(
  err: unknown,
  folder: string,
  neededBytes?: number,
): StorageProblem | undefined {
  const code = storageCode(err);
  if (!code)
    return SQLITE_IO.test(errCode(err) ?? '') && (freeBytes(folder) ?? Infinity) < NEARLY_FULL_BYTES
      ? diskFull(folder, neededBytes, false)
      : undefined;
  if (FULL.has(code)) return diskFull(folder, neededBytes, code === 'EDQUOT');
  return READ_ONLY.test(code) ? readOnly(folder) : denied(folder);
}

export const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** "The disk holding … is full (…). Free some space there …." */
export function problemText(p: Pick<StorageProblem, 'reason' | 'fix'>): string {
  return `${sentence(p.reason)}. ${sentence(p.fix)}.`;
}

/**
 * The VfabError for a write into `folder` that failed because the disk is full, read-only or
 * not ours (also when vfab already said so about a folder inside: this one is named instead);
 * undefined for any other failure, which the caller rethrows as it was.
 */
export function storageError(
  err: unknown,
  folder: string,
  neededBytes?: number,
): VfabError | undefined {
  const problem = storageProblem(err, folder, neededBytes);
  if (!problem) return undefined;
  const said = new VfabError('DATA', problemText(problem));
  said.cause = err instanceof VfabError ? err.cause : err;
  return said;
}

/**
 * The same, for an error that reached a command's boundary without being said: the folder is
 * the one the failed call named (fs errors carry the path), else `fallbackFolder` (the data
 * folder). A permission error counts only with its path: without one it may not be a write.
 */
export function storageErrorAt(err: unknown, fallbackFolder: string): VfabError | undefined {
  if (err instanceof VfabError) return undefined;
  const at = (err as { path?: unknown } | null)?.path;
  if (typeof at === 'string') return storageError(err, path.dirname(at));
  return DENIED.has(errCode(err) ?? '') ? undefined : storageError(err, fallbackFolder);
}

/** What a path is, for a message saying it is the wrong kind of thing. */
export function fileKind(stat: fs.Stats): string {
  if (stat.isFile()) return 'a regular file';
  if (stat.isDirectory()) return 'a folder';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isFIFO()) return 'a named pipe';
  if (stat.isSocket()) return 'a socket';
  return 'a symbolic link';
}
