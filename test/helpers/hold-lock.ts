/**
 * Holds <lockPath> (through withFileLock) until <releaseFile> exists, or until killed: a live
 * holder in another process, or after SIGKILL a stale lock left by a dead one.
 */
import fs from 'node:fs';
import { withFileLock } from '../../src-main/jobs/lock';

const [lockPath, releaseFile] = process.argv.slice(2);
if (!lockPath || !releaseFile) throw new Error('usage: hold-lock.ts <lockPath> <releaseFile>');
const cell = new Int32Array(new SharedArrayBuffer(4));
withFileLock(lockPath, () => {
  fs.writeSync(1, 'locked\n'); // synchronous: this process blocks until released
  while (!fs.existsSync(releaseFile)) Atomics.wait(cell, 0, 0, 5);
});
