/**
 * The queue runner at work: 50 small jobs on 4 `vfab virtual-plotter` processes at speed 20,
 * unattended (page delay 0), the runner in this process (so its CPU time is this process's).
 *  - runner CPU per plotter: this process's CPU time over the plotters' busy time (sum over plotters);
 *  - from a job's end (the next paper confirmed) to the next first stroke on that plotter (paper file);
 *  - plotters idle while matching work was queued (from the runner's state events).
 */
import { openEngine } from '../src-main/engine';
import { readPaper } from '../src-main/plotter/virtual/paper';
import type { RunnerEvent } from '../src-main/queue/events';
import { createQueueRunner } from '../src-main/queue/runner';
import { sandbox } from '../test/helpers/cli';
import { startPlotterProcess, type PlotterProcess } from '../test/helpers/crash-rig';
import { addSmallJobs, gridPlace, writeQueueConfig } from '../test/helpers/queue-rig';
import { median, type BenchRow, type BenchSuite } from './report';

const JOBS = Number(process.env.BENCH_QUEUE_JOBS ?? 50);
const PLOTTERS = 4;
const SPEED = 20;
/** A plotter idle this long while a job it could take waits counts as idle (state changes take a tick). */
const IDLE_MS = 50;

export const queueSuite: BenchSuite = {
  name: 'queue',
  async run(): Promise<BenchRow[]> {
    const sb = sandbox();
    const plotters: PlotterProcess[] = [];
    try {
      for (let i = 1; i <= PLOTTERS; i++)
        plotters.push(await startPlotterProcess(sb, SPEED, `p${i}`));
      writeQueueConfig(
        sb,
        plotters.map((p, i) => ({ name: `p${i + 1}`, port: p.port, speed: SPEED })),
      );
      const ids = Array.from({ length: JOBS }, (_, i) => `q${i}`);
      await addSmallJobs(
        sb,
        Object.fromEntries(ids.map((id, i) => [id, { ...gridPlace(i), strokes: 12 }])),
      );
      const engine = openEngine({ env: sb.env });
      try {
        for (const id of ids)
          engine.jobs.transition(id, 'QUEUED', 'queued for plotting', { target: 'any' });
        const events: { at: number; e: RunnerEvent }[] = [];
        const runner = createQueueRunner(engine, { unattended: true, pageDelayS: 0 });
        runner.subscribe((e) => events.push({ at: Date.parse(e.at), e }));
        const cpu0 = process.cpuUsage();
        const t0 = Date.now();
        const summary = await runner.run();
        const wallS = (Date.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        const cpuS = (cpu.user + cpu.system) / 1e6;

        // Busy time and idle-with-work time per plotter, from its state changes.
        let busyS = 0;
        const idleStretches: number[] = [];
        const queuedAt = (t: number) =>
          JOBS - events.filter((x) => x.at <= t && x.e.type === 'job.started').length;
        for (let i = 1; i <= PLOTTERS; i++) {
          const states = events.filter(
            (x) => x.e.type === 'plotter.state' && x.e.plotter === `p${i}`,
          );
          states.forEach((x, k) => {
            const end = states[k + 1]?.at ?? t0 + wallS * 1000;
            const s = x.e.type === 'plotter.state' ? x.e.state.kind : undefined;
            if (s === 'plotting') busyS += (end - x.at) / 1000;
            if (s === 'idle' && queuedAt(x.at) > 0 && end - x.at > IDLE_MS)
              idleStretches.push(end - x.at);
          });
        }

        // Paper confirmed → first ink of the next job on that plotter.
        const gaps: number[] = [];
        plotters.forEach((p, i) => {
          const ink = readPaper(p.paper).map((l) => Date.parse(l.startedAt));
          const confirmed = events
            .filter((x) => x.e.type === 'paper.changed' && x.e.plotter === `p${i + 1}`)
            .map((x) => x.at);
          for (const c of confirmed) {
            const first = ink.find((t) => t >= c);
            if (first !== undefined) gaps.push(first - c);
          }
        });
        const ms = (v: number) => Math.round(v);
        return [
          {
            name: `${JOBS} jobs on ${PLOTTERS} virtual plotters at speed ${SPEED}: completed`,
            value: summary.completed.length,
            unit: 'jobs',
            target: `${JOBS}`,
            ok: summary.completed.length === JOBS,
          },
          { name: 'wall time of the run', value: +wallS.toFixed(1), unit: 's' },
          { name: 'plotters busy (sum over plotters)', value: +busyS.toFixed(1), unit: 's' },
          {
            name: 'runner CPU per busy plotter (process CPU / plotter-busy time)',
            value: +((cpuS / busyS) * 100).toFixed(1),
            unit: '% of a core',
          },
          {
            name: 'paper confirmed → next first stroke, median',
            value: ms(median(gaps)),
            unit: 'ms',
          },
          {
            name: 'paper confirmed → next first stroke, worst',
            value: ms(Math.max(...gaps)),
            unit: 'ms',
            target: '<= 1000',
            ok: Math.max(...gaps) <= 1000,
          },
          {
            name: `plotters idle > ${IDLE_MS} ms while matching work was queued`,
            value: idleStretches.length,
            unit: 'times',
            target: '0',
            ok: idleStretches.length === 0,
          },
        ];
      } finally {
        engine.close();
      }
    } finally {
      await Promise.all(plotters.map((p) => p.stop()));
      sb.cleanup();
    }
  },
};
