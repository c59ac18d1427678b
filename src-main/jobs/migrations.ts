/**
 * Versioned schema of the index database. Each migration runs once, in order, inside a
 * transaction; PRAGMA user_version records how far a file has come.
 *
 * `jobs` keeps exactly (id, state, created_at, updated_at) in that order: the recovery guide's
 * `UPDATE jobs SET state = ...` and `INSERT OR REPLACE INTO jobs VALUES (...)` must keep working.
 * No CHECK on `state`: a hand-written non-state must reach reconciliation to be reported, not make
 * the user's SQL fail. Everything else listing needs lives in `job_index`.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'jobs table (recovery guide shape) and the listing index beside it',
    sql: `
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE job_index (
        id TEXT PRIMARY KEY,
        synced_state TEXT,
        last_reason TEXT,
        last_seq INTEGER NOT NULL DEFAULT 0,
        journal_size INTEGER NOT NULL DEFAULT 0,
        journal_mtime_ms REAL NOT NULL DEFAULT 0,
        queue_position REAL,
        source_name TEXT,
        source_size INTEGER,
        paper TEXT,
        layer_count INTEGER,
        pen_down_mm REAL,
        travel_mm REAL,
        estimate_s REAL
      );
      CREATE INDEX jobs_state ON jobs(state);
    `,
  },
  {
    version: 2,
    description:
      "where each journal's last valid entry starts, and every journal read again by the reader that checks the chain",
    // journal_size -1 matches no file: the next start reads every journal once, so nothing an
    // older reader took from a line that breaks the chain stays in the index.
    sql: `
      ALTER TABLE job_index ADD COLUMN last_entry_offset INTEGER;
      UPDATE job_index SET journal_size = -1;
    `,
  },
  {
    version: 3,
    description: 'the pens each planned job needs, and every journal read again to fill them in',
    sql: `
      ALTER TABLE job_index ADD COLUMN pens TEXT;
      UPDATE job_index SET journal_size = -1;
    `,
  },
  {
    version: 4,
    description:
      "when each job's current plan was made (its last READY entry): the version a queue row's thumbnail is cached under",
    // As in version 3: every journal is read once more, so each planned job gets its time.
    sql: `
      ALTER TABLE job_index ADD COLUMN planned_at TEXT;
      UPDATE job_index SET journal_size = -1;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
