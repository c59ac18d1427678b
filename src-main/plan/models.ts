/** The AxiDraw models vfab knows, by the names and numbers the AxiDraw software uses. */
import type { AxiDrawModel } from '../shared/axidraw';

// The names live in shared/ so that the renderer's settings form can offer them.
export { AXIDRAW_MODELS, type AxiDrawModel } from '../shared/axidraw';

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
