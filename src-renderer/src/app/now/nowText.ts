import type { JournalEntry } from '../../../../src-main/jobs/journal';

/** "Layer 1 of 2 · pen 1 (1-black)": the layer being drawn and the pen in the holder for it. */
export function layerText(
  layers: readonly { name: string; pen: number | null }[],
  index: number | null | undefined,
): string | undefined {
  const l = index == null ? undefined : layers[index];
  if (!l) return undefined;
  return `Layer ${index! + 1} of ${layers.length} · ${l.pen !== null ? `pen ${l.pen} (${l.name})` : l.name}`;
}

/** When this plot began: its last start from READY or QUEUED (a resume continues the same plot). */
export function plotStartedAt(history: readonly JournalEntry[]): number | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const e = history[i]!;
    if (
      e.type === 'state_change' &&
      e.to_state === 'ARMED' &&
      (e.from_state === 'READY' || e.from_state === 'QUEUED')
    ) {
      const t = Date.parse(e.timestamp ?? '');
      return Number.isNaN(t) ? undefined : t;
    }
  }
  return undefined;
}
