/**
 * Planning never blocks plotting: the built `vfab serve` plans a large drawing in a worker thread,
 * so its event loop keeps answering requests and feeding a plot on `vfab virtual-plotter` (its own
 * process, on a PTY) meanwhile.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openApiSocket, wsUrl, type ApiSocket } from './helpers/api-socket';
import { jobProgram, judgePaper, startPlotterProcess } from './helpers/crash-rig';
import { writeStrokes } from './helpers/dense-svg';
import { usePlotterSandbox } from './helpers/plotter-sandbox';
import { startServe, type ServeProcess } from './helpers/serve-process';

const rig = usePlotterSandbox();
let serve: ServeProcess | undefined;
let socket: ApiSocket | undefined;
afterEach(async () => {
  await socket?.close();
  await serve?.kill();
  socket = serve = undefined;
});

/** Enough strokes that planning takes seconds: long past a request's round trip, and past the EBB's reply timeout (1 s). */
const STROKES = 150_000;

async function serveWithBigDrawing(): Promise<{ s: ApiSocket; big: string }> {
  fs.mkdirSync(path.dirname(rig.sb.configFile), { recursive: true });
  fs.writeFileSync(rig.sb.configFile, 'camera:\n  enabled: false\n');
  const big = path.join(rig.sb.root, 'strokes.svg');
  writeStrokes(big, STROKES);
  serve = await startServe(rig.sb);
  socket = await openApiSocket(wsUrl(serve.origin, serve.token), serve.origin);
  return { s: socket, big };
}

describe('vfab serve while a large drawing is planned', () => {
  it('answers a request sent after jobs.add before jobs.add itself', async () => {
    const { s, big } = await serveWithBigDrawing();
    const order: string[] = [];
    const added = s
      .request('jobs.add', { source: { path: big }, id: 'strokes', fit: 'scale' })
      .then((r) => (order.push('jobs.add'), r));
    const listed = s.request('jobs.list').then((r) => (order.push('jobs.list'), r));
    const [add, list] = await Promise.all([added, listed]);
    expect(order).toEqual(['jobs.list', 'jobs.add']);
    // Answered while the drawing was still being copied in or planned; it ends READY.
    expect(
      (list.result as { jobs: { state: string }[] }).jobs.filter((j) => j.state === 'READY'),
    ).toEqual([]);
    expect(add.result).toMatchObject({
      job: { id: 'strokes' },
      plan: { state: 'READY', error: null, summary: { pathCount: expect.any(Number) } },
    });
  }, 120_000);

  it('a plot running meanwhile completes, its paper equal to its plan', async () => {
    const { s, big } = await serveWithBigDrawing();
    rig.plotter = await startPlotterProcess(rig.sb, 2);
    const zigzag = path.join(rig.sb.root, 'zigzag.svg');
    const lines = Array.from(
      { length: 12 },
      (_, i) => `<line x1="10" y1="${10 + i * 6}" x2="180" y2="${11 + i * 6}"/>`,
    ).join('');
    fs.writeFileSync(
      zigzag,
      `<svg xmlns="http://www.w3.org/2000/svg" width="200mm" height="100mm" viewBox="0 0 200 100" fill="none" stroke="black">${lines}</svg>`,
    );
    await s.call('jobs.add', { source: { path: zigzag }, id: 'zz', optimization: 'fast' });
    await s.call('plot.start', { id: 'zz', device: rig.plotter.port, speed: 2 });
    await s.waitForEvent(
      (e) => e.event === 'plot.progress' && e.payload.id === 'zz' && (e.payload.move as number) > 5,
      30_000,
      'the plot under way',
    );

    // Planned while the plot runs; whichever ends first, both end well.
    const added = s.call('jobs.add', { source: { path: big }, id: 'strokes', fit: 'scale' });

    const stopped = (e: { event: string; payload: Record<string, unknown> }) =>
      e.event === 'plot.event' &&
      e.payload.id === 'zz' &&
      (e.payload.event === 'interrupt' || e.payload.event === 'fail');
    const end = await s.waitForEvent(
      (e) =>
        (e.event === 'job.changed' && e.payload.id === 'zz' && e.payload.state === 'COMPLETED') ||
        stopped(e),
      120_000,
      'the plot ending',
    );
    expect(end).toEqual({ event: 'job.changed', payload: { id: 'zz', state: 'COMPLETED' } });
    expect((await added).plan.state).toBe('READY');
    const paper = judgePaper(jobProgram(rig.sb, 'zz'), rig.plotter.paper);
    expect(paper.planned).toBeGreaterThan(0);
    expect(paper).toMatchObject({ missing: 0, reinkedMm: 0 });
  }, 180_000);
});
