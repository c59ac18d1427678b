/**
 * AxiDraw's `min_gap`: pen-up hops shorter than this are drawn pen-down (see joinShortGaps in
 * clean.ts). The bound is in shared/, where the renderer's forms load it too.
 */

/** AxiDraw's default, 0.008 in (axidraw_conf.py): narrower than most pen lines. */
export const MIN_GAP_MM = 0.2032;

export { MAX_MIN_GAP_MM } from '../shared/axidraw';
