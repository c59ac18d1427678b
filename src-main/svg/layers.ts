/**
 * Which pen draws what. With Inkscape layers, each top-level layer is one DrawingLayer and its
 * label follows the AxiDraw conventions ("1-black" → pen 1, "!3 red" → pause first, "%notes" →
 * never plotted). Without layers, paths group by colour like vpype's by-attribute layering.
 */
import type { DrawingLayer, LayerCodes, LayerSource, Polyline } from './types';

export interface LayerLabel {
  pen: number | null;
  pauseBefore: boolean;
  /** A `%` label: documentation, not to be plotted. */
  skip: boolean;
  /** AxiDraw layer control codes; null when absent (or ignored as invalid). */
  codes: LayerCodes;
  /** Codes that were ignored, said for the plan's warnings ("+S150 is outside 1–110"). */
  ignored: string[];
}

/**
 * AxiDraw's valid ranges: +S like config speed_pendown, +H like pen_pos_down. AxiDraw takes any
 * positive +D; vfab stops at an hour, since the wait is planned as half-second moves.
 */
const CODE_RANGE = { s: [1, 110], h: [0, 100], d: [1, 3_600_000] } as const;
const CODE_FIELD = { s: 'speedPct', h: 'heightPct', d: 'delayMs' } as const;

export const NO_CODES: LayerCodes = { speedPct: null, heightPct: null, delayMs: null };

/**
 * Reads a label the way the AxiDraw software does (wiki "AxiDraw Layer Control", its
 * LayerProperties.parse): `%` skips, `!` pauses, then the layer number, then `+S<n>` (pen-down
 * speed, 1–110 %), `+H<n>` (pen-down height, 0–100 %) and `+D<n>` (delay in ms before the layer)
 * in any order and case, each right after the number or another code; the first other character
 * ends the codes ("2+S75 outline"). The last valid code of a kind wins; invalid ones are ignored.
 */
export function parseLayerLabel(label: string): LayerLabel {
  let rest = label.trim();
  if (rest.startsWith('%'))
    return { pen: null, pauseBefore: false, skip: true, codes: NO_CODES, ignored: [] };
  const pauseBefore = rest.startsWith('!');
  if (pauseBefore) rest = rest.slice(1).trimStart();
  const m = /^\d+/.exec(rest);
  rest = rest.slice(m ? m[0].length : 0);
  const codes: LayerCodes = { ...NO_CODES };
  const ignored: string[] = [];
  for (let c = /^\+([hsd])(\d*)/i.exec(rest); c; c = /^\+([hsd])(\d*)/i.exec(rest)) {
    rest = rest.slice(c[0].length);
    const key = c[1]!.toLowerCase() as keyof typeof CODE_RANGE;
    const [min, max] = CODE_RANGE[key];
    const value = c[2] ? Number(c[2]) : NaN;
    if (key === 'd' && value === 0) continue; // "+D0": no delay, as asked
    if (Number.isSafeInteger(value) && value >= min && value <= max) codes[CODE_FIELD[key]] = value;
    else ignored.push(c[2] ? `${c[0]} is outside ${min}–${max}` : `${c[0]} has no number`);
  }
  return { pen: m ? Number(m[0]) : null, pauseBefore, skip: false, codes, ignored };
}

export interface LayerSlot {
  name: string;
  pen: number | null;
  pauseBefore: boolean;
  codes: LayerCodes;
  source: LayerSource;
  paths: Polyline[];
  /** Colours of the content; the layer shows one only when all agree. */
  colors: Set<string>;
}

export const NO_LAYER = '(no layer)';

/** Collects paths into slots in document order. */
export class LayerSet {
  private readonly slots: LayerSlot[] = [];
  private readonly byColor = new Map<string, LayerSlot>();
  private noLayer: LayerSlot | null = null;

  constructor(readonly inkscapeLayers: boolean) {}

  openInkscapeLayer(label: string, parsed: LayerLabel): LayerSlot {
    const slot: LayerSlot = {
      name: label,
      pen: parsed.pen,
      pauseBefore: parsed.pauseBefore,
      codes: parsed.codes,
      source: 'inkscape-layer',
      paths: [],
      colors: new Set(),
    };
    this.slots.push(slot);
    return slot;
  }

  /** Adds an element's polylines: to its layer, to "(no layer)", or to its colour's slot. */
  add(layer: LayerSlot | null, color: string, paths: Polyline[]): void {
    let slot = layer;
    if (!slot && this.inkscapeLayers) {
      slot = this.noLayer ??= this.push({
        name: NO_LAYER,
        pen: null,
        pauseBefore: false,
        codes: NO_CODES,
        source: 'inkscape-layer',
        paths: [],
        colors: new Set(),
      });
    } else if (!slot) {
      slot =
        this.byColor.get(color) ??
        this.push({
          name: color,
          pen: null,
          pauseBefore: false,
          codes: NO_CODES,
          source: 'stroke-color',
          paths: [],
          colors: new Set(),
        });
      this.byColor.set(color, slot);
    }
    slot.colors.add(color);
    for (const p of paths) slot.paths.push(p);
  }

  private push(slot: LayerSlot): LayerSlot {
    this.slots.push(slot);
    return slot;
  }

  /** Non-empty layers; a colour-grouped drawing of a single colour is one 'document' layer. */
  result(): DrawingLayer[] {
    const used = this.slots.filter((s) => s.paths.length > 0);
    const single = !this.inkscapeLayers && used.length === 1;
    return used.map((s) => ({
      name: s.name,
      pen: s.pen,
      pauseBefore: s.pauseBefore,
      ...s.codes,
      color: s.colors.size === 1 ? [...s.colors][0]! : null,
      source: single ? 'document' : s.source,
      paths: s.paths,
    }));
  }
}
