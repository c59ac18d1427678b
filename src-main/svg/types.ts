/**
 * The geometry that flows SVG → paths → plan: polylines in millimetres on the paper, origin at
 * the top-left corner (the AxiDraw's home), x to the right, y down. Polylines are flat typed
 * arrays (x0, y0, x1, y1, …) so a million-point drawing stays compact.
 */
export type Polyline = Float64Array;

export type LayerSource = 'inkscape-layer' | 'stroke-color' | 'document';

/** AxiDraw layer control codes of a label ("2+S75+H40+D500"); null when the label has none. */
export interface LayerCodes {
  /** `+S`: pen-down speed for this layer, percent like config `speed_pendown` (1–110). */
  speedPct: number | null;
  /** `+H`: pen-down height for this layer, percent like config `pen_pos_down` (0–100). */
  heightPct: number | null;
  /** `+D`: milliseconds to wait, pen up, before the layer starts. */
  delayMs: number | null;
}

/** Codes absent (as in hand-made layers) mean none. */
export interface DrawingLayer extends Partial<LayerCodes> {
  /** As written: the Inkscape label ("1-black", "!2 red") or the stroke colour ("#ff0000"). */
  name: string;
  /** The leading number of an Inkscape label names the pen/layer (AxiDraw convention); null when none. */
  pen: number | null;
  /** A `!` prefix: pause before this layer (AxiDraw convention). */
  pauseBefore: boolean;
  /** Stroke colour of the layer's content when known (CSS form, lower case), for previews. */
  color: string | null;
  source: LayerSource;
  paths: Polyline[];
}

export type SvgWarningCode =
  | 'text_not_plottable'
  | 'image_not_plottable'
  | 'hidden_skipped'
  | 'unsupported_element'
  | 'bad_attribute'
  | 'missing_reference'
  | 'no_size'
  | 'white_fill';

export interface SvgWarning {
  code: SvgWarningCode;
  message: string;
  /** How many times it happened (one warning per code and cause, counted). */
  count: number;
}

export interface Drawing {
  /** Document size in mm (from width/height, or the viewBox at 96 px/in when absent). */
  widthMm: number;
  heightMm: number;
  /** The file gives its page in physical units (in, mm, cm, pt, pc, q): that page is a sheet. Absent: px, % or no size. */
  physicalSize?: boolean;
  /** Plotted layers in document order (`%` layers are not here). */
  layers: DrawingLayer[];
  /** Labels of `%` (do-not-plot) layers that were left out. */
  skippedLayers: string[];
  warnings: SvgWarning[];
  stats: { elements: number; paths: number; points: number };
}
