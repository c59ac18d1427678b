/**
 * Splits a `multipart/x-mixed-replace` body (Motion's MJPEG stream) into parts.
 *
 * Written for the stream as it really arrives: any chunking down to single bytes, a part taken
 * as exactly `Content-Length` bytes when the header is there (JPEG data is binary; scanning it
 * for the boundary is only the fallback), and every part handed out as a Buffer of its own, so a
 * holder of an old frame never sees it change. Memory is bounded by `maxPartBytes` plus the
 * small header and gap caps: a stream that never shows a boundary is an error, not a leak.
 */

import { VfabError } from '../errors';

export interface MultipartPart {
  /** Header names lower-cased; values trimmed. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface MultipartOptions {
  /** Largest part accepted (declared or scanned). Default 16 MiB: a 4K JPEG is well under it. */
  maxPartBytes?: number;
  /** Bytes allowed between parts (preamble, CRLFs) before the stream is declared malformed. */
  maxGapBytes?: number;
  /** Largest header block of one part. */
  maxHeaderBytes?: number;
}

/** A failure outside vfab (the receiver, the camera's bytes); callers say it in the user's terms. */
export class MultipartError extends VfabError {
  override name = 'MultipartError';
  constructor(message: string) {
    super('INTERNAL', message);
  }
}

/** `multipart/x-mixed-replace; boundary="abc"` → `abc`; undefined when it is not multipart or has none. */
export function boundaryFromContentType(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\//i.test(contentType)) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const b = m?.[1] ?? m?.[2];
  return b && b.length <= 200 ? b : undefined;
}

const CRLF = Buffer.from('\r\n');

/** `target[at..] = source[from..to)`, without making a view of `source` (Buffer.copy does it in place). */
function copyInto(target: Buffer, at: number, source: Uint8Array, from: number, to: number): void {
  Buffer.prototype.copy.call(source, target, at, from, to);
}

/**
 * A byte accumulator with amortised O(1) appends: with 1-byte chunks, `Buffer.concat` on every
 * push would copy the whole pending part each time (quadratic in the part size).
 */
class ByteQueue {
  private buf = Buffer.alloc(0);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  view(): Buffer {
    return this.buf.subarray(this.start, this.end);
  }

  append(chunk: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.end + n > this.buf.length) {
      const needed = this.length + n;
      if (needed <= this.buf.length && this.start >= this.buf.length >> 1) {
        this.buf.copy(this.buf, 0, this.start, this.end);
      } else {
        const next = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2, 4096));
        this.buf.copy(next, 0, this.start, this.end);
        this.buf = next;
      }
      this.end -= this.start;
      this.start = 0;
    }
    copyInto(this.buf, this.end, chunk, from, to);
    this.end += n;
  }

  consume(n: number): void {
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
  }

  /** Drops the buffer itself after a large part so one big frame does not pin its size forever. */
  reset(): void {
    this.buf = Buffer.alloc(0);
    this.start = this.end = 0;
  }
}

type State =
  /** Looking for the next `--boundary`; only the gap cap applies. */
  | { kind: 'delimiter' }
  /** After the delimiter: reading the header block up to the blank line. */
  | { kind: 'headers' }
  /** Filling exactly `Content-Length` bytes straight into the part's own Buffer. */
  | { kind: 'sized'; headers: Record<string, string>; body: Buffer; filled: number }
  /** No Content-Length: scan to the next delimiter. `scanned` avoids rescanning old bytes. */
  | { kind: 'scan'; headers: Record<string, string>; scanned: number }
  /** The close delimiter `--boundary--` was seen; anything after it is ignored. */
  | { kind: 'done' };

export class MultipartParser {
  private readonly delimiter: Buffer;
  private readonly scanDelimiter: Buffer;
  private readonly maxPartBytes: number;
  private readonly maxGapBytes: number;
  private readonly maxHeaderBytes: number;
  private readonly pending = new ByteQueue();
  private state: State = { kind: 'delimiter' };
  private failed: MultipartError | undefined;
  /** Bytes skipped while looking for a delimiter since the last part (preamble, CRLFs, junk). */
  private gap = 0;
  private sawDelimiter = false;

  constructor(
    boundary: string,
    private readonly onPart: (part: MultipartPart) => void,
    opts: MultipartOptions = {},
  ) {
    if (!boundary) throw new MultipartError('empty multipart boundary');
    // Some cameras declare `boundary=--myboundary` and then write `--myboundary`; searching for
    // the declared text when it already starts with `--` finds both that and the RFC form.
    this.delimiter = Buffer.from(boundary.startsWith('--') ? boundary : `--${boundary}`, 'latin1');
    this.scanDelimiter = Buffer.concat([CRLF, this.delimiter]);
    this.maxPartBytes = opts.maxPartBytes ?? 16 * 1024 * 1024;
    this.maxGapBytes = opts.maxGapBytes ?? 64 * 1024;
    this.maxHeaderBytes = opts.maxHeaderBytes ?? 16 * 1024;
  }

  /** True between the start of a part's headers and its last byte: an end of stream here loses a frame. */
  get midPart(): boolean {
    return (
      this.state.kind === 'headers' || this.state.kind === 'sized' || this.state.kind === 'scan'
    );
  }

