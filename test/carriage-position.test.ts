/**
 * A plot starts where the carriage really is (issue 19). Job A pauses at a pen change with the
 * carriage mid-sheet; then job B is started on that plotter, by the CLI and through `vfab serve`
 * (restarted in between): B is refused, naming A and the choices, or drawn exactly at its planned
 * coordinates, never offset. Judged on a standalone virtual plotter's paper (physical mm).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MotionProgram } from '../src-main/plan/planner';
import { openEbb } from '../src-main/plotter/devices';
import { waitIdle } from '../src-main/plotter/travel';
import { readPaper } from '../src-main/plotter/virtual/paper';
import type { ApiEvent, ApiSocket } from './helpers/api-socket';
import { addSmallJobs, jobStates, judgeQueue, writeQueueConfig } from './helpers/queue-rig';
import { useServeRig } from './helpers/serve-rig';
import { waitFor } from './helpers/wait';

const SPEED = 20;
/** A: two pens; its pen change leaves the carriage mid-sheet, about (200–230, 100–105) mm. B: near home. */
const JOBS = {
  a: { x: 200, y: 100, strokes: 4, width: 30, secondPenDy: 20 },
  b: { x: 20, y: 20, strokes: 4, width: 30 },
};

const t = useServeRig();

type Status = { mm: [number, number]; motors: [number, number]; steps: [number, number] };
const p1 = () => t.rig.plotters.p1!;
const inkLines = () => (fs.existsSync(p1().paper) ? readPaper(p1().paper).length : 0);
/** Ink outside the plans (strays, an offset drawing) and the moves the simulator saw leave its travel. */
async function strays(programs: Record<string, MotionProgram>) {
  const v = judgeQueue(t.sb, programs, { p1: p1().paper });
  const { warnings } = await p1().ctl<{ warnings: string[] }>('stats');
  return {
    reinkedMm: Math.round(v.reinkedMm.p1! * 10) / 10,
    outsideTravel: warnings.filter((w) => /outside|origin moved/.test(w)),
  };
}
const missing = (programs: Record<string, MotionProgram>, id: string) =>
  judgeQueue(t.sb, programs, { p1: p1().paper }).missing[id];

/** The plotter, its config and both jobs. */
async function setUp(): Promise<Record<string, MotionProgram>> {
  await t.rig.startPlotters(['p1'], SPEED);
  writeQueueConfig(t.sb, [{ name: 'p1', port: p1().port, speed: SPEED }]);
  return addSmallJobs(t.sb, JOBS);
}

/** A's carriage stands where its pen change left it, mid-sheet. */
async function expectMidSheet(): Promise<void> {
  const s = await p1().ctl<Status>('status');
  expect(s.mm[0]).toBeGreaterThan(150);
  expect(s.mm[1]).toBeGreaterThan(90);
}

