/** Shared helpers for the SVG reader tests. */
import { expect } from 'vitest';
import type { Drawing, Polyline } from '../src-main/svg/types';
import { readSvg, type ReadSvgOptions, SvgError, type SvgErrorKind } from '../src-main/svg/read';

export const SVG_NS = 'http://www.w3.org/2000/svg';

/** A document whose user unit is 1 mm (100 × 100 mm page). */
export function mmDoc(body: string, extra = ''): string {
  return `<svg xmlns="${SVG_NS}" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="100mm" height="100mm" viewBox="0 0 100 100" ${extra}>${body}</svg>`;
}

export function read(svg: string, opts: ReadSvgOptions = {}): Drawing {
  return readSvg(svg, { fileName: 'test.svg', ...opts });
}

export function allPaths(d: Drawing): Polyline[] {
  return d.layers.flatMap((l) => l.paths);
}

export function points(p: Polyline): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < p.length; i += 2) out.push([p[i]!, p[i + 1]!]);
  return out;
}

export function polyLength(p: Polyline): number {
  let s = 0;
  for (let i = 2; i < p.length; i += 2) s += Math.hypot(p[i]! - p[i - 2]!, p[i + 1]! - p[i - 1]!);
  return s;
}

export function expectSvgError(
  fn: () => unknown,
  kind: SvgErrorKind,
  fileName = 'test.svg',
): SvgError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SvgError);
  const err = caught as SvgError;
  expect(err.kind).toBe(kind);
  expect(err.code).toBe('INVALID_INPUT');
  expect(err.message).toContain(fileName);
  return err;
}

/** Distance from (x, y) to the closest segment of the polyline. */
export function distanceToPolyline(p: Polyline, x: number, y: number): number {
  let best = Infinity;
  for (let i = 2; i < p.length; i += 2) {
    const ax = p[i - 2]!,
      ay = p[i - 1]!,
      bx = p[i]!,
      by = p[i + 1]!;
    const dx = bx - ax,
      dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const t = len2 ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2)) : 0;
    best = Math.min(best, Math.hypot(ax + t * dx - x, ay + t * dy - y));
  }
  return best;
}
