import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appendEntry,
  JournalError,
  readJournal,
  repairJournal,
  summarizeJournal,
  validateJournal,
  type JournalEntry,
  type JournalRead,
  type NewJournalEntry,
  type ProblemKind,
} from '../src-main/jobs/journal';
import { JOB_STATES, TRANSITIONS, type JobState, type TransitionRule } from '../src-main/jobs/states';
import { backupStamp } from '../src-main/util/time';
import { startHelper } from './helpers/children';
import { useTempDirs } from './helpers/tmp';

const tempDir = useTempDirs('vfab-journal-');

/** A fresh job folder; the journal does not exist yet. */
function newJournal(): string {
  return path.join(tempDir(), 'journal.jsonl');
}

function appendAll(journal: string, entries: readonly NewJournalEntry[]): JournalEntry[] {
  return entries.map((e) => appendEntry(journal, e));
}

/**
 * The model of derived state, written independently of the implementation: the last entry that
 * tells a state — state_change/recovery (to_state), emergency_shutdown (state), progress (PLOTTING).
 */
function modelState(entries: readonly JournalEntry[]): JobState | undefined {
  const last = entries.at(-1);
  if (!last) return undefined;
  if (last.type === 'progress') return 'PLOTTING';
  if (last.type === 'emergency_shutdown') return last.state;
  return last.to_state;
}

function fileLines(journal: string): string[] {
  return fs.readFileSync(journal, 'utf8').split('\n').slice(0, -1);
}

/** summarizeJournal must say what readJournal says, whatever the damage. */
function expectSummaryAgrees(journal: string, read: JournalRead): void {
  const summary = summarizeJournal(journal);
  const entries = read.records.map((r) => r.entry);
  expect(summary.state).toBe(read.state);
  expect(summary.lastSeq).toBe(read.lastSeq);
  expect(summary.lastEntry).toEqual(entries.at(-1));
  expect(summary.lastStateChange).toEqual(entries.filter((e) => e.type === 'state_change' || e.type === 'recovery').at(-1));
  expect(summary.firstEntry).toEqual(entries[0]);
  expect(summary.lastPlanned).toEqual(entries.filter((e) => e.type === 'state_change' && e.to_state === 'READY').at(-1));
  expect(summary.size).toBe(read.size);
  expect(summary.mtimeMs).toBe(fs.statSync(journal).mtimeMs);
}

// ---------------------------------------------------------------------------------------------
// Generators

const state = fc.constantFrom(...JOB_STATES);
// Any UTF-16, lone surrogates and U+2028 included: the line format must survive all of it.
const text = fc.string({ unit: 'binary', maxLength: 12 });
const fields = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });

const progressEntry = fields.map((progress): NewJournalEntry => ({ type: 'progress', progress }));
const anyEntry: fc.Arbitrary<NewJournalEntry> = fc.oneof(
  fc.record({ type: fc.constant('state_change' as const), from_state: fc.option(state, { nil: null }), to_state: state, reason: text, metadata: fields }),
  progressEntry,
  fc.record({ type: fc.constant('emergency_shutdown' as const), state, reason: text }),
  fc.record({ type: fc.constant('recovery' as const), from_state: state, to_state: state, reason: text }),
);

/** A job's life as vfab would write it: creation, then legal transitions with checkpoints between. */
const legalLife: fc.Arbitrary<NewJournalEntry[]> = fc
  .array(fc.tuple(fc.nat(), fc.boolean(), fields), { maxLength: 14 })
  .map((steps) => {
    let current: JobState = 'NEW';
    const entries: NewJournalEntry[] = [{ type: 'state_change', from_state: null, to_state: 'NEW', reason: 'created', metadata: {} }];
    for (const [pick, checkpoint, progress] of steps) {
      if (checkpoint) {
        entries.push({ type: 'progress', progress });
        continue;
      }
      const rules: readonly TransitionRule[] = TRANSITIONS[current];
      const to: JobState = rules[pick % rules.length]!.to;
      entries.push({ type: 'state_change', from_state: current, to_state: to, reason: `to ${to}`, metadata: {} });
      current = to;
    }
    return entries;
  });