const HELD_A =
  /Plotter 'p1' holds job 'a' \(PAUSED: pen change before layer 2.*away from home at \(2\d\d\.\d, 1\d\d\.\d\) mm; job 'b' was not started.*vfab resume a.*vfab home p1.*vfab restart a/s;
const LOST =
  /Plotter 'p1': job 'a' left its carriage away from home at \(2\d\d\.\d, 1\d\d\.\d\) mm, and its motors were let go since.*nothing was moved.*Push the carriage by hand to the home corner.*carriage-at-home/s;

describe('a plot after another job was left paused mid-sheet (CLI)', () => {
  it('names the paused job; `vfab home` sends the carriage home, then B is drawn exactly where planned, and A resumes', async () => {
    const programs = await setUp();
    expect(t.sb.run(['plot', 'a']).code).toBe(10);
    await expectMidSheet();
    const before = inkLines();

    const refused = t.sb.run(['plot', 'b']);
    expect(refused.code, refused.stderr).toBe(7);
    expect(refused.stderr).toMatch(HELD_A);
    expect(inkLines()).toBe(before);

    const home = t.sb.run(['home', 'p1']);
    expect(home.code, home.stderr).toBe(0);
    expect(home.stdout).toBe('p1\ttravelled\n');
    expect(home.stderr).toMatch(
      /p1: the carriage travelled home, pen up, from \(2\d\d\.\d, 1\d\d\.\d\) mm/,
    );
    expect((await p1().ctl<Status>('status')).mm).toEqual([0, 0]);

    const plotted = t.sb.run(['plot', 'b']);
    expect(plotted.code, plotted.stderr).toBe(0);
    expect(missing(programs, 'b')).toBe(0);
    // B's own plot released the motors at the end: A continues once the carriage is confirmed home.
    const resumed = t.sb.run(['resume', 'a', '--carriage-at-home']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(jobStates(t.sb)).toMatchObject({ a: 'COMPLETED', b: 'COMPLETED' });
    expect(missing(programs, 'a')).toBe(0);
    expect(await strays(programs)).toEqual({ reinkedMm: 0, outsideTravel: [] });
  }, 90_000);

  it('after the plotter was switched off and on during the pen change, B is never drawn from the false origin', async () => {
    const programs = await setUp();
    expect(t.sb.run(['plot', 'a']).code).toBe(10);
    await expectMidSheet();
    // Switched off and on: the counters start at zero, the motors are free, the carriage stays mid-sheet.
    await p1().ctl('reboot');
    const before = inkLines();

    const first = t.sb.run(['plot', 'b']);
    expect(inkLines(), 'B was drawn, offset by where A left the carriage').toBe(before);
    expect(first.code, first.stderr).toBe(7);
    expect(first.stderr).toMatch(HELD_A);

    // A is cancelled: the carriage is still where A left it, and its motors hold nothing.
    expect(t.sb.run(['restart', 'a']).code).toBe(0);
    const lost = t.sb.run(['plot', 'b']);
    expect(lost.code, lost.stderr).toBe(7);
    expect(lost.stderr).toMatch(LOST);
    expect(inkLines()).toBe(before);
    expect(jobStates(t.sb).b).toBe('READY');

    await p1().ctl('carriageHome');
    const plotted = t.sb.run(['plot', 'b', '--carriage-at-home']);
    expect(plotted.code, plotted.stderr).toBe(0);
    expect(missing(programs, 'b')).toBe(0);
    expect((await strays(programs)).outsideTravel).toEqual([]);
  }, 90_000);
});

describe('the start position is inside the travel', () => {
  it('step counters another program zeroed mid-sheet put the carriage beyond the travel: nothing is sent from them', async () => {
    const programs = await setUp();
    // Another program zeroes the counters 100 mm along the rail and drives back home: they now say −100 mm.
    const conn = await openEbb(p1().port);
    for (const cmd of ['EM,1,1', 'SM,500,8000,8000', 'EM,1,1', 'SM,500,-8000,-8000'])
      await conn.ebb.command(cmd, 'ok');
    await waitIdle(conn.ebb);
    await conn.close();
    expect((await p1().ctl<Status>('status')).mm).toEqual([0, 0]);

    const refused = t.sb.run(['plot', 'b']);
    expect(refused.code, refused.stderr).toBe(7);
    expect(refused.stderr).toMatch(
      /Plotter 'p1': its step counters put the carriage at \(-100\.0, 0\.0\) mm, beyond the travel of an AxiDraw V3\/A4 \(100 mm left of home\).*nothing was moved.*vfab plot b --carriage-at-home/s,
    );
    expect(inkLines()).toBe(0);
    expect(await p1().ctl<Status>('status')).toMatchObject({ mm: [0, 0], steps: [-8000, -8000] });
    expect(t.sb.run(['home', 'p1']).stderr).toMatch(
      /beyond the travel.*vfab home p1 --carriage-at-home/s,
    );

    // Motors let go (the carriage is home already), confirmed: B is drawn where planned.
    const again = await openEbb(p1().port);
    await again.ebb.disableMotors();
    await again.close();
    const plotted = t.sb.run(['plot', 'b', '--carriage-at-home']);
    expect(plotted.code, plotted.stderr).toBe(0);
    expect(missing(programs, 'b')).toBe(0);
  }, 60_000);
});

describe('a plot after another job was left paused mid-sheet (vfab serve, restarted in between)', () => {
  const serve = () => t.serve();
  const plotEvent = (id: string, event: string) => (e: ApiEvent) =>
    e.event === 'plot.event' && e.payload.id === id && e.payload.event === event;

  /** A plotted through serve until its pen change; then serve stops (SIGTERM) and starts again. */
  async function pausedThenRestarted(): Promise<ApiSocket> {
    const first = await serve();
    await first.api.call('plot.start', { id: 'a' });
    await first.api.waitForEvent(plotEvent('a', 'pen_change'), 30_000, 'pen change of a');
    await expectMidSheet();
    await first.api.close();
    first.served.child.kill('SIGTERM');
    await first.served.exited;
    return (await serve()).api;
  }

  /** Until serve has let every plot go: a plot's end is told before its port closes. */
  async function letGo(api: ApiSocket): Promise<void> {
    await waitFor(
      'serve to let every plot go',
      async () => !(await api.call('system.info')).plotting.length,
      { timeoutMs: 10_000, everyMs: 25 },
    );
  }

  /** Starts B: refused (the reply), or plotted to the end and judged against its plan. */
  async function startB(api: ApiSocket, programs: Record<string, MotionProgram>) {
    const reply = await api.request('plot.start', { id: 'b' });
    if (!reply.error) {
      await api.waitForEvent(
        (e) =>
          e.event === 'plot.event' &&
          e.payload.id === 'b' &&
          ['complete', 'fail'].includes(e.payload.event as string),
        30_000,
        'end of b',
      );
      expect(
        { missing: missing(programs, 'b'), ...(await strays(programs)) },
        'B was drawn off its planned place',
      ).toEqual({ missing: 0, reinkedMm: 0, outsideTravel: [] });
    }
    return reply;
  }

  it('motors held: B is refused naming A; devices.home sends the carriage home, then B is drawn exactly and A resumes', async () => {
    const programs = await setUp();
    const api = await pausedThenRestarted();
    const before = inkLines();

    const reply = await startB(api, programs);
    expect(reply.error).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(HELD_A),
    });
    expect(inkLines()).toBe(before);

    expect(await api.call('devices.home', { device: 'p1' })).toMatchObject({
      plotter: 'p1',
      how: 'travelled',
      from: { x: expect.any(Number), y: expect.any(Number) },
    });
    expect((await p1().ctl<Status>('status')).mm).toEqual([0, 0]);
    expect((await api.request('plot.start', { id: 'b' })).error).toBeUndefined();
    await api.waitForEvent(plotEvent('b', 'complete'), 30_000, 'b complete');
    expect(missing(programs, 'b')).toBe(0);

    await letGo(api);
    await api.call('plot.resume', { id: 'a', carriageAtHome: true });
    await api.waitForEvent(plotEvent('a', 'complete'), 30_000, 'a complete');
    expect(missing(programs, 'a')).toBe(0);
    expect(await strays(programs)).toEqual({ reinkedMm: 0, outsideTravel: [] });
  }, 90_000);

  it('motors released from the app while A waits: B is never drawn from the false origin; once the carriage is confirmed home it is drawn exactly', async () => {
    const programs = await setUp();
    const api = await pausedThenRestarted();
    // The app's "Release motors" (devices.release): the carriage stays mid-sheet, free.
    await api.call('devices.release', { device: p1().port });
    expect((await p1().ctl<Status>('status')).motors).toEqual([0, 0]);
    const before = inkLines();

    const reply = await startB(api, programs);
    expect(reply.error).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(HELD_A),
    });
    expect(inkLines()).toBe(before);

    // A is cancelled; B's plot then stops before anything moves, since nobody knows where the carriage is.
    await api.call('plot.abort', { id: 'a' });
    expect((await api.request('plot.start', { id: 'b' })).error).toBeUndefined();
    const failed = await api.waitForEvent(plotEvent('b', 'fail'), 30_000, 'b refused');
    expect(failed.payload.error).toMatch(LOST);
    expect(inkLines()).toBe(before);
    await letGo(api);
    expect((await api.request('devices.home', { device: 'p1' })).error).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/vfab home p1 --carriage-at-home/),
    });

    await p1().ctl('carriageHome');
    expect(await api.call('devices.home', { device: 'p1', carriageAtHome: true })).toMatchObject({
      plotter: 'p1',
      how: 'confirmed',
    });
    expect((await api.request('plot.start', { id: 'b' })).error).toBeUndefined();
    await api.waitForEvent(plotEvent('b', 'complete'), 30_000, 'b complete');
    expect(missing(programs, 'b')).toBe(0);
    expect((await strays(programs)).outsideTravel).toEqual([]);
  }, 90_000);
});
