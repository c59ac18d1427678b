/**
 * A job's camera pictures, `<jobsDir>/<id>/snapshots/`: the names plot-camera.ts writes, and
 * reading them back for the app (job detail, the recovery wizard's last view of the paper).
 *
 *   <YYYYMMDDTHHMMSS>-<kind>[-n].jpg   one per event or manual snapshot, local time
 *   latest.jpg                         the rolling view, refreshed while plotting
 */
import fs from 'node:fs';
import path from 'node:path';
import { VfabError } from '../errors';
import { SNAPSHOT_NAME } from '../shared/names';
import { backupStamp } from '../util/time';

export interface SnapshotInfo {
  name: string;
  /** The event ('start', 'pause', 'interrupt', 'manual'…), or 'latest'. */
  kind: string;
  /** When the file was written (ISO). */
  takenAt: string;
  bytes: number;
}

/** A free `<stamp>-<kind>.jpg` path in `dir` (`-2`, `-3` on a clash within the same second). */
export function snapshotFile(dir: string, at: Date, kind: string): string {
  const stamp = backupStamp(at);
  for (let n = 1; ; n++) {
    const file = path.join(dir, `${stamp}-${kind}${n > 1 ? `-${n}` : ''}.jpg`);
    if (!fs.existsSync(file)) return file;
  }
}

function kindOf(name: string): string {
  if (name === 'latest.jpg') return 'latest';
  return name.replace(/^\d{8}T\d{6}-/, '').replace(/(-\d+)?\.jpg$/, '');
}

/** Oldest first; `latest.jpg` sorts by its time like the others. A missing folder is no pictures. */
export function listSnapshots(dir: string): SnapshotInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: SnapshotInfo[] = [];
  for (const name of names) {
    if (!SNAPSHOT_NAME.test(name)) continue;
    try {
      const st = fs.statSync(path.join(dir, name));
      if (st.isFile())
        out.push({ name, kind: kindOf(name), takenAt: st.mtime.toISOString(), bytes: st.size });
    } catch {
      // Replaced (latest.jpg) or removed while listing: the next listing shows it.
    }
  }
  return out.sort((a, b) => a.takenAt.localeCompare(b.takenAt) || a.name.localeCompare(b.name));
}

/** One picture by name; NOT_FOUND names the job folder and says where pictures come from. */
export function readSnapshot(
  dir: string,
  name: string,
  jobId: string,
): { data: Buffer; info: SnapshotInfo } {
  if (!SNAPSHOT_NAME.test(name))
    throw new VfabError(
      'INVALID_INPUT',
      `'${name}' is not a snapshot name (e.g. latest.jpg or 20261126T010203-start.jpg).`,
    );
  const file = path.join(dir, name);
  try {
    const data = fs.readFileSync(file);
    return {
      data,
      info: {
        name,
        kind: kindOf(name),
        takenAt: fs.statSync(file).mtime.toISOString(),
        bytes: data.length,
      },
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new VfabError(
      'NOT_FOUND',
      `Job '${jobId}' has no snapshot ${name}: pictures are taken while a plot runs with the camera on.`,
    );
  }
}
