/**
 * A queue runner's live view of its plotters, for `vfab list devices` in another terminal:
 * `<data>/locks/runner-<pid>.json`, rewritten when a plotter's state changes, removed when the
 * runner ends. Display only: nothing decides anything from it. The file of a runner whose process
 * is gone (SIGKILL) is ignored, and removed by the next runner that starts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootId, isProcessAlive } from '../jobs/lock';
import { writeFileAtomic } from '../util/atomic';
import type { PlotterState } from './state';

export interface RunnerStatus {
  pid: number;
  host: string;
  boot?: string;
  since: string;
  plotters: Record<string, PlotterState>;
}

const PREFIX = 'runner-';

export function runnerStatusFile(dataDir: string, pid = process.pid): string {
  return path.join(dataDir, 'locks', `${PREFIX}${pid}.json`);
}

/** Writes this process's status; never throws (a full disk only costs the display). */
export function writeRunnerStatus(dataDir: string, status: RunnerStatus): void {
  try {
    const file = runnerStatusFile(dataDir, status.pid);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, `${JSON.stringify(status)}\n`);
  } catch {
    // display state only
  }
}

export function removeRunnerStatus(dataDir: string): void {
  fs.rmSync(runnerStatusFile(dataDir), { force: true });
}

/** The statuses of live runners on this host; `prune` removes the files of dead ones. */
export function readRunnerStatuses(
  dataDir: string,
  opts: { prune?: boolean } = {},
): RunnerStatus[] {
  const dir = path.join(dataDir, 'locks');
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.startsWith(PREFIX) && n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: RunnerStatus[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let s: RunnerStatus;
    try {
      s = JSON.parse(fs.readFileSync(file, 'utf8')) as RunnerStatus;
    } catch {
      continue;
    }
    if (s.host !== os.hostname()) continue;
    const boot = bootId();
    if (!isProcessAlive(s.pid) || (s.boot && boot && s.boot !== boot)) {
      if (opts.prune) fs.rmSync(file, { force: true });
      continue;
    }
    out.push(s);
  }
  return out;
}
