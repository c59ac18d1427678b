/**
 * The per-job journal (`jobs/<id>/journal.jsonl`): append-only, one JSON object per line.
 * It is the truth about a job (docs/journal.md; docs/recovery.md, invariants 1-3). Everything else is derived from it.
 *
 * Reading is tolerant: damage (a torn last line after a power cut, garbage, lines edited by hand,
 * lines that break the chain of states and seqs: chain.ts) is reported with its line number and
 * skipped, and everything valid is still used. Appending is one O_APPEND write + fdatasync under a
 * per-job lock, so concurrent writers never interleave.
 */
import fs from 'node:fs';
import path from 'node:path';
import { VfabError, type ErrorCode } from '../errors';
import { fsyncDir, writeAll, writeFileAtomic } from '../util/atomic';
import { storageError } from '../util/storage';
import { backupStamp } from '../util/time';
import { chainBreak, chainStart, follow, type Chain } from './chain';
import { LockTimeoutError, withFileLock } from './lock';
import { isJobState, JOB_STATES, type JobState } from './states';

interface EntryBase {
  /** ISO 8601 date and time. Hand-written lines may lack it; vfab always writes it (UTC, ms). */
  timestamp?: string;
  /** Strictly increasing per journal; absent on lines written by hand (e.g. the guide's reconstruction). */
  seq?: number;
}

export interface StateChangeEntry extends EntryBase {
  type: 'state_change';
  /** null only on the creation entry of a job. */
  from_state: JobState | null;
  to_state: JobState;
  reason: string;
  metadata: Record<string, unknown>;
}

export interface EmergencyShutdownEntry extends EntryBase {
  type: 'emergency_shutdown';
  state: JobState;
  reason: string;
  metadata?: Record<string, unknown>;
}

export interface RecoveryEntry extends EntryBase {
  type: 'recovery';
  from_state: JobState;
  to_state: JobState;
  reason: string;
  metadata?: Record<string, unknown>;
}

/** A confirmed-motion checkpoint; its fields are defined by the plotter driver. */
export interface ProgressEntry extends EntryBase {
  type: 'progress';
  progress: Record<string, unknown>;
}

export type JournalEntry =
  StateChangeEntry | EmergencyShutdownEntry | RecoveryEntry | ProgressEntry;
export type JournalEntryType = JournalEntry['type'];

/** What a caller hands to append: vfab fills in `timestamp` and `seq`. */
export type NewJournalEntry = JournalEntry extends infer E
  ? E extends JournalEntry
    ? Omit<E, 'timestamp' | 'seq'>
    : never
  : never;

export type ProblemKind =
  | 'torn_tail'
  | 'invalid_json'
  | 'not_an_object'
  | 'unknown_type'
  | 'missing_field'
  | 'bad_field'
  | 'unknown_state'
  | 'bad_timestamp'
  | 'seq_not_increasing'
  | 'state_mismatch'
  | 'illegal_transition'
  | 'missing_file';

export interface JournalProblem {
  /** 1-based line number; 0 for problems of the whole file. */
  line: number;
  kind: ProblemKind;
  severity: 'error' | 'warning';
  message: string;
  /** The offending line, truncated. */
  text?: string;
}

export interface JournalRecord {
  line: number;
  /** Normalized: optional fields have their defaults. */
  entry: JournalEntry;
  /** The line exactly as it is in the file, without its newline (bytes that are not UTF-8 read as U+FFFD). */
  raw: string;
}

export interface JournalRead {
  /** Valid entries (the chain) in file order. */
  records: JournalRecord[];
  /** The state the valid entries leave the job in. */
  state: JobState | undefined;
  /** The seq of the last valid entry carrying one (seqs rise along the chain); 0 if none. */
  lastSeq: number;
  problems: JournalProblem[];
  /** Bytes read. */
  size: number;
}

