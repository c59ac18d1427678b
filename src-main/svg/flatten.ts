/**
 * Curves → polylines in output millimetres. Control points are mapped through the full
 * transform first (Béziers are affine-invariant), so the tolerance is met on paper whatever the
 * nesting of scales. Segment counts are analytic and exact bounds, not heuristics:
 *  - Bézier with n uniform parameter steps: |curve − chord| ≤ max|B''| / (8 n²);
 *  - ellipse arc, affine image of a circle: a step h deviates ≤ σ (1 − cos(h/2)), σ = largest
 *    stretch of the mapped unit circle.
 * Counts are capped so a hostile radius cannot allocate without bound.
 */
import { Op } from './path-data';
import { type Matrix, maxScale, multiply } from './transform';

export const MAX_SEGMENTS_PER_CURVE = 10_000;

/** Growable point buffer; `take()` hands out one polyline and starts over. */
export class PolyBuilder {
  private buf = new Float64Array(32);
  n = 0; // coordinates, not points

  push(x: number, y: number): void {
    if (this.n + 2 > this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = x;
    this.buf[this.n++] = y;
  }

  lastX(): number {
    return this.buf[this.n - 2]!;
  }
  lastY(): number {
    return this.buf[this.n - 1]!;
  }

  /** Emits the polyline when it has at least one segment; a lone move produces nothing. */
  take(out: Float64Array[]): void {
    if (this.n >= 4) out.push(this.buf.slice(0, this.n));
    this.n = 0;
  }
}

function clampCount(n: number): number {
  return Math.min(MAX_SEGMENTS_PER_CURVE, Math.max(1, Math.ceil(n)));
}

function cubicSegments(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  x3: number,
  y3: number,
  tol: number,
): number {
  const d1 = Math.hypot(x0 - 2 * x1 + x2, y0 - 2 * y1 + y2);
  const d2 = Math.hypot(x1 - 2 * x2 + x3, y1 - 2 * y2 + y3);
  return clampCount(Math.sqrt((6 * Math.max(d1, d2)) / (8 * tol)));
}

/** Steps so that an arc of the mapped unit circle with stretch σ deviates ≤ tol. */
function arcStep(sigma: number, tol: number): number {
  return tol >= sigma ? Math.PI : 2 * Math.acos(1 - tol / sigma);
}

/** Appends a cubic (already in output space) after its start point. */
function cubicTo(
  b: PolyBuilder,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  x3: number,
  y3: number,
  tol: number,
): void {
  const x0 = b.lastX();
  const y0 = b.lastY();
  const n = cubicSegments(x0, y0, x1, y1, x2, y2, x3, y3, tol);
  for (let i = 1; i < n; i++) {
    const t = i / n;
    const u = 1 - t;
    const a = u * u * u;
    const bb = 3 * u * u * t;
    const c = 3 * u * t * t;
    const d = t * t * t;
    b.push(a * x0 + bb * x1 + c * x2 + d * x3, a * y0 + bb * y1 + c * y2 + d * y3);
  }
  b.push(x3, y3);
}

function quadTo(b: PolyBuilder, x1: number, y1: number, x2: number, y2: number, tol: number): void {
  const x0 = b.lastX();
  const y0 = b.lastY();
  const n = clampCount(Math.sqrt(Math.hypot(x0 - 2 * x1 + x2, y0 - 2 * y1 + y2) / (4 * tol)));
  for (let i = 1; i < n; i++) {
    const t = i / n;
    const u = 1 - t;
    b.push(u * u * x0 + 2 * u * t * x1 + t * t * x2, u * u * y0 + 2 * u * t * y1 + t * t * y2);
  }
  b.push(x2, y2);
}

/**
 * Points of the ellipse (cx, cy, rx, ry, rotated φ) from angle t0 over dt, in user space mapped
 * by m, excluding the start and including the end (the caller pins the exact end point).
 */
function ellipseArc(
  b: PolyBuilder,
  m: Matrix,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  phi: number,
  t0: number,
  dt: number,
  tol: number,
): void {
  const cp = Math.cos(phi);
  const sp = Math.sin(phi);
  // The ellipse as an affine image of the unit circle, composed with m.
  const e = multiply(m, [rx * cp, rx * sp, -ry * sp, ry * cp, cx, cy]);
  const n = clampCount(Math.abs(dt) / arcStep(maxScale(e), tol));
  for (let i = 1; i < n; i++) {
    const t = t0 + (dt * i) / n;
    const c = Math.cos(t);
    const s = Math.sin(t);
    b.push(e[0] * c + e[2] * s + e[4], e[1] * c + e[3] * s + e[5]);
  }
}

/** A full ellipse as one closed polyline starting and ending at angle 0. */
export function flattenEllipse(
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  m: Matrix,
  tol: number,
  out: Float64Array[],
): void {
  const b = new PolyBuilder();
  const x = cx + rx;
  const x0 = m[0] * x + m[2] * cy + m[4];
  const y0 = m[1] * x + m[3] * cy + m[5];
  b.push(x0, y0);
  ellipseArc(b, m, cx, cy, rx, ry, 0, 0, 2 * Math.PI, tol);
  b.push(x0, y0);
  b.take(out);
}

function angle(ux: number, uy: number, vx: number, vy: number): number {
  return Math.atan2(ux * vy - uy * vx, ux * vx + uy * vy);
}

/**
 * SVG arc (endpoint parametrisation, user space) → points, per SVG 1.1 F.6.5/F.6.6: zero radii
 * make a line, radii too small are scaled up, flags pick the centre and direction.
 */
function arcTo(
  b: PolyBuilder,
  m: Matrix,
  x1: number,
  y1: number,
  rxIn: number,
  ryIn: number,
  rotDeg: number,
  large: number,
  sweep: number,
  x2: number,
  y2: number,
  tol: number,
): void {
  const ex = m[0] * x2 + m[2] * y2 + m[4];
  const ey = m[1] * x2 + m[3] * y2 + m[5];
  if (x1 === x2 && y1 === y2) return;
  let rx = Math.abs(rxIn);
  let ry = Math.abs(ryIn);
  if (rx === 0 || ry === 0) {
    b.push(ex, ey);
    return;
  }
  const phi = ((rotDeg % 360) * Math.PI) / 180;
  const cp = Math.cos(phi);
  const sp = Math.sin(phi);
  const dx = (x1 - x2) / 2;
  const dy = (y1 - y2) / 2;
  const xp = cp * dx + sp * dy;
  const yp = -sp * dx + cp * dy;
  const lambda = (xp * xp) / (rx * rx) + (yp * yp) / (ry * ry);
  if (lambda > 1) {
    rx *= Math.sqrt(lambda);
    ry *= Math.sqrt(lambda);
  }
  const num = rx * rx * ry * ry - rx * rx * yp * yp - ry * ry * xp * xp;
  const den = rx * rx * yp * yp + ry * ry * xp * xp;
  const coef = (large !== sweep ? 1 : -1) * Math.sqrt(Math.max(0, num / den));
  const cxp = (coef * rx * yp) / ry;
  const cyp = (-coef * ry * xp) / rx;
  const cx = cp * cxp - sp * cyp + (x1 + x2) / 2;
  const cy = sp * cxp + cp * cyp + (y1 + y2) / 2;
  const ux = (xp - cxp) / rx;
  const uy = (yp - cyp) / ry;
  const vx = (-xp - cxp) / rx;
  const vy = (-yp - cyp) / ry;
  const t0 = angle(1, 0, ux, uy);
  let dt = angle(ux, uy, vx, vy);
  if (!sweep && dt > 0) dt -= 2 * Math.PI;
  else if (sweep && dt < 0) dt += 2 * Math.PI;
  ellipseArc(b, m, cx, cy, rx, ry, phi, t0, dt, tol);
  b.push(ex, ey);
}

/** Path commands (user space) → one polyline per subpath, mapped by m, in out. */
export function flattenPath(cmds: number[], m: Matrix, tol: number, out: Float64Array[]): void {
  const b = new PolyBuilder();
  const [a, bb, c, d, e, f] = m;
  // Current and subpath-start points, in user space (arcs need them there).
  let ux = 0;
  let uy = 0;
  let sx = 0;
  let sy = 0;
  let i = 0;
  const begin = (): void => {
    if (b.n === 0) b.push(a * ux + c * uy + e, bb * ux + d * uy + f);
  };
  while (i < cmds.length) {
    switch (cmds[i] as Op) {
      case Op.M:
        b.take(out);
        ux = sx = cmds[i + 1]!;
        uy = sy = cmds[i + 2]!;
        b.push(a * ux + c * uy + e, bb * ux + d * uy + f);
        i += 3;
        break;
      case Op.L:
        begin();
        ux = cmds[i + 1]!;
        uy = cmds[i + 2]!;
        b.push(a * ux + c * uy + e, bb * ux + d * uy + f);
        i += 3;
        break;
      case Op.C: {
        begin();
        const p = cmds;
        const x1 = p[i + 1]!,
          y1 = p[i + 2]!,
          x2 = p[i + 3]!,
          y2 = p[i + 4]!;
        ux = p[i + 5]!;
        uy = p[i + 6]!;
        cubicTo(
          b,
          a * x1 + c * y1 + e,
          bb * x1 + d * y1 + f,
          a * x2 + c * y2 + e,
          bb * x2 + d * y2 + f,
          a * ux + c * uy + e,
          bb * ux + d * uy + f,
          tol,
        );
        i += 7;
        break;
      }
      case Op.Q: {
        begin();
        const x1 = cmds[i + 1]!,
          y1 = cmds[i + 2]!;
        ux = cmds[i + 3]!;
        uy = cmds[i + 4]!;
        quadTo(
          b,
          a * x1 + c * y1 + e,
          bb * x1 + d * y1 + f,
          a * ux + c * uy + e,
          bb * ux + d * uy + f,
          tol,
        );
        i += 5;
        break;
      }
      case Op.A: {
        begin();
        const x2 = cmds[i + 6]!,
          y2 = cmds[i + 7]!;
        arcTo(
          b,
          m,
          ux,
          uy,
          cmds[i + 1]!,
          cmds[i + 2]!,
          cmds[i + 3]!,
          cmds[i + 4]!,
          cmds[i + 5]!,
          x2,
          y2,
          tol,
        );
        ux = x2;
        uy = y2;
        i += 8;
        break;
      }
      case Op.Z: {
        begin();
        const zx = a * sx + c * sy + e;
        const zy = bb * sx + d * sy + f;
        // Pin the exact start; avoid a zero-length closing segment when already there.
        if (b.n < 4 || b.lastX() !== zx || b.lastY() !== zy) b.push(zx, zy);
        b.take(out);
        ux = sx;
        uy = sy;
        i += 1;
        break;
      }
    }
  }
  b.take(out);
}
