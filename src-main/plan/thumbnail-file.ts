/**
 * A queue row's picture of its job: the plan made small (plan/thumbnail.ts), in the same shape
 * as the detail's drawing (PlanPreview), so the app paints both with one painter.
 *
 * Made once per plan: `thumbnail.json` in the job's folder keeps it with the size and time of
 * the plan.json it was made from; planning writes it beside the plan, and a row asking for one
 * older than its plan (or none) gets it made then. The file is a cache: one that is damaged, of
 * another format or that cannot be written is made again.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { readPlan, type Plan } from './plan-file';
import { thumbnailPlan } from './thumbnail';
import { writeFileAtomic } from '../util/atomic';
import { planPreview, type PlanPreview } from './preview';

const FORMAT = 1;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
const cached = z.object({
  format: z.literal(FORMAT),
  /** plan.json's size and mtime when this was made. */
  plan: z.string(),
  thumbnail: z.object({
    id: z.string(),
    paperWidthMm: z.number().positive(),
    paperHeightMm: z.number().positive(),
    points: z.number().int().min(0),
    layers: z.array(
      z
        .object({
          name: z.string(),
          pen: z.number().nullable(),
          color: z.string().nullable(),
          pauseBefore: z.boolean(),
          paths: z.number().int().min(0),
          xy: base64,
          starts: base64,
        })
        .strict(),
    ),
  }),
});

export type Thumbnail = PlanPreview;

function readCached(file: string, planKey: string): Thumbnail | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const parsed = cached.safeParse(raw);
  return parsed.success && parsed.data.plan === planKey ? parsed.data.thumbnail : undefined;
}

const planKey = (st: fs.Stats) => `${st.size}:${st.mtimeMs}`;

function save(file: string, key: string, thumbnail: Thumbnail): void {
  try {
    writeFileAtomic(file, JSON.stringify({ format: FORMAT, plan: key, thumbnail }));
  } catch {
    // A read-only or full data folder: the picture is still shown, made again next time.
  }
}

/** A job's plan.json and thumbnail.json (jobs/workspace.ts jobFiles names them). */
export interface ThumbnailFiles {
  plan: string;
  thumbnail: string;
}

/** Keeps `thumbnail` as the picture of the plan now in `files.plan`; a plan.json gone meanwhile keeps nothing. */
export function keepThumbnail(files: ThumbnailFiles, thumbnail: Thumbnail): void {
  const st = fs.statSync(files.plan, { throwIfNoEntry: false });
  if (st) save(files.thumbnail, planKey(st), thumbnail);
}

/** Makes and keeps the thumbnail of a plan just written: planning does this in its worker, so a row asks for a file already made. */
export function saveThumbnail(id: string, plan: Plan, files: ThumbnailFiles): void {
  keepThumbnail(files, makeThumbnail(id, plan));
}

export const makeThumbnail = (id: string, plan: Plan): Thumbnail =>
  planPreview(id, thumbnailPlan(plan));

/**
 * The job's thumbnail, made from plan.json when the kept one is missing or older than the plan
 * (a job planned before thumbnails, a copy); undefined when the job has no plan.json. Throws as
 * readPlan does (DATA) for one that cannot be read.
 */
export function jobThumbnail(id: string, files: ThumbnailFiles): Thumbnail | undefined {
  const st = fs.statSync(files.plan, { throwIfNoEntry: false });
  if (!st) return undefined;
  const key = planKey(st);
  const hit = readCached(files.thumbnail, key);
  if (hit) return hit;
  const thumbnail = makeThumbnail(id, readPlan(files.plan));
  save(files.thumbnail, key, thumbnail);
  return thumbnail;
}
