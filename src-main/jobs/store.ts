/**
 * The SQLite index (docs/recovery.md, invariant 3): fast listing, queue order and statistics.
 * It is never the truth. Reconciliation (reconcile.ts) rewrites it from the journals, and a
 * missing or corrupt file is set aside and rebuilt rather than trusted or deleted.
 */
import { VfabError } from '../errors';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { backupStamp } from '../util/time';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations';
import { pensOfJson, type JobPen } from './pens-needed';
import type { JobState } from './states';

/** One job as the index holds it. `state` is the raw column: a hand edit may have put anything there. */
export interface IndexedJob {
  id: string;
  state: string;
  created_at: string;
  updated_at: string;
  synced_state: JobState | null;
  last_reason: string | null;
  last_seq: number;
  journal_size: number;
  journal_mtime_ms: number;
  /** Byte offset of the line of the journal's last valid entry (null: not known). */
  last_entry_offset: number | null;
  queue_position: number | null;
  source_name: string | null;
  source_size: number | null;
  paper: string | null;
  layer_count: number | null;
  pen_down_mm: number | null;
  travel_mm: number | null;
  estimate_s: number | null;
  /** The pens the plan takes, in plot order (null: no plan, or a plan journaled before pens were). */
  pens: JobPen[] | null;
  /** When the current plan was made (its READY entry's time): the plan's version; null before a plan. */
  planned_at: string | null;
}

/** What start-up needs to decide whether a job's journal must be read again. */
export type SyncRow = Pick<
  IndexedJob,
  'id' | 'state' | 'synced_state' | 'journal_size' | 'journal_mtime_ms'
>;

/** Where a job's journal ended, and where its last valid entry stood, when the index last read it (null: never). */
export interface JournalMark {
  id: string;
  journal_size: number | null;
  journal_mtime_ms: number | null;
  last_entry_offset: number | null;
}

/** What the index learns from a journal: the state is always a real one and becomes the synced state. */
export type IndexRecord = Omit<IndexedJob, 'state' | 'synced_state'> & { state: JobState };

const INDEX_COLUMNS = [
  'last_reason',
  'last_seq',
  'journal_size',
  'journal_mtime_ms',
  'last_entry_offset',
  'queue_position',
  'source_name',
  'source_size',
  'paper',
  'layer_count',
  'pen_down_mm',
  'travel_mm',
  'estimate_s',
  'pens',
  'planned_at',
] as const satisfies readonly (keyof IndexRecord)[];

export interface SetAside {
  /** Where the unusable file now lives, beside the new one. */
  path: string;
  reason: string;
}

export interface StoreOpenResult {
  store: Store;
  /** True when no database file existed: every job must be indexed from its journal. */
  created: boolean;
  setAside?: SetAside;
}

export class DatabaseError extends VfabError {
  override readonly name = 'DatabaseError';
  constructor(message: string) {
    super('DATA', message);
  }
}

/** SQLite codes that mean the file itself is damaged or not a database: rebuild, don't retry. */
const DAMAGE_CODES = /^SQLITE_(NOTADB|CORRUPT)/;

export function isDatabaseDamage(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && DAMAGE_CODES.test(code);
}

