/**
 * A small streaming tar (POSIX ustar, with PAX `path`/`size` records for long names and large
 * files), written and read in 512-byte blocks so neither side ever holds a whole archive or a
 * whole member in memory. The reader is written for hostile input: every size is checked from the
 * header before a single body byte is read, and anything that is not a plain file or folder with
 * a relative, `..`-free name is refused.
 */
import { VfabError } from '../errors';

export const BLOCK = 512;
/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);

export type TarEntryType = 'file' | 'dir';

export interface TarEntryHeader {
  path: string;
  type: TarEntryType;
  size: number;
  /** Permission bits only. */
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
}

/** Thrown for anything wrong with an archive's structure or content: exit status INVALID_INPUT. */
export class ArchiveError extends VfabError {
  constructor(message: string) {
    super('INVALID_INPUT', message);
    this.name = 'ArchiveError';
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Zero bytes that pad a body of `size` bytes to the next block boundary. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

function writeOctal(buf: Buffer, offset: number, width: number, value: number): void {
  // width-1 digits and a NUL; callers keep values in range (large sizes go to PAX).
  buf.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, width, 'ascii');
}

const MAX_OCTAL_11 = 0o77777777777;

/** One PAX record: "<len> <key>=<value>\n", where <len> counts the whole record including itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length + bodyLen !== len) len = bodyLen + String(len).length;
  return `${len}${body}`;
}

function ustarHeader(h: {
  name: string;
  size: number;
  mode: number;
  mtime: number;
  typeflag: string;
}): Buffer {
  const buf = Buffer.alloc(BLOCK);
  buf.write(h.name, 0, 100, 'utf8');
  writeOctal(buf, 100, 8, h.mode & 0o7777);
  writeOctal(buf, 108, 8, 0);
  writeOctal(buf, 116, 8, 0);
  writeOctal(buf, 124, 12, h.size);
  writeOctal(buf, 136, 12, Math.max(0, Math.min(MAX_OCTAL_11, Math.floor(h.mtime))));
  buf.write('        ', 148, 8, 'ascii');
  buf.write(h.typeflag, 156, 1, 'ascii');
  buf.write('ustar\0', 257, 6, 'ascii');
  buf.write('00', 263, 2, 'ascii');
  writeOctal(buf, 148, 7, checksum(buf));
  buf[155] = 0x20;
  return buf;
}

/**
 * The header block(s) for one member: a PAX extended header first when the name does not fit
 * ustar's 100 bytes (or is not ASCII) or the size needs more than 11 octal digits.
 */
export function entryHeader(entry: TarEntryHeader): Buffer {
  const name = entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const typeflag = entry.type === 'dir' ? '5' : '0';
  const size = entry.type === 'dir' ? 0 : entry.size;
  const records: string[] = [];
  const longName = Buffer.byteLength(name) > 100 || /[^\x20-\x7e]/.test(name);
  if (longName) records.push(paxRecord('path', name));
  if (size > MAX_OCTAL_11) records.push(paxRecord('size', String(size)));
  const main = ustarHeader({
    // A readable stand-in for tools that ignore PAX; ours never uses it.
    name: longName ? asciiStandIn(name) : name,
    size: size > MAX_OCTAL_11 ? 0 : size,
    mode: entry.mode,
    mtime: entry.mtime,
    typeflag,
  });
  if (!records.length) return main;
  const body = Buffer.from(records.join(''), 'utf8');
  const pax = ustarHeader({
    name: asciiStandIn(`PaxHeaders/${name}`),
    size: body.length,
    mode: 0o644,
    mtime: entry.mtime,
    typeflag: 'x',
  });
  return Buffer.concat([pax, body, padding(body.length), main]);
}

function asciiStandIn(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '_').slice(-99);
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface TarLimits {
  /** Largest member body accepted, bytes (checked from the header, before reading it). */
  maxMemberBytes: number;
  /** Largest sum of member bodies accepted, bytes. */
  maxTotalBytes: number;
  /** Largest PAX extended header, bytes: those are held in memory to be parsed. */
  maxPaxBytes: number;
}

export const DEFAULT_LIMITS: TarLimits = {
  maxMemberBytes: 2 * 1024 ** 3,
  maxTotalBytes: 64 * 1024 ** 3,
  maxPaxBytes: 1024 * 1024,
};

export function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum;
}

