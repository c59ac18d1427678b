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
import { createLogger, type Logger } from '../src-main/log';
import { motionProfile } from '../src-main/plan/motion';
import { readPlan } from '../src-main/plan/plan-file';
import { openEbb } from '../src-main/plotter/devices';
import { runPlot } from '../src-main/plotter/runner';
import type { MachineStats } from '../src-main/plotter/virtual/machine';
import { runVirtualPlotter } from '../src-main/plotter/virtual/main';
import { readSvg } from '../src-main/svg/read';
import type { BenchRow, BenchSuite } from './report';

const PATHS = Number(process.env.BENCH_PLOT_PATHS ?? 60);
/** The target: no starvation at real time and at 4× (the simulator's time scale), three runs each. */
const SPEEDS = [1, 4];
const RUNS = Number(process.env.BENCH_PLOT_RUNS ?? 3);
const FIXTURE = path.join(__dirname, '..', 'test', 'fixtures', 'lorem_ipsum_outline.svg');

/** The first PATHS glyph outlines as a small SVG in mm: the densest part of the densest fixture. */
function denseExcerpt(file: string): void {
  const drawing = readSvg(fs.readFileSync(FIXTURE), { fileName: 'lorem_ipsum_outline.svg' });
  const paths = drawing.layers.flatMap((l) => l.paths).slice(0, PATHS);
  const d = paths.map((p) => `M${Array.from(p, (v) => v.toFixed(3)).join(' ')}`).join(' ');
  fs.writeFileSync(file, `<svg xmlns="http://www.w3.org/2000/svg" width="${drawing.widthMm}mm" height="${drawing.heightMm}mm" viewBox="0 0 ${drawing.widthMm} ${drawing.heightMm}"><path d="${d}" stroke="black" fill="none"/></svg>`);
}

interface PlotRun {
  state: string;
  wallS: number;
  stats: MachineStats;
}

/** One plot of the job on a fresh virtual plotter at `speed`; the job is restarted for the next. */
async function plotOnce(jobs: JobService, logger: Logger, speed: number): Promise<PlotRun> {
  const config = defaultConfig();
  const plotter = await runVirtualPlotter({ speed });
  try {
    const conn = await openEbb(plotter.portPath);
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
    const stats = (await plotter.control('stats')) as MachineStats;
    if (result.state === 'COMPLETED') jobs.transition('bench', 'QUEUED', 'plot the finished job again', {}, 'restart');
    return { state: result.state, wallS, stats };
  } finally {
    await plotter.stop();
  }
}

export const plotSuite: BenchSuite = {
  name: 'plot',
  async run(): Promise<BenchRow[]> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-bench-plot-'));
    const config = defaultConfig();
    const { store } = Store.open(path.join(dir, 'vfab.db'));
    const logger = createLogger({ file: path.join(dir, 'vfab.log') });
    const jobs = new JobService(store, path.join(dir, 'jobs'), logger);
    const svg = path.join(dir, 'excerpt.svg');
    denseExcerpt(svg);
    await jobs.add({ id: 'bench', file: svg });
    await prepareJob({ jobs, store, logger }, 'bench', { settings: planSettings(config, { fit: 'center' }), device: config.device });
    const plan = readPlan(jobFiles(jobs.jobsDir, 'bench').plan);
    try {
      const rows: BenchRow[] = [];
      const estimateS = plan.summary.estimateS;
      let worstError = 0;
      let measuredS = 0;
      for (const speed of SPEEDS) {
        const runs: PlotRun[] = [];
        for (let i = 0; i < RUNS; i++) runs.push(await plotOnce(jobs, logger, speed));
        const completed = runs.filter((r) => r.state === 'COMPLETED').length;
        const gaps = runs.reduce((a, r) => a + r.stats.gaps.count, 0);
        const longest = Math.max(...runs.map((r) => r.stats.gaps.maxMs));
        for (const r of runs) {
          const error = Math.abs(r.stats.busyMs / 1000 - estimateS) / (r.stats.busyMs / 1000);
          if (error >= worstError) [worstError, measuredS] = [error, r.stats.busyMs / 1000];
        }
        const wall = runs.map((r) => r.wallS.toFixed(1)).join(' / ');
        rows.push(
          { name: `speed ×${speed}, ${RUNS} runs: wall ${wall} s; plots COMPLETED`, value: completed, unit: `of ${RUNS}`, target: String(RUNS), ok: completed === RUNS },
          { name: `speed ×${speed}: starvation gaps in all ${RUNS} runs (board idle between queued moves)`, value: gaps, unit: 'gaps', target: '0', ok: gaps === 0 },
          { name: `speed ×${speed}: longest starvation gap (plotter time)`, value: +longest.toFixed(2), unit: 'ms' },
        );
      }
      return [
        { name: `lorem_ipsum excerpt: ${plan.summary.pathCount} paths, ${plan.summary.pointCount} points`, value: +estimateS.toFixed(2), unit: 's estimated (plan.json)' },
        ...rows,
        { name: 'plotter busy time (virtual plotter), the run farthest from the estimate', value: +measuredS.toFixed(2), unit: 's' },
        { name: 'estimate error vs measured busy time, worst run', value: +(worstError * 100).toFixed(2), unit: '%', target: '<= 1', ok: worstError <= 0.01 },
      ];
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