/** What start-up needs to index and classify a job, read without parsing vfab's own checkpoint lines. */
export interface JournalSummary {
  state: JobState | undefined;
  /** As readJournal reports it. */
  lastSeq: number;
  /** The last valid state_change or recovery (absent when a cut head left only checkpoints). */
  lastStateChange: StateChangeEntry | RecoveryEntry | undefined;
  /** The last state_change into READY: its metadata carries the current plan's listing numbers. */
  lastPlanned: StateChangeEntry | undefined;
  lastEntry: JournalEntry | undefined;
  /** Where the line of lastEntry starts, in bytes: entryAt reads it again while the file stays as it is. */
  lastEntryOffset: number | undefined;
  /** The first valid entry: the job's creation entry when the head is intact. */
  firstEntry: JournalEntry | undefined;
  size: number;
  mtimeMs: number;
  /** Set when there is no journal file at all (size and mtimeMs are then 0). */
  missing?: true;
}

/** Something the journal cannot do: `code` tells the CLI which exit status and the UI which wording. */
export class JournalError extends VfabError {
  constructor(message: string, code: ErrorCode = 'DATA', options?: { cause?: unknown }) {
    super(code, message);
    this.name = 'JournalError';
    if (options) this.cause = options.cause;
  }
}

const LF = 0x0a;
const NEWLINE = Buffer.from([LF]);
/** Dozens of checkpoint lines: the next seq is almost always read from these. */
const TAIL_BYTES = 8 * 1024;
const PROBLEM_TEXT_MAX = 120;
const WARNING_KINDS: ReadonlySet<ProblemKind> = new Set(['unknown_type']);
const ENTRY_TYPES: ReadonlySet<string> = new Set<JournalEntryType>([
  'state_change',
  'recovery',
  'emergency_shutdown',
  'progress',
]);

// ---------------------------------------------------------------------------------------------
// Parsing one line

/** Why a line is not a usable entry; thrown inside the field readers, caught in parseJournalLine. */
class LineDefect {
  constructor(
    readonly kind: ProblemKind,
    readonly message: string,
  ) {}
}

type Fields = Record<string, unknown>;

/**
 * Parses one line (without its newline). A blank line yields neither entry nor problem. Lines of
 * unknown `type` (the old Python vfab's `hooks_executed`, ...) yield an `unknown_type` warning.
 */
export function parseJournalLine(
  raw: string,
  line: number,
): { entry?: JournalEntry; problem?: JournalProblem } {
  if (raw.trim() === '') return {};
  // An editor may have saved the file with a byte-order mark; JSON.parse refuses it.
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return {
      problem: lineProblem(line, 'invalid_json', `not valid JSON (${(err as Error).message})`, raw),
    };
  }
  try {
    return { entry: toEntry(value) };
  } catch (err) {
    if (err instanceof LineDefect)
      return { problem: lineProblem(line, err.kind, err.message, raw) };
    throw err;
  }
}

function toEntry(value: unknown): JournalEntry {
  if (!isPlainObject(value))
    throw new LineDefect('not_an_object', `not a JSON object but ${describe(value)}`);
  const type = value.type;
  if (type === undefined) throw new LineDefect('missing_field', '"type" is missing');
  if (typeof type !== 'string')
    throw new LineDefect('bad_field', `"type" must be a string, got ${describe(type)}`);
  if (!isEntryType(type))
    throw new LineDefect(
      'unknown_type',
      `unknown entry type '${type}': kept, but not used for the job state`,
    );
  return withBase(typedEntry(type, value), value);
}

