/**
 * Archive benchmarks: `vfab system export` and `import` of a workspace of 1,000 jobs, and peak
 * memory (max RSS of a child process doing nothing else) for 100 against 1,000 jobs. Flat memory
 * across a 10× larger workspace is the proof that archives are streamed, not buffered.
 *
 *   npx tsx bench/archive.ts            (through bench/index.ts: npx tsx bench/index.ts archive)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportSystem } from '../src-main/backup/export';
import { importSystem } from '../src-main/backup/import';
import { findInstallation } from '../src-main/backup/installation';
import { openEngine } from '../src-main/engine';
import type { BenchRow, BenchSuite } from './report';

const SIZES = [100, Number(process.env.BENCH_ARCHIVE_JOBS ?? 1000)] as const;
const CHILD_ENV = 'VFAB_BENCH_ARCHIVE_CHILD';
/** A real drawing (~87 KB) as every job's source: 1,000 jobs are about 100 MB of workspace. */
const SOURCE = path.join(__dirname, '..', 'test', 'fixtures', 'HappyBirthday.svg');

interface ChildTask {
  op: 'export' | 'import';
  env: Record<string, string>;
  archive: string;
}

interface ChildResult {
  ms: number;
  maxRssKiB: number;
  /** Heap still in use after a full GC: what the operation kept, as opposed to garbage not yet collected. */
  retainedKiB: number;
}

export function envFor(root: string): { HOME: string; VFAB_DATA_DIR: string; VFAB_CONFIG: string } {
  return {
    HOME: root,
    VFAB_DATA_DIR: path.join(root, 'data'),
    VFAB_CONFIG: path.join(root, 'config.yaml'),
  };
}

