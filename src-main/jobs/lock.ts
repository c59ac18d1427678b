/**
 * A small cross-process lock: a file created with O_EXCL that names its holder. Synchronous on
 * purpose: the sections it guards (a journal append, a transition) are a few milliseconds of
 * synchronous I/O, and a sync lock cannot be interleaved with other work in the same process.
 */
import { VfabError } from '../errors';
import fs from 'node:fs';
import os from 'node:os';
import { procShowsEnded } from '../util/proc-stat';

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO 8601 time the lock was taken. */
  since: string;
  /** Linux boot id: a lock from an earlier boot is stale whatever its pid says now. */
  boot?: string;
}

export interface LockOptions {
  /** How long to wait for a live holder; default 5000 ms. */
  timeoutMs?: number;
  /** What the lock protects, for the timeout message (e.g. "the journal of job demo"). */
  what?: string;
}

const DEFAULT_TIMEOUT_MS = 5000;
/** A holder writes its name right after creating the file; an empty file older than this was left by a crash. */
const EMPTY_LOCK_STALE_MS = 3000;
/** The breaker is held for microseconds; one this old was left by a crash while breaking. */
const BREAKER_STALE_MS = 10_000;

export class LockTimeoutError extends VfabError {
  override readonly name = 'LockTimeoutError';
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder | undefined,
    timeoutMs: number,
    what: string | undefined,
  ) {
    const who = holder
      ? `pid ${holder.pid} on host ${holder.host} (since ${holder.since})`
      : 'an unknown process';
    super(
      'BUSY',
      `Timed out after ${timeoutMs} ms waiting for ${what ?? 'the lock'}: ${lockPath} is held by ${who}. ` +
        `If that process is a running vfab, let it finish or stop it; if no such process exists, delete ${lockPath}.`,
    );
  }
}

/**
 * True if a process with this pid exists and has not ended (also when it belongs to another
 * user). A zombie, killed but not yet reaped by its parent, still answers kill(pid, 0): it is dead.
 */
export function isProcessAlive(pid: number): boolean {
  // kill(0) or kill(-n) would signal process groups, not test one process.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !procShowsEnded(pid);
}

/** The holder named in a lock file; undefined when the file is missing, empty or not a lock we wrote. */
export function readLockHolder(lockPath: string): LockHolder | undefined {
  const raw = readOrUndefined(lockPath);
  return raw === undefined ? undefined : parseHolder(raw);
}

/** Runs `fn` while holding `lockPath`; the lock file is removed afterwards even if `fn` throws. */
export function withFileLock<T>(lockPath: string, fn: () => T, opts: LockOptions = {}): T {
  acquire(lockPath, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, opts.what);
  try {
    return fn();
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}

function acquire(lockPath: string, timeoutMs: number, what: string | undefined): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (tryCreate(lockPath)) return;
    const raw = readOrUndefined(lockPath);
    if (raw === undefined) continue; // released between our create and our read
    if (isStale(lockPath, raw)) {
      breakStale(lockPath, raw);
      continue;
    }
    if (Date.now() >= deadline)
      throw new LockTimeoutError(lockPath, parseHolder(raw), timeoutMs, what);
    sleepSync(1 + Math.random() * 4);
  }
}

function tryCreate(lockPath: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(lockPath, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, JSON.stringify(thisProcess()));
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(lockPath, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  return true;
}

/** This process, as a lock file names its holder. */
export function thisProcess(): LockHolder {
  return { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), boot: bootId() };
}

/** False once the holder is surely gone: its process died, or it ran before this boot. */
export function holderMayBeAlive(holder: LockHolder): boolean {
  // A holder on another machine (shared folder) cannot be checked from here: it may be alive.
  if (holder.host !== os.hostname()) return true;
  const ourBoot = bootId();
  if (holder.boot && ourBoot && holder.boot !== ourBoot) return false;
  return isProcessAlive(holder.pid);
}

function isStale(lockPath: string, raw: string): boolean {
  const holder = parseHolder(raw);
  if (!holder) return olderThan(lockPath, EMPTY_LOCK_STALE_MS);
  return !holderMayBeAlive(holder);
}

/**
 * Two waiters can judge the same lock stale; if both simply unlinked it, the slower one could
 * delete the lock the faster one has just taken. Breaking therefore happens under a second,
 * briefly held lock, and only if the lock file still holds exactly the stale content.
 */
function breakStale(lockPath: string, staleRaw: string): void {
  const breaker = `${lockPath}.break`;
  if (!tryCreate(breaker)) {
    if (olderThan(breaker, BREAKER_STALE_MS)) fs.rmSync(breaker, { force: true });
    sleepSync(1);
    return;
  }
  try {
    if (readOrUndefined(lockPath) === staleRaw) fs.rmSync(lockPath, { force: true });
  } finally {
    fs.rmSync(breaker, { force: true });
  }
}

function parseHolder(raw: string): LockHolder | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v !== 'object' || v === null) return undefined;
    const { pid, host, since, boot } = v as Record<string, unknown>;
    if (typeof pid !== 'number' || typeof host !== 'string' || typeof since !== 'string')
      return undefined;
    return typeof boot === 'string' ? { pid, host, since, boot } : { pid, host, since };
  } catch {
    return undefined;
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function olderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs > ms;
  } catch {
    return false; // gone already: the next attempt will see
  }
}

let cachedBootId: string | undefined | null = null;
/** Linux boot id, cached; undefined elsewhere. */
export function bootId(): string | undefined {
  if (cachedBootId === null) {
    try {
      cachedBootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      cachedBootId = undefined; // not Linux
    }
  }
  return cachedBootId;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}
