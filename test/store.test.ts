import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendEntry, type NewJournalEntry } from '../src-main/jobs/journal';
import { reconcile } from '../src-main/jobs/reconcile';
import { classifyJobs } from '../src-main/recovery/classify';
import { DatabaseError, Store } from '../src-main/jobs/store';
import { SCHEMA_VERSION } from '../src-main/jobs/migrations';
import { createJobFolder } from '../src-main/jobs/workspace';

let dir: string;
let dbFile: string;
let jobsDir: string;
let svg: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-store-'));
  dbFile = path.join(dir, 'vfab.db');
  jobsDir = path.join(dir, 'jobs');
  svg = path.join(dir, 'a.svg');
  fs.writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0L10 10"/></svg>');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('Store', () => {
  it("keeps the recovery guide's jobs table shape and migrates once", () => {
    const first = Store.open(dbFile);
    expect(first.created).toBe(true);
    first.store.close();
    const again = Store.open(dbFile);
    expect(again.created).toBe(false);
    expect(again.store.schemaVersion()).toBe(SCHEMA_VERSION);
    expect(again.store.journalMode()).toBe('wal');
    again.store.close();
    const raw = new Database(dbFile);
    const cols = raw.prepare('PRAGMA table_info(jobs)').all() as { name: string }[];
    expect(cols.map((c) => c.name)).toEqual(['id', 'state', 'created_at', 'updated_at']);
    raw.close();
  });

  it('refuses a database from a newer vfab instead of setting it aside', () => {
    Store.open(dbFile).store.close();
    const raw = new Database(dbFile);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => Store.open(dbFile)).toThrow(DatabaseError);
    expect(fs.readdirSync(dir).filter((f) => f.includes('corrupt'))).toEqual([]);
  });

  it('sets a truncated database aside and starts a fresh one', async () => {
    const { store } = Store.open(dbFile);
    await createJobFolder(jobsDir, 'a', svg);
    reconcile({ store, jobsDir });
    store.close();
    const bytes = fs.readFileSync(dbFile);
    fs.writeFileSync(dbFile, bytes.subarray(0, 100));
    const reopened = Store.open(dbFile);
    expect(reopened.setAside?.path).toMatch(/vfab\.db\.corrupt-/);
    expect(fs.readFileSync(reopened.setAside!.path)).toEqual(bytes.subarray(0, 100));
    expect(reconcile({ store: reopened.store, jobsDir }).added).toEqual(['a']);
    reopened.store.close();
  });
});

describe('reconcile', () => {
  it('reads only journals that changed since the last start', async () => {
    const { store } = Store.open(dbFile);
    for (const id of ['a', 'b', 'c']) await createJobFolder(jobsDir, id, svg);
    expect(reconcile({ store, jobsDir })).toMatchObject({
      read: 3,
      added: ['a', 'b', 'c'],
      indexed: 3,
    });
    expect(reconcile({ store, jobsDir })).toMatchObject({ read: 0, added: [], indexed: 3 });
    appendEntry(path.join(jobsDir, 'b', 'journal.jsonl'), {
      type: 'state_change',
      from_state: 'NEW',
      to_state: 'FAILED',
      reason: 'elsewhere',
      metadata: {},
    });
    const third = reconcile({ store, jobsDir });
    expect(third).toMatchObject({ read: 1, corrected: [{ id: 'b', from: 'NEW', to: 'FAILED' }] });
    expect(store.get('b')).toMatchObject({ state: 'FAILED', last_reason: 'elsewhere' });
    store.close();
  });

  it('keeps queue order through a rebuild', async () => {
    let { store } = Store.open(dbFile);
    for (const id of ['late', 'early']) await createJobFolder(jobsDir, id, svg);
    const queue = (id: string, at: string) => {
      const journal = path.join(jobsDir, id, 'journal.jsonl');
      let from = 'NEW';
      for (const to of ['ANALYZED', 'OPTIMIZED', 'READY', 'QUEUED'] as const) {
        appendEntry(
          journal,
          {
            type: 'state_change',
            from_state: from as never,
            to_state: to,
            reason: 'x',
            metadata: {},
          },
          { now: () => new Date(at) },
        );
        from = to;
      }
    };
    queue('early', '2026-01-01T10:00:00Z');
    queue('late', '2026-01-01T11:00:00Z');
    reconcile({ store, jobsDir });
    const order = () =>
      store
        .all()
        .sort((a, b) => a.queue_position! - b.queue_position!)
        .map((j) => j.id);
    expect(order()).toEqual(['early', 'late']);
    store.close();
    fs.rmSync(dbFile);
    ({ store } = Store.open(dbFile));
    reconcile({ store, jobsDir });
    expect(order()).toEqual(['early', 'late']);
    store.close();
  });

  it('lists a folder without a readable journal as unreadable, not as a job', async () => {
    const { store } = Store.open(dbFile);
    await createJobFolder(jobsDir, 'ok', svg);
    fs.mkdirSync(path.join(jobsDir, 'empty'));
    fs.mkdirSync(path.join(jobsDir, 'garbage'));
    fs.writeFileSync(path.join(jobsDir, 'garbage', 'journal.jsonl'), 'not json\n');
    const report = reconcile({ store, jobsDir });
    expect(report.unreadable.map((u) => u.id).sort()).toEqual(['empty', 'garbage']);
    expect(store.all().map((j) => j.id)).toEqual(['ok']);
    store.close();
  });
});

