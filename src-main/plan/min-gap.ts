/**
 * AxiDraw's `min_gap`: pen-up hops shorter than this are drawn pen-down (see joinShortGaps in
 * clean.ts). Its own module, free of dependencies, so config, the CLI and the API contract (which
 * a sandboxed preload imports) can share the bounds.
 */

/** AxiDraw's default, 0.008 in (axidraw_conf.py): narrower than most pen lines. */
export const MIN_GAP_MM = 0.2032;

/** A join is ink: past a few mm it draws a line the artist would see, no longer a gap closed. */
export const MAX_MIN_GAP_MM = 5;