function typedEntry(type: JournalEntryType, value: Fields): JournalEntry {
  switch (type) {
    case 'state_change':
      return {
        type,
        from_state: optionalState(value, 'from_state') ?? null,
        to_state: requiredState(value, 'to_state'),
        reason: optionalString(value, 'reason') ?? '',
        metadata: optionalObject(value, 'metadata') ?? {},
      };
    case 'recovery': {
      const to_state = requiredState(value, 'to_state');
      const entry: JournalEntry = {
        type,
        from_state: optionalState(value, 'from_state') ?? to_state,
        to_state,
        reason: optionalString(value, 'reason') ?? '',
      };
      const metadata = optionalObject(value, 'metadata');
      if (metadata) entry.metadata = metadata;
      return entry;
    }
    case 'emergency_shutdown': {
      const entry: JournalEntry = {
        type,
        state: requiredState(value, 'state'),
        reason: optionalString(value, 'reason') ?? '',
      };
      const metadata = optionalObject(value, 'metadata');
      if (metadata) entry.metadata = metadata;
      return entry;
    }
    case 'progress':
      return { type, progress: requiredObject(value, 'progress') };
  }
}

function isEntryType(type: string): type is JournalEntryType {
  return ENTRY_TYPES.has(type);
}

/**
 * ISO 8601 date and time, seconds, fraction and offset optional: what vfab, the old Python vfab
 * and `date -Iseconds` write. Everything it admits is a date Date.parse reads.
 */
const TIMESTAMP =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?$/;

/** Adds `timestamp` and `seq` after the type's own fields (assignment, not spreads: this runs per line). */
function withBase(entry: JournalEntry, o: Fields): JournalEntry {
  const timestamp = optionalString(o, 'timestamp');
  if (timestamp !== undefined && !TIMESTAMP.test(timestamp)) {
    throw new LineDefect(
      'bad_timestamp',
      `"timestamp" is ${describe(timestamp)}, not an ISO 8601 date and time such as ${new Date(0).toISOString()}`,
    );
  }
  const seq = present(o, 'seq');
  if (seq !== undefined && !(typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0)) {
    throw new LineDefect('bad_field', `"seq" must be a positive integer, got ${describe(seq)}`);
  }
  if (timestamp !== undefined) entry.timestamp = timestamp;
  if (seq !== undefined) entry.seq = seq;
  return entry;
}

/** Hand-written lines may say `null` for "not given"; treat it like an absent key. */
function present(o: Fields, key: string): unknown {
  const v = o[key];
  return v === null ? undefined : v;
}

function requiredState(o: Fields, key: string): JobState {
  const v = o[key];
  if (v === undefined) throw new LineDefect('missing_field', `"${key}" is missing`);
  return checkState(key, v);
}

function optionalState(o: Fields, key: string): JobState | undefined {
  const v = present(o, key);
  return v === undefined ? undefined : checkState(key, v);
}

function checkState(key: string, v: unknown): JobState {
  if (typeof v !== 'string')
    throw new LineDefect('bad_field', `"${key}" must be a state name, got ${describe(v)}`);
  if (!isJobState(v))
    throw new LineDefect(
      'unknown_state',
      `"${key}" is '${v}', which is not a job state (${JOB_STATES.join(', ')})`,
    );
  return v;
}

function optionalString(o: Fields, key: string): string | undefined {
  const v = present(o, key);
  if (v !== undefined && typeof v !== 'string')
    throw new LineDefect('bad_field', `"${key}" must be a string, got ${describe(v)}`);
  return v;
}

function optionalObject(o: Fields, key: string): Fields | undefined {
  const v = present(o, key);
  if (v !== undefined && !isPlainObject(v))
    throw new LineDefect('bad_field', `"${key}" must be an object, got ${describe(v)}`);
  return v;
}

function requiredObject(o: Fields, key: string): Fields {
  if (o[key] === undefined) throw new LineDefect('missing_field', `"${key}" is missing`);
  const v = optionalObject(o, key);
  if (v === undefined) throw new LineDefect('bad_field', `"${key}" must be an object, got null`);
  return v;
}

function isPlainObject(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string'
    ? `the string '${truncate(v, 40)}'`
    : `${typeof v} ${truncate(JSON.stringify(v) ?? String(v), 40)}`;
}

