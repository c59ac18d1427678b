/**
 * The plot queue's order. The index holds each queued job's position (docs/recovery.md, invariant 3);
 * a job entering QUEUED goes to the end (reconcile.ts), and the artist may move it. A move is
 * also written to `<jobs>/.queue-order.json`, so an index rebuilt from the journals keeps the
 * artist's order: each position is kept with the journal seq of the job's entry into QUEUED, and
 * counts only while the job is still in that same stay in the queue.
 */
import fs from 'node:fs';
import path from 'node:path';
import { VfabError } from '../errors';
import type { Logger } from '../log';
import { queueOrder } from '../shared/job-states';
import { writeFileAtomic } from '../util/atomic';
import type { Store } from './store';

export interface SavedPosition {
  /** The journal seq of the entry that put the job in QUEUED. */
  seq: number;
  position: number;
}

export function queueOrderFile(jobsDir: string): string {
  return path.join(jobsDir, '.queue-order.json');
}

/** The saved positions; nothing when the file is missing or unreadable (the index's default order then). */
export function readQueueOrder(jobsDir: string): Map<string, SavedPosition> {
  const out = new Map<string, SavedPosition>();
  let saved: unknown;
  try {
    saved = JSON.parse(fs.readFileSync(queueOrderFile(jobsDir), 'utf8'));
  } catch {
    return out;
  }
  const jobs = (saved as { jobs?: unknown })?.jobs;
  if (jobs && typeof jobs === 'object') {
    for (const [id, v] of Object.entries(jobs as Record<string, Partial<SavedPosition>>)) {
      if (Number.isFinite(v?.seq) && Number.isFinite(v?.position))
        out.set(id, { seq: v.seq!, position: v.position! });
    }
  }
  return out;
}

/**
 * Every queued job's place, for a rebuilt index (written after each change of the queue). Never
 * throws: the change it follows has happened; a full disk only costs the order after a rebuild.
 */
export function saveQueueOrder(
  jobsDir: string,
  store: Store,
  logger?: Pick<Logger, 'warning'>,
): void {
  const jobs: Record<string, SavedPosition> = {};
  for (const j of store.all())
    if (j.state === 'QUEUED' && j.queue_position !== null)
      jobs[j.id] = { seq: j.last_seq, position: j.queue_position };
  try {
    writeFileAtomic(queueOrderFile(jobsDir), `${JSON.stringify({ format: 1, jobs })}\n`);
  } catch (err) {
    logger?.warning(
      `could not save the queue order to ${queueOrderFile(jobsDir)} (${(err as Error).message}); a rebuilt index would order the queue by the time each job was queued`,
    );
  }
}

/** Gap left between neighbours when positions are handed out again. */
const STEP = 1000;

/**
 * Moves queued job `id` before queued job `before` (null: to the end) and returns the queue's new
 * order. Positions are reals: the job takes the midpoint of its new neighbours, and only when
 * repeated moves have used up the room between two of them is the whole queue numbered again.
 */
export function reorderQueue(
  store: Store,
  jobsDir: string,
  id: string,
  before: string | null,
  logger?: Pick<Logger, 'warning'>,
): string[] {
  const order = store.transaction(() => {
    const queued = store
      .all()
      .filter((j) => j.state === 'QUEUED')
      .sort(queueOrder);
    const job = queued.find((j) => j.id === id);
    if (!job) {
      const state = store.get(id)?.state;
      throw new VfabError(
        state ? 'INVALID_STATE' : 'NOT_FOUND',
        state
          ? `Job '${id}' is ${state}; only queued jobs have a place in the queue (queue it first).`
          : `No job '${id}'.`,
      );
    }
    if (before === id) return queued.map((j) => j.id);
    const rest = queued.filter((j) => j.id !== id);
    const at = before === null ? rest.length : rest.findIndex((j) => j.id === before);
    if (at < 0)
      throw new VfabError(
        'INVALID_INPUT',
        `Cannot move '${id}' before '${before}': '${before}' is not in the queue.`,
      );
    const order = [...rest.slice(0, at), job, ...rest.slice(at)];
    const prev = rest[at - 1]?.queue_position ?? null;
    const next = rest[at]?.queue_position ?? null;
    const pos =
      prev === null
        ? next === null
          ? Date.now()
          : next - STEP
        : next === null
          ? prev + STEP
          : (prev + next) / 2;
    if ((prev === null || prev < pos) && (next === null || pos < next))
      store.setQueuePosition(id, pos);
    else {
      const base = queued[0]!.queue_position ?? Date.now();
      order.forEach((j, i) => store.setQueuePosition(j.id, base + i * STEP));
    }
    return order.map((j) => j.id);
  });
  saveQueueOrder(jobsDir, store, logger);
  return order;
}
