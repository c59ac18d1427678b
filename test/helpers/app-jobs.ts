/** Many jobs written straight into a workspace, as a long-used studio has them; `vfab serve` indexes them at start. */
import fs from 'node:fs';
import path from 'node:path';

const ENDS = [['READY'], ['READY', 'QUEUED', 'ARMED', 'PLOTTING', 'COMPLETED'], ['READY', 'QUEUED', 'ARMED', 'PLOTTING', 'ABORTED'], ['FAILED']] as const;

/** Writes `count` jobs `job_00000`…; ids sort in creation order, the newest last. */
export function writeJobs(jobsDir: string, count: number): string[] {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const ids: string[] = [];
  for (let j = 0; j < count; j++) {
    const id = `job_${String(j).padStart(5, '0')}`;
    const dir = path.join(jobsDir, id);
    fs.mkdirSync(dir, { recursive: true });
    const at = (k: number) => new Date(t0 + j * 60_000 + k * 1000).toISOString();
    const path_ = ['NEW', 'ANALYZED', ...(j % 4 === 3 ? [] : ['OPTIMIZED']), ...ENDS[j % 4]!];
    let from: string | null = null;
    const lines = path_.map((to, k) => {
      const metadata = from === null ? { source_name: `${id}.svg`, source_size: 1000, source_sha256: '0'.repeat(64) } : {};
      const line = JSON.stringify({ type: 'state_change', from_state: from, to_state: to, reason: `generated ${to}`, metadata, timestamp: at(k), seq: k + 1 });
      from = to;
      return line;
    });
    fs.writeFileSync(path.join(dir, 'journal.jsonl'), `${lines.join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'job.json'), JSON.stringify({ format: 1, id, source_name: `${id}.svg`, source_size: 1000, created_at: at(0) }));
    ids.push(id);
  }
  return ids;
}
