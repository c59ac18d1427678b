/**
 * The `d` attribute → absolute commands in a flat number array (compact for million-point
 * paths). H/V become L, S/T become C/Q with the reflected control point, so the flattener only
 * knows M L C Q A Z.
 */
import { NumberScanner } from './numbers';

export const enum Op {
  M = 0, // x y
  L = 1, // x y
  C = 2, // x1 y1 x2 y2 x y
  Q = 3, // x1 y1 x y
  A = 4, // rx ry rotationDeg largeArc sweep x y
  Z = 5,
}

export interface PathData {
  cmds: number[];
  /** True when the data had a syntax error or a non-finite number (the caller skips the element). */
  error: boolean;
}

const ARGS: Record<string, number> = { m: 2, l: 2, h: 1, v: 1, c: 6, s: 4, q: 4, t: 2, a: 7, z: 0 };

export function parsePathData(d: string): PathData {
  const s = new NumberScanner(d);
  const cmds: number[] = [];
  let x = 0;
  let y = 0;
  let startX = 0;
  let startY = 0;
  // Last control point of the previous C/S (for S) or Q/T (for T), else NaN.
  let cx = NaN;
  let cy = NaN;
  let qx = NaN;
  let qy = NaN;
  let cmd = '';
  const v = [0, 0, 0, 0, 0, 0, 0];

  s.skipSeparators();
  while (!s.atEnd()) {
    const ch = d[s.pos]!;
    if (ARGS[ch.toLowerCase()] !== undefined) {
      if (!cmd && ch !== 'M' && ch !== 'm') return { cmds, error: true };
      cmd = ch;
      s.pos++;
    } else if (!cmd || cmd === 'z' || cmd === 'Z' || !s.atNumber()) {
      return { cmds, error: true };
    } else if (cmd === 'M') cmd = 'L';
    else if (cmd === 'm') cmd = 'l';
    const lower = cmd.toLowerCase();
    const n = ARGS[lower]!;
    for (let i = 0; i < n; i++) {
      s.skipSeparators();
      v[i] = lower === 'a' && (i === 3 || i === 4) ? s.flag() : s.number();
      if (!Number.isFinite(v[i])) return { cmds, error: true };
    }
    const rel = cmd === lower;
    const ox = rel ? x : 0;
    const oy = rel ? y : 0;
    let nextC = false;
    let nextQ = false;
    switch (lower) {
      case 'm':
        x = startX = v[0]! + ox;
        y = startY = v[1]! + oy;
        cmds.push(Op.M, x, y);
        break;
      case 'l':
        x = v[0]! + ox;
        y = v[1]! + oy;
        cmds.push(Op.L, x, y);
        break;
      case 'h':
        x = v[0]! + ox;
        cmds.push(Op.L, x, y);
        break;
      case 'v':
        y = v[0]! + oy;
        cmds.push(Op.L, x, y);
        break;
      case 'c':
        cx = v[2]! + ox;
        cy = v[3]! + oy;
        cmds.push(Op.C, v[0]! + ox, v[1]! + oy, cx, cy, (x = v[4]! + ox), (y = v[5]! + oy));
        nextC = true;
        break;
      case 's': {
        const x1 = Number.isNaN(cx) ? x : 2 * x - cx;
        const y1 = Number.isNaN(cy) ? y : 2 * y - cy;
        cx = v[0]! + ox;
        cy = v[1]! + oy;
        cmds.push(Op.C, x1, y1, cx, cy, (x = v[2]! + ox), (y = v[3]! + oy));
        nextC = true;
        break;
      }
      case 'q':
        qx = v[0]! + ox;
        qy = v[1]! + oy;
        cmds.push(Op.Q, qx, qy, (x = v[2]! + ox), (y = v[3]! + oy));
        nextQ = true;
        break;
      case 't':
        qx = Number.isNaN(qx) ? x : 2 * x - qx;
        qy = Number.isNaN(qy) ? y : 2 * y - qy;
        cmds.push(Op.Q, qx, qy, (x = v[0]! + ox), (y = v[1]! + oy));
        nextQ = true;
        break;
      case 'a':
        cmds.push(Op.A, v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, (x = v[5]! + ox), (y = v[6]! + oy));
        break;
      case 'z':
        cmds.push(Op.Z);
        x = startX;
        y = startY;
        break;
    }
    if (!nextC) cx = cy = NaN;
    if (!nextQ) qx = qy = NaN;
    const comma = s.skipSeparators();
    if (comma && (s.atEnd() || !s.atNumber())) return { cmds, error: true };
  }
  return { cmds, error: false };
}
