/**
 * Which changes of layer number stop for a pen swap. AxiDraw numbers layers for their order and
 * for "plot layer N only" and stops only at `!` layers; vfab also stops where the pen evidently
 * changes, which `plot.pen_change` decides (config and plan option).
 */
import { VfabError } from '../errors';

export const PEN_CHANGE_MODES = ['auto', 'pause', 'ignore'] as const;
export type PenChangeMode = (typeof PEN_CHANGE_MODES)[number];

/** Layer number → the pen that draws it (config `pens:`), keys as YAML gives them: strings. */
export type PenMap = Readonly<Record<string, string>>;

export interface PenLayer {
  pen: number | null;
  color: string | null;
}

/** The pen the map names for a layer number, if any. */
export function mappedPen(pens: PenMap | undefined, pen: number | null): string | undefined {
  return pen === null ? undefined : pens?.[String(pen)];
}

/**
 * Stop before `next`, plotted right after `prev`, to change pens? Only a change of layer number
 * can be one. `auto`: when both layers are mapped to pens, when those differ; otherwise when both
 * have one colour, when those differ; a bare change of number never stops.
 */
export function isPenChange(
  prev: PenLayer | undefined,
  next: PenLayer,
  mode: PenChangeMode,
  pens?: PenMap,
): boolean {
  if (!prev || prev.pen === null || next.pen === null || prev.pen === next.pen || mode === 'ignore')
    return false;
  if (mode === 'pause') return true;
  const a = mappedPen(pens, prev.pen),
    b = mappedPen(pens, next.pen);
  if (a !== undefined && b !== undefined) return a !== b;
  return (
    prev.color !== null &&
    next.color !== null &&
    prev.color.toLowerCase() !== next.color.toLowerCase()
  );
}

/** What the person at the plotter does at a pause: "load pen 2 (2-red: 0.3 red fineliner)". */
export function penToLoad(layer: { name: string; pen: number | null; penName?: string }): string {
  const what = layer.penName ? `${layer.name}: ${layer.penName}` : layer.name;
  return layer.pen !== null ? `load pen ${layer.pen} (${what})` : `get ready for layer ${what}`;
}

/**
 * The layers a plot draws: all, or with `--layer N` (AxiDraw's layers mode) only those numbered N,
 * in plan order. The program, its checkpoints and a resume all follow this one selection.
 */
export function layersToPlot<L extends { pen: number | null; name: string }>(
  layers: readonly L[],
  only: number | undefined,
  job: string,
): L[] {
  if (only === undefined) return [...layers];
  const picked = layers.filter((l) => l.pen === only);
  if (!picked.length) {
    const numbered = [...new Set(layers.map((l) => l.pen).filter((n) => n !== null))];
    throw new VfabError(
      'INVALID_INPUT',
      `Job '${job}' has no layer numbered ${only}${numbered.length ? `; its layer numbers: ${numbered.join(', ')}` : ' (its layers carry no numbers)'}.`,
    );
  }
  return picked;
}
