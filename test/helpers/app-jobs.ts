/** Many jobs written straight into a workspace, as a long-used studio has them; `vfab serve` indexes them at start. */
import fs from 'node:fs';
import path from 'node:path';
import { keepThumbnail, makeThumbnail } from '../../src-main/plan/thumbnail-file';
import { planFactsMetadata } from '../../src-main/jobs/reconcile';
import { writePlan, type Plan } from '../../src-main/plan/plan-file';

const ENDS = [
  ['READY'],
  ['READY', 'QUEUED', 'ARMED', 'PLOTTING', 'COMPLETED'],
  ['READY', 'QUEUED', 'ARMED', 'PLOTTING', 'ABORTED'],
  ['FAILED'],
] as const;

/**
 * Writes `count` jobs `job_00000`…; ids sort in creation order, the newest last. With `plans`,
 * every job that reached READY has one of them (in turn) as its plan.json and its thumbnail, its
 * numbers journaled with READY, as planning leaves them; without, planned jobs have no plan file.
 */
export function writeJobs(jobsDir: string, count: number, plans: readonly Plan[] = []): string[] {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const ids: string[] = [];
  // Each plan made small once: the jobs sharing it differ only in their id.
  const thumbnails = plans.map((p) => makeThumbnail(p.job, p));
  for (let j = 0; j < count; j++) {
    const id = `job_${String(j).padStart(5, '0')}`;
    const dir = path.join(jobsDir, id);
    fs.mkdirSync(dir, { recursive: true });
    const at = (k: number) => new Date(t0 + j * 60_000 + k * 1000).toISOString();
    const path_ = ['NEW', 'ANALYZED', ...(j % 4 === 3 ? [] : ['OPTIMIZED']), ...ENDS[j % 4]!];
    let from: string | null = null;
    const plan = plans.length && path_.includes('READY') ? plans[j % plans.length]! : undefined;
    if (plan) {
      const files = {
        plan: path.join(dir, 'plan.json'),
        thumbnail: path.join(dir, 'thumbnail.json'),
      };
      writePlan(files.plan, { ...plan, job: id });
      keepThumbnail(files, { ...thumbnails[j % plans.length]!, id });
    }
    const lines = path_.map((to, k) => {
      const metadata =
        from === null
          ? { source_name: `${id}.svg`, source_size: 1000, source_sha256: '0'.repeat(64) }
          : to === 'READY' && plan
            ? planFactsMetadata(plan.summary)
            : {};
      const line = JSON.stringify({
        type: 'state_change',
        from_state: from,
        to_state: to,
        reason: `generated ${to}`,
        metadata,
        timestamp: at(k),
        seq: k + 1,
      });
      from = to;
      return line;
    });
    fs.writeFileSync(path.join(dir, 'journal.jsonl'), `${lines.join('\n')}\n`);
    fs.writeFileSync(
      path.join(dir, 'job.json'),
      JSON.stringify({
        format: 1,
        id,
        source_name: `${id}.svg`,
        source_size: 1000,
        created_at: at(0),
      }),
    );
    ids.push(id);
  }
  return ids;
}
