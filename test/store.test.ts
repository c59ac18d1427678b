import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendEntry } from '../src-main/jobs/journal';
import { reconcile } from '../src-main/jobs/reconcile';
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
    expect(reconcile({ store, jobsDir })).toMatchObject({ read: 3, added: ['a', 'b', 'c'], indexed: 3 });
    expect(reconcile({ store, jobsDir })).toMatchObject({ read: 0, added: [], indexed: 3 });
    appendEntry(path.join(jobsDir, 'b', 'journal.jsonl'), { type: 'state_change', from_state: 'NEW', to_state: 'FAILED', reason: 'elsewhere', metadata: {} });
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
        appendEntry(journal, { type: 'state_change', from_state: from as never, to_state: to, reason: 'x', metadata: {} }, { now: () => new Date(at) });
        from = to;
      }
    };
    queue('early', '2026-01-01T10:00:00Z');
    queue('late', '2026-01-01T11:00:00Z');
    reconcile({ store, jobsDir });
    const order = () => store.all().sort((a, b) => a.queue_position! - b.queue_position!).map((j) => j.id);
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