describe('the pens a job needs', () => {
  const ready = (layers: unknown): NewJournalEntry => ({
    type: 'state_change',
    from_state: 'OPTIMIZED',
    to_state: 'READY',
    reason: 'estimated',
    metadata: { estimate_s: 60, layers },
  });
  async function planned(id: string, layers: unknown): Promise<string> {
    await createJobFolder(jobsDir, id, svg);
    const journal = path.join(jobsDir, id, 'journal.jsonl');
    appendEntry(journal, {
      type: 'state_change',
      from_state: 'NEW',
      to_state: 'ANALYZED',
      reason: 'read',
      metadata: {},
    });
    appendEntry(journal, {
      type: 'state_change',
      from_state: 'ANALYZED',
      to_state: 'OPTIMIZED',
      reason: 'ordered',
      metadata: {},
    });
    appendEntry(journal, ready(layers));
    return journal;
  }

  it("come from the READY entry's layers, one per pen in plot order, named as the pause names them; junk reads as none", async () => {
    await planned('two', [
      { name: '1-black', seconds: 5, pause: null, pen: 1, color: '#000000' },
      {
        name: '2-red',
        seconds: 5,
        pause: 'pen_change',
        pen: 2,
        color: '#FF0000',
        pen_name: '0.3 red fineliner',
      },
      { name: '1-black', seconds: 5, pause: 'pen_change', pen: 1, color: '#000000' },
    ]);
    await planned('old', [{ name: 'layer 1', seconds: 5, pause: null }]);
    await planned('junk', [{ name: 7 }]);
    await planned('bad-colour', [{ name: 'x', color: 'url(javascript:1)' }]);
    const { store } = Store.open(dbFile);
    reconcile({ store, jobsDir });
    expect(store.get('two')?.pens).toEqual([
      { name: '1-black', color: '#000000' },
      { name: '0.3 red fineliner', color: '#ff0000' },
    ]);
    expect(store.get('old')?.pens).toEqual([{ name: 'layer 1', color: null }]);
    expect(store.get('junk')?.pens).toBeNull();
    expect(store.get('bad-colour')?.pens).toEqual([{ name: 'x', color: null }]);
    expect(store.all().find((j) => j.id === 'two')?.pens).toHaveLength(2);
    store.close();
  });

  it('an index from before pens gets them at the first start after the upgrade', async () => {
    await planned('a', [{ name: '1-blue', seconds: 5, pause: null, pen: 1, color: '#0000ff' }]);
    const { store } = Store.open(dbFile);
    reconcile({ store, jobsDir });
    store.close();
    const raw = new Database(dbFile);
    raw.exec(
      'ALTER TABLE job_index DROP COLUMN pens; ALTER TABLE job_index DROP COLUMN planned_at',
    );
    raw.pragma('user_version = 2');
    raw.close();

    const upgraded = Store.open(dbFile).store;
    expect(upgraded.schemaVersion()).toBe(SCHEMA_VERSION);
    expect(reconcile({ store: upgraded, jobsDir })).toMatchObject({ read: 1 });
    expect(upgraded.get('a')?.pens).toEqual([{ name: '1-blue', color: '#0000ff' }]);
    upgraded.close();
  });
});

