/**
 * Brings the SQLite index in line with the journals (docs/recovery.md, invariant 3 and "The
 * recovery guide's scripts"): journals win; job folders deleted or copied in by hand leave or join the
 * index; a state written into `jobs` by hand becomes a journaled forced transition, or is
 * reported and ignored when it is not a state.
 */
import fs from 'node:fs';
import type { Logger } from '../log';
import { forcedTransition } from './chain';
import { appendEntry, summarizeJournal, type JournalSummary } from './journal';
import { paperLabel, type PlanSummary } from '../plan/plan-file';
import { readQueueOrder, saveQueueOrder, type SavedPosition } from './queue';
import { pensOfLayers } from './pens-needed';
import { parseJobState, type JobState } from './states';
import type { IndexedJob, IndexRecord, Store, SyncRow } from './store';
import { cleanInterruptedOperations, jobFiles, readJobMeta, scanJobsDir } from './workspace';

/** States before a plan exists: the listing shows no plan numbers. */
const PLANLESS: ReadonlySet<JobState> = new Set(['NEW', 'ANALYZED', 'OPTIMIZED']);

/**
 * The listing numbers of a plan, journaled with the READY transition so the index can always be
 * rebuilt from the journal alone (plan.json is never read at start-up).
 */
export function planFactsMetadata(s: PlanSummary) {
  return {
    paper: paperLabel(s),
    layer_count: s.layerCount,
    pen_down_mm: s.penDownMm,
    travel_mm: s.travelMm,
    estimate_s: s.estimateS,
  };
}

type PlanFactsMetadata = ReturnType<typeof planFactsMetadata>;

export interface ReconcileReport {
  /** Jobs in the index afterwards. */
  indexed: number;
  /** Journals that had to be read (the rest matched the index's cached size and mtime). */
  read: number;
  added: string[];
  dropped: string[];
  /** The index disagreed with a journal and was corrected. */
  corrected: { id: string; from: string; to: JobState }[];
  /** A state written into `jobs` by hand, taken as a forced transition. */
  forced: { id: string; from: JobState; to: JobState }[];
  /** A value written into `jobs.state` by hand that is not a state. */
  ignored: { id: string; value: string }[];
  /** Job folders whose journal yields no state: listed nowhere until repaired. */
  unreadable: { id: string; reason: string }[];
  /** Interrupted replaces put back at start-up. */
  restored: string[];
  durationMs: number;
}

export interface ReconcileContext {
  store: Store;
  jobsDir: string;
  logger?: Logger;
  /**
   * The data folder cannot be written (engine.ts): only the index, in memory, is brought in line.
   * Interrupted replaces are not put back, a state set by hand is not journaled, and the queue
   * order is not saved; each waits for a start that can write.
   */
  readOnly?: boolean;
}

function emptyReport(): ReconcileReport {
  return {
    indexed: 0,
    read: 0,
    added: [],
    dropped: [],
    corrected: [],
    forced: [],
    ignored: [],
    unreadable: [],
    restored: [],
    durationMs: 0,
  };
}

/** Reconciles every job folder with the index (or only `ids`). */
export function reconcile(ctx: ReconcileContext, opts: { ids?: string[] } = {}): ReconcileReport {
  const started = performance.now();
  const report = emptyReport();
  let onDisk: string[];
  if (opts.ids) {
    onDisk = opts.ids.filter((id) => fs.existsSync(jobFiles(ctx.jobsDir, id).dir));
  } else {
    const listing = scanJobsDir(ctx.jobsDir);
    report.restored =
      listing.pending.length && !ctx.readOnly
        ? cleanInterruptedOperations(ctx.jobsDir, undefined, listing.pending).restored
        : [];
    onDisk = [...listing.ids, ...report.restored];
  }
  const rows = new Map<string, SyncRow>(
    (opts.ids
      ? opts.ids.map((id) => ctx.store.get(id)).filter((r): r is IndexedJob => !!r)
      : ctx.store.syncRows()
    ).map((r) => [r.id, r]),
  );
  const present = new Set(onDisk);
  // Read only if a queued job needs its place back (a rebuilt index): most reconciles never do.
  let saved: Map<string, SavedPosition> | undefined;
  let queueChanged = false;
  const place: QueuePlace = (id, seq, entered, live) => {
    queueChanged = true;
    saved ??= readQueueOrder(ctx.jobsDir);
    const s = saved.get(id);
    if (s && s.seq === seq) return s.position;
    // Just queued here: the end of the queue, even after moves put positions past the clock.
    const last = live ? ctx.store.lastQueuePosition() : null;
    return Math.max(entered, last === null ? -Infinity : last + 1);
  };
  ctx.store.transaction(() => {
    for (const id of onDisk) indexJob(ctx, id, rows.get(id), report, place);
    for (const id of rows.keys()) {
      if (present.has(id)) continue;
      ctx.store.remove(id);
      report.dropped.push(id);
      ctx.logger?.warning('job folder is gone; dropped from the index', id);
    }
  });
  if (queueChanged && !ctx.readOnly) saveQueueOrder(ctx.jobsDir, ctx.store, ctx.logger);
  report.indexed = opts.ids ? onDisk.length - report.unreadable.length : ctx.store.count();
  report.durationMs = performance.now() - started;
  return report;
}

/** True when the index row still describes exactly this journal file and nobody edited its state. */
function isCurrent(row: SyncRow, stat: fs.Stats): boolean {
  return (
    row.synced_state !== null &&
    row.state === row.synced_state &&
    row.journal_size === stat.size &&
    row.journal_mtime_ms === stat.mtimeMs
  );
}

