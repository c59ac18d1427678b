import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forcedTransition } from '../src-main/jobs/chain';
import {
  appendEntry,
  entryAt,
  JournalError,
  parseJournalLine,
  readJournal,
  repairJournal,
  summarizeJournal,
  validateJournal,
  type JournalEntry,
  type JournalRead,
  type NewJournalEntry,
  type ProblemKind,
} from '../src-main/jobs/journal';
import {
  ACTIVE_STATES,
  JOB_STATES,
  TRANSITIONS,
  type JobState,
  type TransitionRule,
} from '../src-main/jobs/states';
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
  expect(summary.lastStateChange).toEqual(
    entries.filter((e) => e.type === 'state_change' || e.type === 'recovery').at(-1),
  );
  expect(summary.firstEntry).toEqual(entries[0]);
  expect(summary.lastPlanned).toEqual(
    entries.filter((e) => e.type === 'state_change' && e.to_state === 'READY').at(-1),
  );
  expect(summary.size).toBe(read.size);
  expect(summary.mtimeMs).toBe(fs.statSync(journal).mtimeMs);
}

// ---------------------------------------------------------------------------------------------
// The model, written from docs/journal.md independently of the implementation

/** The state an entry leaves the job in: to_state, the state an emergency shutdown names, PLOTTING for a checkpoint. */
function toldBy(e: JournalEntry): JobState {
  if (e.type === 'progress') return 'PLOTTING';
  if (e.type === 'emergency_shutdown') return e.state;
  return e.to_state;
}

/**
 * Why the chain rejects `e` after the entries it kept (the job in `state`, their last seq `seq`);
 * undefined when it keeps it. An entry must raise the seq and start from the job's state (the
 * first kept entry starts the chain as given); a change must be an edge of the table, of either
 * kind, or one of the changes vfab and the recovery guide write outside it: NEW -> NEW, a
 * forced transition, a recovery that stays in its state.
 */
function modelVerdict(
  e: JournalEntry,
  state: JobState | undefined,
  seq: number,
): ProblemKind | undefined {
  if (e.seq !== undefined && e.seq <= seq) return 'seq_not_increasing';
  const from = e.type === 'state_change' || e.type === 'recovery' ? e.from_state : toldBy(e);
  if (state !== undefined && from !== state) return 'state_mismatch';
  if (from === null || e.type === 'progress' || e.type === 'emergency_shutdown') return undefined;
  const to = e.to_state;
  const edge = TRANSITIONS[from].some((r) => r.to === to);
  const outside =
    e.type === 'recovery'
      ? to === from
      : (from === 'NEW' && to === 'NEW') ||
        (e.reason === 'forced via database' && e.metadata.forced === true);
  return edge || outside ? undefined : 'illegal_transition';
}

/** A line of a journal file: an entry, or a damaged or blank line and the problem it is (undefined: none). */
type Line = { entry: JournalEntry } | { damage: ProblemKind | undefined };

/** What a reader must make of these lines, by the model. */
function expected(lines: readonly Line[]) {
  const records: Array<{ line: number; entry: JournalEntry }> = [];
  const problems: Array<[number, ProblemKind, 'error' | 'warning']> = [];
  let state: JobState | undefined;
  let seq = 0;
  lines.forEach((l, i) => {
    if ('damage' in l) {
      if (l.damage)
        problems.push([i + 1, l.damage, l.damage === 'unknown_type' ? 'warning' : 'error']);
      return;
    }
    const rejected = modelVerdict(l.entry, state, seq);
    if (rejected) return problems.push([i + 1, rejected, 'error']);
    records.push({ line: i + 1, entry: l.entry });
    state = toldBy(l.entry);
    seq = l.entry.seq ?? seq;
  });
  return { records, problems, state, lastSeq: seq };
}

function expectRead(read: JournalRead, lines: readonly Line[]): void {
  const want = expected(lines);
  expect(read.records.map((r) => ({ line: r.line, entry: r.entry }))).toEqual(want.records);
  expect(read.problems.map((p) => [p.line, p.kind, p.severity])).toEqual(want.problems);
  expect(read.state).toBe(want.state);
  expect(read.lastSeq).toBe(want.lastSeq);
}

const entryLines = (entries: readonly JournalEntry[]): Line[] =>
  entries.map((entry) => ({ entry }));

// ---------------------------------------------------------------------------------------------
// Generators

const state = fc.constantFrom(...JOB_STATES);
// Any UTF-16, lone surrogates and U+2028 included: the line format must survive all of it.
const text = fc.string({ unit: 'binary', maxLength: 12 });
const fields = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), {
  maxKeys: 3,
});

const progressEntry = fields.map((progress): NewJournalEntry => ({ type: 'progress', progress }));
/** Any entry at all: most do not follow the ones before them. */
const anyEntry: fc.Arbitrary<NewJournalEntry> = fc.oneof(
  fc.record({
    type: fc.constant('state_change' as const),
    from_state: fc.option(state, { nil: null }),
    to_state: state,
    reason: text,
    metadata: fields,
  }),
  progressEntry,
  fc.record({ type: fc.constant('emergency_shutdown' as const), state, reason: text }),
  fc.record({
    type: fc.constant('recovery' as const),
    from_state: state,
    to_state: state,
    reason: text,
  }),
);

