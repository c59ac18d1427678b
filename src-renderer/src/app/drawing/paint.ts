/**
 * Canvas painting of a Drawing: the paper with what remains, pen-up travel, and the part on
 * paper. The part on paper is painted incrementally (only what a progress event added), so a
 * 300,000-point drawing costs one full paint when shown and a few strokes per event after.
 */
import { eachLayerRange, pathOf, type Drawing } from './geometry';

export interface View {
  /** CSS pixels per mm. */
  scale: number;
  /** Device pixels per CSS pixel. */
  ratio: number;
}

export const PAPER = '#fdfcf8';
const REMAINING = '#b4b1a8';
const INK = '#1d1d1b';
const TRAVEL = 'rgba(208, 69, 58, 0.55)';
/** Strokes a resume will draw again (back-up). */
export const REDRAW = '#e07b00';

function setup(ctx: CanvasRenderingContext2D, view: View, color: string, widthPx: number): void {
  ctx.setTransform(view.scale * view.ratio, 0, 0, view.scale * view.ratio, 0, 0);
  ctx.strokeStyle = color;
  ctx.lineWidth = widthPx / view.scale;
  ctx.lineJoin = 'round';
  ctx.lineCap = 'round';
}

/** Adds pairs [from, to) of one layer to the current path, joined within each planned path. */
function tracePairs(
  ctx: CanvasRenderingContext2D,
  xy: Float32Array,
  starts: Uint32Array,
  from: number,
  to: number,
  firstPath: number,
): void {
  let p = firstPath;
  let next = starts[p + 1]!;
  ctx.moveTo(xy[from * 2]!, xy[from * 2 + 1]!);
  for (let k = from + 1; k < to; k++) {
    if (k >= next) {
      while (k >= starts[p + 1]!) p++;
      next = starts[p + 1]!;
      ctx.moveTo(xy[k * 2]!, xy[k * 2 + 1]!);
    } else ctx.lineTo(xy[k * 2]!, xy[k * 2 + 1]!);
  }
}

function strokeRange(
  ctx: CanvasRenderingContext2D,
  d: Drawing,
  from: number,
  to: number,
  color: (layer: number) => string,
): void {
  eachLayerRange(d, from, to, (i, a, b) => {
    const l = d.layers[i]!;
    ctx.beginPath();
    ctx.strokeStyle = color(i);
    tracePairs(ctx, l.xy, l.starts, a, b, pathOf(l.starts, a));
    ctx.stroke();
  });
}

const inkOf = (d: Drawing) => (layer: number) => d.layers[layer]!.color ?? INK;

/** The paper, every planned stroke in a pale grey, and (optionally) pen-up travel dashed. */
export function paintBase(
  ctx: CanvasRenderingContext2D,
  d: Drawing,
  view: View,
  travel: boolean,
): void {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  setup(ctx, view, REMAINING, 1);
  ctx.fillStyle = PAPER;
  ctx.fillRect(0, 0, d.widthMm, d.heightMm);
  strokeRange(ctx, d, 0, d.points, () => REMAINING);
  if (!travel) return;
  setup(ctx, view, TRAVEL, 1);
  ctx.setLineDash([3 / view.scale, 3 / view.scale]);
  ctx.beginPath();
  // From home, each path's end to the next path's start, then home again: what the pen-up moves cover.
  let x = 0;
  let y = 0;
  for (const l of d.layers) {
    for (let p = 0; p + 1 < l.starts.length; p++) {
      const a = l.starts[p]!;
      const b = l.starts[p + 1]!;
      if (a === b) continue;
      ctx.moveTo(x, y);
      ctx.lineTo(l.xy[a * 2]!, l.xy[a * 2 + 1]!);
      x = l.xy[(b - 1) * 2]!;
      y = l.xy[(b - 1) * 2 + 1]!;
    }
  }
  ctx.moveTo(x, y);
  ctx.lineTo(0, 0);
  ctx.stroke();
  ctx.setLineDash([]);
}

/** The paper and every planned stroke in its layer's pen colour: the drawing as it will come out (a queue row's thumbnail). */
export function paintPlanned(ctx: CanvasRenderingContext2D, d: Drawing, view: View): void {
  clear(ctx);
  setup(ctx, view, INK, 1);
  ctx.fillStyle = PAPER;
  ctx.fillRect(0, 0, d.widthMm, d.heightMm);
  strokeRange(ctx, d, 0, d.points, inkOf(d));
}

/**
 * Paints the strokes between global points `from` (exclusive, −1 for the start) and `to`
 * (inclusive) in ink: the segment leading to `from + 1` is included when it is in the same path.
 */
export function paintDone(
  ctx: CanvasRenderingContext2D,
  d: Drawing,
  view: View,
  from: number,
  to: number,
  color?: string,
): void {
  if (to <= from) return;
  setup(ctx, view, INK, 1.6);
  strokeRange(ctx, d, Math.max(from, 0), to + 1, color ? () => color : inkOf(d));
}

export function clear(ctx: CanvasRenderingContext2D): void {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
}
