/**
 * `vfab cleanup`: removes finished jobs and rotated logs past an age. Only terminal jobs
 * (COMPLETED, ABORTED, FAILED) are ever candidates, judged by the journal (the truth), not the
 * index; a job's age is the time since its last state change. The live log is never touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from '../engine';
import { VfabError } from '../errors';
import { summarizeJournal } from '../jobs/journal';
import { TERMINAL_STATES, type JobState } from '../jobs/states';
import { jobFiles, listJobIds } from '../jobs/workspace';

const UNIT_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** `30d`, `12h`, `2w`, `90m` (minutes) → milliseconds; anything else is a usage error that shows the forms. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$/i.exec(text);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]! : NaN;
  if (!(ms > 0))
    throw new VfabError(
      'USAGE',
      `'${text}' is not a duration: use a number and a unit, e.g. 30d (days), 12h (hours), 2w (weeks) or 90m (minutes).`,
    );
  return ms;
}

export interface JobCandidate {
  id: string;
  state: JobState;
  /** ISO time of the last state change (the journal's), or the journal's mtime when it has none. */
  since: string;
}

export interface JobCleanupResult {
  dryRun: boolean;
  olderThanMs: number;
  /** Removed (or, in a dry run, would be). */
  removed: JobCandidate[];
  /** Old enough and terminal, but not removed: the reason says why. */
  skipped: { id: string; reason: string }[];
  /** Jobs left alone because they are too young, not terminal, or not in `states`. */
  kept: number;
}

/** Which jobs a cleanup would remove: pure of side effects, so `--dry-run` and the real run agree. */
export function findOldJobs(
  jobsDir: string,
  opts: { olderThanMs: number; states?: readonly JobState[]; now?: number },
): { candidates: JobCandidate[]; kept: number } {
  const states = opts.states ?? TERMINAL_STATES;
  for (const s of states) {
    if (!TERMINAL_STATES.includes(s))
      throw new VfabError(
        'USAGE',
        `cleanup only removes finished jobs (${TERMINAL_STATES.join(', ')}); ${s} is not one.`,
      );
  }
  const cutoff = (opts.now ?? Date.now()) - opts.olderThanMs;
  const candidates: JobCandidate[] = [];
  let kept = 0;
  for (const id of listJobIds(jobsDir).sort()) {
    const summary = summarizeJournal(jobFiles(jobsDir, id).journal);
    const state = summary.state;
    const changedAt =
      summary.lastStateChange?.timestamp ??
      (summary.mtimeMs ? new Date(summary.mtimeMs).toISOString() : undefined);
    const at = changedAt ? Date.parse(changedAt) : NaN;
    if (!state || !states.includes(state) || !Number.isFinite(at) || at > cutoff) {
      kept++;
      continue;
    }
    candidates.push({ id, state, since: new Date(at).toISOString() });
  }
  return { candidates, kept };
}

/** Removes old finished jobs through the job service (journal-checked, renamed away, then deleted). */
export function cleanupJobs(
  engine: Engine,
  opts: { olderThanMs: number; states?: readonly JobState[]; dryRun?: boolean; now?: number },
): JobCleanupResult {
  const { candidates, kept } = findOldJobs(engine.paths.jobsDir, opts);
  const result: JobCleanupResult = {
    dryRun: Boolean(opts.dryRun),
    olderThanMs: opts.olderThanMs,
    removed: [],
    skipped: [],
    kept,
  };
  for (const c of candidates) {
    if (opts.dryRun) {
      result.removed.push(c);
      continue;
    }
    try {
      // Checked again at the last moment: a restart may have revived the job meanwhile.
      const now = engine.jobs.state(c.id);
      if (!TERMINAL_STATES.includes(now)) {
        result.skipped.push({ id: c.id, reason: `it is ${now} now` });
        continue;
      }
      engine.jobs.remove(c.id);
      engine.logger.info(`removed by cleanup (${c.state} since ${c.since})`, c.id);
      result.removed.push(c);
    } catch (err) {
      result.skipped.push({ id: c.id, reason: (err as Error).message });
    }
  }
  return result;
}

export interface LogCleanupResult {
  dryRun: boolean;
  removed: { file: string; modified: string; bytes: number }[];
  kept: number;
}

/** Rotated logs (`vfab.log.1`, `vfab.log.2`, …) last written before the cutoff; never the live log. */
export function cleanupLogs(
  logFile: string,
  opts: { olderThanMs: number; dryRun?: boolean; now?: number },
): LogCleanupResult {
  const dir = path.dirname(logFile);
  const base = path.basename(logFile);
  const rotated = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d+$`);
  const cutoff = (opts.now ?? Date.now()) - opts.olderThanMs;
  const result: LogCleanupResult = { dryRun: Boolean(opts.dryRun), removed: [], kept: 0 };
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return result;
  }
  for (const name of names.filter((n) => rotated.test(n)).sort()) {
    const file = path.join(dir, name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(file);
    } catch {
      continue;
    }
    if (!st.isFile() || st.mtimeMs > cutoff) {
      result.kept++;
      continue;
    }
    if (!opts.dryRun) fs.rmSync(file, { force: true });
    result.removed.push({ file, modified: new Date(st.mtimeMs).toISOString(), bytes: st.size });
  }
  return result;
}
