/** Lengths with units, the viewBox and preserveAspectRatio. User units are CSS px (1/96 in). */
import { type Matrix, multiply, scale, translate } from './transform';
import type { XmlElement } from './xml';

export const MM_PER_PX = 25.4 / 96;

const PX_PER: Record<string, number> = {
  '': 1,
  px: 1,
  in: 96,
  cm: 96 / 2.54,
  mm: 96 / 25.4,
  q: 96 / 101.6,
  pt: 96 / 72,
  pc: 16,
  // No fonts here: assume the CSS default 16px so em/ex lengths land somewhere sensible.
  em: 16,
  ex: 8,
};

export type Length = { px: number } | { percent: number };

const LENGTH = /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-zA-Z]*|%)\s*$/;

/** A length in px or a percentage; null for garbage, unknown units and non-finite values. */
export function parseLength(text: string | undefined): Length | null {
  if (text === undefined) return null;
  const m = LENGTH.exec(text);
  if (!m) return null;
  const v = Number(m[1]);
  if (!Number.isFinite(v)) return null;
  if (m[2] === '%') return { percent: v };
  const k = PX_PER[m[2]!.toLowerCase()];
  return k === undefined ? null : { px: v * k };
}

/** Units of a physical length: a page written in them names a sheet (px, em and % do not). */
const PHYSICAL = new Set(['in', 'cm', 'mm', 'q', 'pt', 'pc']);

/** Is this a length in a physical unit (`11in`, `210mm`, `612pt`)? */
export function isPhysicalLength(text: string | undefined): boolean {
  const m = text === undefined ? null : LENGTH.exec(text);
  return m !== null && PHYSICAL.has(m[2]!.toLowerCase());
}

export interface ViewBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The viewBox, or null when absent or unusable (non-positive size disables it, as in browsers). */
export function parseViewBox(text: string | undefined): ViewBox | null {
  if (text === undefined) return null;
  const v = text
    .trim()
    .split(/[\s,]+/)
    .map(Number);
  if (v.length !== 4 || !v.every(Number.isFinite) || v[2]! <= 0 || v[3]! <= 0) return null;
  return { x: v[0]!, y: v[1]!, w: v[2]!, h: v[3]! };
}

/** Maps the viewBox onto a viewport of width × height (px) per preserveAspectRatio (default xMidYMid meet). */
export function viewBoxTransform(vb: ViewBox, width: number, height: number, par = ''): Matrix {
  const parts = par.trim().split(/\s+/);
  if (parts[0] === 'defer') parts.shift();
  const align = parts[0] || 'xMidYMid';
  let sx = width / vb.w;
  let sy = height / vb.h;
  if (align === 'none') return multiply(scale(sx, sy), translate(-vb.x, -vb.y));
  const s = parts[1] === 'slice' ? Math.max(sx, sy) : Math.min(sx, sy);
  sx = sy = s;
  const frac = (key: string): number => (key === 'Min' ? 0 : key === 'Max' ? 1 : 0.5);
  const m = /^x(Min|Mid|Max)Y(Min|Mid|Max)$/.exec(align);
  const fx = m ? frac(m[1]!) : 0.5;
  const fy = m ? frac(m[2]!) : 0.5;
  const tx = (width - vb.w * s) * fx;
  const ty = (height - vb.h * s) * fy;
  return multiply(translate(tx, ty), multiply(scale(s, s), translate(-vb.x, -vb.y)));
}

/** An absolute length attribute in user units; null when absent, a percentage or unreadable. */
export function lengthAttr(el: XmlElement, name: string): number | null {
  const l = parseLength(el.attrs.get(name));
  return l && 'px' in l ? l.px : null;
}
