/**
 * Who is plotting what (docs/recovery.md, invariant 5). A running plot holds two owner files: one in the
 * job folder (`plot.owner`) and one per device (`<data>/locks/device-<name>.owner`). Each names
 * its process, host and boot, and is rewritten every few seconds, so any other process can tell
 * a live owner (pid alive on this host and boot, recently refreshed) from the leftovers of a crash.
 *
 * Claiming is O_EXCL create; a leftover whose process is provably gone is taken over (under the
 * journal-style breaker of lock.ts), so a SIGKILL or power cut never blocks the next plot.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VfabError } from '../errors';
import { bootId, isProcessAlive, sleepSync } from './lock';
import { writeFileAtomic } from '../util/atomic';

export const OWNER_FILE = 'plot.owner';
/** How often a live owner rewrites its files. */
export const REFRESH_MS = 2000;
/**
 * Another host's process cannot be asked whether it lives: its owner is dead once neither its own
 * clock (`refreshed`) nor the file's modification time has moved for this long (30 refreshes
 * missed), so a crash there, or an owner file copied from elsewhere, never blocks for ever.
 */
export const FOREIGN_OWNER_STALE_MS = 30 * REFRESH_MS;
const EMPTY_OWNER_STALE_MS = 3000;

export interface PlotOwner {
  job: string;
  device: string;
  pid: number;
  host: string;
  boot?: string;
  /** ISO times: when the plot started, and the owner's last refresh. */
  since: string;
  refreshed: string;
}

export type OwnerLiveness =
  /** Process alive on this host and boot. */
  | 'live'
  /** Process gone, or an earlier boot: the plot was interrupted. */
  | 'dead'
  /** Another host (shared folder), refreshed within FOREIGN_OWNER_STALE_MS: cannot be checked from here, treated as live. */
  | 'remote';

export interface OwnerStatus {
  owner: PlotOwner;
  liveness: OwnerLiveness;
  /** Milliseconds since the owner last refreshed (by its own clock's ISO time). */
  silentMs: number;
}

export interface PlotClaim {
  readonly owner: PlotOwner;
  /** Stops refreshing and removes both owner files (only if they are still ours). */
  release(): void;
}

export function jobOwnerFile(jobDir: string): string {
  return path.join(jobDir, OWNER_FILE);
}

export function deviceOwnerFile(dataDir: string, device: string): string {
  const slug = device.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'device';
  return path.join(dataDir, 'locks', `device-${slug}.owner`);
}

/** Reads and judges an owner file; undefined when there is none (or it is not one of ours). */
export function readOwner(file: string, now = Date.now()): OwnerStatus | undefined {
  let raw: string;
  try {
    // Most jobs have no owner: asking first is much cheaper than a thrown ENOENT, for thousands of jobs.
    if (!fs.existsSync(file)) return undefined;
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const owner = parseOwner(raw);
  if (!owner) return undefined;
  const silentMs = Math.max(0, now - (Date.parse(owner.refreshed) || 0));
  return {
    owner,
    liveness: livenessOf(owner, () => Math.min(silentMs, now - mtimeMs(file))),
    silentMs,
  };
}

/** The live plots under a jobs folder: what export/import and a second plotter must respect. */
export function livePlotOwners(jobsDir: string): OwnerStatus[] {
  let names: string[];
  try {
    names = fs.readdirSync(jobsDir);
  } catch {
    return [];
  }
  const out: OwnerStatus[] = [];
  for (const name of names) {
    const s = readOwner(path.join(jobsDir, name, OWNER_FILE));
    if (s && s.liveness !== 'dead') out.push(s);
  }
  return out;
}

/**
 * Claims a job and a device for this process, or throws BUSY naming the live owner. Both files
 * are refreshed every REFRESH_MS until `release()`; the timer does not keep the process alive.
 */
export function claimPlot(opts: {
  jobDir: string;
  dataDir: string;
  job: string;
  device: string;
}): PlotClaim {
  const owner = newOwner(opts.job, opts.device);
  return hold(owner, [jobHold(opts.jobDir, opts.job), deviceHold(opts.dataDir, opts.device)]);
}

/** The job alone: its plotter is held apart, for longer than one job (a queue runner's plotters). */
export function claimJob(opts: { jobDir: string; job: string; device: string }): PlotClaim {
  return hold(newOwner(opts.job, opts.device), [jobHold(opts.jobDir, opts.job)]);
}

export interface DeviceClaim extends PlotClaim {
  /** Names the job plotting on the device now, '' between jobs (what a BUSY message tells). */
  setJob(job: string): void;
}

/** The device alone, held across jobs: the job field says what plots on it now. */
export function claimDevice(opts: { dataDir: string; device: string }): DeviceClaim {
  const owner = newOwner('', opts.device);
  const file = deviceOwnerFile(opts.dataDir, opts.device);
  const claim = hold(owner, [deviceHold(opts.dataDir, opts.device)]);
  return {
    ...claim,
    setJob(job) {
      owner.job = job;
      try {
        if (isOurs(file)) writeFileAtomic(file, JSON.stringify(owner));
      } catch {
        // Display only: the claim itself stands.
      }
    },
  };
}

type Hold = { file: string; busy: (o: PlotOwner) => string };

function newOwner(job: string, device: string): PlotOwner {
  const now = new Date().toISOString();
  const owner: PlotOwner = {
    job,
    device,
    pid: process.pid,
    host: os.hostname(),
    since: now,
    refreshed: now,
  };
  const boot = bootId();
  if (boot) owner.boot = boot;
  return owner;
}

function jobHold(jobDir: string, job: string): Hold {
  return {
    file: jobOwnerFile(jobDir),
    busy: (o) =>
      `Job '${job}' is being plotted by ${who(o)} on device '${o.device}'. Wait for it, or pause it with: vfab pause ${job}`,
  };
}

function deviceHold(dataDir: string, device: string): Hold {
  const file = deviceOwnerFile(dataDir, device);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return {
    file,
    busy: (o) =>
      o.job
        ? `Device '${device}' is in use by ${who(o)}, plotting job '${o.job}'. Wait for it to finish, or pause it with: vfab pause ${o.job}`
        : `Device '${device}' is in use by ${who(o)}, a queue runner between jobs. Stop that runner first (Ctrl-C in its terminal, or kill ${o.pid}).`,
  };
}

/** Takes every file in order (none if one is busy), and refreshes them until released. */
function hold(owner: PlotOwner, holds: Hold[]): PlotClaim {
  const taken: string[] = [];
  try {
    for (const h of holds) {
      take(h.file, owner, h.busy);
      taken.push(h.file);
    }
  } catch (err) {
    for (const f of taken) removeIfOurs(f);
    throw err;
  }
  const timer = setInterval(() => {
    owner.refreshed = new Date().toISOString();
    for (const f of taken) {
      try {
        if (isOurs(f)) writeFileAtomic(f, JSON.stringify(owner));
      } catch {
        // A full disk must not stop the plot; a stale refresh only makes the plot look stuck.
      }
    }
  }, REFRESH_MS);
  timer.unref();
  let released = false;
  return {
    owner,
    release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      for (const f of [...taken].reverse()) removeIfOurs(f);
    },
  };
}

