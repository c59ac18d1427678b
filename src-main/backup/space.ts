/**
 * Will the staged files fit? Judged from the sizes an archive declares (each tar header while the
 * archive is checked, then the manifest's list) against the free space of the staging folder's
 * file system, before a byte is written: an archive that unpacks to more than the disk holds (a
 * gzip bomb) is refused, never unpacked.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Left free after an import: journals, the log and the index must still be writable. */
export const SPACE_MARGIN_BYTES = 64 * 1024 * 1024;
const BLOCK = 4096;

/** What a file of `size` bytes takes on disk, at most: whole blocks, plus one for its inode and folder entry. */
export function diskBytes(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK + BLOCK;
}

/** Bytes an unprivileged writer may still write on the file system holding `dir` (or its nearest existing parent). */
export function freeBytes(dir: string): number {
  let at = path.resolve(dir);
  for (;;) {
    try {
      const s = fs.statfsSync(at);
      return s.bavail * s.bsize;
    } catch (err) {
      const parent = path.dirname(at);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) throw err;
      at = parent;
    }
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Why `needed` bytes do not fit in `free` with the margin kept; undefined when they do. */
export function spaceProblem(needed: number, free: number, where: string): string | undefined {
  if (needed + SPACE_MARGIN_BYTES <= free) return undefined;
  return `it unpacks to at least ${mib(needed)}, and ${where} has ${mib(free)} free (${mib(SPACE_MARGIN_BYTES)} of which must stay free)`;
}
