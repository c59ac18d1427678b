/**
 * Reading an archive for an import, in two passes over the same file:
 *
 * 1. `verifyArchive` streams it once and writes nothing: every member is checked (name, type,
 *    size from its header), every body hashed, the manifest read and every file proved against
 *    it. The sizes the headers declare, then the manifest's list, are judged against the free
 *    space of the staging folder's file system before anything is staged.
 * 2. `stageArchive` streams it again and writes the wanted members into a staging folder. Each
 *    member must be the one the manifest lists, with the size it lists (from the header, before
 *    its body is written, which is never written past that size) and the same sha256 once
 *    written, so an archive that changed between the passes is refused too.
 *
 * A gzip bomb is therefore refused having written nothing; what the second pass writes is bounded
 * by the verified manifest, which fitted the disk. The caller removes the staging folder on error.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { fsyncDir } from '../util/atomic';
import {
  compareWithManifest,
  isKnownMember,
  MANIFEST_NAME,
  MAX_MANIFEST_BYTES,
  parseManifest,
  type Manifest,
  type ManifestFile,
} from './manifest';
import { transientMember } from './select';
import { diskBytes, freeBytes, spaceProblem } from './space';
import { ArchiveError, DEFAULT_LIMITS, readTar, type TarEntry, type TarLimits } from './tar';

export type ArchivePhase = 'check' | 'write';

export interface VerifyOptions {
  /** Where the members will be staged: the free space of its file system is judged. */
  stagingParent: string;
  /** Which members will be staged (all are read and checked either way). Default: all. */
  keep?: (member: string) => boolean;
  limits?: TarLimits;
  /** Compressed bytes read so far, of `total`, in each pass. */
  onProgress?: (read: number, total: number, phase: ArchivePhase) => void;
}

export interface VerifiedArchive {
  file: string;
  manifest: Manifest;
  /** Every file member (manifest.json excepted) with its size and sha256. */
  found: Map<string, { size: number; sha256: string }>;
  /** The manifest's entries for the members that will be staged. */
  kept: ManifestFile[];
  options: VerifyOptions;
}

const MAX_PROBLEMS_SHOWN = 5;

/** Damaged gzip (zlib's Z_* errors) said as a refused archive; anything else as it was. */
function asArchiveError(file: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (typeof code !== 'string' || !code.startsWith('Z_')) return err;
  return new ArchiveError(
    `${file} is not a gzip-compressed vfab archive, or it is damaged (${(err as Error).message}). Use a file made by 'vfab system export'.`,
  );
}

async function* mapped(file: string, body: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* body;
  } catch (err) {
    throw asArchiveError(file, err);
  }
}

