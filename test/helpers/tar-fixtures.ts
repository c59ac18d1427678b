/**
 * Hand-made tar archives for the import tests, written independently of src-main/backup/tar.ts so
 * a bug there cannot hide itself: hostile members (links, `..`, absolute paths, huge claimed
 * sizes) and byte-level tampering of real archives. Also a whole-tree hash for "nothing changed".
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export interface RawMember {
  name: string;
  body?: Buffer | string;
  /** Tar typeflag: '0' file, '5' folder, '1' hard link, '2' symlink, '3'/'4' devices, '6' FIFO, 'x' PAX. */
  type?: string;
  linkname?: string;
  /** Size written into the header instead of the body's (the body is still what is written). */
  claimSize?: number;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** One ustar header; sizes beyond 11 octal digits are written in GNU base-256, as GNU tar does. */
export function rawHeader(name: string, size: number, type = '0', linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  if (size > 0o77777777777) {
    h[124] = 0x80;
    let v = size;
    for (let i = 135; i > 124; i--) {
      h[i] = v % 256;
      v = Math.floor(v / 256);
    }
  } else h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(1_700_000_000, 12), 136, 'ascii');
  h.write(type, 156, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

function pad(n: number): Buffer {
  return Buffer.alloc((512 - (n % 512)) % 512);
}

export function paxBody(records: Record<string, string>): Buffer {
  return Buffer.from(
    Object.entries(records)
      .map(([k, v]) => {
        const body = ` ${k}=${v}\n`;
        let len = body.length + 1;
        while (String(len).length + body.length !== len) len = String(len).length + body.length;
        return `${len}${body}`;
      })
      .join(''),
  );
}

/** A tar stream of `members`; with `end: false` the end-of-archive blocks are left off. */
export function tarOf(members: RawMember[], opts: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const body = Buffer.from(m.body ?? '');
    parts.push(
      rawHeader(m.name, m.claimSize ?? body.length, m.type ?? '0', m.linkname ?? ''),
      body,
      pad(body.length),
    );
  }
  if (opts.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function gz(data: Buffer): Buffer {
  return zlib.gzipSync(data);
}

/** Offsets of each member's body in an uncompressed ustar stream (no PAX in our test archives). */
export function memberBodies(tar: Buffer): { name: string; offset: number; size: number }[] {
  const out: { name: string; offset: number; size: number }[] = [];
  let pos = 0;
  while (pos + 512 <= tar.length) {
    const h = tar.subarray(pos, pos + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = parseInt(h.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
    out.push({ name, offset: pos + 512, size });
    pos += 512 + size + ((512 - (size % 512)) % 512);
  }
  return out;
}

/** A copy of a .tar.gz with one byte changed inside the body of `member`. */
export function tamperedCopy(archive: string, member: string, out: string): void {
  const tar = zlib.gunzipSync(fs.readFileSync(archive));
  const m = memberBodies(tar).find((b) => b.name === member);
  if (!m || m.size === 0) throw new Error(`no non-empty member ${member} in ${archive}`);
  const at = m.offset + Math.floor(m.size / 2);
  tar[at] = tar[at]! ^ 0x01;
  fs.writeFileSync(out, gz(tar));
}

/** Every path under the given roots with its type and, for files, size and sha256: equal maps mean nothing changed. */
export function treeHash(...roots: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (p: string, label: string) => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      out[label] = 'absent';
      return;
    }
    if (st.isDirectory()) {
      out[label] = 'dir';
      for (const name of fs.readdirSync(p).sort()) visit(path.join(p, name), `${label}/${name}`);
    } else if (st.isFile()) {
      out[label] =
        `file ${st.size} ${(st.mode & 0o777).toString(8)} ${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`;
    } else out[label] = 'other';
  };
  for (const r of roots) visit(r, r);
  return out;
}

/**
 * A .tar.gz of `members` followed by a manifest.json listing every file member with its size and
 * sha256, as an export writes it: an archive that passes the manifest check, whatever it holds.
 */
export function manifestArchive(members: RawMember[]): Buffer {
  const files = members
    .filter((m) => (m.type ?? '0') === '0')
    .map((m) => {
      const body = Buffer.from(m.body ?? '');
      return {
        path: m.name,
        size: body.length,
        sha256: crypto.createHash('sha256').update(body).digest('hex'),
      };
    });
  const manifest = {
    format: 'vfab-backup',
    format_version: 1,
    vfab_version: 'test',
    created_at: new Date().toISOString(),
    host: 'test',
    source: {},
    jobs: 0,
    database: false,
    notes: [],
    files,
  };
  return gz(tarOf([...members, { name: 'manifest.json', body: JSON.stringify(manifest) }]));
}

/**
 * A real export with `extra` members added before its manifest, and the manifest listing them as
 * well: still manifest-valid, as an attacker who edited an archive would make it.
 */
export function withExtraMembers(archive: string, extra: RawMember[]): Buffer {
  const tar = zlib.gunzipSync(fs.readFileSync(archive));
  const m = memberBodies(tar).find((b) => b.name === 'manifest.json');
  if (!m) throw new Error(`${archive} has no manifest.json`);
  const manifest = JSON.parse(tar.toString('utf8', m.offset, m.offset + m.size)) as {
    files: { path: string; size: number; sha256: string }[];
  };
  for (const x of extra.filter((e) => (e.type ?? '0') === '0')) {
    const body = Buffer.from(x.body ?? '');
    manifest.files.push({
      path: x.name,
      size: body.length,
      sha256: crypto.createHash('sha256').update(body).digest('hex'),
    });
  }
  return gz(
    Buffer.concat([
      tar.subarray(0, m.offset - 512),
      tarOf(extra, { end: false }),
      tarOf([{ name: 'manifest.json', body: JSON.stringify(manifest) }]),
    ]),
  );
}