function lineProblem(
  line: number,
  kind: ProblemKind,
  message: string,
  raw: string,
): JournalProblem {
  return {
    line,
    kind,
    severity: WARNING_KINDS.has(kind) ? 'warning' : 'error',
    message,
    text: truncate(raw, PROBLEM_TEXT_MAX),
  };
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

// ---------------------------------------------------------------------------------------------
// Lines of a buffer

interface Segment {
  start: number;
  end: number;
  /** False only for a last line without its newline: possibly torn by a power cut. */
  terminated: boolean;
}

interface LineResult {
  entry?: JournalEntry;
  problem?: JournalProblem;
  raw: string;
}

/**
 * The line that starts at `start` (< buf.length); the next one starts at its `end` + 1. `text`,
 * the buffer as Latin-1 (offsets match), is searched instead when there is one: it is quicker.
 */
function segmentAt(buf: Buffer, start: number, text?: string): Segment {
  const lf = text === undefined ? buf.indexOf(LF, start) : text.indexOf('\n', start);
  return lf < 0
    ? { start, end: buf.length, terminated: false }
    : { start, end: lf, terminated: true };
}

function readSegment(buf: Buffer, seg: Segment, line: number): LineResult {
  // Decoded leniently: a stray non-UTF-8 byte inside a string (a hand edit in a Latin-1 editor)
  // must not cost the line its state; binary garbage fails JSON.parse anyway.
  const raw = buf.toString('utf8', seg.start, seg.end);
  const result = parseJournalLine(raw, line);
  if (!seg.terminated && result.problem?.kind === 'invalid_json') {
    return {
      raw,
      problem: {
        ...result.problem,
        kind: 'torn_tail',
        message: `last line is incomplete (cut off while it was written?): ${result.problem.message}`,
      },
    };
  }
  return { entry: result.entry, problem: result.problem, raw };
}

const NUMBER = String.raw`-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?`;
const SCALAR = String.raw`(?:${NUMBER}|null|true|false|\[(?:${NUMBER}(?:,${NUMBER})*)?\])`;
const MEMBER = String.raw`"[A-Za-z_][A-Za-z0-9_]*":${SCALAR}`;
/** What Date.toISOString writes; TIMESTAMP admits all of it. */
const ISO_UTC = String.raw`\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z`;
/**
 * A checkpoint line exactly as appendEntry writes one whose progress holds only numbers (all of
 * vfab's do): valid JSON by this grammar, of type progress, with a valid timestamp and a seq
 * ending the line. Sticky: tried at a line's start in the whole file's text, up to the line's end.
 */
const VFAB_PROGRESS_LINE = new RegExp(
  String.raw`\{"type":"progress","progress":\{(?:${MEMBER}(?:,${MEMBER})*)?\},"timestamp":"${ISO_UTC}","seq":[1-9]\d{0,15}\}(?=\n|$)`,
  'y',
);
/** Offset of the `p` of "progress" in the line above: the one byte that tells other lines apart cheaply. */
const PROGRESS_TYPE_AT = '{"type":"'.length;
const LOWERCASE_P = 0x70;
const DIGIT_0 = 0x30;
/** The `progress` of a stub: never read (entryOf parses the line when its entry is wanted). */
const NOT_READ: Record<string, unknown> = Object.freeze({});

/**
 * vfab's own checkpoint line, recognized without JSON.parse: most lines of a plot's journal are
 * these, and summarizeJournal judges every line of every journal that changed. `text` is the
 * whole buffer decoded as Latin-1 (one char per byte, so offsets match; no byte above 0x7f is in
 * such a line). The entry holds what the chain needs: type and seq. Any other line gives undefined.
 */
function progressStub(text: string, seg: Segment): ProgressEntry | undefined {
  if (text.charCodeAt(seg.start + PROGRESS_TYPE_AT) !== LOWERCASE_P) return undefined;
  VFAB_PROGRESS_LINE.lastIndex = seg.start;
  if (!VFAB_PROGRESS_LINE.test(text)) return undefined;
  // The line ends in `:<digits>}`; a value past 2^53 computes to at least 2^53, which is refused as JSON.parse's would be.
  let seq = 0;
  for (let i = text.lastIndexOf(':', seg.end) + 1; i < seg.end - 1; i++)
    seq = seq * 10 + text.charCodeAt(i) - DIGIT_0;
  return Number.isSafeInteger(seq) ? { type: 'progress', progress: NOT_READ, seq } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Reading: every line is judged against the chain of the valid lines before it (chain.ts)

/** One line: a valid entry, a problem, or neither (a blank line). */
interface Verdict {
  line: number;
  seg: Segment;
  entry?: JournalEntry;
  problem?: JournalProblem;
  /** The line as text; undefined when the line was recognized by progressStub. */
  raw?: string;
}

/**
 * Judges each line from the first, in order, and says where the valid ones leave the chain.
 * With `stubs`, vfab's checkpoint lines are not parsed (see progressStub): the caller parses
 * those it keeps with entryOf.
 */
function walk(buf: Buffer, stubs: boolean, visit: (v: Verdict) => void): Chain {
  const chain = chainStart();
  const text = stubs ? buf.toString('latin1') : undefined;
  for (let start = 0, line = 1; start < buf.length; line++) {
    const seg = segmentAt(buf, start, text);
    start = seg.end + 1;
    const stub = text === undefined ? undefined : progressStub(text, seg);
    const { entry, problem, raw } = stub
      ? { entry: stub, problem: undefined, raw: undefined }
      : readSegment(buf, seg, line);
    const v: Verdict = { line, seg, entry, problem, raw };
    if (v.entry) {
      const broken = chainBreak(chain, v.entry);
      if (broken) {
        v.problem = lineProblem(
          line,
          broken.kind,
          `${broken.message}; not applied`,
          v.raw ?? buf.toString('utf8', seg.start, seg.end),
        );
        v.entry = undefined;
      } else {
        follow(chain, v.entry);
      }
    }
    visit(v);
  }
  return chain;
}

/** The whole entry of a valid line, parsing it now if progressStub recognized it. */
function entryOf(buf: Buffer, v: Verdict): JournalEntry | undefined {
  return v.raw === undefined ? readSegment(buf, v.seg, v.line).entry : v.entry;
}

interface Parsed extends JournalRead {
  /** Valid entries and lines of unknown type, in file order, as bytes: what repair keeps. */
  keptLines: Buffer[];
}

function parseBuffer(buf: Buffer): Parsed {
  const records: JournalRecord[] = [];
  const problems: JournalProblem[] = [];
  const keptLines: Buffer[] = [];
  const chain = walk(buf, false, ({ line, seg, entry, problem, raw }) => {
    if (problem) problems.push(problem);
    if (entry || problem?.kind === 'unknown_type') keptLines.push(buf.subarray(seg.start, seg.end));
    if (entry) records.push({ line, entry, raw: raw! });
  });
  return { records, state: chain.state, lastSeq: chain.seq, problems, size: buf.length, keptLines };
}

function setsState(e: JournalEntry): e is StateChangeEntry | RecoveryEntry {
  return e.type === 'state_change' || e.type === 'recovery';
}

interface FileContent {
  buf: Buffer;
  mtimeMs: number;
  mode: number;
}

/** A descriptor to read the journal with, or undefined when it does not exist. */
function openIfExists(journalPath: string): number | undefined {
  try {
    return fs.openSync(journalPath, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw unreadable(journalPath, err);
  }
}

/** The whole file, or undefined when it does not exist. */
function readWhole(journalPath: string): FileContent | undefined {
  const fd = openIfExists(journalPath);
  if (fd === undefined) return undefined;
  try {
    // stat before reading: if a writer appends in between, size and mtime look older than the
    // content, so a cache keyed on them re-reads rather than missing the append.
    const { mtimeMs, mode, size } = fs.fstatSync(fd);
    // Exactly the bytes that existed at the stat (readFileSync(fd) would stat a second time).
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const n = fs.readSync(fd, buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return { buf: got < size ? buf.subarray(0, got) : buf, mtimeMs, mode };
  } catch (err) {
    throw unreadable(journalPath, err);
  } finally {
    fs.closeSync(fd);
  }
}

function unreadable(journalPath: string, err: unknown): JournalError {
  return new JournalError(
    `Cannot read the journal ${journalPath}: ${(err as Error).message}. Check that the file is readable by this user.`,
    'DATA',
    { cause: err },
  );
}

function missingFile(journalPath: string): JournalProblem {
  return {
    line: 0,
    kind: 'missing_file',
    severity: 'error',
    message: `${journalPath} does not exist; reconstruct it as the recovery guide shows, then run 'vfab restart <job_id>'`,
  };
}

/** Every line, damaged or not. Never throws on damaged content. */
export function readJournal(journalPath: string): JournalRead {
  const file = readWhole(journalPath);
  if (!file)
    return {
      records: [],
      state: undefined,
      lastSeq: 0,
      problems: [missingFile(journalPath)],
      size: 0,
    };
  const { keptLines: _kept, ...read } = parseBuffer(file.buf);
  return read;
}

/**
 * What readJournal would say of state and entries, for one pass that parses only lines that are
 * not vfab's checkpoints: what start-up indexing and crash classification read of every journal.
 */
export function summarizeJournal(journalPath: string): JournalSummary {
  const file = readWhole(journalPath);
  if (!file) {
    return {
      state: undefined,
      lastSeq: 0,
      lastStateChange: undefined,
      lastPlanned: undefined,
      lastEntry: undefined,
      lastEntryOffset: undefined,
      firstEntry: undefined,
      size: 0,
      mtimeMs: 0,
      missing: true,
    };
  }
  const { buf } = file;
  const seen: {
    first?: Verdict;
    last?: Verdict;
    lastStateChange?: StateChangeEntry | RecoveryEntry;
    lastPlanned?: StateChangeEntry;
  } = {};
  const chain = walk(buf, true, (v) => {
    const e = v.entry;
    if (!e) return;
    seen.first ??= v;
    seen.last = v;
    if (setsState(e)) seen.lastStateChange = e;
    if (e.type === 'state_change' && e.to_state === 'READY') seen.lastPlanned = e;
  });
  return {
    state: chain.state,
    lastSeq: chain.seq,
    lastStateChange: seen.lastStateChange,
    lastPlanned: seen.lastPlanned,
    lastEntry: seen.last && entryOf(buf, seen.last),
    lastEntryOffset: seen.last?.seg.start,
    firstEntry: seen.first && entryOf(buf, seen.first),
    size: buf.length,
    mtimeMs: file.mtimeMs,
  };
}

/**
 * The entry on the line that starts at byte `offset`, if the journal still has the size and
 * mtime it had when that offset was taken (summarizeJournal's lastEntryOffset); undefined when it
 * changed since, or is gone. Start-up classification reads one line of each job this way.
 */
export function entryAt(
  journalPath: string,
  offset: number,
  taken: { size: number; mtimeMs: number },
): { entry: JournalEntry; mtimeMs: number } | undefined {
  const fd = openIfExists(journalPath);
  if (fd === undefined) return undefined;
  try {
    const { size, mtimeMs } = fs.fstatSync(fd);
    if (size !== taken.size || mtimeMs !== taken.mtimeMs || offset >= size) return undefined;
    for (let window = TAIL_BYTES; ; window *= 8) {
      const buf = readAt(fd, offset, Math.min(window, size - offset));
      const lf = buf.indexOf(LF);
      if (lf < 0 && offset + buf.length < size) continue;
      const { entry } = readSegment(
        buf,
        { start: 0, end: lf < 0 ? buf.length : lf, terminated: lf >= 0 },
        0,
      );
      return entry && { entry, mtimeMs };
    }
  } catch (err) {
    throw err instanceof JournalError ? err : unreadable(journalPath, err);
  } finally {
    fs.closeSync(fd);
  }
}

export function validateJournal(journalPath: string): {
  ok: boolean;
  entries: number;
  problems: JournalProblem[];
} {
  const read = readJournal(journalPath);
  return {
    ok: !read.problems.some((p) => p.severity === 'error'),
    entries: read.records.length,
    problems: read.problems,
  };
}

// ---------------------------------------------------------------------------------------------
// Writing

function lockPathOf(journalPath: string): string {
  return path.join(path.dirname(journalPath), 'journal.lock');
}

function folderMissing(journalPath: string): JournalError {
  return new JournalError(
    `Cannot write ${journalPath}: the job folder ${path.dirname(journalPath)} does not exist (was the job removed?). ` +
      `vfab does not recreate a removed job; add it again with 'vfab add job'.`,
    'NOT_FOUND',
  );
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Runs `fn` under the job's journal lock, turning lock failures into JournalErrors that say what to do. */
function underJournalLock<T>(journalPath: string, timeoutMs: number | undefined, fn: () => T): T {
  try {
    return withFileLock(lockPathOf(journalPath), fn, {
      timeoutMs,
      what: `the journal ${journalPath}`,
    });
  } catch (err) {
    if (err instanceof LockTimeoutError)
      throw new JournalError(err.message, 'BUSY', { cause: err });
    // The folder can vanish between our check and the lock (a `rm -rf` of the job).
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !isDirectory(path.dirname(journalPath)))
      throw folderMissing(journalPath);
    throw err;
  }
}

/**
 * Appends one entry (invariant 1): vfab fills in `timestamp` and `seq`, writes the line with a
 * single O_APPEND write and fdatasyncs it before returning, so the caller may act on it.
 */
export function appendEntry<E extends NewJournalEntry>(
  journalPath: string,
  entry: E,
  opts: { now?: () => Date; lockTimeoutMs?: number } = {},
): Extract<JournalEntry, { type: E['type'] }> {
  const body = serializeBody(entry);
  const checked = parseJournalLine(body, 0);
  if (!checked.entry) {
    throw new JournalError(
      `Refusing to write an invalid ${entry.type} entry to ${journalPath}: ${checked.problem?.message ?? 'empty'}`,
      'INVALID_INPUT',
    );
  }
  if (!isDirectory(path.dirname(journalPath))) throw folderMissing(journalPath);
  try {
    const written = underJournalLock(journalPath, opts.lockTimeoutMs, () =>
      appendLine(journalPath, body, opts.now ?? (() => new Date())),
    );
    return { ...checked.entry, ...written } as Extract<JournalEntry, { type: E['type'] }>;
  } catch (err) {
    if (err instanceof JournalError) throw err;
    const storage = storageError(err, path.dirname(journalPath), Buffer.byteLength(body) + 64);
    if (storage)
      throw new JournalError(
        `${storage.message} The journal ${journalPath} was left as it was.`,
        'DATA',
        { cause: err },
      );
    throw new JournalError(
      `Could not append to ${journalPath}: ${(err as Error).message}. The entry may not be recorded; check free disk space (df -h) and the folder's permissions.`,
      'DATA',
      { cause: err },
    );
  }
}

/** The locked part of an append: returns what it added to the body. */
function appendLine(
  journalPath: string,
  body: string,
  now: () => Date,
): { timestamp: string; seq: number } {
  const created = !fs.existsSync(journalPath);
  const fd = fs.openSync(journalPath, 'a+');
  try {
    const { size } = fs.fstatSync(fd);
    const seq = nextSeq(fd, size);
    const timestamp = now().toISOString();
    // The body ends with '}': extend the object instead of serializing the entry again.
    const line = `${body.slice(0, -1)},"timestamp":${JSON.stringify(timestamp)},"seq":${seq}}\n`;
    // After a power cut the file can end in a torn fragment: keep it on a line of its own.
    const bytes = Buffer.from(endsWithNewline(fd, size) ? line : `\n${line}`);
    try {
      writeAll(fd, bytes);
      fs.fdatasyncSync(fd);
    } catch (err) {
      // A full disk can take part of the line: cut it off, so the journal ends where it did.
      fs.ftruncateSync(fd, size);
      throw err;
    }
    return { timestamp, seq };
  } finally {
    fs.closeSync(fd);
    if (created) fsyncDir(path.dirname(journalPath));
  }
}

/** `type` first so people (and `jq`) read the kind first; timestamp and seq are always vfab's. */
function serializeBody(entry: NewJournalEntry): string {
  const {
    type,
    timestamp: _timestamp,
    seq: _seq,
    ...fields
  } = entry as NewJournalEntry & { timestamp?: unknown; seq?: unknown };
  return JSON.stringify({ type, ...fields });
}

/**
 * The seq for the next line, read from the end of the file: a window that grows only while it
 * holds no seq, so the steady state reads a few KiB, and only a journal without any seq (written
 * by hand or by the old Python vfab) is read whole, once: vfab's next line carries a seq. Above
 * every seq in the window, not just the last: after a line added by hand with a lower seq (which
 * readers reject), vfab's line must still follow the valid ones.
 */
function nextSeq(fd: number, size: number): number {
  for (let window = TAIL_BYTES; ; window *= 8) {
    const start = Math.max(0, size - window);
    const { maxSeq, entries } = seqsIn(readAt(fd, start, size - start), start > 0);
    if (maxSeq !== undefined) return maxSeq + 1;
    if (start === 0) return entries + 1;
  }
}

/** The highest seq in a window of the file (whose first line is cut when `headIsPartial`) and how many entries it holds. */
function seqsIn(
  buf: Buffer,
  headIsPartial: boolean,
): { maxSeq: number | undefined; entries: number } {
  let maxSeq: number | undefined;
  let entries = 0;
  const text = buf.toString('latin1');
  // A cut first line is not a line.
  const first = headIsPartial ? buf.indexOf(LF) + 1 || buf.length : 0;
  for (let start = first; start < buf.length;) {
    const seg = segmentAt(buf, start, text);
    start = seg.end + 1;
    const entry = progressStub(text, seg) ?? readSegment(buf, seg, 0).entry;
    if (!entry) continue;
    entries += 1;
    if (entry.seq !== undefined && (maxSeq === undefined || entry.seq > maxSeq)) maxSeq = entry.seq;
  }
  return { maxSeq, entries };
}

function endsWithNewline(fd: number, size: number): boolean {
  return size === 0 || readAt(fd, size - 1, 1)[0] === LF;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

/**
 * Keeps every valid line and every line of unknown type, byte for byte, and drops the damaged
 * ones, after copying the original to `journal.jsonl.bak-<stamp>`. A journal without errors is
 * left untouched.
 */
export function repairJournal(journalPath: string): {
  changed: boolean;
  backupPath?: string;
  kept: number;
  dropped: JournalProblem[];
} {
  return underJournalLock(journalPath, undefined, () => {
    const file = readWhole(journalPath);
    if (!file)
      throw new JournalError(`Cannot repair ${missingFile(journalPath).message}.`, 'NOT_FOUND');
    const { problems, keptLines } = parseBuffer(file.buf);
    const dropped = problems.filter((p) => p.severity === 'error');
    if (dropped.length === 0) return { changed: false, kept: keptLines.length, dropped };
    const backupPath = writeBackup(journalPath, file.buf);
    writeFileAtomic(
      journalPath,
      Buffer.concat(keptLines.flatMap((l) => [l, NEWLINE])),
      file.mode & 0o777,
    );
    return { changed: true, backupPath, kept: keptLines.length, dropped };
  });
}

/** A new backup file next to the journal, never overwriting an earlier one. Its directory entry is synced by the atomic rewrite that follows. */
function writeBackup(journalPath: string, data: Buffer): string {
  const base = `${journalPath}.bak-${backupStamp()}`;
  for (let n = 0; ; n++) {
    const candidate = n === 0 ? base : `${base}-${n}`;
    let fd: number;
    try {
      fd = fs.openSync(candidate, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    return candidate;
  }
}
