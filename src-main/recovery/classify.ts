/**
 * Which unfinished jobs need a human (docs/recovery.md, invariants 5 and 6). A job that was plotting is
 *  - running:     a live process owns it and the journal moves;
 *  - stuck:       a live process owns it but nothing has moved for `stuck_after_s`;
 *  - interrupted: ARMED, PLOTTING or PAUSED with no live owner. The cause comes from the last
 *    journal entry: an `emergency_shutdown` names it (signal, device lost, plotter power lost);
 *    none means the process died without a word (SIGKILL, crash, power cut); PAUSED is a pause.
 *
 * Reads the last valid entry of each candidate job's journal (it carries the checkpoint, and tells
 * the state: a line appended by hand that breaks the chain cannot make a job look interrupted),
 * plus its owner file. Fast on thousands of jobs: only ARMED, PLOTTING and PAUSED rows are looked
 * at, and of a journal unchanged since the index read it, only the line the index points to.
 */
import path from 'node:path';
import { stateTold } from '../jobs/chain';
import { entryAt, summarizeJournal, type JournalEntry } from '../jobs/journal';
import { ACTIVE_STATES, type JobState } from '../jobs/states';
import type { JournalMark, Store } from '../jobs/store';
import { jobFiles } from '../jobs/workspace';
import { INTERRUPTION_REASONS, type Checkpoint, type InterruptionReason } from '../jobs/checkpoint';
import { OWNER_FILE, readOwner, type OwnerStatus } from '../jobs/owner';

export type Cause = InterruptionReason | 'crash' | 'paused';

export const CAUSE_TEXT: Record<Cause, string> = {
  signal_received: 'stopped by a signal (Ctrl-C, kill, logout or quit)',
  device_lost: 'the plotter stopped answering (USB cable, hub or plotter off)',
  device_error: 'the plotter rejected a command',
  plotter_power_lost: "the plotter's motor power was lost",
  crash: 'vfab ended without a word (killed, crashed, or the computer lost power)',
  paused: 'paused',
};

export interface JobCondition {
  id: string;
  state: JobState;
  kind: 'running' | 'stuck' | 'interrupted';
  cause?: Cause;
  /** The emergency entry's or pause's own words (signal name, error, pause reason). */
  detail?: string;
  checkpoint?: Checkpoint;
  /** ISO time of the last sign of life: the interruption, or the last journal entry. */
  since?: string;
  owner?: OwnerStatus;
  /** Seconds without journal progress (running and stuck jobs). */
  silentS?: number;
  /** A plot paused at a layer's pause or pen change: what the person at the plotter does next. */
  step?: PauseStep;
}

/** The layer a paused plot stopped before, as the runner journaled it with PAUSED. */
export interface PauseStep {
  kind: 'pen_change' | 'layer_pause';
  /** 0-based, numbered as in the plan. */
  layer: number;
  layers: number;
  pen: number | null;
  /** "load pen 2 (2-black)": plan/pens.ts penToLoad. */
  load: string;
}

/** The PAUSED entry's step, if it holds a whole one (a journal edited by hand may not). */
export function pauseStepOf(metadata: Record<string, unknown> | undefined): PauseStep | undefined {
  const m = metadata ?? {};
  const count = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  if (
    (m.kind !== 'pen_change' && m.kind !== 'layer_pause') ||
    !count(m.layer) ||
    !count(m.layers) ||
    m.layer >= m.layers
  )
    return undefined;
  if (typeof m.load !== 'string' || (m.pen !== null && !count(m.pen))) return undefined;
  return { kind: m.kind, layer: m.layer, layers: m.layers, pen: m.pen, load: m.load };
}

export interface ClassifyOptions {
  jobsDir: string;
  stuckAfterS: number;
  now?: number;
}

/** Classifies every ARMED, PLOTTING or PAUSED job in the index. */
export function classifyJobs(store: Store, opts: ClassifyOptions): JobCondition[] {
  const out: JobCondition[] = [];
  for (const mark of store.marksInStates(ACTIVE_STATES)) {
    const c = classifyJob(mark.id, opts, mark);
    if (c) out.push(c);
  }
  return out;
}

/** One job's condition; undefined when it is not ARMED, PLOTTING or PAUSED. `mark`: what the index knows of its journal. */
export function classifyJob(
  id: string,
  opts: ClassifyOptions,
  mark?: JournalMark,
): JobCondition | undefined {
  const files = jobFiles(opts.jobsDir, id);
  const { entry: last, mtimeMs } = lastValidEntry(files.journal, mark);
  const state = last && stateTold(last);
  if (!state || !ACTIVE_STATES.includes(state)) return undefined;
  const now = opts.now ?? Date.now();
  const step =
    state === 'PAUSED' && last?.type === 'state_change' ? pauseStepOf(last.metadata) : undefined;
  const base = {
    id,
    state,
    checkpoint: checkpointIn(last),
    since: last?.timestamp,
    ...(step && { step }),
  };
  const owner = readOwner(path.join(files.dir, OWNER_FILE), now);
  if (owner && owner.liveness !== 'dead') {
    const silentS = Math.round(
      (now - Math.max(mtimeMs, Date.parse(owner.owner.since) || 0)) / 1000,
    );
    const stuck =
      state !== 'PAUSED' &&
      (silentS > opts.stuckAfterS || owner.silentMs / 1000 > opts.stuckAfterS);
    return { ...base, kind: stuck ? 'stuck' : 'running', owner, silentS };
  }
  if (state === 'PAUSED')
    return {
      ...base,
      kind: 'interrupted',
      cause: 'paused',
      detail: last?.type === 'state_change' ? last.reason : undefined,
    };
  if (last?.type === 'emergency_shutdown') {
    const meta = last.metadata ?? {};
    const cause = INTERRUPTION_REASONS.find((c) => c === last.reason) ?? 'crash';
    const detail =
      typeof meta.signal === 'string'
        ? meta.signal
        : typeof meta.error === 'string'
          ? meta.error
          : last.reason;
    return { ...base, kind: 'interrupted', cause, detail };
  }
  return { ...base, kind: 'interrupted', cause: 'crash' };
}

/** Read where the index saw it if the journal has not changed since, else by reading the journal's chain. */
function lastValidEntry(
  journal: string,
  mark: JournalMark | undefined,
): { entry: JournalEntry | undefined; mtimeMs: number } {
  if (
    mark &&
    mark.last_entry_offset !== null &&
    mark.journal_size !== null &&
    mark.journal_mtime_ms !== null
  ) {
    const seen = entryAt(journal, mark.last_entry_offset, {
      size: mark.journal_size,
      mtimeMs: mark.journal_mtime_ms,
    });
    if (seen) return seen;
  }
  const { lastEntry, mtimeMs } = summarizeJournal(journal);
  return { entry: lastEntry, mtimeMs };
}

/** Every entry a plot writes carries the checkpoint it stands at; progress entries are one. */
function checkpointIn(e: JournalEntry | undefined): Checkpoint | undefined {
  if (!e) return undefined;
  const candidate =
    e.type === 'progress'
      ? e.progress
      : (e.metadata as Record<string, unknown> | undefined)?.checkpoint;
  return candidate &&
    typeof candidate === 'object' &&
    typeof (candidate as Checkpoint).move === 'number'
    ? (candidate as Checkpoint)
    : undefined;
}
