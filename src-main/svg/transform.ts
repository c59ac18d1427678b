/** 2×3 affine matrices [a, b, c, d, e, f] (x' = a·x + c·y + e, y' = b·x + d·y + f) and the `transform` attribute. */
import { parseNumberList } from './numbers';

export type Matrix = readonly [number, number, number, number, number, number];

export const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];

/** m · n: apply n first, then m. */
export function multiply(m: Matrix, n: Matrix): Matrix {
  return [
    m[0] * n[0] + m[2] * n[1],
    m[1] * n[0] + m[3] * n[1],
    m[0] * n[2] + m[2] * n[3],
    m[1] * n[2] + m[3] * n[3],
    m[0] * n[4] + m[2] * n[5] + m[4],
    m[1] * n[4] + m[3] * n[5] + m[5],
  ];
}

export const translate = (tx: number, ty: number): Matrix => [1, 0, 0, 1, tx, ty];
export const scale = (sx: number, sy: number): Matrix => [sx, 0, 0, sy, 0, 0];

function rotate(deg: number, cx = 0, cy = 0): Matrix {
  const r = (deg * Math.PI) / 180;
  const c = Math.cos(r);
  const s = Math.sin(r);
  const m: Matrix = [c, s, -s, c, 0, 0];
  return cx || cy ? multiply(translate(cx, cy), multiply(m, translate(-cx, -cy))) : m;
}

/** Largest stretch the matrix applies to any unit vector (its largest singular value). */
export function maxScale(m: Matrix): number {
  const [a, b, c, d] = m;
  const p = (a * a + b * b + c * c + d * d) / 2;
  const q = Math.sqrt(Math.max(0, p * p - (a * d - b * c) ** 2));
  return Math.sqrt(p + q);
}

const FUNC = /\s*,?\s*([a-zA-Z]+)\s*\(([^)]*)\)/y;

/** Parses a transform list; null when it is malformed (the caller warns and skips the element). */
export function parseTransform(text: string): Matrix | null {
  let m = IDENTITY;
  let pos = 0;
  while (pos < text.length) {
    if (/^[\s,]*$/.test(text.slice(pos))) break;
    FUNC.lastIndex = pos;
    const f = FUNC.exec(text);
    if (!f) return null;
    pos = FUNC.lastIndex;
    const args = parseNumberList(f[2]!);
    if (!args) return null;
    const t = fromFunction(f[1]!, args);
    if (!t) return null;
    m = multiply(m, t);
  }
  return m;
}

function fromFunction(name: string, v: number[]): Matrix | null {
  const n = v.length;
  switch (name) {
    case 'matrix':
      return n === 6 ? [v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!] : null;
    case 'translate':
      return n === 1 || n === 2 ? translate(v[0]!, v[1] ?? 0) : null;
    case 'scale':
      return n === 1 || n === 2 ? scale(v[0]!, v[1] ?? v[0]!) : null;
    case 'rotate':
      return n === 1 || n === 3 ? rotate(v[0]!, v[1], v[2]) : null;
    case 'skewX':
      return n === 1 ? [1, 0, Math.tan((v[0]! * Math.PI) / 180), 1, 0, 0] : null;
    case 'skewY':
      return n === 1 ? [1, Math.tan((v[0]! * Math.PI) / 180), 0, 1, 0, 0] : null;
    default:
      return null;
  }
}