export class Store {
  private readonly statements;

  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
  ) {
    const indexSet = INDEX_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ');
    const select = `SELECT j.id, j.state, j.created_at, j.updated_at, i.synced_state, ${INDEX_COLUMNS.map((c) => `i.${c}`).join(', ')}
      FROM jobs j LEFT JOIN job_index i ON i.id = j.id`;
    this.statements = {
      all: db.prepare(select),
      one: db.prepare(`${select} WHERE j.id = ?`),
      // Narrow on purpose: row objects cost per column, and start-up reads every row.
      sync: db.prepare(
        'SELECT j.id, j.state, i.synced_state, i.journal_size, i.journal_mtime_ms FROM jobs j LEFT JOIN job_index i ON i.id = j.id',
      ),
      count: db.prepare('SELECT COUNT(*) AS n FROM jobs'),
      inStates: db.prepare(
        'SELECT j.id, i.journal_size, i.journal_mtime_ms, i.last_entry_offset FROM jobs j LEFT JOIN job_index i ON i.id = j.id WHERE j.state IN (SELECT value FROM json_each(?)) ORDER BY j.id',
      ),
      upsertJob: db.prepare(
        `INSERT INTO jobs (id, state, created_at, updated_at) VALUES (@id, @state, @created_at, @updated_at)
         ON CONFLICT(id) DO UPDATE SET state = excluded.state, created_at = excluded.created_at, updated_at = excluded.updated_at`,
      ),
      upsertIndex: db.prepare(
        `INSERT INTO job_index (id, synced_state, ${INDEX_COLUMNS.join(', ')})
         VALUES (@id, @state, ${INDEX_COLUMNS.map((c) => `@${c}`).join(', ')})
         ON CONFLICT(id) DO UPDATE SET synced_state = excluded.synced_state, ${indexSet}`,
      ),
      removeJob: db.prepare('DELETE FROM jobs WHERE id = ?'),
      removeIndex: db.prepare('DELETE FROM job_index WHERE id = ?'),
      countsByState: db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state'),
      setQueuePosition: db.prepare('UPDATE job_index SET queue_position = ? WHERE id = ?'),
      lastQueuePosition: db.prepare(
        "SELECT MAX(i.queue_position) AS p FROM jobs j JOIN job_index i ON i.id = j.id WHERE j.state = 'QUEUED'",
      ),
    };
  }

  /**
   * Opens (creating if needed) and migrates the index. A file that is not a database, is corrupt
   * or fails its integrity check is renamed to `vfab.db.corrupt-<time>` (never deleted) and a fresh
   * one is created in its place.
   */
  static open(file: string, opts: { nativeBinding?: string } = {}): StoreOpenResult {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const created = !fs.existsSync(file);
    try {
      return { store: Store.openChecked(file, opts), created };
    } catch (err) {
      if (!isDatabaseDamage(err) && !(err instanceof IntegrityError)) throw err;
      const setAside = setAsideDatabase(file, 'corrupt', (err as Error).message);
      return { store: Store.openChecked(file, opts), created: true, setAside };
    }
  }

  /**
   * The index of a process that may not write `file` (engine.ts's read-only mode): a private
   * copy in memory of what the file holds, or an empty one when it cannot be read as a database.
   * Reconciling it with the journals then writes nothing to disk.
   */
  static openInMemory(file: string, opts: { nativeBinding?: string } = {}): StoreOpenResult {
    const image = databaseImage(file);
    if (image) {
      try {
        return { store: Store.openChecked(file, opts, image), created: false };
      } catch {
        // Damaged or from a newer vfab: the journals alone build the index.
      }
    }
    return { store: Store.openChecked(file, opts, ':memory:'), created: true };
  }

  /** Opens `source` (default: the file itself) as the index of `file`, checked and migrated. */
  private static openChecked(
    file: string,
    opts: { nativeBinding?: string },
    source: string | Buffer = file,
  ): Store {
    const db = new Database(
      source,
      opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {},
    );
    try {
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      // The index can always be rebuilt from the journals, so NORMAL (no fsync per commit) is enough.
      db.pragma('synchronous = NORMAL');
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new IntegrityError(String(check));
      migrate(db, file);
      return new Store(file, db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  all(): IndexedJob[] {
    return (this.statements.all.all() as StoredJob[]).map(fromStored);
  }

  syncRows(): SyncRow[] {
    return this.statements.sync.all() as SyncRow[];
  }

  /** The jobs indexed in these states, with their journal marks (crash detection looks only at those). */
  marksInStates(states: readonly string[]): JournalMark[] {
    return this.statements.inStates.all(JSON.stringify(states)) as JournalMark[];
  }

  count(): number {
    return (this.statements.count.get() as { n: number }).n;
  }

  get(id: string): IndexedJob | undefined {
    const row = this.statements.one.get(id) as StoredJob | undefined;
    return row && fromStored(row);
  }

  upsert(record: IndexRecord): void {
    this.statements.upsertJob.run(record);
    this.statements.upsertIndex.run({
      ...record,
      pens: record.pens && JSON.stringify(record.pens),
    });
  }

  remove(id: string): void {
    this.statements.removeJob.run(id);
    this.statements.removeIndex.run(id);
  }

  /** A queued job's place (lower plots first); reconcile keeps it while the job stays QUEUED. */
  setQueuePosition(id: string, position: number): void {
    this.statements.setQueuePosition.run(position, id);
  }

  /** The highest position in the queue, or null when nothing is queued. */
  lastQueuePosition(): number | null {
    return (this.statements.lastQueuePosition.get() as { p: number | null }).p;
  }

  countsByState(): Record<string, number> {
    const rows = this.statements.countsByState.all() as { state: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /**
   * IMMEDIATE: the write lock is taken (waiting up to busy_timeout) before anything is read. A
   * deferred transaction that reads first and writes later fails at once with "database is
   * locked" when another process (a second CLI, serve) committed in between: SQLite cannot
   * upgrade a stale snapshot, and no busy handler helps.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  integrity(): string {
    return String(this.db.pragma('integrity_check', { simple: true }));
  }

  journalMode(): string {
    return String(this.db.pragma('journal_mode', { simple: true }));
  }

  schemaVersion(): number {
    return Number(this.db.pragma('user_version', { simple: true }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** A row as SQLite returns it: the pens as the JSON text the column holds. */
type StoredJob = Omit<IndexedJob, 'pens'> & { pens: string | null };

function fromStored(row: StoredJob): IndexedJob {
  return { ...row, pens: pensOfJson(row.pens) };
}

class IntegrityError extends Error {
  override readonly name = 'IntegrityError';
  constructor(detail: string) {
    super(`integrity check failed: ${detail}`);
  }
}

function migrate(db: Database.Database, file: string): void {
  const current = Number(db.pragma('user_version', { simple: true }));
  if (current > SCHEMA_VERSION) {
    throw new DatabaseError(
      `${file} was written by a newer vfab (schema ${current}, this one knows ${SCHEMA_VERSION}). ` +
        'Update vfab, or run `vfab system rebuild-db` to rebuild the index from the journals.',
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      // Another process opening the same new file may have migrated it while this one waited.
      if (Number(db.pragma('user_version', { simple: true })) >= m.version) return;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * The database file's bytes as an in-memory database loads them: the header's WAL flags are set
 * back to rollback, which memory supports. A WAL not yet checkpointed is not in the copy; the
 * journals make up for it, as for any index that lags behind.
 */
function databaseImage(file: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  if (bytes.length < 100 || !bytes.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC))
    return undefined;
  bytes[18] = 1;
  bytes[19] = 1;
  return bytes;
}

/** Renames the database and its WAL/SHM companions aside; returns where the main file went. */
export function setAsideDatabase(file: string, label: 'corrupt' | 'bak', reason: string): SetAside {
  let target = `${file}.${label}-${backupStamp()}`;
  for (let n = 2; fs.existsSync(target); n++) target = `${file}.${label}-${backupStamp()}-${n}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, target + suffix);
  }
  return { path: target, reason };
}
