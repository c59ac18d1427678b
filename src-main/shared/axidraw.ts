/**
 * What the AxiDraw settings accept: config, the CLI and the API contract refuse values outside
 * these, and the renderer's settings form offers the same choices and ranges.
 */

/** The AxiDraw models vfab knows, by the names the AxiDraw software uses (plan/models.ts numbers them). */
export const AXIDRAW_MODELS = [
  'V3/A4',
  'V3/A3',
  'SE/A3',
  'V3 XLX',
  'MiniKit',
  'SE/A1',
  'SE/A2',
] as const;
export type AxiDrawModel = (typeof AXIDRAW_MODELS)[number];

/** AxiDraw's cornering (plan/cornering.ts): 1 nearly stops at every corner (0.005 mm); 100 rounds them by half a millimetre at full speed. */
export const MIN_CORNERING = 1;
export const MAX_CORNERING = 100;

/** AxiDraw's min_gap (plan/min-gap.ts): a join is ink, past a few mm it draws a line the artist would see, no longer a gap closed. */
export const MAX_MIN_GAP_MM = 5;
