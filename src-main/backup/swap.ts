/**
 * The second pass of an import: put the staged files in place by renames, keeping what was there
 * in a backup folder, and undo every step on failure. The plan is written to a marker file before
 * the first rename, so a power cut mid-swap is undone the next time vfab imports, exports or backs
 * up (`recoverInterruptedImport`): the installation ends up either all old or all new.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fsyncDir, writeFileAtomic } from '../util/atomic';

export const SWAP_MARKER = '.import-swap.json';

export type SwapStep =
  /** Rename `from` to `to` (undo: back). Only done when `from` exists. */
  | { kind: 'move'; from: string; to: string }
  /** Replace `file` with the bytes of `source`; `backup` holds the old bytes, null if there was no file. */
  | { kind: 'write'; file: string; source: string; backup: string | null; mode: number };

interface Marker {
  started_at: string;
  backup_dir: string;
  staging: string;
  steps: SwapStep[];
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** A rename; across file systems (a workspace on another disk) a copy, then the original is removed. */
function move(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const tmp = path.join(path.dirname(to), `.${path.basename(to)}.${process.pid}.copying`);
    fs.cpSync(from, tmp, { recursive: true, preserveTimestamps: true });
    fs.renameSync(tmp, to);
    fs.rmSync(from, { recursive: true, force: true });
  }
  fsyncDir(path.dirname(to));
  fsyncDir(path.dirname(from));
}

function apply(step: SwapStep): boolean {
  if (step.kind === 'move') {
    if (!exists(step.from)) return false;
    move(step.from, step.to);
    return true;
  }
  fs.mkdirSync(path.dirname(step.file), { recursive: true });
  writeFileAtomic(step.file, fs.readFileSync(step.source), step.mode);
  return true;
}

/** Undoes one step if its effect is visible; safe to call for a step that never ran. */
function undo(step: SwapStep): void {
  if (step.kind === 'move') {
    if (exists(step.to) && !exists(step.from)) move(step.to, step.from);
    return;
  }
  if (step.backup && exists(step.backup))
    writeFileAtomic(step.file, fs.readFileSync(step.backup), step.mode);
  else if (step.backup === null) fs.rmSync(step.file, { force: true });
}

export interface SwapHandle {
  /** Undo everything done so far (in reverse). */
  rollback(): string[];
  /** The import is final: forget the plan. */
  commit(): void;
}

/** Applies `steps` in order; on an error everything done is undone before the error is rethrown. */
export function runSwap(dataDir: string, marker: Omit<Marker, 'started_at'>): SwapHandle {
  const markerFile = path.join(dataDir, SWAP_MARKER);
  writeFileAtomic(
    markerFile,
    `${JSON.stringify({ started_at: new Date().toISOString(), ...marker }, null, 2)}\n`,
  );
  const done: SwapStep[] = [];
  const rollback = (): string[] => {
    const problems: string[] = [];
    for (const step of [...done].reverse()) {
      try {
        undo(step);
      } catch (err) {
        problems.push(
          `${step.kind === 'move' ? `${step.to} -> ${step.from}` : step.file}: ${(err as Error).message}`,
        );
      }
    }
    done.length = 0;
    // Keep the marker when something could not be undone: the next run tries again.
    if (!problems.length) fs.rmSync(markerFile, { force: true });
    return problems;
  };
  try {
    for (const step of marker.steps) if (apply(step)) done.push(step);
  } catch (err) {
    const problems = rollback();
    if (problems.length)
      (err as Error).message +=
        `; rolling back also failed for: ${problems.join('; ')}. The previous files are in ${marker.backup_dir}.`;
    throw err;
  }
  return {
    rollback,
    commit: () => {
      fs.rmSync(markerFile, { force: true });
      fsyncDir(dataDir);
    },
  };
}

/**
 * Undoes an import cut short by a crash or power cut (its marker is still there). Returns what
 * it said it did, or undefined when there was nothing to recover.
 */
export function recoverInterruptedImport(dataDir: string): string | undefined {
  const markerFile = path.join(dataDir, SWAP_MARKER);
  let marker: Marker;
  try {
    marker = JSON.parse(fs.readFileSync(markerFile, 'utf8')) as Marker;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `${markerFile} is unreadable (${(err as Error).message}); check ${dataDir}/backups for the state before the last import`;
  }
  for (const step of [...marker.steps].reverse()) undo(step);
  fs.rmSync(marker.staging, { recursive: true, force: true });
  fs.rmSync(markerFile, { force: true });
  fsyncDir(dataDir);
  return `an import started ${marker.started_at} was interrupted and has been undone (the files it would have replaced were put back from ${marker.backup_dir})`;
}
