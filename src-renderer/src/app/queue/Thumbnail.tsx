import { memo, useEffect, useLayoutEffect, useReducer, useRef } from 'react';
import type { Drawing } from '../drawing/geometry';
import { paintPlanned } from '../drawing/paint';
import { keptThumbnail, thumbnailKey, wantThumbnail, type ThumbnailEntry } from './thumbnails';

/** The widest thumb track in CSS pixels (app.css .job-thumb); a narrower one shows the canvas scaled down. Fixed, so painting never waits for layout. */
const SIDE = 56;

function useThumbnail(id: string, plannedAt: string | null): ThumbnailEntry | undefined {
  const key = plannedAt === null ? null : thumbnailKey(id, plannedAt);
  const [, arrived] = useReducer((n: number) => n + 1, 0);
  useEffect(() => (key === null ? undefined : wantThumbnail(id, key, arrived)), [id, key]);
  return key === null ? undefined : keptThumbnail(key);
}

/** Each thumbnail's strokes painted once: a row scrolled back into view copies the pixels. */
const painted = new WeakMap<Drawing, HTMLCanvasElement>();

function paintedOnce(
  drawing: Drawing,
  scale: number,
  ratio: number,
  width: number,
  height: number,
): HTMLCanvasElement {
  let sheet = painted.get(drawing);
  if (sheet?.width !== width || sheet.height !== height) {
    sheet = document.createElement('canvas');
    sheet.width = width;
    sheet.height = height;
    paintPlanned(sheet.getContext('2d')!, drawing, { scale, ratio });
    painted.set(drawing, sheet);
  }
  return sheet;
}

/** The sheet as large as fits the cell, every planned stroke in its pen's colour. */
function Sheet({ drawing }: { drawing: Drawing }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const scale = Math.min(SIDE / drawing.widthMm, SIDE / drawing.heightMm);
  const width = drawing.widthMm * scale;
  const height = drawing.heightMm * scale;
  useLayoutEffect(() => {
    const c = canvas.current!;
    const ratio = window.devicePixelRatio || 1;
    c.width = Math.round(width * ratio);
    c.height = Math.round(height * ratio);
    c.getContext('2d')!.drawImage(paintedOnce(drawing, scale, ratio, c.width, c.height), 0, 0);
  }, [drawing, scale, width, height]);
  return <canvas ref={canvas} data-testid="thumbnail-canvas" />;
}

/**
 * A row's picture of what its job will draw, from the plan (queue/thumbnails.ts); a job without a
 * plan says so. Decorative for screen readers: the row names the job and its state.
 */
export const Thumbnail = memo(function Thumbnail({
  id,
  plannedAt,
}: {
  id: string;
  plannedAt: string | null;
}) {
  const got = useThumbnail(id, plannedAt);
  const status =
    plannedAt === null ? 'none' : !got ? 'loading' : 'error' in got ? 'error' : 'shown';
  return (
    <div
      className={`job-thumb job-thumb-${status}`}
      data-testid="thumbnail"
      data-thumb={status}
      aria-hidden="true"
      title={got && 'error' in got ? got.error : undefined}
    >
      {status === 'none' ? (
        <span>no plan yet</span>
      ) : status === 'error' ? (
        <span>no picture</span>
      ) : got && 'drawing' in got ? (
        <Sheet drawing={got.drawing} />
      ) : null}
    </div>
  );
});
