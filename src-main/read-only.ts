/**
 * When vfab cannot write its data folder (a read-only mount, no permission, a full disk at
 * start-up) or its index (something other than a database where vfab.db belongs), it still
 * reads: the index is held in memory and brought in line with the journals, and changes are
 * refused with what is wrong and what to do (exit DATA, 8). On a full disk, removing jobs is
 * let through: it is how the user makes room.
 */
import fs from 'node:fs';
import type { VfabPaths } from './config/paths';
import { VfabError } from './errors';
import { fileKind, sentence, storageProblem, type StorageProblem } from './util/storage';

export interface ReadOnlyMode {
  kind: StorageProblem['kind'] | 'not-a-database';
  /** The `vfab check self` line it fails: the data folder, or the index database. */
  part: 'workspace' | 'database';
  /** What is wrong, naming the folder or file. */
  reason: string;
  /** What to do about it. */
  fix: string;
}

/** The error a refused change meets. */
export function refusal(mode: ReadOnlyMode): VfabError {
  return new VfabError('DATA', `Nothing was changed: ${mode.reason}. ${sentence(mode.fix)}.`);
}

/** Said by a command that worked, so the user learns why changes would not. */
export function readOnlyNote(mode: ReadOnlyMode): string {
  const does =
    mode.kind === 'full'
      ? 'vfab only reads and removes jobs'
      : 'vfab only reads and changes nothing';
  return `note: ${mode.reason}, so ${does}. To change jobs again: ${mode.fix}.`;
}

function notADatabase(file: string, stat: fs.Stats): ReadOnlyMode {
  return {
    kind: 'not-a-database',
    part: 'database',
    reason: `${file} is ${fileKind(stat)}, not vfab's index database`,
    fix: `move it away (mv ${file} ${file}.moved) or run 'vfab system rebuild-db', which sets it aside; vfab then rebuilds the index from the journals`,
  };
}

/**
 * Why this process cannot write the data folder or the index, or undefined when it can. Makes
 * the folders of a fresh install on the way, as start-up always has.
 */
export function probeReadOnly(paths: VfabPaths): ReadOnlyMode | undefined {
  for (const dir of [paths.dataDir, paths.jobsDir]) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.accessSync(dir, fs.constants.W_OK);
    } catch (err) {
      const problem = storageProblem(err, dir);
      if (!problem) throw err;
      return { part: 'workspace', ...problem };
    }
  }
  const db = fs.statSync(paths.dbFile, { throwIfNoEntry: false });
  if (db && !db.isFile()) return notADatabase(paths.dbFile, db);
  if (db) {
    try {
      fs.accessSync(paths.dbFile, fs.constants.W_OK);
    } catch (err) {
      const problem = storageProblem(err, paths.dbFile);
      if (problem) return { part: 'database', ...problem };
    }
  }
  return undefined;
}

/** Start-up that failed for want of room or rights (opening or reconciling the index): read-only from here. */
export function readOnlyAfter(err: unknown, paths: VfabPaths): ReadOnlyMode | undefined {
  const problem = storageProblem(err, paths.dataDir);
  return problem && { part: 'workspace', ...problem };
}
