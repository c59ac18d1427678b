import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flattenPath } from '../src-main/svg/flatten';
import { parseNumberList } from '../src-main/svg/numbers';
import { Op, parsePathData } from '../src-main/svg/path-data';
import { type Matrix, parseTransform } from '../src-main/svg/transform';
import { parseLength, parseViewBox } from '../src-main/svg/units';
import { parseColor } from '../src-main/svg/style';
import { NO_CODES, parseLayerLabel } from '../src-main/svg/layers';
import { distanceToPolyline } from './svg-helpers';

const coord = fc.double({ min: -100, max: 100, noNaN: true });
const tolerance = fc.double({ min: 0.005, max: 1, noNaN: true });
/** A random similarity-ish transform: scale, rotation and a little skew, like nested groups make. */
const matrix = fc
  .tuple(
    fc.double({ min: 0.1, max: 5, noNaN: true }),
    fc.double({ min: 0.1, max: 5, noNaN: true }),
    fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
    fc.double({ min: -0.5, max: 0.5, noNaN: true }),
  )
  .map(([sx, sy, r, k]): Matrix => {
    const c = Math.cos(r),
      s = Math.sin(r);
    // rotate · scale · skewX
    return [c * sx, s * sx, c * sx * k - s * sy, s * sx * k + c * sy, 3, -7];
  });

const apply = (m: Matrix, x: number, y: number): [number, number] => [
  m[0] * x + m[2] * y + m[4],
  m[1] * x + m[3] * y + m[5],
];

function checkCurve(
  cmds: number[],
  m: Matrix,
  tol: number,
  at: (t: number) => [number, number],
): void {
  const out: Float64Array[] = [];
  flattenPath(cmds, m, tol, out);
  expect(out).toHaveLength(1);
  const p = out[0]!;
  const [sx, sy] = apply(m, ...at(0));
  const [ex, ey] = apply(m, ...at(1));
  expect(p[0]).toBeCloseTo(sx, 9);
  expect(p[1]).toBeCloseTo(sy, 9);
  // The end point is the transformed end point itself, not an approximation of it.
  expect([p[p.length - 2], p[p.length - 1]]).toEqual([ex, ey]);
  for (let i = 0; i <= 64; i++) {
    const [x, y] = apply(m, ...at(i / 64));
    expect(distanceToPolyline(p, x, y)).toBeLessThanOrEqual(tol * (1 + 1e-9) + 1e-9);
  }
}

