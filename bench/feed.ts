/**
 * The plot feed while a large drawing is planned: `vfab serve` plots a dense drawing on
 * `vfab virtual-plotter` (its own process, on a PTY) at speed 1, and a drawing of a million strokes
 * is added through the API meanwhile. The simulator reports starvation (the board idle between
 * queued moves, in plotter time); the same plot for as long without the planning is the baseline.
 * Also: how long a cheap request (jobs.list) waits while the big drawing is planned.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MachineStats } from '../src-main/plotter/virtual/machine';
import { readPaper } from '../src-main/plotter/virtual/paper';
import { openApiSocket, wsUrl, type ApiSocket } from '../test/helpers/api-socket';
import { FIXTURES, sandbox, type Sandbox } from '../test/helpers/cli';
import { startPlotterProcess } from '../test/helpers/crash-rig';
import { writeStrokes } from '../test/helpers/dense-svg';
import { startServe } from '../test/helpers/serve-process';
import type { BenchRow, BenchSuite } from './report';
import { holdFor } from '../test/helpers/wait';

const STROKES = Number(process.env.BENCH_FEED_STROKES ?? 1_000_000);
/** What the runner keeps in flight beyond the FIFO (runner.ts WINDOW_MS): a gap past it is starvation. */
const NORMAL_WINDOW_MS = 50;
/** The dense drawing plotted meanwhile: glyph outlines, moves of a few ms each. */
const PLOTTED = path.join(FIXTURES, 'lorem_ipsum_outline.svg');

interface FeedRun {
  stats: MachineStats;
  /** The longest stretch without ink while `during` ran (wall ms, speed 1), its ends included. */
  inkGapMs: number;
  windowMs: number;
  /** Why the plot stopped before it was paused, when it did. */
  stopped?: string;
}

/** The longest time in [from, to] with no pen-down segment under way. */
function longestInkGap(paperFile: string, from: number, to: number): number {
  let last = from;
  let gap = 0;
  for (const seg of readPaper(paperFile)) {
    const start = Date.parse(seg.startedAt);
    const end = Date.parse(seg.endedAt);
    if (end < from || start > to) continue;
    gap = Math.max(gap, start - last);
    last = Math.max(last, end);
  }
  return Math.max(gap, to - last);
}

/**
 * Plots `id` on a fresh virtual plotter at speed 1; `during` runs once the plot is under way and
 * says how long the measured window lasts after it; then the plot is paused and the simulator's
 * stats read.
 */
async function plotWhile(
  sb: Sandbox,
  s: ApiSocket,
  id: string,
  during: () => Promise<number>,
): Promise<FeedRun> {
  const plotter = await startPlotterProcess(sb, 1, `plotter-${id}`);
  try {
    await s.call('plot.start', { id, device: plotter.port, speed: 1 });
    await s.waitForEvent(
      (e) => e.event === 'plot.progress' && e.payload.id === id && (e.payload.move as number) > 50,
      60_000,
      `${id} under way`,
    );
    const from = Date.now();
    await holdFor(await during(), 'the measured stretch of plotting');
    const to = Date.now();
    const paused = await s.request('plot.pause', { id });
    const last = (
      (await s.call('jobs.get', { id })).journal.history as { type: string; reason?: string }[]
    ).at(-1);
    return {
      stats: await plotter.ctl<MachineStats>('stats'),
      inkGapMs: longestInkGap(plotter.paper, from, to),
      windowMs: to - from,
      ...(paused.error && { stopped: `${last?.type}: ${last?.reason}` }),
    };
  } finally {
    await plotter.stop();
  }
}

export const feedSuite: BenchSuite = {
  name: 'feed',
  async run(): Promise<BenchRow[]> {
    const sb = sandbox();
    fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
    fs.writeFileSync(sb.configFile, 'camera:\n  enabled: false\n');
    const big = path.join(sb.root, 'strokes.svg');
    const bytes = writeStrokes(big, STROKES);
    const serve = await startServe(sb);
    try {
      const s = await openApiSocket(wsUrl(serve.origin, serve.token), serve.origin);
      try {
        for (const id of ['beside', 'alone'])
          await s.call('jobs.add', {
            source: { path: PLOTTED },
            id,
            optimization: 'fast',
            fit: 'scale',
          });

        let planS = 0;
        let listMs = 0;
        let bigState = '';
        const beside = await plotWhile(sb, s, 'beside', async () => {
          const t = performance.now();
          const added = s.call('jobs.add', { source: { path: big }, id: 'strokes', fit: 'scale' });
          // A cheap request sent while the big one is planned: answered at once, or after it.
          await holdFor(500, 'the cheap request goes out while the big plan runs');
          const l = performance.now();
          await s.call('jobs.list');
          listMs = performance.now() - l;
          bigState = (await added).plan?.state ?? 'no plan';
          planS = (performance.now() - t) / 1000;
          return 1000;
        });
        const alone = await plotWhile(sb, s, 'alone', async () => beside.windowMs);
        const inkTarget = alone.inkGapMs + NORMAL_WINDOW_MS;
        const gapTarget = Math.max(NORMAL_WINDOW_MS, alone.stats.gaps.maxMs);
        const ms = (v: number) => +v.toFixed(1);
        return [
          {
            name: `drawing planned in serve: ${STROKES} strokes, ${(bytes / 2 ** 20).toFixed(1)} MiB, default preset`,
            value: +planS.toFixed(1),
            unit: 's',
          },
          {
            name: `it ended ${bigState}`,
            value: bigState === 'READY' ? 1 : 0,
            unit: '(1 = READY)',
            target: '1',
            ok: bigState === 'READY',
          },
          {
            name: 'jobs.list sent 0.5 s into the planning: reply after',
            value: Math.round(listMs),
            unit: 'ms',
          },
          {
            name: `plot alone, ${(alone.windowMs / 1000).toFixed(0)} s: longest stretch without ink`,
            value: Math.round(alone.inkGapMs),
            unit: 'ms',
          },
          {
            name: 'plot alone: starvation gaps (simulator)',
            value: alone.stats.gaps.count,
            unit: 'gaps',
          },
          {
            name: 'plot alone: longest starvation gap (plotter time)',
            value: ms(alone.stats.gaps.maxMs),
            unit: 'ms',
          },
          {
            name: `plot beside the planning, ${(beside.windowMs / 1000).toFixed(0)} s: stopped by itself${beside.stopped ? ` (${beside.stopped})` : ''}`,
            value: beside.stopped ? 1 : 0,
            unit: '(1 = stopped)',
            target: '0',
            ok: !beside.stopped,
          },
          {
            name: 'plot beside the planning: longest stretch without ink',
            value: Math.round(beside.inkGapMs),
            unit: 'ms',
            target: `<= ${Math.round(inkTarget)}`,
            ok: beside.inkGapMs <= inkTarget,
          },
          {
            name: 'plot beside the planning: starvation gaps (simulator)',
            value: beside.stats.gaps.count,
            unit: 'gaps',
          },
          {
            name: 'plot beside the planning: longest starvation gap (plotter time)',
            value: ms(beside.stats.gaps.maxMs),
            unit: 'ms',
            target: `<= ${ms(gapTarget)}`,
            ok: beside.stats.gaps.maxMs <= gapTarget,
          },
        ];
      } finally {
        await s.close();
      }
    } finally {
      await serve.kill();
      sb.cleanup();
    }
  },
};