/** The members of a .tar.gz, streamed; damaged gzip becomes an ArchiveError naming the file. */
export async function* archiveEntries(
  file: string,
  limits: TarLimits = DEFAULT_LIMITS,
  onRead?: (read: number, total: number) => void,
): AsyncGenerator<TarEntry> {
  const total = fs.statSync(file).size;
  const input = fs.createReadStream(file, { highWaterMark: 64 * 1024 });
  const gunzip = zlib.createGunzip({ chunkSize: 64 * 1024 });
  let read = 0;
  input.on('data', (chunk) => {
    read += chunk.length;
    onRead?.(read, total);
  });
  input.on('error', (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  try {
    // A body is read straight from the stream, outside this generator: its errors are mapped too.
    for await (const entry of readTar(gunzip, file, limits))
      yield { ...entry, body: () => mapped(file, entry.body()) };
  } catch (err) {
    throw asArchiveError(file, err);
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}

/** Refuses a member that has no place in an archive, or that an export never writes. */
function checkMember(label: string, entry: TarEntry): void {
  const transient = transientMember(entry.path, entry.type);
  if (transient)
    throw new ArchiveError(
      `${label}: member '${entry.path}' ${transient}; an export never holds one, so the archive was altered. Nothing was changed.`,
    );
  if (!isKnownMember(entry.path, entry.type)) {
    throw new ArchiveError(
      `${label}: member '${entry.path}' has no place in a vfab archive (expected manifest.json, vfab.db, config/config.yaml and workspace/...).`,
    );
  }
}

async function readManifestText(label: string, entry: TarEntry): Promise<string> {
  if (entry.size > MAX_MANIFEST_BYTES)
    throw new ArchiveError(
      `${label}: ${MANIFEST_NAME} claims ${entry.size} bytes, more than the ${MAX_MANIFEST_BYTES} allowed.`,
    );
  const parts: Buffer[] = [];
  for await (const chunk of entry.body()) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The first pass: reads all of `archive`, writing nothing, and throws an ArchiveError naming the
 * archive and the reason for anything wrong: not gzip, not tar, an unsafe, transient or unexpected
 * member, a member over the size limits or over the free space, a cut-short file, a missing or
 * foreign manifest, a checksum that does not match.
 */
export async function verifyArchive(
  archive: string,
  options: VerifyOptions,
): Promise<VerifiedArchive> {
  const label = archive;
  const keep = options.keep ?? (() => true);
  const free = freeBytes(options.stagingParent);
  const where = `the disk holding ${options.stagingParent}`;
  const found = new Map<string, { size: number; sha256: string }>();
  let declared = 0;
  let manifestText: string | undefined;
  for await (const entry of archiveEntries(archive, options.limits, (read, total) =>
    options.onProgress?.(read, total, 'check'),
  )) {
    checkMember(label, entry);
    if (entry.type === 'dir') continue;
    if (entry.path === MANIFEST_NAME) {
      if (manifestText !== undefined)
        throw new ArchiveError(`${label}: ${MANIFEST_NAME} appears twice.`);
      manifestText = await readManifestText(label, entry);
      continue;
    }
    if (found.has(entry.path))
      throw new ArchiveError(`${label}: member '${entry.path}' appears twice.`);
    if (keep(entry.path)) {
      // Judged from the header, before the body is read: a bomb is refused at once when it cannot fit.
      declared += diskBytes(entry.size);
      const tooBig = spaceProblem(declared, free, where);
      if (tooBig)
        throw new ArchiveError(
          `${label} cannot be imported: ${tooBig} (at member '${entry.path}'). Free some space and import again; nothing was written.`,
        );
    }
    const hash = crypto.createHash('sha256');
    let size = 0;
    for await (const chunk of entry.body()) {
      hash.update(chunk);
      size += chunk.length;
    }
    found.set(entry.path, { size, sha256: hash.digest('hex') });
  }
  if (manifestText === undefined) {
    throw new ArchiveError(
      `${label} has no ${MANIFEST_NAME}: it was not made by 'vfab system export', or it is incomplete. Nothing was changed.`,
    );
  }
  const manifest = parseManifest(manifestText, label);
  const problems = compareWithManifest(manifest, found);
  if (problems.length) {
    const more =
      problems.length > MAX_PROBLEMS_SHOWN
        ? ` (and ${problems.length - MAX_PROBLEMS_SHOWN} more)`
        : '';
    throw new ArchiveError(
      `${label} does not match its manifest: ${problems.slice(0, MAX_PROBLEMS_SHOWN).join('; ')}${more}. The archive is damaged or was altered; nothing was changed.`,
    );
  }
  const kept = manifest.files.filter((f) => keep(f.path));
  const tooBig = spaceProblem(
    kept.reduce((n, f) => n + diskBytes(f.size), 0),
    freeBytes(options.stagingParent),
    where,
  );
  if (tooBig)
    throw new ArchiveError(
      `${label} cannot be imported: ${tooBig}. Free some space and import again; nothing was written.`,
    );
  return { file: archive, manifest, found, kept, options };
}

function changedMeanwhile(label: string, what: string): ArchiveError {
  return new ArchiveError(
    `${label} changed while it was imported (${what}); nothing was changed. Import it again once nothing writes to it.`,
  );
}

/** Writes one member, never more than `size` bytes; returns its sha256. */
async function writeMember(
  target: string,
  entry: TarEntry,
  size: number,
  label: string,
): Promise<string> {
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
  } catch (err) {
    throw new ArchiveError(
      `${label}: member '${entry.path}' lies inside something that is a file in the archive (${(err as NodeJS.ErrnoException).code}).`,
    );
  }
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(target, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'EISDIR')
      throw new ArchiveError(
        `${label}: member '${entry.path}' appears twice (or as both a file and a folder).`,
      );
    if (code === 'ENOTDIR')
      throw new ArchiveError(
        `${label}: member '${entry.path}' lies inside something that is a file in the archive.`,
      );
    throw err;
  }
  const hash = crypto.createHash('sha256');
  let written = 0;
  try {
    for await (const chunk of entry.body()) {
      written += chunk.length;
      if (written > size)
        throw changedMeanwhile(label, `'${entry.path}' is longer than its manifest says`);
      hash.update(chunk);
      await fh.write(chunk);
    }
    // Durable before the swap: after it, this copy is the only one in place.
    await fh.datasync();
  } finally {
    await fh.close();
  }
  // Never setuid/setgid/sticky from an archive; always readable and writable by the owner.
  await fsp.chmod(target, (entry.mode & 0o777) | 0o600);
  await fsp.utimes(target, entry.mtime, entry.mtime);
  return hash.digest('hex');
}

/** The second pass: writes the kept members of a verified archive under `staging` (which must exist and be empty). */
export async function stageArchive(v: VerifiedArchive, staging: string): Promise<void> {
  const label = v.file;
  const keep = v.options.keep ?? (() => true);
  const want = new Map(v.kept.map((f) => [f.path, f]));
  const dirs = new Set<string>([staging]);
  for await (const entry of archiveEntries(v.file, v.options.limits, (read, total) =>
    v.options.onProgress?.(read, total, 'write'),
  )) {
    checkMember(label, entry);
    if (!keep(entry.path)) continue;
    if (entry.type === 'dir') {
      const dir = path.join(staging, entry.path);
      try {
        fs.mkdirSync(dir, { recursive: true });
      } catch (err) {
        throw new ArchiveError(
          `${label}: folder '${entry.path}' collides with a file of the same name (${(err as Error).message}).`,
        );
      }
      dirs.add(dir);
      continue;
    }
    if (entry.path === MANIFEST_NAME) continue;
    const listed = want.get(entry.path);
    if (!listed)
      throw changedMeanwhile(label, `'${entry.path}' is not in its manifest, or appears twice`);
    if (entry.size !== listed.size)
      throw changedMeanwhile(
        label,
        `'${entry.path}' is now ${entry.size} bytes, the manifest says ${listed.size}`,
      );
    want.delete(entry.path);
    const target = path.join(staging, entry.path);
    const sha256 = await writeMember(target, entry, listed.size, label);
    if (sha256 !== listed.sha256)
      throw changedMeanwhile(label, `'${entry.path}' no longer matches its checksum`);
    dirs.add(path.dirname(target));
  }
  if (want.size) throw changedMeanwhile(label, `'${[...want.keys()][0]}' is missing`);
  for (const dir of dirs) fsyncDir(dir);
}