const journalEntries = fc.oneof(legalLife, fc.array(anyEntry, { minLength: 1, maxLength: 14 }));

interface Garbage {
  bytes: Buffer;
  /** undefined: a blank line, which is no problem at all. */
  kind: ProblemKind | undefined;
}

const oneLine = (s: string) => s.replace(/\n/g, ' ');
const garbage: fc.Arbitrary<Garbage> = fc.oneof(
  fc.constantFrom('', '   ', '\t', '\r').map((s) => ({ bytes: Buffer.from(s), kind: undefined })),
  // 0xFF never occurs in UTF-8.
  fc.uint8Array({ maxLength: 30 }).map((b) => ({ bytes: Buffer.from([0xff, ...b.filter((x) => x !== 0x0a)]), kind: 'invalid_json' as const })),
  text.map((s) => ({ bytes: Buffer.from(`#${oneLine(s)}`), kind: 'invalid_json' as const })),
  fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => ({ bytes: Buffer.from(JSON.stringify(v)), kind: 'not_an_object' as const })),
  fc.constant({ bytes: Buffer.from('{"to_state":"READY"}'), kind: 'missing_field' as const }),
  fc.constant({ bytes: Buffer.from('{"type":"progress"}'), kind: 'missing_field' as const }),
  fc.constantFrom('{"type":7}', '{"type":"progress","progress":{},"seq":1.5}', '{"type":"progress","progress":{},"seq":"3"}', '{"type":"state_change","to_state":"READY","reason":5}').map((s) => ({ bytes: Buffer.from(s), kind: 'bad_field' as const })),
  fc.constantFrom('RECOVERED', 'RUNNING', 'plotting').map((s) => ({ bytes: Buffer.from(`{"type":"state_change","from_state":"READY","to_state":"${s}"}`), kind: 'unknown_state' as const })),
  fc.constantFrom('hooks_executed', 'guards_evaluated', 'hooks_error').map((t) => ({ bytes: Buffer.from(`{"type":"${t}","state":"READY","results":[]}`), kind: 'unknown_type' as const })),
);

// ---------------------------------------------------------------------------------------------