/** A numeric field: octal text, or GNU base-256 (high bit of the first byte set) for huge values. */
export function parseNumber(field: Buffer): number {
  if (field.length && field[0]! & 0x80) {
    if (field[0] === 0xff) return -1; // negative base-256: never a valid size
    let value = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = field.toString('ascii').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return NaN;
  return parseInt(text, 8);
}

function cString(field: Buffer): string {
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? field.length : nul).toString('utf8');
}

function parsePax(body: Buffer, at: string): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    const len = space === -1 ? NaN : Number(body.toString('ascii', pos, space));
    if (
      !Number.isInteger(len) ||
      len <= 0 ||
      pos + len > body.length ||
      body[pos + len - 1] !== 0x0a
    ) {
      // Trailing zero padding after the last record is allowed.
      if (body.subarray(pos).every((b) => b === 0)) break;
      throw new ArchiveError(`${at}: damaged PAX extended header (record at byte ${pos}).`);
    }
    const record = body.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq <= 0)
      throw new ArchiveError(`${at}: damaged PAX extended header record '${record.slice(0, 60)}'.`);
    out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

const LINK_TYPES: Record<string, string> = { '1': 'a hard link', '2': 'a symbolic link' };
const DEVICE_TYPES: Record<string, string> = {
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a FIFO',
};

/**
 * A member name made safe, or a refusal: relative, '/'-separated, no '..', no NUL, no drive
 * letters or backslashes (which would be path separators on Windows). `./` and `//` are folded.
 */
export function safeMemberPath(raw: string): string {
  const name = raw;
  if (name.includes('\0'))
    throw new ArchiveError(`member '${name.replace(/\0/g, '\\0')}' has a NUL byte in its name`);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name))
    throw new ArchiveError(`member '${name}' has an absolute path`);
  if (name.includes('\\')) throw new ArchiveError(`member '${name}' has a backslash in its name`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..'))
    throw new ArchiveError(`member '${name}' climbs out of the archive with '..'`);
  if (!parts.length) throw new ArchiveError(`member '${name}' has an empty name`);
  return parts.join('/');
}

/** Pulls exact byte counts out of a stream of chunks. */
class ByteSource {
  private chunks: Buffer[] = [];
  private length = 0;
  private done = false;
  /** Bytes handed out so far: the archive offset, for error messages. */
  offset = 0;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(n: number): Promise<void> {
    while (this.length < n && !this.done) {
      const next = await this.source.next();
      if (next.done) this.done = true;
      else if (next.value.length) {
        this.chunks.push(next.value);
        this.length += next.value.length;
      }
    }
  }