/** A checkpoint as the runner writes it: numbers only (and the first move's null layer, path, point). */
const checkpoint = fc
  .tuple(
    fc.integer({ min: -1, max: 1e6 }),
    fc.option(fc.nat(40)),
    fc.integer({ min: -5e4, max: 5e4 }),
    fc.double({ min: 0, max: 1e5, noNaN: true }),
  )
  .map(([move, layer, steps, mm]) => ({
    move,
    layer,
    path: layer,
    point: layer,
    steps: [steps, -steps],
    pen_down_mm: mm,
  }));

/** One entry vfab itself may write next, the job being `current`: `what` picks the kind, `pick` among the choices. */
function vfabNext(
  current: JobState,
  what: number,
  pick: number,
  cp: Record<string, unknown>,
): NewJournalEntry {
  const rules: readonly TransitionRule[] = TRANSITIONS[current];
  const choices: NewJournalEntry[] = [
    {
      type: 'state_change',
      from_state: current,
      to_state: rules[pick % rules.length]!.to,
      reason: 'by the table',
      metadata: {},
    },
    forcedTransition(
      current,
      JOB_STATES[pick % JOB_STATES.length]!,
      JOB_STATES[pick % JOB_STATES.length]!.toLowerCase(),
    ),
  ];
  if (current === 'PLOTTING') {
    choices.push(
      { type: 'progress', progress: cp },
      { type: 'progress', progress: cp },
      {
        type: 'emergency_shutdown',
        state: 'PLOTTING',
        reason: 'signal_received',
        metadata: { signal: 'SIGTERM', checkpoint: cp },
      },
    );
  }
  if (ACTIVE_STATES.includes(current))
    choices.push({
      type: 'recovery',
      from_state: current,
      to_state: current,
      reason: 'Crash recovery',
      metadata: { cause: 'crash', checkpoint: cp },
    });
  return choices[what % choices.length]!;
}

/** A job's life as vfab writes it: creation, then whatever vfab may write in the state it is in. */
const vfabLife: fc.Arbitrary<NewJournalEntry[]> = fc
  .array(fc.tuple(fc.nat(), fc.nat(), checkpoint), { maxLength: 16 })
  .map((steps) => {
    const entries: NewJournalEntry[] = [
      { type: 'state_change', from_state: null, to_state: 'NEW', reason: 'created', metadata: {} },
    ];
    let current: JobState = 'NEW';
    for (const [what, pick, cp] of steps) {
      const next = vfabNext(current, what, pick, cp);
      entries.push(next);
      current = toldBy(next as JournalEntry);
    }
    return entries;
  });

const journalEntries = fc.oneof(vfabLife, fc.array(anyEntry, { minLength: 1, maxLength: 14 }));

interface Garbage {
  bytes: Buffer;
  /** undefined: a blank line, which is no problem at all. */
  kind: ProblemKind | undefined;
}

const oneLine = (s: string) => s.replace(/\n/g, ' ');
const garbage: fc.Arbitrary<Garbage> = fc.oneof(
  fc.constantFrom('', '   ', '\t', '\r').map((s) => ({ bytes: Buffer.from(s), kind: undefined })),
  // 0xFF never occurs in UTF-8.
  fc.uint8Array({ maxLength: 30 }).map((b) => ({
    bytes: Buffer.from([0xff, ...b.filter((x) => x !== 0x0a)]),
    kind: 'invalid_json' as const,
  })),
  text.map((s) => ({ bytes: Buffer.from(`#${oneLine(s)}`), kind: 'invalid_json' as const })),
  fc
    .jsonValue()
    .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
    .map((v) => ({ bytes: Buffer.from(JSON.stringify(v)), kind: 'not_an_object' as const })),
  fc.constant({ bytes: Buffer.from('{"to_state":"READY"}'), kind: 'missing_field' as const }),
  fc.constant({ bytes: Buffer.from('{"type":"progress"}'), kind: 'missing_field' as const }),
  fc
    .constantFrom(
      '{"type":7}',
      '{"type":"progress","progress":{},"seq":1.5}',
      '{"type":"progress","progress":{},"seq":"3"}',
      '{"type":"state_change","to_state":"READY","reason":5}',
      '{"type":"progress","progress":{},"timestamp":"2026-03-01T09:15:02.000Z","seq":12345678901234567}',
    )
    .map((s) => ({ bytes: Buffer.from(s), kind: 'bad_field' as const })),
  // Shaped like vfab's checkpoint lines, which summarizeJournal reads without JSON.parse, but not JSON.
  fc.constantFrom('{"move":1,}', '{"move":01}', '{"move":1}}', '{"move":.5}').map((p) => ({
    bytes: Buffer.from(
      `{"type":"progress","progress":${p},"timestamp":"2026-03-01T09:15:02.000Z","seq":3}`,
    ),
    kind: 'invalid_json' as const,
  })),
  fc.constantFrom('RECOVERED', 'RUNNING', 'plotting').map((s) => ({
    bytes: Buffer.from(`{"type":"state_change","from_state":"READY","to_state":"${s}"}`),
    kind: 'unknown_state' as const,
  })),
  fc
    .constantFrom('yesterday', '', '1', '2026-13-01T00:00:00Z', '2026-03-01T09:15:02.000Z junk')
    .map((t) => ({
      bytes: Buffer.from(`{"type":"progress","progress":{},"timestamp":${JSON.stringify(t)}}`),
      kind: 'bad_timestamp' as const,
    })),
  fc.constantFrom('hooks_executed', 'guards_evaluated', 'hooks_error').map((t) => ({
    bytes: Buffer.from(`{"type":"${t}","state":"READY","results":[]}`),
    kind: 'unknown_type' as const,
  })),
);

