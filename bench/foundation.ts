/**
 * Foundation benchmarks: journal append cost with fdatasync, and start-up classification of a
 * large workspace next to merely reading the same bytes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appendEntry } from '../src-main/jobs/journal';
import { reconcile } from '../src-main/jobs/reconcile';
import { Store } from '../src-main/jobs/store';
import { JOB_STATES } from '../src-main/jobs/states';
import { median, timeMs, type BenchRow, type BenchSuite } from './report';

export const JOBS = Number(process.env.BENCH_JOBS ?? 10_000);
const LINES = 50;
const APPENDS = Number(process.env.BENCH_APPENDS ?? 2_000);

function appendBench(dir: string): BenchRow[] {
  const jobDir = path.join(dir, 'append-job');
  fs.mkdirSync(jobDir);
  const journal = path.join(jobDir, 'journal.jsonl');
  appendEntry(journal, {
    type: 'state_change',
    from_state: null,
    to_state: 'NEW',
    reason: 'bench',
    metadata: {},
  });
  const cpu0 = process.cpuUsage();
  const wall = timeMs(() => {
    for (let i = 0; i < APPENDS; i++) {
      appendEntry(journal, {
        type: 'progress',
        progress: {
          layer: 0,
          path: i,
          point: i * 7,
          steps: [i * 80, i * 40],
          pen_down_mm: i * 1.5,
        },
      });
    }
  });
  const cpu = process.cpuUsage(cpu0);
  const cpuMsPerAppend = (cpu.user + cpu.system) / 1000 / APPENDS;
  // A checkpoint every 100 ms is 10 appends per second: that many ms of CPU per 1000 ms.
  const coreShareAt10Hz = (cpuMsPerAppend * 10) / 1000;
  return [
    {
      name: 'journal appends/s (one write + fdatasync each)',
      value: Math.round(APPENDS / (wall / 1000)),
      unit: 'appends/s',
    },
    { name: 'journal append wall time', value: +(wall / APPENDS).toFixed(3), unit: 'ms' },
    { name: 'journal append CPU time', value: +cpuMsPerAppend.toFixed(3), unit: 'ms' },
    {
      name: 'CPU share of one core, checkpoint every 100 ms',
      value: +(coreShareAt10Hz * 100).toFixed(3),
      unit: '%',
      target: '< 1',
      ok: coreShareAt10Hz < 0.01,
    },
  ];
}

/** Writes JOBS job folders with LINES-line journals directly (no fsync: this is set-up, not the subject). */
export function makeWorkspace(jobsDir: string): number {
  let bytes = 0;
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  for (let j = 0; j < JOBS; j++) {
    const id = `job_${String(j).padStart(5, '0')}`;
    const dir = path.join(jobsDir, id);
    fs.mkdirSync(dir, { recursive: true });
    const lines: string[] = [];
    const pipeline = [
      'NEW',
      'ANALYZED',
      'OPTIMIZED',
      'READY',
      'QUEUED',
      'ARMED',
      'PLOTTING',
    ] as const;
    let from: string | null = null;
    for (const to of pipeline) {
      const metadata =
        from === null
          ? { source_name: `${id}.svg`, source_size: 1000, source_sha256: '0'.repeat(64) }
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
    while (lines.length < LINES - 1) {
      lines.push(
        JSON.stringify({
          type: 'progress',
          progress: { layer: 0, path: lines.length, point: 0 },
          timestamp: new Date(t0 + lines.length * 1000).toISOString(),
          seq: lines.length + 1,
        }),
      );
    }
    // Most jobs finished; every fourth was interrupted mid-plot, its tail all checkpoints.
    const final = JOB_STATES[8 + (j % 3)]!;
    lines.push(
      j % 4 === 0
        ? JSON.stringify({
            type: 'progress',
            progress: { layer: 0, path: LINES, point: 0 },
            timestamp: new Date(t0 + LINES * 1000).toISOString(),
            seq: LINES,
          })
        : JSON.stringify({
            type: 'state_change',
            from_state: 'PLOTTING',
            to_state: final,
            reason: 'bench end',
            metadata: {},
            timestamp: new Date(t0 + LINES * 1000).toISOString(),
            seq: LINES,
          }),
    );
    const text = `${lines.join('\n')}\n`;
    bytes += Buffer.byteLength(text);
    fs.writeFileSync(path.join(dir, 'journal.jsonl'), text);
    fs.writeFileSync(
      path.join(dir, 'job.json'),
      JSON.stringify({
        format: 1,
        id,
        source_name: `${id}.svg`,
        source_size: 1000,
        created_at: new Date(t0).toISOString(),
      }),
    );
  }
  return bytes;
}

/** The yardstick for start-up: reading every journal's bytes and nothing else (warm cache, median of 3). */
export function rawReadMs(jobsDir: string): number {
  const ids = fs.readdirSync(jobsDir);
  const rawRead = () => {
    for (const id of ids) fs.readFileSync(path.join(jobsDir, id, 'journal.jsonl'));
  };
  rawRead();
  return median([timeMs(rawRead), timeMs(rawRead), timeMs(rawRead)]);
}

/** Bytes at the end of a journal that hold its latest state and checkpoint lines. */
const TAIL_BYTES = 4096;

/**
 * The yardstick for a warm start-up: opening every journal and reading its tail, the least a
 * start-up that looked at the files themselves would do (warm cache, median of 3).
 */
export function tailReadMs(jobsDir: string): number {
  const ids = fs.readdirSync(jobsDir);
  const buf = Buffer.alloc(TAIL_BYTES);
  const tailRead = () => {
    for (const id of ids) {
      const fd = fs.openSync(path.join(jobsDir, id, 'journal.jsonl'), 'r');
      try {
        const size = fs.fstatSync(fd).size;
        fs.readSync(fd, buf, 0, Math.min(size, TAIL_BYTES), Math.max(0, size - TAIL_BYTES));
      } finally {
        fs.closeSync(fd);
      }
    }
  };
  tailRead();
  return median([timeMs(tailRead), timeMs(tailRead), timeMs(tailRead)]);
}

function workspaceBench(dir: string): BenchRow[] {
  const jobsDir = path.join(dir, 'jobs');
  const bytes = makeWorkspace(jobsDir);
  const raw = rawReadMs(jobsDir);
  const tail = tailReadMs(jobsDir);

  const dbFile = path.join(dir, 'vfab.db');
  const cold: number[] = [];
  for (let i = 0; i < 3; i++) {
    for (const f of fs.readdirSync(dir).filter((f) => f.startsWith('vfab.db')))
      fs.rmSync(path.join(dir, f));
    cold.push(
      timeMs(() => {
        const { store } = Store.open(dbFile);
        const report = reconcile({ store, jobsDir });
        if (report.indexed !== JOBS) throw new Error(`indexed ${report.indexed} of ${JOBS}`);
        store.close();
      }),
    );
  }
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) {
    warm.push(
      timeMs(() => {
        const { store } = Store.open(dbFile);
        const report = reconcile({ store, jobsDir });
        if (report.read !== 0) throw new Error(`warm start re-read ${report.read} journals`);
        store.close();
      }),
    );
  }
  const coldMs = median(cold);
  const warmMs = median(warm);
  return [
    {
      name: `workspace: ${JOBS} jobs x ${LINES} journal lines`,
      value: +(bytes / 2 ** 20).toFixed(1),
      unit: 'MiB',
    },
    { name: 'raw read of every journal', value: Math.round(raw), unit: 'ms' },
    { name: 'read of every journal tail (4 KiB)', value: Math.round(tail), unit: 'ms' },
    { name: 'classify every job, empty index (rebuild)', value: Math.round(coldMs), unit: 'ms' },
    {
      name: 'classify every job, index up to date (start-up)',
      value: Math.round(warmMs),
      unit: 'ms',
    },
    {
      name: 'rebuild / raw read',
      value: +(coldMs / raw).toFixed(2),
      unit: 'x',
      target: '<= 2',
      ok: coldMs / raw <= 2,
    },
    {
      name: 'start-up / tail read',
      value: +(warmMs / tail).toFixed(2),
      unit: 'x',
      target: '<= 2',
      ok: warmMs / tail <= 2,
    },
  ];
}

export const foundationSuite: BenchSuite = {
  name: 'foundation',
  run() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-bench-'));
    try {
      return [...appendBench(dir), ...workspaceBench(dir)];
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
