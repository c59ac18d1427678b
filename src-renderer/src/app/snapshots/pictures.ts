import { useEffect, useState } from 'react';
import type { SnapshotInfo } from '../../../../src-main/camera/snapshots';
import { api, errorText } from '../../client';

export const dataUrl = (p: { mime: string; base64: string }) => `data:${p.mime};base64,${p.base64}`;

/** One of a job's pictures as an `<img>` source; `refresh` changes fetch it again (latest.jpg is rewritten while plotting). */
export function usePicture(
  id: string,
  name: string | undefined,
  refresh?: unknown,
): { src?: string; takenAt?: string; error?: string } {
  const [got, setGot] = useState<{ key: string; src?: string; takenAt?: string; error?: string }>();
  const key = `${id}/${name}`;
  useEffect(() => {
    if (!name) return;
    let live = true;
    api.call('jobs.snapshot', { id, name }).then(
      (p) => live && setGot({ key, src: dataUrl(p), takenAt: p.takenAt }),
      (err: unknown) => live && setGot({ key, error: errorText(err) }),
    );
    return () => void (live = false);
  }, [id, name, key, refresh]);
  return got?.key === key ? got : {};
}

/** The job's pictures, oldest first; fetched again when `refresh` changes. */
export function useSnapshotList(
  id: string,
  refresh?: unknown,
): { list?: SnapshotInfo[]; error?: string } {
  const [got, setGot] = useState<{ id: string; list?: SnapshotInfo[]; error?: string }>();
  useEffect(() => {
    let live = true;
    api.call('jobs.snapshots', { id }).then(
      (r) => live && setGot({ id, list: r.snapshots }),
      (err: unknown) => live && setGot({ id, error: errorText(err) }),
    );
    return () => void (live = false);
  }, [id, refresh]);
  return got?.id === id ? got : {};
}