describe('lines that break the chain, and the index', () => {
  /** A job journaled by vfab through `states` (from NEW), then `entries`. */
  async function journaled(
    id: string,
    states: readonly string[],
    entries: readonly NewJournalEntry[] = [],
  ): Promise<string> {
    await createJobFolder(jobsDir, id, svg);
    const journal = path.join(jobsDir, id, 'journal.jsonl');
    let from = 'NEW';
    for (const to of states) {
      appendEntry(journal, {
        type: 'state_change',
        from_state: from as never,
        to_state: to as never,
        reason: `to ${to}`,
        metadata: {},
      });
      from = to;
    }
    for (const e of entries) appendEntry(journal, e);
    return journal;
  }
  const byHand = (journal: string, fields: Record<string, unknown>) =>
    fs.appendFileSync(journal, `${JSON.stringify(fields)}\n`);
  const checkpoint = (move: number): NewJournalEntry => ({
    type: 'progress',
    progress: { move, layer: 0, path: move, point: 0, steps: [move, move], pen_down_mm: move },
  });

  it('an index an older reader built from a forged line is corrected at the first start after the upgrade, and nothing is journaled', async () => {
    const journal = await journaled('a', ['ANALYZED', 'OPTIMIZED', 'READY']);
    byHand(journal, {
      type: 'state_change',
      from_state: 'NEW',
      to_state: 'PLOTTING',
      reason: 'crash',
      metadata: {},
      seq: 5,
    });
    const { store } = Store.open(dbFile);
    reconcile({ store, jobsDir });
    store.close();
    // As vfab before the chain check left it: PLOTTING, in step with this very journal, schema 1.
    const { size, mtimeMs } = fs.statSync(journal);
    const raw = new Database(dbFile);
    raw.prepare("UPDATE jobs SET state = 'PLOTTING'").run();
    raw
      .prepare(
        "UPDATE job_index SET synced_state = 'PLOTTING', journal_size = ?, journal_mtime_ms = ?",
      )
      .run(size, mtimeMs);
    raw.exec(
      'ALTER TABLE job_index DROP COLUMN last_entry_offset; ALTER TABLE job_index DROP COLUMN pens; ALTER TABLE job_index DROP COLUMN planned_at',
    );
    raw.pragma('user_version = 1');
    raw.close();
    const bytes = fs.readFileSync(journal);

    const upgraded = Store.open(dbFile).store;
    expect(reconcile({ store: upgraded, jobsDir })).toMatchObject({
      read: 1,
      corrected: [{ id: 'a', from: 'PLOTTING', to: 'READY' }],
      forced: [],
    });
    expect(upgraded.get('a')).toMatchObject({ state: 'READY', synced_state: 'READY' });
    expect(classifyJobs(upgraded, { jobsDir, stuckAfterS: 120 })).toEqual([]);
    upgraded.close();
    expect(fs.readFileSync(journal)).toEqual(bytes);
  });

  it('classifies a crashed plot by its last valid entry: where the index saw it, or from the chain once the journal changed', async () => {
    const journal = await journaled(
      'a',
      ['ANALYZED', 'OPTIMIZED', 'READY', 'QUEUED', 'ARMED', 'PLOTTING'],
      [checkpoint(7), checkpoint(9)],
    );
    const { store } = Store.open(dbFile);
    reconcile({ store, jobsDir });
    const classify = () => classifyJobs(store, { jobsDir, stuckAfterS: 120 });
    const lines = fs.readFileSync(journal, 'utf8').split('\n');
    expect(store.get('a')?.last_entry_offset).toBe(
      fs.statSync(journal).size - lines.at(-2)!.length - 1,
    );
    expect(classify()).toMatchObject([
      { id: 'a', state: 'PLOTTING', kind: 'interrupted', cause: 'crash', checkpoint: { move: 9 } },
    ]);

    // Appended by hand after the index read it, with a seq going back: the chain has no place for it.
    byHand(journal, {
      type: 'emergency_shutdown',
      state: 'PLOTTING',
      reason: 'signal_received',
      metadata: { signal: 'SIGTERM', checkpoint: { move: 99 } },
      seq: 3,
    });
    expect(classify()).toMatchObject([
      { id: 'a', state: 'PLOTTING', cause: 'crash', checkpoint: { move: 9 } },
    ]);
    byHand(journal, {
      type: 'state_change',
      from_state: 'PLOTTING',
      to_state: 'COMPLETED',
      reason: 'done',
      metadata: {},
      seq: 2,
    });
    expect(classify()).toMatchObject([{ id: 'a', state: 'PLOTTING', cause: 'crash' }]);
    store.close();
  });
});
