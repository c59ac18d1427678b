import type { JobCondition } from '../../../../src-main/recovery/classify';

/** A plot stopped at a pen change or layer pause, as its next step: "Layer 2 of 3 · load pen 2 (black)". */
export function pauseStepText(condition: JobCondition | undefined): string | undefined {
  const s = condition?.step;
  return s ? `Layer ${s.layer + 1} of ${s.layers} · ${s.load}` : undefined;
}
