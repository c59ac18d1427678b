/**
 * Which pen draws what. With Inkscape layers, each top-level layer is one DrawingLayer and its
 * label follows the AxiDraw conventions ("1-black" → pen 1, "!3 red" → pause first, "%notes" →
 * never plotted). Without layers, paths group by colour like vpype's by-attribute layering.
 */
import type { DrawingLayer, LayerSource, Polyline } from '../plan/types';

export interface LayerLabel {
  pen: number | null;
  pauseBefore: boolean;
  /** A `%` label: documentation, not to be plotted. */
  skip: boolean;
}

export function parseLayerLabel(label: string): LayerLabel {
  let rest = label.trim();
  if (rest.startsWith('%')) return { pen: null, pauseBefore: false, skip: true };
  const pauseBefore = rest.startsWith('!');
  if (pauseBefore) rest = rest.slice(1).trimStart();
  const m = /^\d+/.exec(rest);
  return { pen: m ? Number(m[0]) : null, pauseBefore, skip: false };
}

export interface LayerSlot {
  name: string;
  pen: number | null;
  pauseBefore: boolean;
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
    const slot: LayerSlot = { name: label, pen: parsed.pen, pauseBefore: parsed.pauseBefore, source: 'inkscape-layer', paths: [], colors: new Set() };
    this.slots.push(slot);
    return slot;
  }

  /** Adds an element's polylines: to its layer, to "(no layer)", or to its colour's slot. */
  add(layer: LayerSlot | null, color: string, paths: Polyline[]): void {
    let slot = layer;
    if (!slot && this.inkscapeLayers) {
      slot = this.noLayer ??= this.push({ name: NO_LAYER, pen: null, pauseBefore: false, source: 'inkscape-layer', paths: [], colors: new Set() });
    } else if (!slot) {
      slot = this.byColor.get(color) ?? this.push({ name: color, pen: null, pauseBefore: false, source: 'stroke-color', paths: [], colors: new Set() });
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
      color: s.colors.size === 1 ? [...s.colors][0]! : null,
      source: single ? 'document' : s.source,
      paths: s.paths,
    }));
  }
}
