/**
 * Brings the SQLite index in line with the journals (DESIGN.md invariant 3, "The recovery guide
 * runs as written"): journals win; job folders deleted or copied in by hand leave or join the
 * index; a state written into `jobs` by hand becomes a journaled forced transition, or is
 * reported and ignored when it is not a state.
 */
import fs from 'node:fs';
import type { Logger } from '../log';
import { appendEntry, summarizeJournal, type JournalSummary } from './journal';
import { parseJobState, type JobState } from './states';
import type { IndexedJob, IndexRecord, Store } from './store';
import { cleanInterruptedOperations, jobFiles, listJobIds, readJobMeta } from './workspace';

export const FORCED_REASON = 'forced via database';

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
}

function emptyReport(): ReconcileReport {
  return { indexed: 0, read: 0, added: [], dropped: [], corrected: [], forced: [], ignored: [], unreadable: [], restored: [], durationMs: 0 };
}

/** Reconciles every job folder with the index (or only `ids`). */
export function reconcile(ctx: ReconcileContext, opts: { ids?: string[] } = {}): ReconcileReport {
  const started = performance.now();
  const report = emptyReport();
  if (!opts.ids) report.restored = cleanInterruptedOperations(ctx.jobsDir).restored;
  const onDisk = opts.ids ? opts.ids.filter((id) => fs.existsSync(jobFiles(ctx.jobsDir, id).dir)) : listJobIds(ctx.jobsDir);
  const rows = new Map(
    (opts.ids ? opts.ids.map((id) => ctx.store.get(id)).filter((r): r is IndexedJob => !!r) : ctx.store.all()).map((r) => [r.id, r]),
  );
  const present = new Set(onDisk);
  ctx.store.transaction(() => {
    for (const id of onDisk) indexJob(ctx, id, rows.get(id), report);
    for (const id of opts.ids ?? rows.keys()) {
      if (present.has(id) || !rows.has(id)) continue;
      ctx.store.remove(id);
      report.dropped.push(id);
      ctx.logger?.warning('job folder is gone; dropped from the index', id);
    }
  });
  report.indexed = opts.ids ? onDisk.length - report.unreadable.length : ctx.store.all().length;
  report.durationMs = performance.now() - started;
  return report;
}

/** True when the index row still describes exactly this journal file and nobody edited its state. */
function isCurrent(row: IndexedJob | undefined, stat: fs.Stats): boolean {
  return !!row && row.synced_state !== null && row.state === row.synced_state && row.journal_size === stat.size && row.journal_mtime_ms === stat.mtimeMs;
}

function indexJob(ctx: ReconcileContext, id: string, row: IndexedJob | undefined, report: ReconcileReport): void {
  const files = jobFiles(ctx.jobsDir, id);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(files.journal);
  } catch {
    return unreadable(ctx, id, row, report, 'no journal.jsonl in the job folder');
  }
  if (isCurrent(row, stat)) return;
  report.read++;
  let summary = summarizeJournal(files.journal);
  if (!summary.state) return unreadable(ctx, id, row, report, 'the journal holds no valid state entry');

  if (row && row.state !== row.synced_state) {
    const wanted = parseJobState(row.state);
    if (!wanted) {
      report.ignored.push({ id, value: row.state });
      ctx.logger?.warning(`jobs.state was set by hand to '${row.state}', which is not a job state; ignored, the journal says ${summary.state}`, id);
    } else if (wanted !== summary.state) {
      appendEntry(files.journal, {
        type: 'state_change',
        from_state: summary.state,
        to_state: wanted,
        reason: FORCED_REASON,
        metadata: { forced: true, db_value: row.state },
      });
      report.forced.push({ id, from: summary.state, to: wanted });
      ctx.logger?.warning(`state forced from ${summary.state} to ${wanted} (written by hand into the database)`, id);
      summary = summarizeJournal(files.journal);
    }
  } else if (row && row.synced_state && row.synced_state !== summary.state) {
    report.corrected.push({ id, from: row.synced_state, to: summary.state! });
  }
  if (!row) report.added.push(id);
  ctx.store.upsert(toRecord(ctx.jobsDir, id, summary as JournalSummary & { state: JobState }, row));
}

function unreadable(ctx: ReconcileContext, id: string, row: IndexedJob | undefined, report: ReconcileReport, reason: string): void {
  report.unreadable.push({ id, reason });
  ctx.logger?.error(`${reason}; run 'vfab system journal validate ${id}'`, id);
  if (row) ctx.store.remove(id);
}

function toRecord(jobsDir: string, id: string, summary: JournalSummary & { state: JobState }, row: IndexedJob | undefined): IndexRecord {
  const meta = row?.source_name ? undefined : readJobMeta(jobsDir, id);
  const entered = summary.lastStateChange?.timestamp;
  const now = new Date().toISOString();
  return {
    id,
    state: summary.state,
    created_at: row?.created_at ?? meta?.created_at ?? summary.firstTimestamp ?? now,
    updated_at: summary.lastEntry?.timestamp ?? now,
    last_reason: summary.lastStateChange?.reason ?? null,
    last_seq: summary.lastSeq,
    journal_size: summary.size,
    journal_mtime_ms: summary.mtimeMs,
    // Queue order is the moment a job entered QUEUED, so a rebuilt index keeps the same order.
    queue_position: summary.state === 'QUEUED' ? (row?.synced_state === 'QUEUED' && row.queue_position !== null ? row.queue_position : entered ? Date.parse(entered) : Date.now()) : null,
    source_name: row?.source_name ?? meta?.source_name ?? null,
    source_size: row?.source_size ?? meta?.source_size ?? null,
    paper: row?.paper ?? null,
    layer_count: row?.layer_count ?? null,
    pen_down_mm: row?.pen_down_mm ?? null,
    travel_mm: row?.travel_mm ?? null,
    estimate_s: row?.estimate_s ?? null,
  };
}
