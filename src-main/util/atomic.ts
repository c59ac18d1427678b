import fs from 'node:fs';
import path from 'node:path';
import { storageError } from './storage';

/** fsync a directory so a rename or create inside it survives a power cut. Best effort on platforms that refuse it. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot open directories for fsync; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes all of `bytes` at the file's position: write(2) may take less than asked when the disk
 * fills up, and only the next call reports ENOSPC.
 */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done);
}

/**
 * Replace `file` with `data` so that a crash at any moment leaves either the old or the new
 * content, never a truncated mix: write a sibling temp file, fsync it, rename, fsync the folder.
 * A failure leaves no temp file behind; a full or read-only disk is said as such (storage.ts).
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode?: number): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    const fd = fs.openSync(tmp, 'w', mode);
    try {
      writeAll(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw storageError(err, dir, bytes.length) ?? err;
  }
  fsyncDir(dir);
}

/** Removes the temp files writeFileAtomic of this process left beside `file` when a write was cut short. */
export function removeAtomicLeftovers(file: string): void {
  const prefix = `.${path.basename(file)}.${process.pid}.`;
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const name of names)
    if (name.startsWith(prefix) && name.endsWith('.tmp'))
      fs.rmSync(path.join(path.dirname(file), name), { force: true });
}
