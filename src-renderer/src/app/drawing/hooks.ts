import { useEffect, useState } from 'react';
import type { Checkpoint } from '../../../../src-main/jobs/checkpoint';
import { api, errorText } from '../../client';
import { useJobs } from '../store/jobs';
import { decodePreview, pointIndex, type Drawing } from './geometry';

/** The job's planned drawing; `plannedAt` (the plan's createdAt) fetches it again after a re-plan, null: no plan. */
export function useDrawing(
  id: string,
  plannedAt: string | null,
): { drawing?: Drawing; error?: string } {
  const [got, setGot] = useState<{ key: string; drawing?: Drawing; error?: string }>();
  const key = `${id}@${plannedAt}`;
  useEffect(() => {
    if (plannedAt === null) return;
    let live = true;
    api.call('jobs.preview', { id }).then(
      (p) => live && setGot({ key, drawing: decodePreview(p) }),
      (err: unknown) => live && setGot({ key, error: errorText(err) }),
    );
    return () => void (live = false);
  }, [id, plannedAt, key]);
  return got?.key === key ? got : {};
}

/**
 * How far the paper is drawn: live progress while this page watches the plot, else the
 * checkpoint of a paused or interrupted plot (`checkpoint`, or the queue's scan), everything
 * for a finished job, nothing otherwise.
 */
export function useDoneIndex(
  id: string,
  drawing: Drawing | undefined,
  checkpoint?: Checkpoint,
): number {
  const progress = useJobs((s) => s.progress[id]);
  const scanned = useJobs((s) => s.conditions[id]?.checkpoint);
  const state = useJobs((s) => s.jobs.find((j) => j.id === id)?.state);
  if (!drawing) return -1;
  if (state === 'COMPLETED') return drawing.points - 1;
  if (progress && state !== 'QUEUED' && state !== 'READY') return pointIndex(drawing, progress);
  const cp = checkpoint ?? scanned;
  return cp && cp.move >= 0 ? pointIndex(drawing, cp) : -1;
}
