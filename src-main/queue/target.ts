/**
 * Which plotters a queued job may go to: one plotter by name, any plotter of a model, or any.
 * Journaled in the metadata of the job's QUEUED entry (`target`), so an index rebuilt from the
 * journals keeps it; absent (a job queued before targets, or by a restart) means any.
 */
import { AXIDRAW_MODELS, type AxiDrawModel } from '../plan/models';
import { VfabError } from '../errors';
import type { StateChangeEntry } from '../jobs/journal';

export type JobTarget = { plotter: string } | { model: AxiDrawModel } | 'any';

/** The target an entry into QUEUED carries; anything unreadable is 'any'. */
export function targetOf(entry: Pick<StateChangeEntry, 'metadata'> | undefined): JobTarget {
  const t = entry?.metadata?.target as unknown;
  if (t && typeof t === 'object') {
    const { plotter, model } = t as { plotter?: unknown; model?: unknown };
    if (typeof plotter === 'string' && plotter) return { plotter };
    const m = AXIDRAW_MODELS.find((x) => x === model);
    if (m) return { model: m };
  }
  return 'any';
}

export function targetLabel(t: JobTarget): string {
  return t === 'any' ? 'any plotter' : 'plotter' in t ? `plotter ${t.plotter}` : `any ${t.model}`;
}

/** An AxiDraw model as a person types it (`v3/a3`, `SE/A3`). */
export function parseModel(value: string): AxiDrawModel {
  const hit = AXIDRAW_MODELS.find((m) => m.toLowerCase() === value.trim().toLowerCase());
  if (!hit)
    throw new VfabError(
      'USAGE',
      `'${value}' is not an AxiDraw model. Models: ${AXIDRAW_MODELS.join(', ')}.`,
    );
  return hit;
}
