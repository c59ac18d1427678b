import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { Drawing } from './geometry';
import { clear, paintBase, paintDone, REDRAW, type View } from './paint';

interface Props {
  drawing: Drawing;
  /** Global index of the last point on paper; −1 for none. */
  done: number;
  travel?: boolean;
  /** Points after this one, up to `done`, are drawn again on resume (back-up): shown in orange. */
  redrawFrom?: number;
  label: string;
}

/**
 * The paper at the width of its container: what remains in grey, what is on paper in ink.
 * Two stacked canvases, so a progress event repaints only the strokes it added.
 */
export function DrawingView({ drawing, done, travel = false, redrawFrom, label }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const base = useRef<HTMLCanvasElement>(null);
  const ink = useRef<HTMLCanvasElement>(null);
  const redraw = useRef<HTMLCanvasElement>(null);
  const painted = useRef(-1);
  const [view, setView] = useState<View>();

  useEffect(() => {
    const el = box.current!;
    const measure = () => {
      const width = el.clientWidth;
      if (width > 0)
        setView((v) =>
          v && v.scale === width / drawing.widthMm
            ? v
            : { scale: width / drawing.widthMm, ratio: window.devicePixelRatio || 1 },
        );
    };
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    measure();
    return () => observer.disconnect();
  }, [drawing]);

  // A new size or drawing repaints everything (canvas sizes reset their pixels anyway).
  useLayoutEffect(() => {
    if (!view) return;
    const w = Math.round(drawing.widthMm * view.scale * view.ratio);
    const h = Math.round(drawing.heightMm * view.scale * view.ratio);
    for (const c of [base.current!, ink.current!, redraw.current!]) {
      c.width = w;
      c.height = h;
    }
    paintBase(base.current!.getContext('2d')!, drawing, view, travel);
    clear(ink.current!.getContext('2d')!);
    painted.current = -1;
  }, [drawing, view, travel]);

  useLayoutEffect(() => {
    if (!view) return;
    const ctx = ink.current!.getContext('2d')!;
    if (done < painted.current) {
      // Progress went back (a restart, a back-up on resume): start the ink again.
      clear(ctx);
      painted.current = -1;
    }
    paintDone(ctx, drawing, view, painted.current, done);
    painted.current = Math.max(painted.current, done);
  }, [drawing, view, travel, done]);

  useLayoutEffect(() => {
    if (!view) return;
    const ctx = redraw.current!.getContext('2d')!;
    clear(ctx);
    if (redrawFrom !== undefined && redrawFrom < done)
      paintDone(ctx, drawing, view, redrawFrom, done, REDRAW);
  }, [drawing, view, travel, done, redrawFrom]);

  const height = view ? drawing.heightMm * view.scale : undefined;
  return (
    <div
      ref={box}
      className="drawing"
      style={{ height }}
      role="img"
      aria-label={label}
      data-testid="drawing"
      data-done={done}
      data-points={drawing.points}
      data-redraw-from={redrawFrom}
    >
      <canvas ref={base} style={{ height }} />
      <canvas ref={ink} style={{ height }} data-testid="drawing-ink" />
      <canvas ref={redraw} style={{ height }} data-testid="drawing-redraw" />
    </div>
  );
}
