/**
 * Queue rows' thumbnails, asked for only by rows in view and kept by job id and plan version: a
 * row scrolled back into view paints from memory, a re-planned job (a new `planned_at`) asks
 * again. A row asks once it has stayed in view a moment, requests are served a few at a time,
 * newest first, and a row that leaves the view before its turn takes its request with it: a fling
 * through 10,000 rows asks only for the rows it stops at.
 */
import { api, errorText } from '../../client';
import { decodePreview, type Drawing } from '../drawing/geometry';

export type ThumbnailEntry = { drawing: Drawing } | { error: string };

/** Thumbnails kept (least recently used dropped first): many screens of rows. */
const KEEP = 600;
const IN_FLIGHT = 4;
/** How long a row stays in view before it asks: longer than a fling keeps a row mounted. */
const SETTLE_MS = 100;

const kept = new Map<string, ThumbnailEntry>();
/** Per key: the job, since when it is wanted, and the mounted rows waiting for it. */
const waiting = new Map<string, { id: string; since: number; listeners: Set<() => void> }>();
const loading = new Set<string>();
let wakeUp: ReturnType<typeof setTimeout> | undefined;

export const thumbnailKey = (id: string, plannedAt: string) => `${id}@${plannedAt}`;

export function keptThumbnail(key: string): ThumbnailEntry | undefined {
  const hit = kept.get(key);
  if (hit) {
    kept.delete(key);
    kept.set(key, hit);
  }
  return hit;
}

function keep(key: string, entry: ThumbnailEntry): void {
  kept.set(key, entry);
  if (kept.size > KEEP) kept.delete(kept.keys().next().value!);
}

/** Looks again when the wish made at `since` has settled (one timer at a time: each look sets the next). */
function wakeUpFor(since: number): void {
  if (wakeUp === undefined)
    wakeUp = setTimeout(
      () => ((wakeUp = undefined), pump()),
      Math.max(0, since + SETTLE_MS - performance.now()),
    );
}

function pump(): void {
  while (loading.size < IN_FLIGHT) {
    const now = performance.now();
    const unsettled = [...waiting.values()].filter((w) => now - w.since < SETTLE_MS);
    if (unsettled.length) wakeUpFor(Math.min(...unsettled.map((w) => w.since)));
    const key = [...waiting.entries()]
      .reverse()
      .find(([k, w]) => !loading.has(k) && now - w.since >= SETTLE_MS)?.[0];
    if (key === undefined) return;
    const { id } = waiting.get(key)!;
    loading.add(key);
    const done = (entry: ThumbnailEntry) => {
      loading.delete(key);
      keep(key, entry);
      const w = waiting.get(key);
      waiting.delete(key);
      for (const listener of w?.listeners ?? []) listener();
      pump();
    };
    api.call('jobs.thumbnail', { id }).then(
      (p) => done({ drawing: decodePreview(p) }),
      (err: unknown) => done({ error: errorText(err) }),
    );
  }
}

/** Asks for a thumbnail not kept yet; `ready` runs once it is. Returns the call that withdraws the wish (the row left the view). */
export function wantThumbnail(id: string, key: string, ready: () => void): () => void {
  if (kept.has(key)) return () => undefined;
  let w = waiting.get(key);
  if (!w) waiting.set(key, (w = { id, since: performance.now(), listeners: new Set() }));
  w.listeners.add(ready);
  wakeUpFor(w.since);
  const wish = w;
  return () => {
    wish.listeners.delete(ready);
    // One already asked for is kept when it comes: the row may well come back.
    if (!wish.listeners.size && !loading.has(key)) waiting.delete(key);
  };
}
