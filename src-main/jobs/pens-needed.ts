/**
 * The pens a planned job needs, as the index lists them: one per distinct pen in plot order, named
 * as the plotter's pause names it (the config's pen for the layer number, else the layer's label),
 * with the colour its strokes have. Read from the READY entry's layers, so the index can be rebuilt
 * from the journal alone; a journal is a file anyone may edit, so anything unexpected reads as none.
 */
export interface JobPen {
  name: string;
  /** CSS colour of the layer's strokes, for a swatch; null when unknown (plans from before colours were journaled). */
  color: string | null;
}

/** Far more than any drawing has; a hand-edited journal cannot make the index row huge. */
const MAX_PENS = 64;
const MAX_NAME = 128;
/** The SVG reader writes colours as #rrggbb (svg/style.ts parseColor). */
const COLOR = /^#[0-9a-f]{6}$/i;

const text = (v: unknown, max: number): string | null =>
  typeof v === 'string' && v.trim() && v.length <= max ? v.trim() : null;

/** Null when `layers` is not a list of layers (a READY entry from before, or edited by hand). */
export function pensOfLayers(layers: unknown): JobPen[] | null {
  if (!Array.isArray(layers)) return null;
  const pens = new Map<string, JobPen>();
  for (const l of layers as Record<string, unknown>[]) {
    const name = text(l?.pen_name, MAX_NAME) ?? text(l?.name, MAX_NAME);
    if (name === null) return null;
    const color = text(l.color, 7);
    if (!pens.has(name))
      pens.set(name, { name, color: color && COLOR.test(color) ? color.toLowerCase() : null });
    if (pens.size > MAX_PENS) return null;
  }
  return [...pens.values()];
}

/** The index column's JSON, read back the same way: the database is a file anyone may edit too. */
export function pensOfJson(json: string | null): JobPen[] | null {
  if (json === null) return null;
  try {
    return pensOfLayers(JSON.parse(json));
  } catch {
    return null;
  }
}