function who(o: PlotOwner): string {
  return `vfab (pid ${o.pid} on ${o.host}, since ${o.since})`;
}

function take(file: string, owner: PlotOwner, busy: (o: PlotOwner) => string): void {
  for (let attempt = 0; attempt < 50; attempt++) {
    if (attempt > 0) sleepSync(20);
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, JSON.stringify(owner));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const s = readOwner(file);
    if (s && s.liveness !== 'dead') throw new VfabError('BUSY', busy(s.owner));
    // Dead owner or unreadable leftover: replace it only if it is still the same file content.
    breakLeftover(file);
  }
  throw new VfabError('BUSY', `Could not claim ${file}: another process keeps taking it.`);
}

function breakLeftover(file: string): void {
  const breaker = `${file}.break`;
  let fd: number;
  try {
    fd = fs.openSync(breaker, 'wx');
  } catch {
    try {
      if (Date.now() - fs.statSync(breaker).mtimeMs > 10_000) fs.rmSync(breaker, { force: true });
    } catch {
      // gone already
    }
    return;
  }
  fs.closeSync(fd);
  try {
    const s = readOwner(file);
    // An unreadable file may be a claim being written right now: only an old one is a leftover.
    if (s ? s.liveness === 'dead' : ageMs(file) > EMPTY_OWNER_STALE_MS)
      fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(breaker, { force: true });
  }
}

function mtimeMs(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return Date.now();
  }
}

function ageMs(file: string): number {
  return Date.now() - mtimeMs(file);
}

function isOurs(file: string): boolean {
  const s = readOwner(file);
  return s !== undefined && s.owner.pid === process.pid && s.owner.host === os.hostname();
}

function removeIfOurs(file: string): void {
  if (isOurs(file)) fs.rmSync(file, { force: true });
}

/** `quietMs`: how long the owner has shown no sign of life, by its clock and by the file's. */
function livenessOf(o: PlotOwner, quietMs: () => number): OwnerLiveness {
  if (o.host !== os.hostname()) return quietMs() > FOREIGN_OWNER_STALE_MS ? 'dead' : 'remote';
  const ours = bootId();
  if (o.boot && ours && o.boot !== ours) return 'dead';
  return isProcessAlive(o.pid) ? 'live' : 'dead';
}

function parseOwner(raw: string): PlotOwner | undefined {
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    if (typeof v !== 'object' || v === null) return undefined;
    const { job, device, pid, host, boot, since, refreshed } = v;
    if (
      typeof job !== 'string' ||
      typeof device !== 'string' ||
      typeof pid !== 'number' ||
      typeof host !== 'string'
    )
      return undefined;
    if (typeof since !== 'string' || typeof refreshed !== 'string') return undefined;
    return {
      job,
      device,
      pid,
      host,
      since,
      refreshed,
      ...(typeof boot === 'string' ? { boot } : {}),
    };
  } catch {
    return undefined;
  }
}
