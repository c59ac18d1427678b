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
import { runVirtualPlotter } from '../src-main/plotter/virtual/main';
import { readSvg } from '../src-main/svg/read';
import type { BenchRow, BenchSuite } from './report';

const PATHS = Number(process.env.BENCH_PLOT_PATHS ?? 60);
/**
 * Real time by default: faster, the simulator's own scheduling shows up as starvation (a line it
 * reads late looks like a line sent late), which a real board does not have.
 */
const SPEED = Number(process.env.BENCH_PLOT_SPEED ?? 1);
const FIXTURE = path.join(__dirname, '..', 'test', 'fixtures', 'lorem_ipsum_outline.svg');

/** The first PATHS glyph outlines as a small SVG in mm: the densest part of the densest fixture. */
function denseExcerpt(file: string): void {
  const drawing = readSvg(fs.readFileSync(FIXTURE), { fileName: 'lorem_ipsum_outline.svg' });
  const paths = drawing.layers.flatMap((l) => l.paths).slice(0, PATHS);
  const d = paths.map((p) => `M${Array.from(p, (v) => v.toFixed(3)).join(' ')}`).join(' ');
  fs.writeFileSync(file, `<svg xmlns="http://www.w3.org/2000/svg" width="${drawing.widthMm}mm" height="${drawing.heightMm}mm" viewBox="0 0 ${drawing.widthMm} ${drawing.heightMm}"><path d="${d}" stroke="black" fill="none"/></svg>`);
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
    const plotter = await runVirtualPlotter({ speed: SPEED });
    try {
      const conn = await openEbb(plotter.portPath);
      const started = performance.now();
      const result = await runPlot({ jobs, logger, jobsDir: jobs.jobsDir }, 'bench', {
        ebb: conn.ebb,
        capabilities: conn.capabilities,
        profile: motionProfile(config.device),
        device: config.device,
        speedFactor: SPEED,
      });
      const wallS = (performance.now() - started) / 1000;
      await conn.close();
      const stats = (await plotter.control('stats')) as MachineStats;
      const measuredS = stats.busyMs / 1000;
      const estimateS = plan.summary.estimateS;
      const error = Math.abs(measuredS - estimateS) / measuredS;
      return [
        { name: `lorem_ipsum excerpt: ${plan.summary.pathCount} paths, ${plan.summary.pointCount} points, speed ×${SPEED}`, value: +wallS.toFixed(1), unit: 's wall' },
        { name: `plot ended ${result.state}`, value: result.state === 'COMPLETED' ? 1 : 0, unit: '(1 = completed)', target: '1', ok: result.state === 'COMPLETED' },
        { name: 'starvation gaps (board idle between queued moves)', value: stats.gaps.count, unit: 'gaps', target: '0', ok: stats.gaps.count === 0 },
        { name: 'starvation: longest gap (plotter time)', value: +stats.gaps.maxMs.toFixed(2), unit: 'ms' },
        { name: 'plotter busy time (measured by the virtual plotter)', value: +measuredS.toFixed(2), unit: 's' },
        { name: 'estimate (plan.json)', value: +estimateS.toFixed(2), unit: 's' },
        { name: 'estimate error vs measured', value: +(error * 100).toFixed(2), unit: '%', target: '<= 1', ok: error <= 0.01 },
      ];
    } finally {
      await plotter.stop();
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