  /**
   * Feeds `chunk[start..end)`; calls `onPart` for each completed part. Throws MultipartError on a
   * malformed stream. Keeps no reference to `chunk`: the caller may reuse it.
   */
  push(chunk: Uint8Array, start = 0, end = chunk.length): void {
    if (this.failed) throw this.failed;
    if (this.state.kind === 'done') return;
    try {
      this.feed(chunk, start, end);
    } catch (err) {
      if (err instanceof MultipartError) this.failed = err;
      throw err;
    }
  }

  private feed(chunk: Uint8Array, start: number, end: number): void {
    let at = start;
    for (;;) {
      const st = this.state;
      if (st.kind === 'sized') {
        // Copy straight into the part's Buffer: the common case never touches `pending` and
        // allocates nothing per chunk.
        const take = Math.min(st.body.length - st.filled, end - at);
        copyInto(st.body, st.filled, chunk, at, at + take);
        st.filled += take;
        at += take;
        if (st.filled < st.body.length) return;
        this.state = { kind: 'delimiter' };
        this.gap = 0;
        this.onPart({ headers: st.headers, body: st.body });
        if (at === end) return;
        continue;
      }
      if (at < end) {
        this.pending.append(chunk, at, end);
        at = end;
      }
      if (!this.step()) return;
    }
  }

  /** Advances through `pending` once; false when more bytes are needed. */
  private step(): boolean {
    const st = this.state;
    const data = this.pending.view();
    switch (st.kind) {
      case 'delimiter': {
        const at = data.indexOf(this.delimiter);
        if (at < 0) {
          // Keep only what could be the start of a delimiter split across chunks.
          const keep = Math.min(data.length, this.delimiter.length - 1);
          this.skip(data.length - keep);
          return false;
        }
        this.skip(at);
        // Need the two bytes after the delimiter: `--` closes the stream, anything else opens a part.
        if (this.pending.length < this.delimiter.length + 2) return false;
        const after = this.pending
          .view()
          .subarray(this.delimiter.length, this.delimiter.length + 2);
        if (after[0] === 0x2d && after[1] === 0x2d) {
          this.state = { kind: 'done' };
          this.pending.reset();
          return false;
        }
        this.sawDelimiter = true;
        this.pending.consume(this.delimiter.length);
        this.state = { kind: 'headers' };
        return true;
      }
      case 'headers': {
        // The delimiter line's own line break starts the search, so an empty header block
        // (`--b\r\n\r\n`) ends at once. Bare LF line ends are accepted as well.
        const end = headerEnd(data);
        if (end === undefined) {
          if (data.length > this.maxHeaderBytes)
            throw new MultipartError(
              `part headers longer than ${this.maxHeaderBytes} bytes without a blank line`,
            );
          return false;
        }
        const headers = parseHeaders(data.subarray(0, end.at).toString('latin1'));
        this.pending.consume(end.at + end.length);
        const declared = headers['content-length'];
        if (declared !== undefined) {
          if (!/^\d+$/.test(declared))
            throw new MultipartError(`bad Content-Length '${declared}' in a part`);
          const size = Number(declared);
          if (size > this.maxPartBytes)
            throw new MultipartError(
              `part of ${size} bytes is over the ${this.maxPartBytes}-byte cap`,
            );
          const body = Buffer.allocUnsafe(size);
          const rest = this.pending.view();
          const take = Math.min(size, rest.length);
          rest.copy(body, 0, 0, take);
          this.pending.consume(take);
          if (take === size) {
            this.state = { kind: 'delimiter' };
            this.gap = 0;
            this.onPart({ headers, body });
            return true;
          }
          this.state = { kind: 'sized', headers, body, filled: take };
          // `pending` is empty now; later bytes go straight into `body` (see feed()).
          return false;
        }
        this.state = { kind: 'scan', headers, scanned: 0 };
        return true;
      }
      case 'scan': {
        const from = Math.max(0, st.scanned - this.scanDelimiter.length + 1);
        const at = data.indexOf(this.scanDelimiter, from);
        if (at < 0) {
          if (data.length > this.maxPartBytes)
            throw new MultipartError(
              `part without Content-Length ran past the ${this.maxPartBytes}-byte cap without a boundary`,
            );
          st.scanned = data.length;
          return false;
        }
        const body = Buffer.from(data.subarray(0, at));
        // Leave the CRLF + delimiter for the 'delimiter' state to find.
        this.pending.consume(at);
        this.state = { kind: 'delimiter' };
        this.gap = 0;
        this.onPart({ headers: st.headers, body });
        return true;
      }
      default:
        return false;
    }
  }

  private skip(n: number): void {
    if (n === 0) return;
    this.pending.consume(n);
    this.gap += n;
    if (this.gap > this.maxGapBytes) {
      const where = this.sawDelimiter ? 'between parts' : 'at the start of the stream';
      throw new MultipartError(
        `no boundary '${this.delimiter.toString('latin1')}' within ${this.maxGapBytes} bytes ${where}`,
      );
    }
  }
}

function headerEnd(data: Buffer): { at: number; length: number } | undefined {
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== 0x0a) continue;
    if (data[i + 1] === 0x0a) return { at: i, length: 2 };
    if (data[i + 1] === 0x0d && data[i + 2] === 0x0a) return { at: i, length: 3 };
    if (i + 2 >= data.length) return undefined;
  }
  return undefined;
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}
