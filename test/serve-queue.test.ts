/**
 * The queue runner through `vfab serve`'s API, as the app drives it: the built `vfab serve` as its
 * own process, standalone virtual plotters (real serialport on PTYs), every method and event of
 * the queue (plotters.list, queue.start/stop/status/preview, plotters.paperChanged, queue.event,
 * notify.outcome), a single plot kept off a plotter the queue holds, serve's SIGTERM on the
 * signal path, and each plotter's paper judged against the plans.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApiEvent, ApiSocket } from './helpers/api-socket';
import { startFakeCamera, waitFor } from './helpers/fake-camera';
import {
  addSmallJobs,
  ended,
  journalEntries,
  judgeQueue,
  worstReinkBound,
  writeQueueConfig,
} from './helpers/queue-rig';
import { useServeRig } from './helpers/serve-rig';

const SPEED = 20;

const t = useServeRig();
const serve = () => t.serve();

async function plotters(
  names: string[],
  extra: Record<string, { paper?: string }> = {},
): Promise<void> {
  await t.rig.startPlotters(names, SPEED);
  writeQueueConfig(
    t.sb,
    names.map((name) => ({ name, port: t.rig.plotters[name]!.port, speed: SPEED, ...extra[name] })),
  );
}

const papers = () =>
  Object.fromEntries(Object.entries(t.rig.plotters).map(([n, p]) => [n, p.paper]));
const runnerEvent =
  (type: string, pick: (p: Record<string, unknown>) => boolean = () => true) =>
  (e: ApiEvent) =>
    e.event === 'queue.event' && e.payload.type === type && pick(e.payload);
/** Runner events of one type from `from` on (the index of the first event to look at). */
const runnerEvents = (api: ApiSocket, type: string, from = 0) =>
  api.events
    .slice(from)
    .filter(runnerEvent(type))
    .map((e) => e.payload);

