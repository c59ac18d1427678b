/** The AxiDraw models vfab knows, by the names and numbers the AxiDraw software uses. */

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

/** The AxiDraw software's `model` option for each name (its numbering, 1..6). */
export const AXIDRAW_MODEL_NUMBER: Readonly<Record<AxiDrawModel, number>> = {
  'V3/A4': 1,
  'V3/A3': 2,
  'SE/A3': 2,
  'V3 XLX': 3,
  MiniKit: 4,
  'SE/A1': 5,
  'SE/A2': 6,
};
