/** Basic shapes → polylines in output mm. Bad attribute values make the whole element unusable. */
import { flattenEllipse, flattenPath } from './flatten';
import { parseNumberList } from './numbers';
import { Op, parsePathData } from './path-data';
import type { Matrix } from './transform';
import { parseLength } from './units';
import type { XmlElement } from './xml';

/** The viewport in user units, for percentage lengths. */
export interface Viewport {
  w: number;
  h: number;
}

export const SHAPES = new Set(['path', 'rect', 'circle', 'ellipse', 'line', 'polyline', 'polygon']);

/** Thrown inside this module for a bad attribute; the caller turns it into a warning. */
export class BadAttribute extends Error {}

type Axis = 'x' | 'y' | 'r';

function length(el: XmlElement, name: string, axis: Axis, vp: Viewport, fallback = 0): number {
  const text = el.attrs.get(name);
  if (text === undefined || text.trim() === '' || text.trim() === 'auto') return fallback;
  const l = parseLength(text);
  if (!l) throw new BadAttribute(`${name}="${text}"`);
  if ('px' in l) return l.px;
  const ref = axis === 'x' ? vp.w : axis === 'y' ? vp.h : Math.hypot(vp.w, vp.h) / Math.SQRT2;
  return (l.percent / 100) * ref;
}

function nonNegative(v: number, name: string): number {
  if (v < 0) throw new BadAttribute(`negative ${name}`);
  return v;
}

/** The element's polylines, [] when it draws nothing (zero radius, empty data). */
export function shapeToPolylines(
  el: XmlElement,
  m: Matrix,
  tol: number,
  vp: Viewport,
): Float64Array[] {
  const out: Float64Array[] = [];
  switch (el.name) {
    case 'path': {
      const d = el.attrs.get('d') ?? '';
      const data = parsePathData(d);
      if (data.error) throw new BadAttribute(`d="${d.length > 40 ? `${d.slice(0, 40)}…` : d}"`);
      flattenPath(data.cmds, m, tol, out);
      break;
    }
    case 'line': {
      const cmds = [
        Op.M,
        length(el, 'x1', 'x', vp),
        length(el, 'y1', 'y', vp),
        Op.L,
        length(el, 'x2', 'x', vp),
        length(el, 'y2', 'y', vp),
      ];
      flattenPath(cmds, m, tol, out);
      break;
    }
    case 'polyline':
    case 'polygon': {
      const text = el.attrs.get('points') ?? '';
      const pts = parseNumberList(text);
      if (!pts)
        throw new BadAttribute(`points="${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`);
      // An odd coordinate is an error; SVG draws up to it.
      const cmds: number[] = [];
      for (let i = 0; i + 1 < pts.length; i += 2) cmds.push(i ? Op.L : Op.M, pts[i]!, pts[i + 1]!);
      if (el.name === 'polygon' && cmds.length) cmds.push(Op.Z);
      flattenPath(cmds, m, tol, out);
      break;
    }
    case 'circle': {
      const r = nonNegative(length(el, 'r', 'r', vp), 'r');
      if (r > 0)
        flattenEllipse(length(el, 'cx', 'x', vp), length(el, 'cy', 'y', vp), r, r, m, tol, out);
      break;
    }
    case 'ellipse': {
      // SVG 2: an "auto" radius takes the other one.
      let rx = length(el, 'rx', 'x', vp, NaN);
      let ry = length(el, 'ry', 'y', vp, NaN);
      if (Number.isNaN(rx)) rx = Number.isNaN(ry) ? 0 : ry;
      if (Number.isNaN(ry)) ry = rx;
      nonNegative(rx, 'rx');
      nonNegative(ry, 'ry');
      if (rx > 0 && ry > 0)
        flattenEllipse(length(el, 'cx', 'x', vp), length(el, 'cy', 'y', vp), rx, ry, m, tol, out);
      break;
    }
    case 'rect':
      flattenPath(rectPath(el, vp), m, tol, out);
      break;
  }
  return out;
}

/** A rect as path commands; rounded corners per SVG 2 (auto radii mirror, clamp to half size). */
function rectPath(el: XmlElement, vp: Viewport): number[] {
  const x = length(el, 'x', 'x', vp);
  const y = length(el, 'y', 'y', vp);
  const w = nonNegative(length(el, 'width', 'x', vp), 'width');
  const h = nonNegative(length(el, 'height', 'y', vp), 'height');
  if (w === 0 || h === 0) return [];
  // A negative radius is an error in SVG 2 and then behaves as auto.
  let rx = length(el, 'rx', 'x', vp, NaN);
  let ry = length(el, 'ry', 'y', vp, NaN);
  if (rx < 0) rx = NaN;
  if (ry < 0) ry = NaN;
  if (Number.isNaN(rx)) rx = Number.isNaN(ry) ? 0 : ry;
  if (Number.isNaN(ry)) ry = rx;
  rx = Math.min(rx, w / 2);
  ry = Math.min(ry, h / 2);
  if (rx === 0 || ry === 0)
    return [Op.M, x, y, Op.L, x + w, y, Op.L, x + w, y + h, Op.L, x, y + h, Op.Z];
  const arc = (ex: number, ey: number): number[] => [Op.A, rx, ry, 0, 0, 1, ex, ey];
  return [
    Op.M,
    x + rx,
    y,
    Op.L,
    x + w - rx,
    y,
    ...arc(x + w, y + ry),
    Op.L,
    x + w,
    y + h - ry,
    ...arc(x + w - rx, y + h),
    Op.L,
    x + rx,
    y + h,
    ...arc(x, y + h - ry),
    Op.L,
    x,
    y + ry,
    ...arc(x + rx, y),
    Op.Z,
  ];
}