describe('flattening stays within tolerance (property)', () => {
  it('cubic Béziers', () => {
    fc.assert(
      fc.property(
        fc.array(coord, { minLength: 8, maxLength: 8 }),
        matrix,
        tolerance,
        (c, m, tol) => {
          const [x0, y0, x1, y1, x2, y2, x3, y3] = c as [
            number,
            number,
            number,
            number,
            number,
            number,
            number,
            number,
          ];
          checkCurve([Op.M, x0, y0, Op.C, x1, y1, x2, y2, x3, y3], m, tol, (t) => {
            const u = 1 - t;
            return [
              u * u * u * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t * t * t * x3,
              u * u * u * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t * t * t * y3,
            ];
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('quadratic Béziers', () => {
    fc.assert(
      fc.property(
        fc.array(coord, { minLength: 6, maxLength: 6 }),
        matrix,
        tolerance,
        (c, m, tol) => {
          const [x0, y0, x1, y1, x2, y2] = c as [number, number, number, number, number, number];
          checkCurve([Op.M, x0, y0, Op.Q, x1, y1, x2, y2], m, tol, (t) => {
            const u = 1 - t;
            return [
              u * u * x0 + 2 * u * t * x1 + t * t * x2,
              u * u * y0 + 2 * u * t * y1 + t * t * y2,
            ];
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('elliptical arcs (built from a known centre, so the true curve is known)', () => {
    const arc = fc.record({
      cx: coord,
      cy: coord,
      rx: fc.double({ min: 0.5, max: 80, noNaN: true }),
      ry: fc.double({ min: 0.5, max: 80, noNaN: true }),
      rot: fc.double({ min: -180, max: 180, noNaN: true }),
      t0: fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
      // Away from 0 and ±2π, where the endpoint form is ill-conditioned.
      dt: fc.double({ min: 0.05, max: 2 * Math.PI - 0.05, noNaN: true }),
      ccw: fc.boolean(),
    });
    fc.assert(
      fc.property(arc, matrix, tolerance, (a, m, tol) => {
        const phi = (a.rot * Math.PI) / 180;
        const dt = a.ccw ? -a.dt : a.dt;
        const at = (s: number): [number, number] => {
          const t = a.t0 + dt * s;
          const ex = a.rx * Math.cos(t),
            ey = a.ry * Math.sin(t);
          return [
            a.cx + Math.cos(phi) * ex - Math.sin(phi) * ey,
            a.cy + Math.sin(phi) * ex + Math.cos(phi) * ey,
          ];
        };
        const [x0, y0] = at(0);
        const [x1, y1] = at(1);
        checkCurve(
          [Op.M, x0, y0, Op.A, a.rx, a.ry, a.rot, a.dt > Math.PI ? 1 : 0, dt > 0 ? 1 : 0, x1, y1],
          m,
          tol,
          at,
        );
      }),
      { numRuns: 150 },
    );
  });
});

describe('parsers', () => {
  it('numbers: compact forms, separators, and garbage', () => {
    expect(parseNumberList('1.5.5-2e3,4 -.5e-1')).toEqual([1.5, 0.5, -2000, 4, -0.05]);
    expect(parseNumberList('1,,2')).toBeNull();
    expect(parseNumberList('1 NaN')).toBeNull();
    expect(parseNumberList('1e999')).toBeNull();
  });

  it('path data: errors are reported', () => {
    expect(parsePathData('L 1 1').error).toBe(true);
    expect(parsePathData('M 1 1 L 2').error).toBe(true);
    expect(parsePathData('M 0 0 A 1 1 0 2 0 1 1').error).toBe(true);
    expect(parsePathData('M 0 0 z 5').error).toBe(true);
    expect(parsePathData('').cmds).toEqual([]);
  });

  it('transforms: malformed lists are null', () => {
    expect(parseTransform('translate(1 2) scale(2)')).toEqual([2, 0, 0, 2, 1, 2]);
    expect(parseTransform('translate(1,2),scale(2)')).toEqual([2, 0, 0, 2, 1, 2]);
    expect(parseTransform('rotate(1,2)')).toBeNull();
    expect(parseTransform('wobble(1)')).toBeNull();
    expect(parseTransform('scale(2) junk')).toBeNull();
  });

  it('lengths and viewBox', () => {
    expect(parseLength('10mm')).toEqual({ px: (10 * 96) / 25.4 });
    expect(parseLength('50%')).toEqual({ percent: 50 });
    expect(parseLength('10 furlongs')).toBeNull();
    expect(parseViewBox('0,0 10 20')).toEqual({ x: 0, y: 0, w: 10, h: 20 });
    expect(parseViewBox('0 0 0 20')).toBeNull();
  });

  it('colours normalise', () => {
    expect(parseColor('RED', '#000000')).toBe('#ff0000');
    expect(parseColor('#aBc', '#000000')).toBe('#aabbcc');
    expect(parseColor('rgb(0 128 255 / 50%)', '#000000')).toBe('#0080ff');
    expect(parseColor('currentColor', '#123456')).toBe('#123456');
    expect(parseColor('bogus', '#000000')).toBeNull();
  });

  it('layer labels', () => {
    expect(parseLayerLabel('1-black')).toEqual({
      pen: 1,
      pauseBefore: false,
      skip: false,
      codes: NO_CODES,
      ignored: [],
    });
    expect(parseLayerLabel('12 thick')).toMatchObject({ pen: 12, pauseBefore: false, skip: false });
    expect(parseLayerLabel('!3 red')).toMatchObject({ pen: 3, pauseBefore: true, skip: false });
    expect(parseLayerLabel('%doc')).toMatchObject({ pen: null, pauseBefore: false, skip: true });
    expect(parseLayerLabel('Layer 1')).toMatchObject({
      pen: null,
      pauseBefore: false,
      skip: false,
    });
  });
});
