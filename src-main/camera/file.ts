/**
 * Atomic file replacement off the event loop. The same steps as util/atomic.ts writeFileAtomic
 * (temp file, fsync, rename, fsync the folder), but asynchronous: snapshots are written while a
 * plot streams motion to the board from the same event loop, and a synchronous fsync on a slow
 * SD card can take a large fraction of a second.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

let counter = 0;

export async function writeFileAtomicAsync(file: string, data: Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++counter}.tmp`);
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/** Makes the rename itself survive a power cut; best effort where directories cannot be opened (Windows). */
async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // The rename is atomic either way.
  } finally {
    await handle?.close();
  }
}