describe('the queue through vfab serve', () => {
  it('two plotters at once, a paper change per job by the API, one plotter per pinned job; a single plot kept off a busy plotter', async () => {
    await plotters(['p1', 'p2']);
    const programs = await addSmallJobs(t.sb, {
      a: { x: 20, y: 20, strokes: 30 },
      b: { x: 80, y: 20, strokes: 30 },
      c: { x: 140, y: 20 },
      solo: { x: 20, y: 100 },
    });
    const { api } = await serve();
    await api.call('jobs.queue', { id: 'a' });
    await api.call('jobs.queue', { id: 'b' });
    await api.call('jobs.queue', { id: 'c', target: { plotter: 'p2' } });
    await expect(
      api.call('jobs.queue', { id: 'solo', target: { plotter: 'p9' } }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/No plotter named 'p9'.*p1, p2/),
    });

    const preview = await api.call('queue.preview');
    expect(
      preview.jobs.map((j: { id: string; plotter: string; target: unknown }) => [
        j.id,
        j.plotter,
        j.target,
      ]),
    ).toEqual([
      ['a', 'p1', 'any'],
      ['b', 'p2', 'any'],
      ['c', 'p2', { plotter: 'p2' }],
    ]);
    const before = await api.call('plotters.list');
    expect(before.plotters).toEqual([
      {
        name: 'p1',
        port: t.rig.plotters.p1!.port,
        model: 'V3/A4',
        paper: null,
        speed: SPEED,
        configured: true,
        state: { kind: 'idle' },
        inRun: false,
        camera: null,
      },
      {
        name: 'p2',
        port: t.rig.plotters.p2!.port,
        model: 'V3/A4',
        paper: null,
        speed: SPEED,
        configured: true,
        state: { kind: 'idle' },
        inRun: false,
        camera: null,
      },
    ]);

    const started = await api.call('queue.start', {});
    expect(started).toMatchObject({
      running: true,
      options: { plotters: ['p1', 'p2'], unattended: false, watch: false },
    });
    // Before the first job on each plotter, its sheet is confirmed: both wait.
    for (const p of ['p1', 'p2'])
      await api.waitForEvent(
        runnerEvent('paper.waiting', (e) => e.plotter === p),
        20_000,
        `${p} waiting for paper`,
      );
    const waiting = await api.call('plotters.list');
    // Each names the job it will likely take: different ones, the head by the plotter that began to
    // wait first, whichever opened first (whichever is confirmed first still takes the head).
    const [first, second] = runnerEvents(api, 'paper.waiting').map((e) => e.plotter);
    const named = { [first as string]: 'a', [second as string]: 'b' };
    expect(
      waiting.plotters.map(
        (p: { name: string; state: { kind: string; next?: string }; inRun: boolean }) => [
          p.name,
          p.state.kind,
          p.state.next,
          p.inRun,
        ],
      ),
    ).toEqual([
      ['p1', 'waiting_paper', named.p1, true],
      ['p2', 'waiting_paper', named.p2, true],
    ]);
    expect((await api.call('queue.status')).waitingForPaper).toEqual(['p1', 'p2']);
    await api.waitForEvent(
      (e) =>
        e.event === 'notify.outcome' &&
        e.payload.kind === 'waiting_for_paper' &&
        e.payload.plotter === 'p2',
      5000,
      'a waiting_for_paper outcome',
    );
    expect((await api.request('plotters.paperChanged', { plotter: 'p9' })).error).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/No plotter named 'p9'/),
    });

    expect(await api.call('plotters.paperChanged', {})).toEqual({ confirmed: ['p1', 'p2'] });
    for (const job of ['a', 'b'])
      await api.waitForEvent(
        runnerEvent('job.started', (e) => e.job === job),
        20_000,
        `${job} started`,
      );
    const on = Object.fromEntries(runnerEvents(api, 'job.started').map((e) => [e.job, e.plotter]));
    expect([on.a, on.b].sort()).toEqual(['p1', 'p2']);
    // Both plot at once.
    const both = await api.call('plotters.list');
    expect(
      both.plotters
        .map((p: { name: string; state: { kind: string; job?: string } }) => [
          p.name,
          p.state.kind,
          p.state.job,
        ])
        .sort(),
    ).toEqual(
      [
        [on.a, 'plotting', 'a'],
        [on.b, 'plotting', 'b'],
      ].sort(),
    );
    expect((await api.call('system.info')).plotting.sort()).toEqual(['a', 'b']);
    expect((await api.request('plotters.paperChanged', { plotter: on.a })).error).toMatchObject({
      code: 'INVALID_STATE',
      message: `Plotter '${on.a}' is not waiting for paper (it is plotting).`,
    });
    // A single plot on a plotter the queue plots on is refused, naming the job there.
    expect((await api.request('plot.start', { id: 'solo', device: on.a })).error).toMatchObject({
      code: 'BUSY',
      message: `Plotter '${on.a}' is taken by the queue: the queue is plotting job 'a' there. Stop the queue (or let it finish), or plot job 'solo' on another plotter.`,
    });
    await api.waitForEvent(
      (e) =>
        e.event === 'plot.progress' && e.payload.id === 'a' && (e.payload.fraction as number) > 0,
      10_000,
      'plot.progress of a',
    );

    // Once its job is done, p2 waits for its next sheet (c is p2's); p1 has nothing more and lets go.
    await api.waitForEvent(
      runnerEvent('job.completed', (e) => e.job === 'a'),
      30_000,
      'a completed',
    );
    await api.waitForEvent(
      (e) => e.event === 'job.changed' && e.payload.id === 'a' && e.payload.state === 'COMPLETED',
      5000,
      'job.changed a COMPLETED',
    );
    await api.waitForEvent(
      runnerEvent('paper.waiting', (e) => e.plotter === 'p2' && e.next === 'c'),
      30_000,
      'p2 waiting for c',
    );
    expect(runnerEvents(api, 'job.started').filter((e) => e.job === 'c')).toEqual([]);
    expect(await api.call('plotters.paperChanged', { plotter: 'p2' })).toEqual({
      confirmed: ['p2'],
    });
    await api.waitForEvent(runnerEvent('runner.stopped'), 30_000, 'runner.stopped');

    const status = await api.call('queue.status');
    expect(status).toMatchObject({
      running: false,
      last: {
        reason: 'done',
        completed: expect.arrayContaining(['a', 'b', 'c']),
        failed: [],
        left: [],
      },
    });
    const completed = api.events
      .filter((e) => e.event === 'notify.outcome' && e.payload.kind === 'completed')
      .map((e) => [e.payload.job, e.payload.plotter]);
    expect(completed.sort()).toEqual([
      ['a', on.a],
      ['b', on.b],
      ['c', 'p2'],
    ]);
    expect(
      runnerEvents(api, 'paper.changed')
        .map((e) => [e.plotter, e.how])
        .sort(),
    ).toEqual([
      ['p1', 'app'],
      ['p2', 'app'],
      ['p2', 'app'],
    ]);
    const armed = journalEntries(t.sb, 'c').find(
      (e) => e.type === 'state_change' && e.to_state === 'ARMED',
    );
    expect(armed?.type === 'state_change' && armed.metadata).toMatchObject({
      plotter: 'p2',
      sheet: 'changed',
      paper_confirmed_by: 'app',
    });
    const { solo: _, ...plotted } = programs;
    const verdict = judgeQueue(t.sb, plotted, papers());
    expect(verdict.plotterOf).toEqual({ a: on.a, b: on.b, c: 'p2' });
    expect(verdict.missing).toEqual({ a: 0, b: 0, c: 0 });
    expect(verdict.elsewhere).toEqual([]);
    for (const mm of Object.values(verdict.reinkedMm)) expect(mm).toBeLessThan(0.01);
  }, 90_000);

  it('queue.stop pause pauses both plots now and each plotter holds its job; finish lets an unattended run end after the jobs under way', async () => {
    await plotters(['p1', 'p2']);
    await addSmallJobs(t.sb, {
      a: { x: 20, y: 20, strokes: 80 },
      b: { x: 80, y: 20, strokes: 80 },
      c: { x: 140, y: 20 },
      d: { x: 200, y: 20 },
    });
    const { api } = await serve();
    for (const id of ['a', 'b']) await api.call('jobs.queue', { id });
    expect((await api.request('queue.stop', { mode: 'finish' })).error).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/not running/),
    });
    expect((await api.request('queue.start', { pageDelayS: 0 })).error).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/pageDelayS goes with unattended/),
    });
    expect((await api.request('queue.start', { plotters: ['p9'] })).error).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/No plotter named 'p9'/),
    });
    await api.call('queue.start', { unattended: true, pageDelayS: 0 });
    for (const job of ['a', 'b'])
      await api.waitForEvent(
        runnerEvent('job.started', (e) => e.job === job),
        20_000,
        `${job} started`,
      );
    for (const job of ['a', 'b'])
      await api.waitForEvent(
        (e) =>
          e.event === 'plot.progress' && e.payload.id === job && (e.payload.fraction as number) > 0,
        20_000,
        `${job} under way`,
      );
    const stopped = await api.call('queue.stop', { mode: 'pause' });
    expect(stopped).toMatchObject({
      running: false,
      last: { reason: 'stopped', paused: expect.arrayContaining(['a', 'b']) },
    });
    for (const id of ['a', 'b']) expect((await api.call('jobs.get', { id })).state).toBe('PAUSED');
    const held = await api.call('plotters.list');
    expect(
      held.plotters
        .map((p: { state: { kind: string; job?: string } }) => [p.state.kind, p.state.job])
        .sort(),
    ).toEqual([
      ['holding', 'a'],
      ['holding', 'b'],
    ]);

    // Resumed from their rows; a queue started meanwhile (watching: it waits for its plotters) leaves
    // their plotters alone, naming the job there, takes the rest once they are done, and is stopped
    // with 'finish' once it plots.
    const resumedFrom = api.events.length;
    for (const id of ['a', 'b']) await api.call('plot.resume', { id });
    for (const id of ['a', 'b'])
      await api.waitForEvent(
        (e) =>
          api.events.indexOf(e) >= resumedFrom &&
          e.event === 'plot.event' &&
          e.payload.id === id &&
          e.payload.event === 'resume',
        20_000,
        `${id} resumed`,
      );
    for (const id of ['c', 'd']) await api.call('jobs.queue', { id });
    const from = api.events.length;
    await api.call('queue.start', { unattended: true, pageDelayS: 0, watch: true });
    const inUse = await api.waitForEvent(
      (e) =>
        api.events.indexOf(e) >= from &&
        runnerEvent('plotter.state', (p) => (p.state as { kind: string }).kind === 'offline')(e),
      20_000,
      'a plotter in use',
    );
    expect((inUse.payload.state as { reason: string }).reason).toMatch(
      /^in use by vfab \(pid \d+\), plotting job [ab]$/,
    );
    for (const id of ['a', 'b'])
      await api.waitForEvent(
        (e) => e.event === 'job.changed' && e.payload.id === id && e.payload.state === 'COMPLETED',
        60_000,
        `${id} COMPLETED`,
      );
    await api.waitForEvent(
      (e) => api.events.indexOf(e) >= from && runnerEvent('job.started')(e),
      20_000,
      'a job started',
    );
    expect(await api.call('queue.stop', { mode: 'finish' })).toMatchObject({
      running: true,
      stopping: 'finish',
    });
    await api.waitForEvent(
      (e) => api.events.indexOf(e) >= from && runnerEvent('runner.stopped')(e),
      30_000,
      'runner.stopped',
    );
    const last = (await api.call('queue.status')).last;
    expect(last.reason).toBe('stopped');
    expect(last.completed.length).toBeGreaterThanOrEqual(1);
    expect(last.failed).toEqual([]);
    for (const id of last.completed)
      expect((await api.call('jobs.get', { id })).state).toBe('COMPLETED');
    for (const left of last.left)
      expect((await api.call('jobs.get', { id: left.job })).state).toBe('QUEUED');
  }, 120_000);

  it("serve's SIGTERM stops both plotters on the signal path (exit 143); a new serve's queue continues them from their checkpoints", async () => {
    await plotters(['p1', 'p2']);
    const programs = await addSmallJobs(t.sb, {
      t1: { x: 20, y: 20, strokes: 60 },
      t2: { x: 120, y: 20, strokes: 60 },
    });
    const first = await serve();
    for (const id of ['t1', 't2']) await first.api.call('jobs.queue', { id });
    await first.api.call('queue.start', { unattended: true, pageDelayS: 0 });
    for (const job of ['t1', 't2'])
      await first.api.waitForEvent(
        runnerEvent('job.started', (e) => e.job === job),
        20_000,
        `${job} started`,
      );
    for (const job of ['t1', 't2'])
      await first.api.waitForEvent(
        (e) =>
          e.event === 'plot.progress' && e.payload.id === job && (e.payload.fraction as number) > 0,
        20_000,
        `${job} under way`,
      );
    first.served.child.kill('SIGTERM');
    expect(
      await ended(
        {
          child: first.served.child,
          exited: first.served.exited,
          stdout: first.served.stdout,
          stderr: first.served.stderr,
        },
        10_000,
      ),
    ).toBe(143);
    expect(first.served.stderr()).toMatch(/SIGTERM: stopping (t1, t2|t2, t1)/);
    for (const id of ['t1', 't2']) {
      expect(journalEntries(t.sb, id).at(-1)).toMatchObject({
        type: 'emergency_shutdown',
        state: 'PLOTTING',
        reason: 'signal_received',
        metadata: { signal: 'SIGTERM' },
      });
    }
    for (const p of Object.values(t.rig.plotters))
      expect((await p.ctl<{ penUp: boolean }>('status')).penUp).toBe(true);

    const { api } = await serve();
    const held = await api.call('plotters.list');
    expect(
      held.plotters.map((p: { state: { kind: string; state?: string } }) => [
        p.state.kind,
        p.state.state,
      ]),
    ).toEqual([
      ['holding', 'PLOTTING'],
      ['holding', 'PLOTTING'],
    ]);
    await api.call('queue.start', { unattended: true, pageDelayS: 0 });
    await api.waitForEvent(runnerEvent('runner.stopped'), 60_000, 'runner.stopped');
    expect(
      runnerEvents(api, 'job.started')
        .map((e) => [e.job, e.resumed, e.sheet])
        .sort(),
    ).toEqual([
      ['t1', true, 'same'],
      ['t2', true, 'same'],
    ]);
    expect((await api.call('queue.status')).last).toMatchObject({
      reason: 'done',
      completed: expect.arrayContaining(['t1', 't2']),
    });
    const verdict = judgeQueue(t.sb, programs, papers());
    expect(verdict.missing).toEqual({ t1: 0, t2: 0 });
    for (const p of ['p1', 'p2'])
      expect(verdict.reinkedMm[p]).toBeLessThanOrEqual(worstReinkBound(programs) + 0.01);
  }, 90_000);
});