  /** Exactly n bytes, or fewer only at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const take = Math.min(n, this.length);
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, take);
    const rest = all.subarray(take);
    this.chunks = rest.length ? [rest] : [];
    this.length = rest.length;
    this.offset += take;
    return out;
  }

  /** Up to n bytes as they arrive (at least one unless the stream ended). */
  async some(n: number): Promise<Buffer> {
    if (this.length === 0) await this.fill(1);
    if (this.length === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    const take = Math.min(n, first.length);
    const out = first.subarray(0, take);
    if (take === first.length) this.chunks.shift();
    else this.chunks[0] = first.subarray(take);
    this.length -= take;
    this.offset += take;
    return out;
  }
}

export interface TarEntry extends TarEntryHeader {
  /** The body, streamed; must be consumed (or skipped with `drain`) before asking for the next entry. */
  body(): AsyncGenerator<Buffer>;
}

/**
 * Reads an archive entry by entry. Refuses links, devices, FIFOs, unknown member types, unsafe
 * names and oversize members (from the header, before the body is read), damaged headers and
 * an archive cut short. `label` names the archive in messages.
 */
export async function* readTar(
  source: AsyncIterable<Buffer>,
  label: string,
  limits: TarLimits = DEFAULT_LIMITS,
): AsyncGenerator<TarEntry> {
  const src = new ByteSource(source[Symbol.asyncIterator]());
  let total = 0;
  let pax: Map<string, string> | undefined;
  let sawHeader = false;
  for (;;) {
    const at = src.offset;
    const header = await src.read(BLOCK);
    if (header.length === 0 && !sawHeader)
      throw new ArchiveError(`${label} is empty: not a vfab backup.`);
    if (header.length < BLOCK)
      throw new ArchiveError(
        `${label} is cut short (the end-of-archive marker is missing at byte ${at}); the file is incomplete.`,
      );
    if (header.every((b) => b === 0)) return;
    const where = `${label} (header at byte ${at})`;
    const stored = parseNumber(header.subarray(148, 156));
    if (stored !== checksum(header)) {
      throw new ArchiveError(
        sawHeader
          ? `${where}: damaged header (checksum mismatch).`
          : `${label} is not a tar archive (its first header is not valid).`,
      );
    }
    if (header.toString('ascii', 257, 262) !== 'ustar')
      throw new ArchiveError(
        `${where}: not a POSIX ustar header; vfab reads only the archives it writes.`,
      );
    sawHeader = true;
    const typeflag = header[156] === 0 ? '0' : String.fromCharCode(header[156]!);
    const prefix = cString(header.subarray(345, 500));
    const ustarName = prefix
      ? `${prefix}/${cString(header.subarray(0, 100))}`
      : cString(header.subarray(0, 100));
    const name = pax?.get('path') ?? ustarName;
    let size = parseNumber(header.subarray(124, 136));
    const paxSize = pax?.get('size');
    if (paxSize !== undefined) size = /^\d+$/.test(paxSize) ? Number(paxSize) : NaN;
    if (!Number.isSafeInteger(size) || size < 0)
      throw new ArchiveError(`${where}: member '${name}' has an invalid size.`);
    const entryPax = pax;
    pax = undefined;

    if (typeflag === 'x') {
      if (size > limits.maxPaxBytes)
        throw new ArchiveError(
          `${where}: a PAX extended header of ${size} bytes is larger than the ${limits.maxPaxBytes} bytes allowed.`,
        );
      const body = await src.read(size);
      if (body.length < size)
        throw new ArchiveError(`${label} is cut short inside a PAX header at byte ${at}.`);
      await src.read(padding(size).length);
      pax = parsePax(body, where);
      if (pax.has('linkpath'))
        throw new ArchiveError(
          `${where}: member '${pax.get('path') ?? '?'}' is a link (PAX linkpath); links are refused.`,
        );
      if (pax.has('path')) safeMemberPath(pax.get('path')!);
      continue;
    }
    if (typeflag === 'g')
      throw new ArchiveError(
        `${where}: global PAX headers are not used by vfab archives; refused.`,
      );
    if (LINK_TYPES[typeflag])
      throw new ArchiveError(
        `${where}: member '${name}' is ${LINK_TYPES[typeflag]} (to '${cString(header.subarray(157, 257))}'); links are refused.`,
      );
    if (DEVICE_TYPES[typeflag])
      throw new ArchiveError(
        `${where}: member '${name}' is ${DEVICE_TYPES[typeflag]}; only files and folders are accepted.`,
      );
    if (typeflag !== '0' && typeflag !== '7' && typeflag !== '5') {
      throw new ArchiveError(
        `${where}: member '${name}' has tar type '${typeflag}', which vfab does not accept (only files and folders).`,
      );
    }
    const path = safeMemberPath(name);
    const type: TarEntryType = typeflag === '5' ? 'dir' : 'file';
    if (type === 'file') {
      if (size > limits.maxMemberBytes) {
        throw new ArchiveError(
          `${where}: member '${path}' claims ${size} bytes, more than the ${limits.maxMemberBytes} bytes allowed per member.`,
        );
      }
      total += size;
      if (total > limits.maxTotalBytes)
        throw new ArchiveError(
          `${where}: the members add up to more than the ${limits.maxTotalBytes} bytes allowed in total.`,
        );
    }
    const bodySize = type === 'file' ? size : 0;
    const mtimeText = entryPax?.get('mtime');
    const mtime =
      mtimeText !== undefined && Number.isFinite(Number(mtimeText))
        ? Math.floor(Number(mtimeText))
        : parseNumber(header.subarray(136, 148));
    let consumed = false;
    const body = async function* (): AsyncGenerator<Buffer> {
      if (consumed) throw new Error(`body of ${path} read twice`);
      consumed = true;
      let left = bodySize;
      while (left > 0) {
        const chunk = await src.some(Math.min(left, 64 * 1024));
        if (chunk.length === 0)
          throw new ArchiveError(
            `${label} is cut short inside member '${path}' (${left} of ${bodySize} bytes missing).`,
          );
        left -= chunk.length;
        yield chunk;
      }
      const pad = padding(bodySize).length;
      if (pad && (await src.read(pad)).length < pad)
        throw new ArchiveError(`${label} is cut short after member '${path}'.`);
    };
    yield {
      path,
      type,
      size: bodySize,
      mode: parseNumber(header.subarray(100, 108)) & 0o777,
      mtime: Number.isFinite(mtime) ? mtime : 0,
      body,
    };
    if (!consumed) for await (const _ of body()) void _;
  }
}
