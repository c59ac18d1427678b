/**
 * Crash recovery benchmarks: classifying every job at start-up (10,000 jobs, a quarter of them
 * interrupted mid-plot) against a raw read of their journals; resume latency from the command
 * to the first stroke on the virtual plotter; and the soak version of the crash test (seeded
 * SIGKILLs, then resume until COMPLETED) with its tally of missing and re-inked millimetres.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig } from '../src-main/config/config';
import { reconcile } from '../src-main/jobs/reconcile';
import { Store } from '../src-main/jobs/store';
import { motionProfile } from '../src-main/plan/motion';
import { readPaper } from '../src-main/plotter/virtual/paper';
import { classifyJobs } from '../src-main/recovery/classify';
import { FIXTURES, sandbox } from '../test/helpers/cli';
import {
  crashTrial,
  jobProgram,
  judgePaper,
  reinkBound,
  spawnVfab,
  startPlotterProcess,
  waitForState,
} from '../test/helpers/crash-rig';
import { JOBS, makeWorkspace, rawReadMs } from './foundation';
import { median, timeMs, type BenchRow, type BenchSuite } from './report';
import { holdFor, waitFor } from '../test/helpers/wait';

const SOAK_TRIALS = Number(process.env.BENCH_SOAK_TRIALS ?? 100);
const SOAK_SPEED = 25;
const FIXTURE = path.join(FIXTURES, 'AxiDraw_First.svg');

function classifyBench(): BenchRow[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-bench-recovery-'));
  try {
    const jobsDir = path.join(dir, 'jobs');
    makeWorkspace(jobsDir);
    const raw = rawReadMs(jobsDir);
    const dbFile = path.join(dir, 'vfab.db');
    const built = Store.open(dbFile);
    reconcile({ store: built.store, jobsDir });
    built.store.close();
    let interrupted = 0;
    const startup = median(
      [0, 1, 2].map(() =>
        timeMs(() => {
          const { store } = Store.open(dbFile);
          reconcile({ store, jobsDir });
          interrupted = classifyJobs(store, { jobsDir, stuckAfterS: 120 }).filter(
            (c) => c.kind === 'interrupted',
          ).length;
          store.close();
        }),
      ),
    );
    return [
      {
        name: `start-up with classification: ${JOBS} jobs, ${interrupted} interrupted`,
        value: Math.round(startup),
        unit: 'ms',
      },
      { name: 'raw read of every journal', value: Math.round(raw), unit: 'ms' },
      {
        name: 'start-up classification / raw read',
        value: +(startup / raw).toFixed(2),
        unit: 'x',
        target: '<= 2',
        ok: startup / raw <= 2,
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Kills a real-speed plot after a few seconds, then times `vfab resume` until new ink appears. */
async function resumeLatencyBench(): Promise<BenchRow[]> {
  const sb = sandbox();
  const plotter = await startPlotterProcess(sb, 1);
  try {
    sb.run(['add', 'job', 'latency', FIXTURE, '--fit', 'scale']);
    const first = spawnVfab(sb, ['plot', 'latency', '--device', plotter.port]);
    await waitForState(sb, 'latency', 'PLOTTING');
    await holdFor(3000, 'the kill lands 3 s into the plot');
    first.child.kill('SIGKILL');
    await first.exited;
    // The board finishes what it had queued; resume starts from a quiet plotter.
    await holdFor(1500, 'the board finishes what it had queued');
    const at = (await plotter.ctl<{ mm: number[] }>('status')).mm;
    const inkBefore = readPaper(plotter.paper).length;
    const t0 = performance.now();
    const resumed = spawnVfab(sb, ['resume', 'latency', '--device', plotter.port]);
    const firstStrokeMs = await waitFor(
      'the first resumed stroke on paper',
      () => readPaper(plotter.paper).length > inkBefore && performance.now() - t0,
      { timeoutMs: 30_000 },
    ).catch(() => NaN);
    resumed.child.kill('SIGTERM');
    await resumed.exited;
    const cp = JSON.parse(
      fs
        .readFileSync(path.join(sb.jobsDir, 'latency', 'journal.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .filter((l) => l.includes('"Crash recovery"'))[0]!,
    ).metadata.checkpoint;
    const target = [(cp.steps[0] + cp.steps[1]) / 160, (cp.steps[0] - cp.steps[1]) / 160];
    // The runner travels back at half the pen-up speed, then lowers the pen.
    const profile = motionProfile(defaultConfig().device);
    const travelMs =
      (Math.hypot(target[0]! - at[0]!, target[1]! - at[1]!) / (profile.penUpSpeedMmS * 0.5)) *
        1000 +
      (profile.penRaiseS + profile.penLowerS) * 1000;
    const budget = 2000 + travelMs;
    return [
      {
        name: 'resume: command to first stroke (real-time virtual plotter)',
        value: Math.round(firstStrokeMs),
        unit: 'ms',
        target: `<= ${Math.round(budget)} (2 s + travel and pen)`,
        ok: firstStrokeMs <= budget,
      },
      {
        name: 'resume: of which travel back to the checkpoint and pen moves',
        value: Math.round(travelMs),
        unit: 'ms',
      },
    ];
  } finally {
    await plotter.stop();
    sb.cleanup();
  }
}

async function soakBench(): Promise<BenchRow[]> {
  const sb = sandbox();
  const plotter = await startPlotterProcess(sb, SOAK_SPEED);
  let completed = 0,
    interruptions = 0,
    missingMm = 0,
    reinkedMm = 0,
    overBound = 0;
  const t0 = performance.now();
  try {
    for (let trial = 0; trial < SOAK_TRIALS; trial++) {
      const id = `soak${trial}`;
      sb.run(['add', 'job', id, FIXTURE, '--fit', 'scale']);
      const program = jobProgram(sb, id);
      const before = fs.existsSync(plotter.paper) ? fs.statSync(plotter.paper).size : 0;
      const result = await crashTrial(sb, id, {
        seed: 5000 + trial,
        signal: 'SIGKILL',
        kills: 1 + (trial % 3),
        device: ['--device', plotter.port, '--speed', String(SOAK_SPEED)],
        minMs: 600,
        maxMs: 2800,
      });
      const trialPaper = path.join(sb.root, 'trial.jsonl');
      fs.writeFileSync(trialPaper, fs.readFileSync(plotter.paper).subarray(before));
      const verdict = judgePaper(program, trialPaper);
      if (result.completed) completed++;
      else
        console.error(
          `soak trial ${trial} (seed ${5000 + trial}) did not complete; last runs:\n${result.runs
            .slice(-3)
            .map((r) => `  exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`)
            .join('\n')}`,
        );
      if (verdict.missing)
        console.error(
          `soak trial ${trial} (seed ${5000 + trial}): ${verdict.missingMm.toFixed(1)} mm missing`,
        );
      interruptions += result.interruptions;
      missingMm += verdict.missingMm;
      reinkedMm += verdict.reinkedMm;
      if (verdict.reinkedMm > result.interruptions * reinkBound(program) + 0.01) overBound++;
    }
  } finally {
    await plotter.stop();
    sb.cleanup();
  }
  return [
    {
      name: `soak: SIGKILL crash trials (AxiDraw_First, plotter ×${SOAK_SPEED})`,
      value: SOAK_TRIALS,
      unit: 'trials',
    },
    { name: 'soak: kills', value: interruptions, unit: 'kills' },
    {
      name: 'soak: trials completed',
      value: completed,
      unit: 'trials',
      target: `${SOAK_TRIALS}`,
      ok: completed === SOAK_TRIALS,
    },
    {
      name: 'soak: ink missing from the paper',
      value: +missingMm.toFixed(2),
      unit: 'mm',
      target: '0',
      ok: missingMm === 0,
    },
    { name: 'soak: ink laid twice (all trials)', value: +reinkedMm.toFixed(1), unit: 'mm' },
    {
      name: 'soak: re-inked per kill',
      value: +(reinkedMm / Math.max(1, interruptions)).toFixed(1),
      unit: 'mm',
    },
    {
      name: 'soak: trials re-inking beyond the in-flight bound',
      value: overBound,
      unit: 'trials',
      target: '0',
      ok: overBound === 0,
    },
    { name: 'soak: wall time', value: Math.round((performance.now() - t0) / 1000), unit: 's' },
  ];
}

export const recoverySuite: BenchSuite = {
  name: 'recovery',
  async run(): Promise<BenchRow[]> {
    return [...classifyBench(), ...(await resumeLatencyBench()), ...(await soakBench())];
  },
};
