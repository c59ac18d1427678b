import fs from 'node:fs';
import path from 'node:path';

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
 * Replace `file` with `data` so that a crash at any moment leaves either the old or the new
 * content, never a truncated mix: write a sibling temp file, fsync it, rename, fsync the folder.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode?: number): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
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
  for (const name of names) if (name.startsWith(prefix) && name.endsWith('.tmp')) fs.rmSync(path.join(path.dirname(file), name), { force: true });
}
