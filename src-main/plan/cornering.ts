/**
 * AxiDraw's `cornering`: how fast the pen may go through a corner, as the junction deviation of
 * the grbl cornering rule (planner.ts). The AxiDraw software turns its factor into a deviation of
 * factor / 5000 in; 10, its default, is 0.002 in (0.0508 mm). Its own module, free of
 * dependencies, so config, the CLI and the API contract (which a sandboxed preload imports) share
 * the bounds.
 */

/** axidraw_conf.py's default. */
export const CORNERING = 10;

/** 1 nearly stops at every corner (0.005 mm); 100 rounds them by half a millimetre at full speed. */
export const MIN_CORNERING = 1;
export const MAX_CORNERING = 100;

/** Junction deviation in mm for a cornering factor. */
export function corneringMm(factor: number): number {
  return (factor / 5000) * 25.4;
}