/** A whole entry written into the file by hand, with a timestamp and maybe a seq: the chain decides whether it stays. */
const handLine = fc
  .tuple(anyEntry, fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }))
  .map(
    ([e, seq]) =>
      ({
        ...e,
        timestamp: '2026-03-01T09:15:02+00:00',
        ...(seq === undefined ? {} : { seq }),
      }) as JournalEntry,
  );

// ---------------------------------------------------------------------------------------------

describe('appendEntry and readJournal', () => {
  it('read back everything vfab writes, in order, with seq 1..n and no problem', () => {
    fc.assert(
      fc.property(vfabLife, (entries) => {
        const journal = newJournal();
        const written = appendAll(journal, entries);
        const read = readJournal(journal);
        expect(read.problems).toEqual([]);
        expect(read.records.map((r) => r.entry)).toEqual(written);
        expect(written.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
        expect(read.records.map((r) => r.line)).toEqual(entries.map((_, i) => i + 1));
        expect(read.records.map((r) => r.raw)).toEqual(fileLines(journal));
        expect(read.lastSeq).toBe(entries.length);
        expect(read.state).toBe(toldBy(written.at(-1)!));
        expectSummaryAgrees(journal, read);
      }),
      { numRuns: 60 },
    );
  });

  it('of any entries, keep the chain they make and report each other one at its line', () => {
    fc.assert(
      fc.property(journalEntries, (entries) => {
        const journal = newJournal();
        const written = appendAll(journal, entries);
        expect(written.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
        const read = readJournal(journal);
        expectRead(read, entryLines(written));
        expect(read.records.map((r) => r.raw)).toEqual(
          fileLines(journal).filter((_, i) => read.records.some((r) => r.line === i + 1)),
        );
        expectSummaryAgrees(journal, read);
      }),
      { numRuns: 80 },
    );
  });
  it('write type first and timestamp, seq last, so a line reads like the guide and jq -r .reason works', () => {
    const journal = newJournal();
    const written = appendEntry(
      journal,
      { type: 'emergency_shutdown', state: 'PLOTTING', reason: 'signal_received' },
      { now: () => new Date('2026-03-01T12:00:00Z') },
    );
    expect(fs.readFileSync(journal, 'utf8')).toBe(
      '{"type":"emergency_shutdown","state":"PLOTTING","reason":"signal_received","timestamp":"2026-03-01T12:00:00.000Z","seq":1}\n',
    );
    expect(written).toEqual({
      type: 'emergency_shutdown',
      state: 'PLOTTING',
      reason: 'signal_received',
      timestamp: '2026-03-01T12:00:00.000Z',
      seq: 1,
    });
  });

  it('ignore a timestamp or seq smuggled into the entry: they are always vfab’s', () => {
    const journal = newJournal();
    appendEntry(journal, { type: 'progress', progress: {} });
    const sneaky = {
      type: 'progress',
      progress: {},
      seq: 99,
      timestamp: 'yesterday',
    } as NewJournalEntry;
    expect(appendEntry(journal, sneaky, { now: () => new Date(0) })).toMatchObject({
      seq: 2,
      timestamp: '1970-01-01T00:00:00.000Z',
    });
    expect(readJournal(journal).problems).toEqual([]);
  });

  it('refuse an entry that would not read back, and write nothing', () => {
    const journal = newJournal();
    const bad = {
      type: 'state_change',
      from_state: 'READY',
      to_state: 'RUNNING',
      reason: '',
      metadata: {},
    } as unknown as NewJournalEntry;
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
    fs.writeFileSync(
      path.join(path.dirname(journal), 'journal.lock'),
      JSON.stringify({ pid: process.pid, host: 'plotter-pi', since: 'now' }),
    );
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
    const oldLine =
      '{"type":"progress","progress":{"i":0},"timestamp":"2025-11-15T10:00:00.123456+00:00","job_id":"demo"}\n';
    // Bigger than the tail window, so the count needs the whole file.
    fs.writeFileSync(journal, oldLine.repeat(500));
    expect(appendEntry(journal, { type: 'progress', progress: {} }).seq).toBe(501);
    expect(appendEntry(journal, { type: 'progress', progress: {} }).seq).toBe(502);
  });

  it('find the last seq behind a last line longer than the tail window (a state_change carrying a whole plan)', () => {
    const journal = newJournal();
    appendEntry(journal, { type: 'progress', progress: {} });
    appendEntry(journal, {
      type: 'state_change',
      from_state: 'ANALYZED',
      to_state: 'OPTIMIZED',
      reason: 'planned',
      metadata: { plan: 'x'.repeat(300_000) },
    });
    expect(appendEntry(journal, { type: 'progress', progress: {} }).seq).toBe(3);
  });

  it('cost the same on a long journal as on a short one: no whole-file reads in the steady state', () => {
    const short = newJournal();
    const long = newJournal();
    const line = (i: number) =>
      `{"type":"progress","progress":{"stroke":${i},"x":12.5,"y":80.25},"timestamp":"2026-01-01T00:00:00.000Z","seq":${i}}\n`;
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
        for (let start = 0; start < full.length;) {
          const end = full.indexOf(0x0a, start);
          spans.push({ start, end });
          start = end + 1;
        }
        const complete = spans.filter((s) => s.end <= cut).length;
        const tornLine = spans.findIndex((s) => s.start < cut && cut < s.end) + 1; // 0: none
        const kept = entryLines(written.slice(0, complete));

        const read = readJournal(journal);
        expectRead(read, [...kept, ...(tornLine ? [{ damage: 'torn_tail' as const }] : [])]);
        expectSummaryAgrees(journal, read);

        const added = appendEntry(journal, next);
        const after = readJournal(journal);
        const truncated = full.subarray(0, cut).toString('utf8');
        const separator = cut > 0 && full[cut - 1] !== 0x0a ? '\n' : '';
        const last = fileLines(journal).at(-1)!;
        expect(fs.readFileSync(journal, 'utf8')).toBe(`${truncated}${separator}${last}\n`);
        expect(JSON.parse(last)).toEqual(added);
        expect(added.seq).toBe(complete + 1);
        // The fragment is now a damaged line of its own, never glued to the new entry.
        expectRead(after, [
          ...kept,
          ...(tornLine ? [{ damage: 'invalid_json' as const }] : []),
          { entry: added },
        ]);
        expectSummaryAgrees(journal, after);
      }),
      { numRuns: 60 },
    );
  });

  it('garbage, binary, blank and hand-written lines between valid ones: the chain is read, each bad line reported at its line, and repair keeps the chain', () => {
    const inserted = fc.oneof(
      garbage.map(({ bytes, kind }) => ({ bytes, line: { damage: kind } as Line })),
      handLine.map((entry) => ({
        bytes: Buffer.from(JSON.stringify(entry)),
        line: { entry } as Line,
      })),
    );
    fc.assert(
      fc.property(
        journalEntries,
        fc.array(fc.tuple(fc.nat(), inserted), { maxLength: 8 }),
        (entries, inserts) => {
          const journal = newJournal();
          const written = appendAll(journal, entries);
          const lines: Array<{ bytes: Buffer; line: Line }> = fileLines(journal).map((l, i) => ({
            bytes: Buffer.from(l),
            line: { entry: written[i]! },
          }));
          for (const [pos, ins] of inserts) lines.splice(pos % (lines.length + 1), 0, ins);
          const original = Buffer.concat(lines.flatMap((l) => [l.bytes, Buffer.from('\n')]));
          fs.writeFileSync(journal, original);

          const read = readJournal(journal);
          expectRead(
            read,
            lines.map((l) => l.line),
          );
          expectSummaryAgrees(journal, read);

          // Repair keeps the chain and unknown-type lines byte for byte, drops the rest, backs up the original.
          const want = expected(lines.map((l) => l.line));
          const kept = lines.filter(
            (l, i) =>
              want.records.some((r) => r.line === i + 1) ||
              ('damage' in l.line && l.line.damage === 'unknown_type'),
          );
          const dropped = want.problems
            .filter(([, , severity]) => severity === 'error')
            .map(([line]) => line);
          const repair = repairJournal(journal);
          expect(repair.kept).toBe(kept.length);
          expect(repair.dropped.map((p) => p.line)).toEqual(dropped);
          expect(repair.changed).toBe(dropped.length > 0);
          if (repair.changed) {
            expect(fs.readFileSync(repair.backupPath!)).toEqual(original);
            expect(fs.readFileSync(journal)).toEqual(
              Buffer.concat(kept.flatMap((l) => [l.bytes, Buffer.from('\n')])),
            );
          } else {
            expect(repair.backupPath).toBeUndefined();
            expect(fs.readFileSync(journal)).toEqual(original);
          }
          expect(validateJournal(journal).ok).toBe(true);
          const again = readJournal(journal);
          expect(again.records.map((r) => r.entry)).toEqual(want.records.map((r) => r.entry));
          expect(again.state).toBe(want.state);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('a head cut off (the guide keeps tail -50) still yields the state and seq of what is left, and a valid journal stays valid', () => {
    fc.assert(
      fc.property(journalEntries, fc.nat(), (entries, k) => {
        const journal = newJournal();
        const written = appendAll(journal, entries);
        const wasValid = validateJournal(journal).ok;
        const drop = k % (entries.length + 1);
        fs.writeFileSync(
          journal,
          fileLines(journal)
            .slice(drop)
            .map((l) => `${l}\n`)
            .join(''),
        );
        const left = written.slice(drop);
        const read = readJournal(journal);
        expectRead(read, entryLines(left));
        // The first line left starts the chain as given: nothing before it to check it against.
        if (wasValid) {
          expect(read.problems).toEqual([]);
          expect(read.state).toBe(left.length ? toldBy(left.at(-1)!) : undefined);
        }
        expectSummaryAgrees(journal, read);
      }),
      { numRuns: 60 },
    );
  });
});

describe('a tail of checkpoints only', () => {
  it('still says PLOTTING, or the state an emergency shutdown recorded', () => {
    const journal = newJournal();
    appendAll(journal, [
      {
        type: 'state_change',
        from_state: 'ARMED',
        to_state: 'PLOTTING',
        reason: 'go',
        metadata: {},
      },
      ...Array.from({ length: 60 }, (_, i): NewJournalEntry => ({
        type: 'progress',
        progress: { path: i },
      })),
    ]);
    fs.writeFileSync(
      journal,
      fileLines(journal)
        .slice(-50)
        .map((l) => `${l}\n`)
        .join(''),
    );
    expect(readJournal(journal).state).toBe('PLOTTING');
    expect(summarizeJournal(journal)).toMatchObject({
      state: 'PLOTTING',
      lastStateChange: undefined,
      lastSeq: 61,
    });
    // A head cut down to an emergency shutdown takes the state it names as given.
    fs.writeFileSync(
      journal,
      '{"type":"emergency_shutdown","state":"PAUSED","reason":"signal_received","seq":70}\n',
    );
    expect(summarizeJournal(journal).state).toBe('PAUSED');
    expect(validateJournal(journal).ok).toBe(true);
  });
});

describe('lines written by hand or by the old Python vfab', () => {
  it('accept the guide’s reconstructed journal verbatim as NEW, and continue it', () => {
    const journal = newJournal();
    // As `cat > journal.jsonl << EOF ... $(date -Iseconds)` writes it, spaces after colons included.
    const line =
      '{"type": "state_change", "from_state": "NEW", "to_state": "NEW", "timestamp": "2026-03-01T09:15:02+00:00", "reason": "Journal reconstruction", "metadata": {}}';
    fs.writeFileSync(journal, `${line}\n`);
    const read = readJournal(journal);
    expect(read.problems).toEqual([]);
    expect(read.state).toBe('NEW');
    expect(read.records).toEqual([
      {
        line: 1,
        raw: line,
        entry: {
          type: 'state_change',
          from_state: 'NEW',
          to_state: 'NEW',
          reason: 'Journal reconstruction',
          metadata: {},
          timestamp: '2026-03-01T09:15:02+00:00',
        },
      },
    ]);
    expect(validateJournal(journal)).toEqual({ ok: true, entries: 1, problems: [] });
    expect(summarizeJournal(journal)).toMatchObject({
      state: 'NEW',
      lastSeq: 0,
      firstEntry: { timestamp: '2026-03-01T09:15:02+00:00' },
    });

    expect(
      appendEntry(journal, {
        type: 'state_change',
        from_state: 'NEW',
        to_state: 'ANALYZED',
        reason: 'restart',
        metadata: {},
      }).seq,
    ).toBe(2);
    expect(readJournal(journal).state).toBe('ANALYZED');
  });

  it('read an old Python journal: unknown types are warnings, kept by repair, and never set the state', () => {
    const journal = newJournal();
    const content = [
      '{"type":"state_change","from_state":"NEW","to_state":"ANALYZED","reason":"Starting job analysis","metadata":{},"timestamp":"2025-11-15T10:00:00.123456+00:00","job_id":"demo"}',
      '{"type":"hooks_executed","state":"ANALYZED","reason":"Starting job analysis","results":[],"timestamp":"2025-11-15T10:00:00.2+00:00","job_id":"demo"}',
      '{"type":"guards_evaluated","state":"ANALYZED","checks":[],"timestamp":"2025-11-15T10:00:00.3+00:00","job_id":"demo"}',
      '{"type":"emergency_shutdown","state":"ANALYZED","reason":"signal_received","timestamp":"2025-11-15T10:05:00+00:00","job_id":"demo"}',
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
    appendEntry(journal, {
      type: 'state_change',
      from_state: null,
      to_state: 'QUEUED',
      reason: '',
      metadata: {},
    });
    fs.appendFileSync(
      journal,
      '{"type":"state_change","from_state":"QUEUED","to_state":"RUNNING"}\n{"type":"recovery","to_state":"RECOVERED"}\n{"type":"emergency_shutdown","state":"plotting"}\n',
    );
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
    const lines = [
      '{"type":"state_change","to_state":"READY"}',
      '{"type":"recovery","to_state":"PAUSED","reason":null}',
      '{"type":"emergency_shutdown","state":"PAUSED"}',
    ];
    expect(lines.map((l, i) => parseJournalLine(l, i + 1).entry)).toEqual([
      { type: 'state_change', from_state: null, to_state: 'READY', reason: '', metadata: {} },
      { type: 'recovery', from_state: 'PAUSED', to_state: 'PAUSED', reason: '' },
      { type: 'emergency_shutdown', state: 'PAUSED', reason: '' },
    ]);
  });

  it('accept a complete last line without its newline, and a first line behind a byte-order mark', () => {
    const journal = newJournal();
    fs.writeFileSync(
      journal,
      '\ufeff{"type":"state_change","to_state":"NEW"}\n{"type":"state_change","from_state":"NEW","to_state":"ANALYZED"}',
    );
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
    fs.appendFileSync(
      journal,
      '{"type": "state_change", "from_state": "ANALYZED", "to_state": "OPTIMIZED", "reason": "planned by hand"}\n',
    );
    const read = readJournal(journal);
    expect(read).toMatchObject({ state: 'OPTIMIZED', lastSeq: 2, problems: [] });
    expectSummaryAgrees(journal, read);
    expect(appendEntry(journal, { type: 'progress', progress: {} }).seq).toBe(3);
  });

  it('use a line with a stray non-UTF-8 byte in a string, and keep its bytes through a repair', () => {
    const journal = newJournal();
    // "Réparé" as a Latin-1 editor saves it: 0xE9 is not UTF-8.
    const latin1 = Buffer.concat([
      Buffer.from('{"type":"state_change","from_state":"OPTIMIZED","to_state":"READY","reason":"R'),
      Buffer.from([0xe9]),
      Buffer.from('par'),
      Buffer.from([0xe9]),
      Buffer.from('"}'),
    ]);
    const original = Buffer.concat([latin1, Buffer.from('\n{"type":"progress","pro\n')]);
    fs.writeFileSync(journal, original);
    expect(readJournal(journal).state).toBe('READY');
    expect(repairJournal(journal)).toMatchObject({ changed: true, kept: 1 });
    expect(fs.readFileSync(journal)).toEqual(Buffer.concat([latin1, Buffer.from('\n')]));
  });

  it('truncate the offending text in a problem', () => {
    const journal = newJournal();
    fs.writeFileSync(journal, `#${'x'.repeat(500)}\n`);
    const [problem] = readJournal(journal).problems;
    expect(problem?.text?.length).toBeLessThanOrEqual(120);
    expect(problem?.text?.startsWith('#xxx')).toBe(true);
  });
});

describe('lines that break the chain', () => {
  /** The journal of a job vfab took to READY. */
  function readyJournal(): { journal: string; written: JournalEntry[] } {
    const journal = newJournal();
    const written = appendAll(journal, [
      {
        type: 'state_change',
        from_state: null,
        to_state: 'NEW',
        reason: 'Job created from a.svg',
        metadata: { source_name: 'a.svg' },
      },
      {
        type: 'state_change',
        from_state: 'NEW',
        to_state: 'ANALYZED',
        reason: 'analyzed',
        metadata: {},
      },
      {
        type: 'state_change',
        from_state: 'ANALYZED',
        to_state: 'OPTIMIZED',
        reason: 'planned',
        metadata: {},
      },
      {
        type: 'state_change',
        from_state: 'OPTIMIZED',
        to_state: 'READY',
        reason: 'estimated',
        metadata: { estimate_s: 60 },
      },
    ]);
    return { journal, written };
  }
  const problemsOf = (read: JournalRead) => read.problems.map((p) => [p.line, p.kind, p.severity]);
  const toQueue: NewJournalEntry = {
    type: 'state_change',
    from_state: 'READY',
    to_state: 'QUEUED',
    reason: 'queued for plotting',
    metadata: {},
  };
  const line = (fields: Record<string, unknown>) =>
    `${JSON.stringify({ timestamp: '2026-03-01T09:15:02.000Z', ...fields })}\n`;

  it('a forged NEW -> PLOTTING appended to a READY job, and the checkpoint after it, are not applied: it stays READY, and vfab goes on from there', () => {
    const { journal, written } = readyJournal();
    fs.appendFileSync(
      journal,
      line({
        type: 'state_change',
        from_state: 'NEW',
        to_state: 'PLOTTING',
        reason: 'crash',
        metadata: {},
        seq: 5,
      }) + line({ type: 'progress', progress: { move: 40 }, seq: 6 }),
    );
    const read = readJournal(journal);
    expect(read.state).toBe('READY');
    expect(read.records.map((r) => r.entry)).toEqual(written);
    expect(problemsOf(read)).toEqual([
      [5, 'state_mismatch', 'error'],
      [6, 'state_mismatch', 'error'],
    ]);
    expect(read.problems[0]!.message).toBe(
      'a transition from NEW, but the job is READY at this point; not applied',
    );
    expect(read.problems[1]!.message).toBe(
      'a checkpoint (written only while PLOTTING), but the job is READY at this point; not applied',
    );
    expect(validateJournal(journal).ok).toBe(false);
    expect(summarizeJournal(journal)).toMatchObject({
      state: 'READY',
      lastSeq: 4,
      lastEntry: written[3],
      lastStateChange: written[3],
    });
    expectSummaryAgrees(journal, read);

    // vfab's next entry follows the valid chain, its seq above every line's.
    expect(appendEntry(journal, toQueue).seq).toBe(7);
    const after = readJournal(journal);
    expect(after.state).toBe('QUEUED');
    expect(problemsOf(after)).toEqual(problemsOf(read));
    expectSummaryAgrees(journal, after);
  });

  it('a line whose seq does not rise is rejected with its line and reason; vfab’s next line still follows the valid ones', () => {
    const { journal } = readyJournal();
    fs.appendFileSync(journal, line({ ...toQueue, seq: 2 }));
    const read = readJournal(journal);
    expect(read).toMatchObject({ state: 'READY', lastSeq: 4 });
    expect(problemsOf(read)).toEqual([[5, 'seq_not_increasing', 'error']]);
    expect(read.problems[0]!.message).toBe(
      'seq 2 is not above 4, the seq of the valid entry before it; not applied',
    );
    expectSummaryAgrees(journal, read);
    expect(appendEntry(journal, toQueue).seq).toBe(5);
    expect(readJournal(journal)).toMatchObject({ state: 'QUEUED', lastSeq: 5 });
  });

  it('a line whose timestamp is not a date and time is rejected; ISO 8601 as vfab, the old vfab and date -Iseconds write it is read', () => {
    const { journal } = readyJournal();
    fs.appendFileSync(journal, line({ ...toQueue, timestamp: 'yesterday', seq: 5 }));
    const read = readJournal(journal);
    expect(read.state).toBe('READY');
    expect(problemsOf(read)).toEqual([[5, 'bad_timestamp', 'error']]);
    expect(read.problems[0]!.message).toContain("'yesterday'");
    expectSummaryAgrees(journal, read);
    for (const ok of [
      '2026-03-01T09:15:02.000Z',
      '2026-03-01T09:15:02+00:00',
      '2025-11-15T10:00:00.123456+00:00',
      '2026-03-01T09:15:02',
      '2026-03-01 09:15',
    ]) {
      expect(
        parseJournalLine(JSON.stringify({ type: 'progress', progress: {}, timestamp: ok }), 1),
      ).toEqual({ entry: { type: 'progress', progress: {}, timestamp: ok } });
      expect(Date.parse(ok)).not.toBeNaN();
    }
    for (const bad of ['1', '2026-13-01T00:00:00Z', '2026-03-01', 'Sun Mar 1 2026']) {
      expect(
        parseJournalLine(JSON.stringify({ type: 'progress', progress: {}, timestamp: bad }), 1)
          .problem?.kind,
      ).toBe('bad_timestamp');
    }
  });

  it('a transition the table does not have is rejected even from the job’s state, and says where that state can go', () => {
    const { journal } = readyJournal();
    fs.appendFileSync(
      journal,
      line({
        type: 'state_change',
        from_state: 'READY',
        to_state: 'PLOTTING',
        reason: 'crash',
        metadata: {},
        seq: 5,
      }),
    );
    const read = readJournal(journal);
    expect(read.state).toBe('READY');
    expect(problemsOf(read)).toEqual([[5, 'illegal_transition', 'error']]);
    expect(read.problems[0]!.message).toBe(
      'READY -> PLOTTING is not a transition a job can make (from READY: QUEUED, ANALYZED, ABORTED); not applied',
    );
    expectSummaryAgrees(journal, read);
  });

  it('an emergency shutdown, a recovery or a creation entry that does not start from the job’s state is rejected; NEW -> NEW resets nothing later on', () => {
    const { journal } = readyJournal();
    fs.appendFileSync(
      journal,
      line({ type: 'emergency_shutdown', state: 'PLOTTING', reason: 'signal_received', seq: 5 }) +
        line({
          type: 'recovery',
          from_state: 'PLOTTING',
          to_state: 'PLOTTING',
          reason: 'Crash recovery',
          seq: 6,
        }) +
        line({ type: 'recovery', to_state: 'PAUSED', reason: 'Crash recovery', seq: 7 }) +
        line({
          type: 'state_change',
          to_state: 'PLOTTING',
          reason: 'created',
          metadata: {},
          seq: 8,
        }) +
        line({
          type: 'state_change',
          from_state: 'NEW',
          to_state: 'NEW',
          reason: 'Journal reconstruction',
          metadata: {},
        }),
    );
    const read = readJournal(journal);
    expect(read.state).toBe('READY');
    expect(problemsOf(read)).toEqual([5, 6, 7, 8, 9].map((n) => [n, 'state_mismatch', 'error']));
    expect(read.problems.map((p) => p.message.replace(/, but.*/, ''))).toEqual([
      'an emergency shutdown in PLOTTING',
      'a recovery from PLOTTING',
      'a recovery from PAUSED',
      'a creation entry (no from_state)',
      'a transition from NEW',
    ]);
    expectSummaryAgrees(journal, read);
  });

  it('accept the transition reconcile forces from the job’s state to any state, and only that one outside the table', () => {
    const { journal } = readyJournal();
    appendEntry(journal, forcedTransition('READY', 'PLOTTING', 'plotting'));
    expect(readJournal(journal)).toMatchObject({ state: 'PLOTTING', problems: [] });
    fs.appendFileSync(
      journal,
      line({ ...forcedTransition('READY', 'COMPLETED', 'COMPLETED'), seq: 6 }) +
        line({
          type: 'state_change',
          from_state: 'PLOTTING',
          to_state: 'NEW',
          reason: 'forced via database',
          metadata: {},
          seq: 7,
        }),
    );
    const read = readJournal(journal);
    expect(read.state).toBe('PLOTTING');
    expect(problemsOf(read)).toEqual([
      [6, 'state_mismatch', 'error'],
      [7, 'illegal_transition', 'error'],
    ]);
  });

  it('repair drops the rejected lines, backs the original up, and leaves a journal that validates with the same state', () => {
    const { journal, written } = readyJournal();
    fs.appendFileSync(
      journal,
      line({
        type: 'state_change',
        from_state: 'NEW',
        to_state: 'PLOTTING',
        reason: 'crash',
        metadata: {},
        seq: 5,
      }) + line({ type: 'progress', progress: { move: 40 }, seq: 6 }),
    );
    const queued = appendEntry(journal, toQueue);
    const original = fs.readFileSync(journal);
    const result = repairJournal(journal);
    expect(result).toMatchObject({ changed: true, kept: 5 });
    expect(result.dropped.map((p) => [p.line, p.kind])).toEqual([
      [5, 'state_mismatch'],
      [6, 'state_mismatch'],
    ]);
    expect(fs.readFileSync(result.backupPath!)).toEqual(original);
    expect(readJournal(journal).records.map((r) => r.entry)).toEqual([...written, queued]);
    expect(validateJournal(journal)).toEqual({ ok: true, entries: 5, problems: [] });
  });
});

describe('entryAt', () => {
  it('reads the last valid entry where summarizeJournal found it, long or not, and nothing once the file changed', () => {
    const journal = newJournal();
    const written = appendAll(journal, [
      {
        type: 'state_change',
        from_state: 'ARMED',
        to_state: 'PLOTTING',
        reason: 'go',
        metadata: {},
      },
      { type: 'progress', progress: { move: 1 } },
      {
        type: 'state_change',
        from_state: 'PLOTTING',
        to_state: 'PAUSED',
        reason: 'pen change',
        metadata: { note: 'x'.repeat(100_000) },
      },
    ]);
    fs.appendFileSync(journal, '{"type":"progress","progress":{"move":2},"seq":1}\n');
    const summary = summarizeJournal(journal);
    expect(summary.lastEntry).toEqual(written[2]);
    const taken = { size: summary.size, mtimeMs: summary.mtimeMs };
    expect(entryAt(journal, summary.lastEntryOffset!, taken)).toEqual({
      entry: written[2],
      mtimeMs: summary.mtimeMs,
    });
    appendEntry(journal, {
      type: 'state_change',
      from_state: 'PAUSED',
      to_state: 'PLOTTING',
      reason: 'resume',
      metadata: {},
    });
    expect(entryAt(journal, summary.lastEntryOffset!, taken)).toBeUndefined();
    fs.rmSync(journal);
    expect(entryAt(journal, summary.lastEntryOffset!, taken)).toBeUndefined();
  });
});

describe('a missing journal', () => {
  it('reads as empty with a missing_file error, summarizes as missing, and cannot be repaired', () => {
    const journal = newJournal();
    expect(readJournal(journal)).toMatchObject({
      records: [],
      state: undefined,
      lastSeq: 0,
      size: 0,
      problems: [{ kind: 'missing_file', severity: 'error', line: 0 }],
    });
    expect(summarizeJournal(journal)).toMatchObject({
      state: undefined,
      lastSeq: 0,
      size: 0,
      missing: true,
    });
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
      {
        type: 'state_change',
        from_state: 'NEW',
        to_state: 'ANALYZED',
        reason: 'parsed',
        metadata: { layers: 3 },
      },
    ]).map((e) => JSON.stringify(e));
    fs.writeFileSync(
      journal,
      `${good[0]}\ninvalid_json here\n${good[1]}\n{"type":"progress","progr`,
    );
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
    expect(fs.readdirSync(path.dirname(journal)).sort()).toEqual([
      'journal.jsonl',
      path.basename(result.backupPath!),
    ]);
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
    appendAll(journal, [
      { type: 'state_change', from_state: 'ARMED', to_state: 'PLOTTING', reason: '', metadata: {} },
      { type: 'progress', progress: { i: 1 } },
    ]);
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
    const children = tags.map((tag) =>
      startHelper('append-child.ts', [journal, String(perChild), tag]),
    );
    await Promise.all(children.map((c) => c.said('ready')));
    for (const c of children) c.child.stdin?.write('go\n');
    expect(await Promise.all(children.map((c) => c.exited))).toEqual(tags.map(() => 0));

    const read = readJournal(journal);
    expect(read.problems).toEqual([]);
    expect(fileLines(journal)).toHaveLength(tags.length * perChild);
    expect(read.records.map((r) => r.entry.seq)).toEqual(
      Array.from({ length: tags.length * perChild }, (_, i) => i + 1),
    );
    const progress = read.records.map((r) => (r.entry.type === 'progress' ? r.entry.progress : {}));
    for (const tag of tags) {
      expect(progress.filter((p) => p.tag === tag).map((p) => p.i)).toEqual(
        Array.from({ length: perChild }, (_, i) => i),
      );
    }
    // The writers really did overlap: their lines alternate, not one block after another.
    const switches = progress.filter((p, i) => i > 0 && p.tag !== progress[i - 1]?.tag).length;
    expect(switches).toBeGreaterThan(tags.length - 1);
  });
});
