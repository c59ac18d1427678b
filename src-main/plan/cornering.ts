/**
 * AxiDraw's `cornering`: how fast the pen may go through a corner, as the junction deviation of
 * the grbl cornering rule (planner.ts). The AxiDraw software turns its factor into a deviation of
 * factor / 5000 in; 10, its default, is 0.002 in (0.0508 mm). The bounds are in shared/, where
 * the renderer's forms load them too.
 */

/** axidraw_conf.py's default. */
export const CORNERING = 10;

export { MAX_CORNERING, MIN_CORNERING } from '../shared/axidraw';

/** Junction deviation in mm for a cornering factor. */
export function corneringMm(factor: number): number {
  return (factor / 5000) * 25.4;
}
