/**
 * Plotting benchmark on the virtual plotter: a dense stretch of lorem_ipsum_outline plotted
 * through the real driver and serialport. Reports starvation gaps (the board idle while the host
 * still had moves) and the estimate against the duration the plotter measured.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig } from '../src-main/config/config';
import { JobService } from '../src-main/jobs/lifecycle';
import { planSettings, prepareJob } from '../src-main/jobs/prepare';
import { Store } from '../src-main/jobs/store';
import { jobFiles } from '../src-main/jobs/workspace';
import { createLogger } from '../src-main/log';
import { motionProfile } from '../src-main/plan/motion';
import { readPlan } from '../src-main/plan/plan-file';
import { openEbb } from '../src-main/plotter/devices';
import { runPlot } from '../src-main/plotter/runner';
import type { MachineStats } from '../src-main/plotter/virtual/machine';
import { readSvg } from '../src-main/svg/read';
import { sandbox } from '../test/helpers/cli';
import { startPlotterProcess } from '../test/helpers/crash-rig';
import type { BenchRow, BenchSuite } from './report';

const PATHS = Number(process.env.BENCH_PLOT_PATHS ?? 60);
/**
 * Real time and 4× (the targets): faster, the simulator's own scheduling shows up as
 * starvation too (a line it reads late looks like a line sent late), which a real board does not have.
 */
const SPEEDS = (process.env.BENCH_PLOT_SPEEDS ?? '1,4').split(',').map(Number);
/** Runs per speed: starvation is rare, so one clean run proves little. */
const RUNS = Number(process.env.BENCH_PLOT_RUNS ?? 3);
const FIXTURE = path.join(__dirname, '..', 'test', 'fixtures', 'lorem_ipsum_outline.svg');

/** The first PATHS glyph outlines as a small SVG in mm: the densest part of the densest fixture. */
function denseExcerpt(file: string): void {
  const drawing = readSvg(fs.readFileSync(FIXTURE), { fileName: 'lorem_ipsum_outline.svg' });
  const paths = drawing.layers.flatMap((l) => l.paths).slice(0, PATHS);
  const d = paths.map((p) => `M${Array.from(p, (v) => v.toFixed(3)).join(' ')}`).join(' ');
  fs.writeFileSync(
    file,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${drawing.widthMm}mm" height="${drawing.heightMm}mm" viewBox="0 0 ${drawing.widthMm} ${drawing.heightMm}"><path d="${d}" stroke="black" fill="none"/></svg>`,
  );
}

/** One plot of the excerpt at `speed`, in a fresh data folder. */
async function plotOnce(speed: number): Promise<{
  wallS: number;
  state: string;
  stats: MachineStats;
  estimateS: number;
  paths: number;
  points: number;
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-bench-plot-'));
  const config = defaultConfig();
  const { store } = Store.open(path.join(dir, 'vfab.db'));
  const logger = createLogger({ file: path.join(dir, 'vfab.log') });
  const jobs = new JobService(store, path.join(dir, 'jobs'), logger);
  const svg = path.join(dir, 'excerpt.svg');
  denseExcerpt(svg);
  await jobs.add({ id: 'bench', file: svg });
  await prepareJob({ jobs, store, logger }, 'bench', {
    settings: planSettings(config, { fit: 'center' }),
    device: config.device,
  });
  const plan = readPlan(jobFiles(jobs.jobsDir, 'bench').plan);
  // Its own process, as users run it: in this one, the simulator's timers would wait on the planner and driver.
  const sb = sandbox();
  const plotter = await startPlotterProcess(sb, speed);
  try {
    const conn = await openEbb(plotter.port);
    const started = performance.now();
    const result = await runPlot({ jobs, logger, jobsDir: jobs.jobsDir }, 'bench', {
      ebb: conn.ebb,
      capabilities: conn.capabilities,
      profile: motionProfile(config.device),
      device: config.device,
      speedFactor: speed,
    });
    const wallS = (performance.now() - started) / 1000;
    await conn.close();
    const stats = await plotter.ctl<MachineStats>('stats');
    return {
      wallS,
      state: result.state,
      stats,
      estimateS: plan.summary.estimateS,
      paths: plan.summary.pathCount,
      points: plan.summary.pointCount,
    };
  } finally {
    await plotter.stop();
    sb.cleanup();
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const plotSuite: BenchSuite = {
  name: 'plot',
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    for (const speed of SPEEDS) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await plotOnce(speed));
      const first = runs[0]!;
      const gaps = runs.map((r) => r.stats.gaps.count);
      const errors = runs.map(
        (r) => Math.abs(r.stats.busyMs / 1000 - r.estimateS) / (r.stats.busyMs / 1000),
      );
      const worst = Math.max(...errors);
      rows.push(
        {
          name: `lorem_ipsum excerpt: ${first.paths} paths, ${first.points} points, speed ×${speed}, ${RUNS} runs`,
          value: +first.wallS.toFixed(1),
          unit: 's wall (first run)',
        },
        {
          name: `speed ×${speed}: plots ended COMPLETED`,
          value: runs.filter((r) => r.state === 'COMPLETED').length,
          unit: `of ${RUNS}`,
          target: `${RUNS}`,
          ok: runs.every((r) => r.state === 'COMPLETED'),
        },
        {
          name: `speed ×${speed}: starvation gaps per run (board idle between queued moves)`,
          value: Math.max(...gaps),
          unit: `gaps (runs: ${gaps.join(', ')})`,
          target: '0',
          ok: gaps.every((g) => g === 0),
        },
        {
          name: `speed ×${speed}: starvation, longest gap (plotter time)`,
          value: +Math.max(...runs.map((r) => r.stats.gaps.maxMs)).toFixed(2),
          unit: 'ms',
        },
        {
          name: `speed ×${speed}: plotter busy time (virtual plotter) / estimate`,
          value: +(first.stats.busyMs / 1000).toFixed(2),
          unit: `s / ${first.estimateS.toFixed(2)} s`,
        },
        {
          name: `speed ×${speed}: estimate error vs measured, worst run`,
          value: +(worst * 100).toFixed(2),
          unit: '%',
          target: '<= 1',
          ok: worst <= 0.01,
        },
      );
    }
    return rows;
  },
};
