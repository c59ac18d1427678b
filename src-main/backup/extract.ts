/**
 * The first pass of an import: stream the archive once, refuse anything unsafe, write the wanted
 * members into a staging folder, and prove every file against the manifest. Nothing outside the
 * staging folder is touched here; the caller removes the folder when this throws.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { fsyncDir } from '../util/atomic';
import { compareWithManifest, isKnownMember, MANIFEST_NAME, MAX_MANIFEST_BYTES, parseManifest, type Manifest } from './manifest';
import { ArchiveError, DEFAULT_LIMITS, readTar, type TarLimits } from './tar';

export interface ExtractOptions {
  /** Which members to write into staging (all are read and checked either way). Default: all. */
  keep?: (member: string) => boolean;
  limits?: TarLimits;
  /** Compressed bytes read so far, of `total`. */
  onProgress?: (read: number, total: number) => void;
}

export interface Extracted {
  manifest: Manifest;
  /** Every file member (manifest.json excepted) with its size and sha256. */
  found: Map<string, { size: number; sha256: string }>;
  /** Members written into staging. */
  written: string[];
}

const MAX_PROBLEMS_SHOWN = 5;

function zlibProblem(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' && code.startsWith('Z_') ? (err as Error).message : undefined;
}

async function writeMember(target: string, body: AsyncGenerator<Buffer>, hash: crypto.Hash, mode: number, mtime: number, member: string, label: string): Promise<number> {
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
  } catch (err) {
    throw new ArchiveError(`${label}: member '${member}' lies inside something that is a file in the archive (${(err as NodeJS.ErrnoException).code}).`);
  }
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(target, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'EISDIR') throw new ArchiveError(`${label}: member '${member}' appears twice (or as both a file and a folder).`);
    if (code === 'ENOTDIR') throw new ArchiveError(`${label}: member '${member}' lies inside something that is a file in the archive.`);
    throw err;
  }
  let size = 0;
  try {
    for await (const chunk of body) {
      hash.update(chunk);
      size += chunk.length;
      await fh.write(chunk);
    }
    // Durable before the swap: after it, this copy is the only one in place.
    await fh.datasync();
  } finally {
    await fh.close();
  }
  // Never setuid/setgid/sticky from an archive; always readable and writable by the owner.
  await fsp.chmod(target, (mode & 0o777) | 0o600);
  await fsp.utimes(target, mtime, mtime);
  return size;
}

/**
 * Reads `archive`, writing kept members under `staging` (which must exist and be empty), and
 * throws an ArchiveError naming the archive and the reason for anything wrong: not gzip, not
 * tar, an unsafe or unexpected member, a member over the size limits, a cut-short file, a missing
 * or foreign manifest, a checksum that does not match.
 */
export async function extractAndVerify(archive: string, staging: string, opts: ExtractOptions = {}): Promise<Extracted> {
  const label = archive;
  const keep = opts.keep ?? (() => true);
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const total = fs.statSync(archive).size;
  const input = fs.createReadStream(archive, { highWaterMark: 64 * 1024 });
  const gunzip = zlib.createGunzip({ chunkSize: 64 * 1024 });
  let read = 0;
  input.on('data', (chunk) => {
    read += chunk.length;
    opts.onProgress?.(read, total);
  });
  input.on('error', (err) => gunzip.destroy(err));
  input.pipe(gunzip);

  const found = new Map<string, { size: number; sha256: string }>();
  const written: string[] = [];
  const dirs = new Set<string>([staging]);
  let manifestText: string | undefined;
  try {
    for await (const entry of readTar(gunzip, label, limits)) {
      if (!isKnownMember(entry.path, entry.type)) {
        throw new ArchiveError(`${label}: member '${entry.path}' has no place in a vfab archive (expected manifest.json, vfab.db, config/config.yaml and workspace/...).`);
      }
      if (entry.type === 'dir') {
        if (keep(entry.path)) {
          const dir = path.join(staging, entry.path);
          try {
            fs.mkdirSync(dir, { recursive: true });
          } catch (err) {
            throw new ArchiveError(`${label}: folder '${entry.path}' collides with a file of the same name (${(err as Error).message}).`);
          }
          dirs.add(dir);
        }
        continue;
      }
      if (entry.path === MANIFEST_NAME) {
        if (manifestText !== undefined) throw new ArchiveError(`${label}: ${MANIFEST_NAME} appears twice.`);
        if (entry.size > MAX_MANIFEST_BYTES) throw new ArchiveError(`${label}: ${MANIFEST_NAME} claims ${entry.size} bytes, more than the ${MAX_MANIFEST_BYTES} allowed.`);
        const parts: Buffer[] = [];
        for await (const chunk of entry.body()) parts.push(chunk);
        manifestText = Buffer.concat(parts).toString('utf8');
        continue;
      }
      if (found.has(entry.path)) throw new ArchiveError(`${label}: member '${entry.path}' appears twice.`);
      const hash = crypto.createHash('sha256');
      let size = 0;
      if (keep(entry.path)) {
        const target = path.join(staging, entry.path);
        size = await writeMember(target, entry.body(), hash, entry.mode, entry.mtime, entry.path, label);
        written.push(entry.path);
        dirs.add(path.dirname(target));
      } else {
        for await (const chunk of entry.body()) {
          hash.update(chunk);
          size += chunk.length;
        }
      }
      found.set(entry.path, { size, sha256: hash.digest('hex') });
    }
  } catch (err) {
    const z = zlibProblem(err);
    if (z) throw new ArchiveError(`${label} is not a gzip-compressed vfab archive, or it is damaged (${z}). Use a file made by 'vfab system export'.`);
    throw err;
  } finally {
    input.destroy();
    gunzip.destroy();
  }
  if (manifestText === undefined) {
    throw new ArchiveError(`${label} has no ${MANIFEST_NAME}: it was not made by 'vfab system export', or it is incomplete. Nothing was changed.`);
  }
  const manifest = parseManifest(manifestText, label);
  const problems = compareWithManifest(manifest, found);
  if (problems.length) {
    const more = problems.length > MAX_PROBLEMS_SHOWN ? ` (and ${problems.length - MAX_PROBLEMS_SHOWN} more)` : '';
    throw new ArchiveError(`${label} does not match its manifest: ${problems.slice(0, MAX_PROBLEMS_SHOWN).join('; ')}${more}. The archive is damaged or was altered; nothing was changed.`);
  }
  for (const dir of dirs) fsyncDir(dir);
  return { manifest, found, written };
}