/** The status and content type of a GET, reading no more than the headers (a camera stream never ends). */
function head(url: string): Promise<{ status: number; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']) });
      res.destroy();
    });
    req.on('error', reject);
  });
}

describe("a plotter's own camera", () => {
  it('plotters.list gives its live view, relayed behind the token; a plotter without one has none', async () => {
    const own = await startFakeCamera({ fps: 10 });
    const shared = await startFakeCamera({ fps: 10 });
    t.onEnd(
      () => own.close(),
      () => shared.close(),
    );
    fs.mkdirSync(path.dirname(t.sb.configFile), { recursive: true });
    fs.writeFileSync(
      t.sb.configFile,
      `camera:\n  url: ${shared.url}\ndevices:\n  - name: left\n    port: virtual\n    camera:\n      url: ${own.url}\n  - name: right\n    port: virtual\n`,
    );
    const { served, api } = await serve();
    const listed = (await api.call('plotters.list')).plotters as {
      name: string;
      camera: { streamUrl: string | null } | null;
    }[];
    expect(listed.map((p) => [p.name, p.camera])).toEqual([
      ['left', { streamUrl: `/camera/plotters/left/stream.mjpeg?token=${served.token}` }],
      ['right', null],
    ]);
    expect(await head(`${served.origin}${listed[0]!.camera!.streamUrl}`)).toMatchObject({
      status: 200,
      type: expect.stringMatching(/^multipart\/x-mixed-replace/),
    });
    await waitFor(() => own.connections >= 1, 3000, "the relay to reach left's camera");
    expect(shared.connections).toBe(0);
    expect((await head(`${served.origin}/camera/plotters/left/stream.mjpeg`)).status).toBe(401);
    expect(
      (await head(`${served.origin}/camera/plotters/left/stream.mjpeg?token=wrong`)).status,
    ).toBe(401);
    expect(
      (await head(`${served.origin}/camera/plotters/right/stream.mjpeg?token=${served.token}`))
        .status,
    ).toBe(503);
    expect(
      (await head(`${served.origin}/camera/plotters/nobody/snapshot.jpg?token=${served.token}`))
        .status,
    ).toBe(503);
    // The settings' camera is still where it was.
    expect(await head(`${served.origin}/camera/stream.mjpeg?token=${served.token}`)).toMatchObject({
      status: 200,
    });
    await waitFor(() => shared.connections >= 1, 3000, 'the relay to reach the shared camera');
  }, 30_000);
});