/**
 * The place of a job the index does not have in the queue yet: the artist's (queue.ts) while it
 * is still in the stay in QUEUED that began at journal entry `seq`, else the end of the queue
 * (`live`: it was queued just now) or the moment it entered QUEUED (a rebuilt index).
 */
type QueuePlace = (id: string, seq: number | undefined, enteredMs: number, live: boolean) => number;

function indexJob(
  ctx: ReconcileContext,
  id: string,
  row: SyncRow | undefined,
  report: ReconcileReport,
  place: QueuePlace,
): void {
  const files = jobFiles(ctx.jobsDir, id);
  // A job the index already knows costs one stat when nothing changed; a new one is read at once.
  if (row) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(files.journal);
    } catch {
      return unreadable(ctx, id, row, report, 'no journal.jsonl in the job folder');
    }
    if (isCurrent(row, stat)) return;
  }
  report.read++;
  let summary = summarizeJournal(files.journal);
  if (summary.missing)
    return unreadable(ctx, id, row, report, 'no journal.jsonl in the job folder');
  if (!summary.state)
    return unreadable(ctx, id, row, report, 'the journal holds no valid state entry');

  if (row && row.state !== row.synced_state) {
    const wanted = parseJobState(row.state);
    if (!wanted) {
      report.ignored.push({ id, value: row.state });
      ctx.logger?.warning(
        `jobs.state was set by hand to '${row.state}', which is not a job state; ignored, the journal says ${summary.state}`,
        id,
      );
    } else if (wanted !== summary.state && ctx.readOnly) {
      ctx.logger?.warning(
        `jobs.state was set by hand to ${wanted}; it is journaled once the data folder can be written, until then the journal's ${summary.state} is shown`,
        id,
      );
    } else if (wanted !== summary.state) {
      appendEntry(files.journal, forcedTransition(summary.state, wanted, row.state));
      report.forced.push({ id, from: summary.state, to: wanted });
      ctx.logger?.warning(
        `state forced from ${summary.state} to ${wanted} (written by hand into the database)`,
        id,
      );
      summary = summarizeJournal(files.journal);
    }
  } else if (row && row.synced_state && row.synced_state !== summary.state) {
    report.corrected.push({ id, from: row.synced_state, to: summary.state! });
  }
  if (!row) report.added.push(id);
  ctx.store.upsert(
    toRecord(
      ctx.jobsDir,
      id,
      summary as JournalSummary & { state: JobState },
      row && ctx.store.get(id),
      place,
    ),
  );
}

function unreadable(
  ctx: ReconcileContext,
  id: string,
  row: SyncRow | undefined,
  report: ReconcileReport,
  reason: string,
): void {
  report.unreadable.push({ id, reason });
  ctx.logger?.error(`${reason}; run 'vfab system journal validate ${id}'`, id);
  if (row) ctx.store.remove(id);
}

/** Source facts from the creation entry (written by createJobFolder); job.json only when the head was cut. */
function sourceOf(
  jobsDir: string,
  id: string,
  summary: JournalSummary,
): { name: string; size: number; created?: string } | undefined {
  const first = summary.firstEntry;
  if (
    first?.type === 'state_change' &&
    first.from_state === null &&
    typeof first.metadata.source_name === 'string'
  ) {
    return {
      name: first.metadata.source_name,
      size: Number(first.metadata.source_size) || 0,
      created: first.timestamp,
    };
  }
  const meta = readJobMeta(jobsDir, id);
  return meta && { name: meta.source_name, size: meta.source_size, created: meta.created_at };
}

function toRecord(
  jobsDir: string,
  id: string,
  summary: JournalSummary & { state: JobState },
  row: IndexedJob | undefined,
  place: QueuePlace,
): IndexRecord {
  const source = row?.source_name ? undefined : sourceOf(jobsDir, id, summary);
  const plan = PLANLESS.has(summary.state)
    ? undefined
    : (summary.lastPlanned?.metadata as
        (Partial<PlanFactsMetadata> & { layers?: unknown }) | undefined);
  const entered = summary.lastStateChange?.timestamp;
  const now = new Date().toISOString();
  return {
    id,
    state: summary.state,
    created_at: row?.created_at ?? source?.created ?? summary.firstEntry?.timestamp ?? now,
    updated_at: summary.lastEntry?.timestamp ?? now,
    last_reason: summary.lastStateChange?.reason ?? null,
    last_seq: summary.lastSeq,
    journal_size: summary.size,
    journal_mtime_ms: summary.mtimeMs,
    last_entry_offset: summary.lastEntryOffset ?? null,
    queue_position:
      summary.state === 'QUEUED'
        ? row?.synced_state === 'QUEUED' && row.queue_position !== null
          ? row.queue_position
          : place(
              id,
              summary.lastSeq,
              entered ? Date.parse(entered) : Date.now(),
              row !== undefined,
            )
        : null,
    source_name: row?.source_name ?? source?.name ?? null,
    source_size: row?.source_size ?? source?.size ?? null,
    paper: plan?.paper ?? null,
    layer_count: plan?.layer_count ?? null,
    pen_down_mm: plan?.pen_down_mm ?? null,
    travel_mm: plan?.travel_mm ?? null,
    estimate_s: plan?.estimate_s ?? null,
    pens: plan ? pensOfLayers(plan.layers) : null,
    planned_at: PLANLESS.has(summary.state) ? null : (summary.lastPlanned?.timestamp ?? null),
  };
}