describe('appendEntry and readJournal', () => {
  it('read back every appended entry in order, with seq 1..n and the last to_state as the state', () => {
    fc.assert(
      fc.property(journalEntries, (entries) => {
        const journal = newJournal();
        const written = appendAll(journal, entries);
        const read = readJournal(journal);
        expect(read.problems).toEqual([]);
        expect(read.records.map((r) => r.entry)).toEqual(written);
        expect(written.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
        expect(read.records.map((r) => r.line)).toEqual(entries.map((_, i) => i + 1));
        expect(read.records.map((r) => r.raw)).toEqual(fileLines(journal));
        expect(read.lastSeq).toBe(entries.length);
        expect(read.state).toBe(modelState(written));
        expectSummaryAgrees(journal, read);
      }),
      { numRuns: 60 },
    );
  });

  it('write type first and timestamp, seq last, so a line reads like the guide and jq -r .reason works', () => {
    const journal = newJournal();
    const written = appendEntry(journal, { type: 'emergency_shutdown', state: 'PLOTTING', reason: 'signal_received' }, { now: () => new Date('2026-03-01T12:00:00Z') });
    expect(fs.readFileSync(journal, 'utf8')).toBe('{"type":"emergency_shutdown","state":"PLOTTING","reason":"signal_received","timestamp":"2026-03-01T12:00:00.000Z","seq":1}\n');
    expect(written).toEqual({ type: 'emergency_shutdown', state: 'PLOTTING', reason: 'signal_received', timestamp: '2026-03-01T12:00:00.000Z', seq: 1 });
  });

  it('ignore a timestamp or seq smuggled into the entry: they are always vfab’s', () => {
    const journal = newJournal();
    appendEntry(journal, { type: 'progress', progress: {} });
    const sneaky = { type: 'progress', progress: {}, seq: 99, timestamp: 'yesterday' } as NewJournalEntry;
    expect(appendEntry(journal, sneaky, { now: () => new Date(0) })).toMatchObject({ seq: 2, timestamp: '1970-01-01T00:00:00.000Z' });
    expect(readJournal(journal).problems).toEqual([]);
  });

  it('refuse an entry that would not read back, and write nothing', () => {
    const journal = newJournal();
    const bad = { type: 'state_change', from_state: 'READY', to_state: 'RUNNING', reason: '', metadata: {} } as unknown as NewJournalEntry;
    expect(() => appendEntry(journal, bad)).toThrow(JournalError);
    expect(() => appendEntry(journal, bad)).toThrow(/RUNNING/);
    expect(fs.existsSync(journal)).toBe(false);
  });

  it('refuse to write into a deleted job folder and do not recreate it', () => {
    const dir = tempDir();
    const journal = path.join(dir, 'journal.jsonl');
    appendEntry(journal, { type: 'progress', progress: {} });
    fs.rmSync(dir, { recursive: true });
    let err: unknown;
    try {
      appendEntry(journal, { type: 'progress', progress: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JournalError);
    expect((err as JournalError).code).toBe('NOT_FOUND');
    expect((err as Error).message).toContain(dir);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('time out with a BUSY JournalError naming the holder when another live process holds the journal', () => {
    const journal = newJournal();
    fs.writeFileSync(path.join(path.dirname(journal), 'journal.lock'), JSON.stringify({ pid: process.pid, host: 'plotter-pi', since: 'now' }));
    let err: unknown;
    try {
      appendEntry(journal, { type: 'progress', progress: {} }, { lockTimeoutMs: 30 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JournalError);
    expect((err as JournalError).code).toBe('BUSY');
    expect((err as Error).message).toMatch(new RegExp(`pid ${process.pid} on host plotter-pi`));
    expect((err as Error).message).toContain(journal);
    expect(fs.existsSync(journal)).toBe(false);
  });

  it('continue the seq after a journal whose lines carry none (hand-written, old vfab): count of lines + 1', () => {
    const journal = newJournal();
    const oldLine = '{"type":"progress","progress":{"i":0},"timestamp":"2025-11-15T10:00:00.123456+00:00","job_id":"demo"}\n';
    // Bigger than the tail window, so the count needs the whole file.
    fs.writeFileSync(journal, oldLine.repeat(500));
    expect(appendEntry(journal, { type: 'progress', progress: {} }).seq).toBe(501);
    expect(appendEntry(journal, { type: 'progress', progress: {} }).seq).toBe(502);
  });

  it('find the last seq behind a last line longer than the tail window (a state_change carrying a whole plan)', () => {
    const journal = newJournal();
    appendEntry(journal, { type: 'progress', progress: {} });
    appendEntry(journal, { type: 'state_change', from_state: 'ANALYZED', to_state: 'OPTIMIZED', reason: 'planned', metadata: { plan: 'x'.repeat(300_000) } });
    expect(appendEntry(journal, { type: 'progress', progress: {} }).seq).toBe(3);
  });

  it('cost the same on a long journal as on a short one: no whole-file reads in the steady state', () => {
    const short = newJournal();
    const long = newJournal();
    const line = (i: number) => `{"type":"progress","progress":{"stroke":${i},"x":12.5,"y":80.25},"timestamp":"2026-01-01T00:00:00.000Z","seq":${i}}\n`;
    fs.writeFileSync(long, Array.from({ length: 30_000 }, (_, i) => line(i + 1)).join(''));
    const cpuMs = { [short]: 0, [long]: 0 };
    // Interleaved, so both journals see the same machine load; the first rounds warm up.
    for (let i = 0; i < 220; i++) {
      for (const journal of [short, long]) {
        const before = process.cpuUsage();
        appendEntry(journal, { type: 'progress', progress: { stroke: i } });
        const used = process.cpuUsage(before);
        if (i >= 20) cpuMs[journal]! += (used.user + used.system) / 1000;
      }
    }
    // Reading the 3 MB journal on each append would cost tens of ms; a checkpoint every 100 ms
    // may use 1 ms (1% of a core), and measures about a third of that.
    expect(cpuMs[long]! / 200).toBeLessThan(2);
    expect(cpuMs[long]!).toBeLessThan(cpuMs[short]! * 2);
    expect(summarizeJournal(long).lastSeq).toBe(30_220);
  });
});

describe('damage', () => {
  it('truncation at any byte: never throws, keeps the complete lines, reports the torn one, and a later append stays on its own line', () => {
    fc.assert(
      // Unbiased: fast-check otherwise favours small numbers, i.e. cuts at the very start.
      fc.property(journalEntries, fc.noBias(fc.nat()), anyEntry, (entries, at, next) => {
        const journal = newJournal();
        const written = appendAll(journal, entries);
        const full = fs.readFileSync(journal);
        const cut = at % (full.length + 1);
        fs.truncateSync(journal, cut);

        // Line i spans [start, end) without its newline; it is complete when its last byte survived.
        const spans: Array<{ start: number; end: number }> = [];
        for (let start = 0; start < full.length; ) {
          const end = full.indexOf(0x0a, start);
          spans.push({ start, end });
          start = end + 1;
        }
        const complete = spans.filter((s) => s.end <= cut).length;
        const tornLine = spans.findIndex((s) => s.start < cut && cut < s.end) + 1; // 0: none

        const read = readJournal(journal);
        expect(read.records.map((r) => r.entry)).toEqual(written.slice(0, complete));
        expect(read.problems.map((p) => [p.line, p.kind, p.severity])).toEqual(tornLine ? [[tornLine, 'torn_tail', 'error']] : []);
        expect(read.state).toBe(modelState(written.slice(0, complete)));
        expectSummaryAgrees(journal, read);

        const added = appendEntry(journal, next);
        const after = readJournal(journal);
        const truncated = full.subarray(0, cut).toString('utf8');
        const separator = cut > 0 && full[cut - 1] !== 0x0a ? '\n' : '';
        expect(fs.readFileSync(journal, 'utf8')).toBe(`${truncated}${separator}${after.records.at(-1)?.raw}\n`);
        expect(after.records.map((r) => r.entry)).toEqual([...written.slice(0, complete), added]);
        expect(after.records.at(-1)?.line).toBe((tornLine || complete) + 1);
        expect(added.seq).toBe(complete + 1);
        // The fragment is now a damaged line of its own, never glued to the new entry.
        expect(after.problems.map((p) => [p.line, p.kind])).toEqual(tornLine ? [[tornLine, 'invalid_json']] : []);
        expectSummaryAgrees(journal, after);
      }),
      { numRuns: 60 },
    );
  });

  it('garbage, binary and blank lines between valid ones: every valid entry is read and each bad line reported at its line', () => {
    fc.assert(
      fc.property(journalEntries, fc.array(fc.tuple(fc.nat(), garbage), { maxLength: 8 }), (entries, inserts) => {
        const journal = newJournal();
        const written = appendAll(journal, entries);
        const lines: Array<{ bytes: Buffer; kind?: ProblemKind; entry?: JournalEntry }> = fileLines(journal).map((l, i) => ({ bytes: Buffer.from(l), entry: written[i] }));
        for (const [pos, g] of inserts) lines.splice(pos % (lines.length + 1), 0, g);
        const original = Buffer.concat(lines.flatMap((l) => [l.bytes, Buffer.from('\n')]));
        fs.writeFileSync(journal, original);

        const read = readJournal(journal);
        expect(read.records.map((r) => r.entry)).toEqual(written);
        expect(read.records.map((r) => r.line)).toEqual(lines.flatMap((l, i) => (l.entry ? [i + 1] : [])));
        expect(read.problems.map((p) => [p.line, p.kind])).toEqual(lines.flatMap((l, i) => (l.kind ? [[i + 1, l.kind]] : [])));
        expect(read.state).toBe(modelState(written));
        expect(read.lastSeq).toBe(written.length);
        expectSummaryAgrees(journal, read);

        // Repair keeps valid and unknown-type lines byte for byte, drops the rest, backs up the original.
        const errors = lines.filter((l) => l.kind && l.kind !== 'unknown_type').length;
        const kept = lines.filter((l) => l.entry || l.kind === 'unknown_type');
        const repair = repairJournal(journal);
        expect(repair.kept).toBe(kept.length);
        expect(repair.dropped.map((p) => p.line)).toEqual(lines.flatMap((l, i) => (l.kind && l.kind !== 'unknown_type' ? [i + 1] : [])));
        expect(repair.changed).toBe(errors > 0);
        if (repair.changed) {
          expect(fs.readFileSync(repair.backupPath!)).toEqual(original);
          expect(fs.readFileSync(journal)).toEqual(Buffer.concat(kept.flatMap((l) => [l.bytes, Buffer.from('\n')])));
        } else {
          expect(repair.backupPath).toBeUndefined();
          expect(fs.readFileSync(journal)).toEqual(original);
        }
        expect(validateJournal(journal).ok).toBe(true);
        expect(readJournal(journal).records.map((r) => r.entry)).toEqual(written);
      }),
      { numRuns: 60 },
    );
  });

  it('a head cut off (the guide keeps tail -50) still yields the state and seq of what is left', () => {
    fc.assert(
      fc.property(journalEntries, fc.nat(), (entries, k) => {
        const journal = newJournal();
        const written = appendAll(journal, entries);
        const drop = k % (entries.length + 1);
        fs.writeFileSync(journal, fileLines(journal).slice(drop).map((l) => `${l}\n`).join(''));
        const left = written.slice(drop);
        const read = readJournal(journal);
        expect(read.problems).toEqual([]);
        expect(read.records.map((r) => r.entry)).toEqual(left);
        expect(read.state).toBe(modelState(left));
        expect(read.lastSeq).toBe(left.length ? entries.length : 0);
        expectSummaryAgrees(journal, read);
      }),
      { numRuns: 40 },
    );
  });
});

describe('a tail of checkpoints only', () => {
  it('still says PLOTTING, or the state an emergency shutdown recorded', () => {
    const journal = newJournal();
    appendAll(journal, [
      { type: 'state_change', from_state: 'ARMED', to_state: 'PLOTTING', reason: 'go', metadata: {} },
      ...Array.from({ length: 60 }, (_, i): NewJournalEntry => ({ type: 'progress', progress: { path: i } })),
    ]);
    fs.writeFileSync(journal, fileLines(journal).slice(-50).map((l) => `${l}\n`).join(''));
    expect(readJournal(journal).state).toBe('PLOTTING');
    expect(summarizeJournal(journal)).toMatchObject({ state: 'PLOTTING', lastStateChange: undefined, lastSeq: 61 });
    appendEntry(journal, { type: 'emergency_shutdown', state: 'PAUSED', reason: 'signal_received' });
    expect(summarizeJournal(journal).state).toBe('PAUSED');
  });
});

describe('lines written by hand or by the old Python vfab', () => {
  it('accept the guide’s reconstructed journal verbatim as NEW, and continue it', () => {
    const journal = newJournal();
    // As `cat > journal.jsonl << EOF ... $(date -Iseconds)` writes it, spaces after colons included.
    const line = '{"type": "state_change", "from_state": "NEW", "to_state": "NEW", "timestamp": "2026-03-01T09:15:02+00:00", "reason": "Journal reconstruction", "metadata": {}}';
    fs.writeFileSync(journal, `${line}\n`);
    const read = readJournal(journal);
    expect(read.problems).toEqual([]);
    expect(read.state).toBe('NEW');
    expect(read.records).toEqual([
      { line: 1, raw: line, entry: { type: 'state_change', from_state: 'NEW', to_state: 'NEW', reason: 'Journal reconstruction', metadata: {}, timestamp: '2026-03-01T09:15:02+00:00' } },
    ]);
    expect(validateJournal(journal)).toEqual({ ok: true, entries: 1, problems: [] });
    expect(summarizeJournal(journal)).toMatchObject({ state: 'NEW', lastSeq: 0, firstEntry: { timestamp: '2026-03-01T09:15:02+00:00' } });

    expect(appendEntry(journal, { type: 'state_change', from_state: 'NEW', to_state: 'ANALYZED', reason: 'restart', metadata: {} }).seq).toBe(2);
    expect(readJournal(journal).state).toBe('ANALYZED');
  });

  it('read an old Python journal: unknown types are warnings, kept by repair, and never set the state', () => {
    const journal = newJournal();
    const content = [
      '{"type":"state_change","from_state":"NEW","to_state":"ANALYZED","reason":"Starting job analysis","metadata":{},"timestamp":"2025-11-15T10:00:00.123456+00:00","job_id":"demo"}',
      '{"type":"hooks_executed","state":"ANALYZED","reason":"Starting job analysis","results":[],"timestamp":"2025-11-15T10:00:00.2+00:00","job_id":"demo"}',
      '{"type":"guards_evaluated","state":"ANALYZED","checks":[],"timestamp":"2025-11-15T10:00:00.3+00:00","job_id":"demo"}',
      '{"type":"emergency_shutdown","state":"PLOTTING","reason":"signal_received","timestamp":"2025-11-15T10:05:00+00:00","job_id":"demo"}',
      '{"type":"recovery","from_state":"ANALYZED","to_state":"ANALYZED","reason":"Crash recovery after emergency shutdown","timestamp":"2025-11-15T10:06:00+00:00","job_id":"demo"}',
      '{"type":"hooks_error","state":"ANALYZED","error":"boom","timestamp":"2025-11-15T10:06:01+00:00","job_id":"demo"}',
    ].join('\n');
    fs.writeFileSync(journal, `${content}\n`);
    const read = readJournal(journal);
    expect(read.state).toBe('ANALYZED');
    expect(read.records.map((r) => r.line)).toEqual([1, 4, 5]);
    expect(read.problems.map((p) => [p.line, p.kind, p.severity])).toEqual([
      [2, 'unknown_type', 'warning'],
      [3, 'unknown_type', 'warning'],
      [6, 'unknown_type', 'warning'],
    ]);
    expect(validateJournal(journal).ok).toBe(true);
    expect(repairJournal(journal)).toEqual({ changed: false, kept: 6, dropped: [] });
    expect(fs.readFileSync(journal, 'utf8')).toBe(`${content}\n`);
    expectSummaryAgrees(journal, read);
  });

  it('skip lines naming states that do not exist, and take the state from the lines before', () => {
    const journal = newJournal();
    appendEntry(journal, { type: 'state_change', from_state: null, to_state: 'QUEUED', reason: '', metadata: {} });
    fs.appendFileSync(journal, '{"type":"state_change","from_state":"QUEUED","to_state":"RUNNING"}\n{"type":"recovery","to_state":"RECOVERED"}\n{"type":"emergency_shutdown","state":"plotting"}\n');
    const read = readJournal(journal);
    expect(read.state).toBe('QUEUED');
    expect(read.problems.map((p) => [p.line, p.kind, p.severity])).toEqual([
      [2, 'unknown_state', 'error'],
      [3, 'unknown_state', 'error'],
      [4, 'unknown_state', 'error'],
    ]);
    expect(read.problems[0]?.message).toContain('RUNNING');
    expectSummaryAgrees(journal, read);
  });

  it('fill defaults: reason "", metadata {}, from_state null, a recovery’s from_state its to_state; null means absent', () => {
    const journal = newJournal();
    fs.writeFileSync(journal, '{"type":"state_change","to_state":"READY"}\n{"type":"recovery","to_state":"PAUSED","reason":null}\n{"type":"emergency_shutdown","state":"PAUSED"}\n');
    expect(readJournal(journal).records.map((r) => r.entry)).toEqual([
      { type: 'state_change', from_state: null, to_state: 'READY', reason: '', metadata: {} },
      { type: 'recovery', from_state: 'PAUSED', to_state: 'PAUSED', reason: '' },
      { type: 'emergency_shutdown', state: 'PAUSED', reason: '' },
    ]);
  });

  it('accept a complete last line without its newline, and a first line behind a byte-order mark', () => {
    const journal = newJournal();
    fs.writeFileSync(journal, '\ufeff{"type":"state_change","to_state":"NEW"}\n{"type":"state_change","from_state":"NEW","to_state":"ANALYZED"}');
    const read = readJournal(journal);
    expect(read.problems).toEqual([]);
    expect(read.state).toBe('ANALYZED');
    expect(appendEntry(journal, { type: 'progress', progress: {} }).seq).toBe(3);
    expect(fileLines(journal)).toHaveLength(3);
  });

  it('summarize lines appended by hand without seq after vfab’s own as readJournal does', () => {
    const journal = newJournal();
    appendAll(journal, [
      { type: 'state_change', from_state: null, to_state: 'NEW', reason: '', metadata: {} },
      { type: 'state_change', from_state: 'NEW', to_state: 'ANALYZED', reason: '', metadata: {} },
    ]);
    fs.appendFileSync(journal, '{"type": "state_change", "from_state": "ANALYZED", "to_state": "NEW", "reason": "Journal reconstruction"}\n');
    const read = readJournal(journal);
    expect(read).toMatchObject({ state: 'NEW', lastSeq: 2 });
    expectSummaryAgrees(journal, read);
    expect(appendEntry(journal, { type: 'progress', progress: {} }).seq).toBe(3);
  });

  it('use a line with a stray non-UTF-8 byte in a string, and keep its bytes through a repair', () => {
    const journal = newJournal();
    // "Réparé" as a Latin-1 editor saves it: 0xE9 is not UTF-8.
    const latin1 = Buffer.concat([Buffer.from('{"type":"state_change","from_state":"NEW","to_state":"READY","reason":"R'), Buffer.from([0xe9]), Buffer.from('par'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const original = Buffer.concat([latin1, Buffer.from('\n{"type":"progress","pro\n')]);
    fs.writeFileSync(journal, original);
    expect(readJournal(journal).state).toBe('READY');
    expect(repairJournal(journal)).toMatchObject({ changed: true, kept: 1 });
    expect(fs.readFileSync(journal)).toEqual(Buffer.concat([latin1, Buffer.from('\n')]));
  });

  it('warn when seq does not increase, and still use the entry', () => {
    const journal = newJournal();
    fs.writeFileSync(journal, '{"type":"state_change","to_state":"NEW","seq":5}\n{"type":"state_change","to_state":"ANALYZED","seq":5}\n{"type":"emergency_shutdown","state":"ANALYZED","seq":2}\n');
    const read = readJournal(journal);
    expect(read.state).toBe('ANALYZED');
    expect(read.lastSeq).toBe(5);
    expect(read.records).toHaveLength(3);
    expect(read.problems.map((p) => [p.line, p.kind, p.severity])).toEqual([
      [2, 'seq_not_increasing', 'warning'],
      [3, 'seq_not_increasing', 'warning'],
    ]);
    expect(validateJournal(journal).ok).toBe(true);
  });

  it('truncate the offending text in a problem', () => {
    const journal = newJournal();
    fs.writeFileSync(journal, `#${'x'.repeat(500)}\n`);
    const [problem] = readJournal(journal).problems;
    expect(problem?.text?.length).toBeLessThanOrEqual(120);
    expect(problem?.text?.startsWith('#xxx')).toBe(true);
  });
});

describe('a missing journal', () => {
  it('reads as empty with a missing_file error, summarizes as missing, and cannot be repaired', () => {
    const journal = newJournal();
    expect(readJournal(journal)).toMatchObject({ records: [], state: undefined, lastSeq: 0, size: 0, problems: [{ kind: 'missing_file', severity: 'error', line: 0 }] });
    expect(summarizeJournal(journal)).toMatchObject({ state: undefined, lastSeq: 0, size: 0, missing: true });
    expect(validateJournal(journal).ok).toBe(false);
    expect(() => repairJournal(journal)).toThrow(JournalError);
    expect(fs.readdirSync(path.dirname(journal))).toEqual([]);
  });
});

describe('repairJournal', () => {
  function damagedJournal(): { journal: string; original: Buffer; good: string[] } {
    const journal = newJournal();
    const good = appendAll(journal, [
      { type: 'state_change', from_state: null, to_state: 'NEW', reason: 'created', metadata: {} },
      { type: 'state_change', from_state: 'NEW', to_state: 'ANALYZED', reason: 'parsed', metadata: { layers: 3 } },
    ]).map((e) => JSON.stringify(e));
    fs.writeFileSync(journal, `${good[0]}\ninvalid_json here\n${good[1]}\n{"type":"progress","progr`);
    return { journal, original: fs.readFileSync(journal), good };
  }

  it('backs the original up byte for byte, keeps the valid lines byte for byte and reports what it dropped', () => {
    const { journal, original, good } = damagedJournal();
    const result = repairJournal(journal);
    expect(result.changed).toBe(true);
    expect(result.kept).toBe(2);
    expect(result.dropped.map((p) => [p.line, p.kind])).toEqual([
      [2, 'invalid_json'],
      [4, 'torn_tail'],
    ]);
    expect(path.basename(result.backupPath!)).toMatch(/^journal\.jsonl\.bak-\d{8}T\d{6}$/);
    expect(fs.readFileSync(result.backupPath!)).toEqual(original);
    expect(fs.readFileSync(journal, 'utf8')).toBe(`${good[0]}\n${good[1]}\n`);
    expect(validateJournal(journal)).toMatchObject({ ok: true, entries: 2 });
    expect(fs.readdirSync(path.dirname(journal)).sort()).toEqual(['journal.jsonl', path.basename(result.backupPath!)]);
  });

  it('never overwrites an earlier backup', () => {
    const { journal, original } = damagedJournal();
    const earlier = fs.readdirSync(path.dirname(journal)).length;
    // This second's and the next one's names are taken, whenever the repair runs.
    const now = Date.now();
    const taken = [0, 1000].map((ms) => `${journal}.bak-${backupStamp(new Date(now + ms))}`);
    for (const t of taken) fs.writeFileSync(t, 'an earlier backup');
    const result = repairJournal(journal);
    expect(taken).not.toContain(result.backupPath);
    expect(result.backupPath?.startsWith(`${journal}.bak-`)).toBe(true);
    expect(fs.readFileSync(result.backupPath!)).toEqual(original);
    for (const t of taken) expect(fs.readFileSync(t, 'utf8')).toBe('an earlier backup');
    expect(fs.readdirSync(path.dirname(journal))).toHaveLength(earlier + 3);
  });

  it('leaves a clean journal untouched: same bytes, same mtime, no backup', () => {
    const journal = newJournal();
    appendAll(journal, [{ type: 'state_change', from_state: null, to_state: 'NEW', reason: '', metadata: {} }, { type: 'progress', progress: { i: 1 } }]);
    const before = fs.statSync(journal);
    const bytes = fs.readFileSync(journal);
    expect(repairJournal(journal)).toEqual({ changed: false, kept: 2, dropped: [] });
    expect(fs.readFileSync(journal)).toEqual(bytes);
    expect(fs.statSync(journal).mtimeMs).toBe(before.mtimeMs);
    expect(fs.readdirSync(path.dirname(journal))).toEqual(['journal.jsonl']);
  });
});

describe('concurrent writers', () => {
  it('several processes appending at once: whole lines, seq exactly 1..N in file order, nothing lost', async () => {
    const journal = newJournal();
    const perChild = 200;
    const tags = ['a', 'b', 'c'];
    const children = tags.map((tag) => startHelper('append-child.ts', [journal, String(perChild), tag]));
    await Promise.all(children.map((c) => c.said('ready')));
    for (const c of children) c.child.stdin?.write('go\n');
    expect(await Promise.all(children.map((c) => c.exited))).toEqual(tags.map(() => 0));

    const read = readJournal(journal);
    expect(read.problems).toEqual([]);
    expect(fileLines(journal)).toHaveLength(tags.length * perChild);
    expect(read.records.map((r) => r.entry.seq)).toEqual(Array.from({ length: tags.length * perChild }, (_, i) => i + 1));
    const progress = read.records.map((r) => (r.entry.type === 'progress' ? r.entry.progress : {}));
    for (const tag of tags) {
      expect(progress.filter((p) => p.tag === tag).map((p) => p.i)).toEqual(Array.from({ length: perChild }, (_, i) => i));
    }
    // The writers really did overlap: their lines alternate, not one block after another.
    const switches = progress.filter((p, i) => i > 0 && p.tag !== progress[i - 1]?.tag).length;
    expect(switches).toBeGreaterThan(tags.length - 1);
  });
});