/** Job folders written directly (set-up, not the subject), then indexed once so the database is real. */
export function makeInstallation(root: string, jobs: number): void {
  const env = envFor(root);
  fs.writeFileSync(env.VFAB_CONFIG, 'logging:\n  level: WARNING\n');
  const jobsDir = path.join(env.VFAB_DATA_DIR, 'workspace', 'jobs');
  const source = fs.readFileSync(SOURCE);
  const plan = JSON.stringify({
    format: 1,
    layers: Array.from({ length: 200 }, (_, i) => ({ i, d: 'M 0 0 L 10 10'.repeat(5) })),
  });
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  for (let j = 0; j < jobs; j++) {
    const id = `job-${String(j).padStart(5, '0')}`;
    const dir = path.join(jobsDir, id);
    fs.mkdirSync(dir, { recursive: true });
    const lines: string[] = [];
    let from: string | null = null;
    for (const to of ['NEW', 'ANALYZED', 'OPTIMIZED', 'READY', 'QUEUED', 'ARMED', 'PLOTTING']) {
      const metadata =
        from === null
          ? { source_name: `${id}.svg`, source_size: source.length, source_sha256: '0'.repeat(64) }
          : {};
      lines.push(
        JSON.stringify({
          type: 'state_change',
          from_state: from,
          to_state: to,
          reason: `bench ${to}`,
          metadata,
          timestamp: new Date(t0 + lines.length * 1000).toISOString(),
          seq: lines.length + 1,
        }),
      );
      from = to;
    }
    while (lines.length < 49)
      lines.push(
        JSON.stringify({
          type: 'progress',
          progress: { layer: 0, move: lines.length },
          timestamp: new Date(t0 + lines.length * 1000).toISOString(),
          seq: lines.length + 1,
        }),
      );
    lines.push(
      JSON.stringify({
        type: 'state_change',
        from_state: 'PLOTTING',
        to_state: 'COMPLETED',
        reason: 'bench',
        metadata: {},
        timestamp: new Date(t0 + 50_000).toISOString(),
        seq: 50,
      }),
    );
    fs.writeFileSync(path.join(dir, 'journal.jsonl'), `${lines.join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'src.svg'), source);
    fs.writeFileSync(path.join(dir, 'plan.json'), plan);
    fs.writeFileSync(
      path.join(dir, 'job.json'),
      JSON.stringify({
        format: 1,
        id,
        source_name: `${id}.svg`,
        source_size: source.length,
        created_at: new Date(t0).toISOString(),
      }),
    );
  }
  openEngine({ env: { ...process.env, ...env } }).close();
}

/** `v8Flags` lets a run pin V8's young generation, whose size otherwise follows the allocation rate. */
function runChild(task: ChildTask, v8Flags: string[] = []): ChildResult {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', ...v8Flags, '--import', 'tsx', __filename],
    {
      env: { ...process.env, [CHILD_ENV]: JSON.stringify(task) },
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  if (r.status !== 0) throw new Error(`bench child (${task.op}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildResult;
}

async function child(task: ChildTask): Promise<void> {
  const env = { ...process.env, ...task.env };
  const t = performance.now();
  if (task.op === 'export')
    await exportSystem({ paths: findInstallation(env).paths, output: task.archive });
  else await importSystem({ archive: task.archive, env });
  const ms = performance.now() - t;
  (globalThis as { gc?: () => void }).gc?.();
  const result: ChildResult = {
    ms,
    maxRssKiB: process.resourceUsage().maxRSS,
    retainedKiB: process.memoryUsage().heapUsed / 1024,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : fs.statSync(p).size;
  }
  return total;
}

export const archiveSuite: BenchSuite = {
  name: 'archive',
  run(): BenchRow[] {
    const rows: BenchRow[] = [];
    const rss: Record<string, number[]> = { export: [], import: [] };
    const retained: Record<string, number[]> = { export: [], import: [] };
    const pinned: Record<string, number[]> = { export: [], import: [] };
    const PIN = ['--max-semi-space-size=1'];
    const mib = (kib: number) => +(kib / 1024).toFixed(1);
    for (const jobs of SIZES) {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `vfab-bench-archive-${jobs}-`));
      try {
        const from = path.join(root, 'from');
        const to = path.join(root, 'to');
        fs.mkdirSync(from);
        fs.mkdirSync(to);
        makeInstallation(from, jobs);
        const workspace = dirBytes(path.join(from, 'data', 'workspace'));
        const archive = path.join(root, 'backup.tar.gz');
        const exp = runChild({ op: 'export', env: envFor(from), archive });
        const imp = runChild({ op: 'import', env: envFor(to), archive });
        rss.export!.push(exp.maxRssKiB);
        rss.import!.push(imp.maxRssKiB);
        retained.export!.push(exp.retainedKiB);
        retained.import!.push(imp.retainedKiB);
        // The same runs with the young generation pinned: peak RSS then shows only what is really held.
        pinned.export!.push(
          runChild({ op: 'export', env: envFor(from), archive: `${archive}.pinned` }, PIN)
            .maxRssKiB,
        );
        fs.rmSync(to, { recursive: true, force: true });
        fs.mkdirSync(to);
        pinned.import!.push(runChild({ op: 'import', env: envFor(to), archive }, PIN).maxRssKiB);
        rows.push(
          {
            name: `workspace of ${jobs} jobs`,
            value: +(workspace / 2 ** 20).toFixed(1),
            unit: 'MiB',
          },
          {
            name: `archive of ${jobs} jobs (.tar.gz)`,
            value: +(fs.statSync(archive).size / 2 ** 20).toFixed(1),
            unit: 'MiB',
          },
          {
            name: `export ${jobs} jobs`,
            value: +(exp.ms / 1000).toFixed(2),
            unit: 's',
            ...(jobs >= 1000 ? { target: '<= 30', ok: exp.ms <= 30_000 } : {}),
          },
          {
            name: `import ${jobs} jobs (verify, swap, re-index)`,
            value: +(imp.ms / 1000).toFixed(2),
            unit: 's',
            ...(jobs >= 1000 ? { target: '<= 60', ok: imp.ms <= 60_000 } : {}),
          },
          { name: `export peak RSS, ${jobs} jobs`, value: mib(exp.maxRssKiB), unit: 'MiB' },
          { name: `import peak RSS, ${jobs} jobs`, value: mib(imp.maxRssKiB), unit: 'MiB' },
          {
            name: `export heap retained after GC, ${jobs} jobs`,
            value: mib(exp.retainedKiB),
            unit: 'MiB',
          },
          {
            name: `import heap retained after GC, ${jobs} jobs`,
            value: mib(imp.retainedKiB),
            unit: 'MiB',
          },
        );
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    }
    // 10× the data (~90 MiB more, ~26 MiB more archive) may cost a few MiB of file lists and
    // manifest, never the data. Default peak RSS also moves with V8's young-generation sizing (it
    // grows with the allocation rate), so the flatness checks use a pinned young generation and
    // the heap retained after GC; the default-flags growth is shown for information.
    for (const op of ['export', 'import'] as const) {
      const growth = (v: number[]) => mib(v[1]! - v[0]!);
      rows.push({
        name: `${op} peak RSS growth, ${SIZES[0]} → ${SIZES[1]} jobs (default V8 flags)`,
        value: growth(rss[op]!),
        unit: 'MiB',
      });
      const g = growth(pinned[op]!);
      rows.push({
        name: `${op} peak RSS growth, ${SIZES[0]} → ${SIZES[1]} jobs (young generation pinned)`,
        value: g,
        unit: 'MiB',
        target: '< 16',
        ok: g < 16,
      });
      const k = growth(retained[op]!);
      rows.push({
        name: `${op} retained heap growth, ${SIZES[0]} → ${SIZES[1]} jobs`,
        value: k,
        unit: 'MiB',
        target: '< 8',
        ok: k < 8,
      });
    }
    return rows;
  },
};

if (process.env[CHILD_ENV]) {
  void child(JSON.parse(process.env[CHILD_ENV]) as ChildTask).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
} else if (require.main === module) {
  // Run on its own: print the rows.
  void Promise.resolve(archiveSuite.run()).then((rows) => console.table(rows));
}
