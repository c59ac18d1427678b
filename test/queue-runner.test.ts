/**
 * The queue runner on several standalone virtual plotters (real serialport on PTYs): the queue
 * plotted on every plotter at once, jobs only where they fit, paper changes by the PRG button,
 * SIGKILL at random moments (seeded) with restarts, SIGTERM on two plotters at once, and a fresh
 * plot started where an earlier one left the carriage. Each plotter's paper is judged against the
 * plans of the jobs its journals name.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROOT, sandbox, type Sandbox } from './helpers/cli';
import { seeded, waitForCheckpoints } from './helpers/crash-rig';
import { endWithTest } from './helpers/processes';
import { openEngine } from '../src-main/engine';
import { readJournal } from '../src-main/jobs/journal';
import { openEbb } from '../src-main/plotter/devices';
import type { RunnerEvent } from '../src-main/queue/events';
import { queueJobs } from '../src-main/queue/edit';
import { QueueReader } from '../src-main/queue/queued';
import { createQueueRunner, type QueueRunner } from '../src-main/queue/runner';
import {
  addSmallJobs,
  createQueueRig,
  ended,
  gridPlace,
  jobStates,
  journalEntries,
  journalPlotter,
  judgeQueue,
  saidOnStderr,
  worstReinkBound,
  writeQueueConfig,
  type QueueRig,
} from './helpers/queue-rig';
import { holdFor, waitFor } from './helpers/wait';

const SPEED = 20;

let sb: Sandbox;
let rig: QueueRig & { stop(): Promise<void> };
beforeEach(() => {
  sb = sandbox();
  rig = createQueueRig(sb);
});
afterEach(async () => {
  await rig.stop();
  sb.cleanup();
});

async function plotters(
  names: string[],
  extra: Record<string, { model?: string; paper?: string }> = {},
  device: Record<string, string> = {},
) {
  await rig.startPlotters(names, SPEED);
  writeQueueConfig(
    sb,
    names.map((name) => ({ name, port: rig.plotters[name]!.port, speed: SPEED, ...extra[name] })),
    device,
  );
}

const papers = () => Object.fromEntries(Object.entries(rig.plotters).map(([n, p]) => [n, p.paper]));
const state = (id: string) => readJournal(path.join(sb.jobsDir, id, 'journal.jsonl')).state;

/** Every journal valid, and the index says what the journals say. */
function expectConsistent(): void {
  const v = sb.run(['system', 'journal', 'validate']);
  expect(v.code, v.stdout + v.stderr).toBe(0);
  const listed = jobStates(sb);
  for (const id of Object.keys(listed))
    expect(listed[id], id).toBe(readJournal(path.join(sb.jobsDir, id, 'journal.jsonl')).state);
}

describe('vfab queue run', () => {
  it('12 jobs on 3 plotters, unattended: every job COMPLETED once, on the paper of the plotter its journal names', async () => {
    await plotters(['p1', 'p2', 'p3']);
    const ids = Array.from({ length: 12 }, (_, i) => `j${i}`);
    const programs = await addSmallJobs(
      sb,
      Object.fromEntries(ids.map((id, i) => [id, { ...gridPlace(i), strokes: 4 }])),
    );
    const queued = sb.run(['queue', 'add', ...ids]);
    expect(queued.code, queued.stderr).toBe(0);

    const run = rig.spawn(['queue', 'run', '--unattended', '--page-delay', '0']);
    expect(await ended(run), run.stderr()).toBe(0);

    const rows = run
      .stdout()
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows.map((r) => r[0]).sort()).toEqual([...ids].sort());
    const verdict = judgeQueue(sb, programs, papers());
    for (const [id, s, plotter] of rows) {
      expect(s).toBe('COMPLETED');
      expect(verdict.plotterOf[id!], id).toBe(plotter);
      const armed = journalEntries(sb, id!).find(
        (e) => e.type === 'state_change' && e.to_state === 'ARMED',
      );
      expect(armed?.type === 'state_change' && armed.metadata).toMatchObject({
        plotter,
        port: rig.plotters[plotter!]!.port,
        sheet: 'page_delay',
      });
    }
    expect(new Set(rows.map((r) => r[2]))).toEqual(new Set(['p1', 'p2', 'p3']));
    expect(verdict.missing).toEqual(Object.fromEntries(ids.map((id) => [id, 0])));
    expect(verdict.elsewhere).toEqual([]);
    for (const mm of Object.values(verdict.reinkedMm)) expect(mm).toBeLessThan(0.01);
    expect(run.stderr()).toMatch(/j0: COMPLETED on p\d in [\d.]+ s/);
    expect(fs.readFileSync(sb.logFile, 'utf8')).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO job j0: queue runner: COMPLETED on plotter p\d in [\d.]+ s$/m,
    );
    expectConsistent();
  }, 90_000);

  it('a job goes only to a plotter with its sheet, reach and target; one none can take stays QUEUED with the reason', async () => {
    // Planned for an A3 machine (the device section); the plotters are one A4 and one A3.
    await plotters(
      ['a4', 'a3'],
      { a4: { model: 'V3/A4', paper: 'A4' }, a3: { model: 'V3/A3', paper: 'A3' } },
      { model: 'V3/A3' },
    );
    const { nowhere: _, ...programs } = await addSmallJobs(sb, {
      small: { x: 20, y: 20 },
      big: { x: 340, y: 250, page: 'A3' },
      pinned: { x: 60, y: 20 },
      card: { x: 20, y: 40, page: 'card' },
      nowhere: { x: 100, y: 20 },
    });
    expect(sb.run(['queue', 'add', 'small', 'big']).code).toBe(0);
    expect(sb.run(['queue', 'add', 'pinned', '--plotter', 'a4']).code).toBe(0);
    // Its own 120 × 80 mm page: it goes on the A4 loaded, as AxiDraw would plot it.
    expect(sb.run(['queue', 'add', 'card', '--plotter', 'a4']).code).toBe(0);
    expect(sb.run(['queue', 'add', 'nowhere', '--plotter', 'a3']).code).toBe(0);

    const preview = JSON.parse(sb.run(['info', 'queue', '--json']).stdout).jobs as {
      id: string;
      plotter: string | null;
      plotter_reason: string | null;
      target: unknown;
    }[];
    expect(preview.map((j) => [j.id, j.plotter])).toEqual([
      ['small', 'a4'],
      ['big', 'a3'],
      ['pinned', 'a4'],
      ['card', 'a4'],
      ['nowhere', null],
    ]);
    expect(preview[2]!.target).toEqual({ plotter: 'a4' });
    const why = preview[4]!.plotter_reason!;
    expect(why).toBe(
      'no plotter can take it (a4: queued for plotter a3; a3: loaded with A3, the job is planned for A4 landscape (297 × 210 mm))',
    );
    expect(sb.run(['info', 'queue']).stdout).toContain(
      `nowhere\tQUEUED\tnowhere.svg\tA4 landscape\t`,
    );

    const run = rig.spawn(['queue', 'run', '--unattended', '--page-delay', '0', '--json-events']);
    expect(await ended(run), run.stderr()).toBe(0);
    expect(run.stderr()).toContain(`nowhere: left in the queue: ${why}`);
    const events = run
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RunnerEvent);
    expect(events[0]).toMatchObject({
      type: 'runner.started',
      unattended: true,
      plotters: [
        { name: 'a4', model: 'V3/A4', paper: 'A4' },
        { name: 'a3', model: 'V3/A3', paper: 'A3' },
      ],
    });
    expect(
      events
        .filter((e) => e.type === 'job.completed')
        .map((e) => e.type === 'job.completed' && [e.job, e.plotter])
        .sort(),
    ).toEqual([
      ['big', 'a3'],
      ['card', 'a4'],
      ['pinned', 'a4'],
      ['small', 'a4'],
    ]);
    expect(events.at(-1)).toEqual({
      type: 'runner.stopped',
      at: expect.any(String),
      reason: 'done',
      left: [{ job: 'nowhere', reason: why }],
    });
    expect(state('nowhere')).toBe('QUEUED');
    const verdict = judgeQueue(sb, programs, papers());
    expect(verdict.plotterOf).toEqual({ small: 'a4', big: 'a3', pinned: 'a4', card: 'a4' });
    expect(verdict.missing).toEqual({ small: 0, big: 0, pinned: 0, card: 0 });
    expect(verdict.elsewhere).toEqual([]);
    expectConsistent();
  }, 60_000);

  it("waits for a paper change before each job: the second job starts only after the plotter's PRG button is pressed", async () => {
    await plotters(['p1']);
    const programs = await addSmallJobs(sb, { a: { x: 20, y: 20 }, b: { x: 80, y: 20 } });
    expect(sb.run(['queue', 'add', 'a', 'b']).code).toBe(0);
    const run = rig.spawn(['queue', 'run']);
    await saidOnStderr(run, /p1: waiting for paper \(next: job a\)/);
    expect(state('a')).toBe('QUEUED');
    const devices = JSON.parse(sb.run(['list', 'devices', '--json']).stdout).devices;
    expect(devices[0]).toMatchObject({ name: 'p1', state: 'waiting for paper', job: 'a' });
    await rig.plotters.p1!.ctl('pressButton');
    await saidOnStderr(run, /p1: waiting for paper \(next: job b\)/);
    expect(state('a')).toBe('COMPLETED');
    expect(state('b')).toBe('QUEUED');
    const pressed = Date.now();
    await rig.plotters.p1!.ctl('pressButton');
    expect(await ended(run), run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/p1: paper changed \(PRG button\)\n[\s\S]*b: started on p1/);
    const armed = journalEntries(sb, 'b').find(
      (e) => e.type === 'state_change' && e.to_state === 'ARMED',
    )!;
    expect(Date.parse(armed.timestamp!)).toBeGreaterThanOrEqual(pressed - 5);
    expect(armed.type === 'state_change' && armed.metadata).toMatchObject({
      plotter: 'p1',
      sheet: 'changed',
      paper_confirmed_by: 'button',
    });
    const verdict = judgeQueue(sb, programs, papers());
    expect(verdict.missing).toEqual({ a: 0, b: 0 });
  }, 60_000);

  it('SIGKILL at random moments (20 seeded kills), restarted each time: every job COMPLETED exactly once, 0 mm missing, re-inking within the bound', async () => {
    await plotters(['p1', 'p2']);
    const ids = Array.from({ length: 32 }, (_, i) => `k${i}`);
    const programs = await addSmallJobs(
      sb,
      Object.fromEntries(ids.map((id, i) => [id, { ...gridPlace(i), strokes: 12 }])),
    );
    expect(sb.run(['queue', 'add', ...ids]).code).toBe(0);
    const rand = seeded(1500);
    const args = ['queue', 'run', '--unattended', '--page-delay', '0.15'];
    let kills = 0;
    for (let trial = 0; trial < 20; trial++) {
      const run = rig.spawn(args);
      const delay = 250 + rand() * 1300;
      const byItself = await Promise.race([
        run.exited.then(() => true),
        holdFor(delay, 'the kill lands at a seeded random moment').then(() => false),
      ]);
      if (!byItself) {
        run.child.kill('SIGKILL');
        kills++;
      }
      const code = await run.exited;
      if (byItself)
        expect(code, `trial ${trial} (delay ${delay.toFixed(0)} ms): ${run.stderr()}`).toBe(0);
    }
    expect(kills).toBeGreaterThanOrEqual(15);
    const last = rig.spawn(args);
    expect(await ended(last, 90_000), last.stderr()).toBe(0);

    const verdict = judgeQueue(sb, programs, papers());
    const bound = worstReinkBound(programs);
    const recoveries: Record<string, number> = { p1: 0, p2: 0 };
    const states = jobStates(sb);
    for (const id of ids) {
      expect(states[id], id).toBe('COMPLETED');
      const entries = journalEntries(sb, id);
      expect(
        entries.filter((e) => e.type === 'state_change' && e.to_state === 'COMPLETED'),
        id,
      ).toHaveLength(1);
      // Never restarted from the start: one fresh start, the rest continue where it stopped.
      expect(
        entries.filter(
          (e) =>
            e.type === 'state_change' &&
            e.to_state === 'PLOTTING' &&
            e.reason === 'pre-flight passed, plotting',
        ).length,
        id,
      ).toBeLessThanOrEqual(1);
      recoveries[verdict.plotterOf[id]!]! += entries.filter((e) => e.type === 'recovery').length;
    }
    expect(verdict.missing).toEqual(Object.fromEntries(ids.map((id) => [id, 0])));
    expect(verdict.elsewhere).toEqual([]);
    for (const p of ['p1', 'p2'])
      expect(verdict.reinkedMm[p], p).toBeLessThanOrEqual(recoveries[p]! * bound + 0.01);
    expectConsistent();
  }, 240_000);

  it('SIGTERM with two plotters plotting: both jobs stay PLOTTING with emergency_shutdown, exit 143; the next run finishes them', async () => {
    await plotters(['p1', 'p2']);
    const programs = await addSmallJobs(sb, {
      t1: { x: 20, y: 20, strokes: 60 },
      t2: { x: 120, y: 20, strokes: 60 },
    });
    expect(sb.run(['queue', 'add', 't1', 't2']).code).toBe(0);
    const run = rig.spawn(['queue', 'run', '--unattended', '--page-delay', '0']);
    // Told by the runner itself, the moment it happens: a job lasts about 2 s, and polling its state
    // with a process per look could see it only after it had finished, the signal then landing on
    // a runner that was done.
    for (const id of ['t1', 't2']) await saidOnStderr(run, new RegExp(`^${id} on p\\d: 25%$`, 'm'));
    const t = Date.now();
    run.child.kill('SIGTERM');
    expect(await ended(run)).toBe(143);
    expect(Date.now() - t).toBeLessThan(5000);
    expect(run.stderr()).toContain('SIGTERM: stopping every plotter');
    for (const id of ['t1', 't2']) {
      expect(state(id)).toBe('PLOTTING');
      const last = journalEntries(sb, id).at(-1)!;
      expect(last).toMatchObject({
        type: 'emergency_shutdown',
        state: 'PLOTTING',
        reason: 'signal_received',
        metadata: { signal: 'SIGTERM' },
      });
    }
    for (const p of Object.values(rig.plotters))
      expect((await p.ctl<{ penUp: boolean }>('status')).penUp).toBe(true);
    const listed = JSON.parse(sb.run(['list', 'devices', '--json']).stdout).devices as {
      name: string;
      state: string;
      job: string;
    }[];
    expect(listed.map((d) => d.state)).toEqual(['interrupted', 'interrupted']);
    expect(listed.map((d) => d.job).sort()).toEqual(['t1', 't2']);
    for (const d of listed) expect(journalPlotter(sb, d.job)).toBe(d.name);

    const again = rig.spawn(['queue', 'run', '--unattended', '--page-delay', '0']);
    expect(await ended(again), again.stderr()).toBe(0);
    expect(again.stderr()).toMatch(/t1: continues from its checkpoint on p\d/);
    const verdict = judgeQueue(sb, programs, papers());
    expect(verdict.missing).toEqual({ t1: 0, t2: 0 });
    for (const p of ['p1', 'p2'])
      expect(verdict.reinkedMm[p]).toBeLessThanOrEqual(worstReinkBound(programs) + 0.01);
    expectConsistent();
  }, 60_000);
});

describe('a fresh plot starts where the carriage really is', () => {
  it('job B after job A paused mid-sheet (pen change) on the same plotter: A is named; sent home, B is drawn at its planned place', async () => {
    await rig.startPlotters(['p1'], SPEED);
    const port = rig.plotters.p1!.port;
    const device = ['--device', port, '--speed', String(SPEED)];
    const programs = await addSmallJobs(sb, {
      a: { x: 150, y: 120, strokes: 4, secondPenDy: 30 },
      b: { x: 20, y: 20, strokes: 4 },
    });
    const a = sb.run(['plot', 'a', ...device]);
    expect(a.code, a.stderr).toBe(10);
    expect(a.stdout).toContain('a\tPAUSED');
    const held = sb.run(['plot', 'b', ...device]);
    expect(held.code, held.stderr).toBe(7);
    expect(held.stderr).toContain(`holds job 'a' (PAUSED: pen change before layer 2`);
    expect(sb.run(['home', port, '--speed', String(SPEED)]).stdout).toBe(`${port}\ttravelled\n`);
    const b = sb.run(['plot', 'b', ...device]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain('b\tCOMPLETED');
    const paper = { p1: rig.plotters.p1!.paper };
    expect(judgeQueue(sb, { b: programs.b! }, paper, { b: 'p1' }).missing).toEqual({ b: 0 });
    expect(
      (await rig.plotters.p1!.ctl<{ warnings: string[] }>('stats')).warnings.filter((w) =>
        /origin moved/.test(w),
      ),
    ).toEqual([]);

    // A was left where it paused; B went home and let the motors go: A resumes from home.
    const resumed = sb.run(['resume', 'a', ...device, '--carriage-at-home']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(judgeQueue(sb, programs, paper, { a: 'p1', b: 'p1' }).missing).toEqual({ a: 0, b: 0 });
  }, 60_000);
});

describe('the runner in a process of its own making (the app and vfab serve use it so)', () => {
  /** Resolves with the first event `pick` accepts. */
  function next<T extends RunnerEvent['type']>(
    runner: QueueRunner,
    type: T,
    pick: (e: Extract<RunnerEvent, { type: T }>) => boolean = () => true,
    timeoutMs = 20_000,
  ) {
    return new Promise<Extract<RunnerEvent, { type: T }>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${type} event within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const off = runner.subscribe((e) => {
        if (e.type === type && pick(e as Extract<RunnerEvent, { type: T }>)) {
          clearTimeout(timer);
          off();
          resolve(e as Extract<RunnerEvent, { type: T }>);
        }
      });
    });
  }

  it("paperChanged() confirms the sheet; stop('finish') lets the job finish and starts no other; stop('pause') pauses it", async () => {
    await plotters(['p1']);
    await addSmallJobs(sb, {
      a: { x: 20, y: 20 },
      b: { x: 80, y: 20, strokes: 60 },
      c: { x: 140, y: 20 },
    });
    expect(sb.run(['queue', 'add', 'a', 'b', 'c']).code).toBe(0);
    const engine = openEngine({ env: sb.env });
    try {
      const runner = createQueueRunner(engine);
      const events: RunnerEvent[] = [];
      runner.subscribe((e) => events.push(e));
      const waiting = next(runner, 'paper.waiting');
      const done = runner.run();
      expect(await waiting).toMatchObject({ plotter: 'p1', next: 'a', how: 'person' });
      expect(runner.waitingForPaper()).toEqual(['p1']);
      expect(runner.paperChanged('p2')).toEqual([]);
      const completed = next(runner, 'job.completed');
      const again = next(runner, 'paper.waiting', (e) => e.next === 'b');
      expect(runner.paperChanged()).toEqual(['p1']);
      expect(await completed).toMatchObject({
        plotter: 'p1',
        job: 'a',
        state: 'COMPLETED',
        durationS: expect.any(Number),
      });
      await again;
      const summary = await runner.stop('finish');
      expect(await done).toBe(summary);
      expect(summary).toMatchObject({
        reason: 'stopped',
        completed: ['a'],
        left: [
          { job: 'b', reason: 'the runner was stopped' },
          { job: 'c', reason: 'the runner was stopped' },
        ],
      });
      expect(events.map((e) => e.type)).toEqual(
        expect.arrayContaining([
          'runner.started',
          'paper.changed',
          'job.started',
          'plot.progress',
          'job.completed',
          'runner.stopped',
        ]),
      );
      expect(events.find((e) => e.type === 'paper.changed')).toMatchObject({
        plotter: 'p1',
        how: 'app',
      });
      expect(
        journalEntries(sb, 'a').find((e) => e.type === 'state_change' && e.to_state === 'ARMED'),
      ).toMatchObject({ metadata: { paper_confirmed_by: 'app' } });
      // Nothing held after the run: another process may use the plotter.
      expect(
        fs
          .readdirSync(path.join(sb.dataDir, 'locks'))
          .filter((f) => f.endsWith('.owner') || f.startsWith('runner-')),
      ).toEqual([]);

      const pausing = createQueueRunner(engine);
      const asked = next(pausing, 'paper.waiting');
      const run2 = pausing.run();
      await asked;
      const underway = next(pausing, 'plot.progress', (e) => e.progress.fraction > 0.1);
      pausing.paperChanged('p1');
      await underway;
      const paused = await pausing.stop('pause');
      expect(await run2).toBe(paused);
      expect(paused).toMatchObject({ reason: 'stopped', paused: ['b'] });
      expect(state('b')).toBe('PAUSED');
      expect(pausing.plotters()).toEqual([
        {
          plotter: { name: 'p1', port: rig.plotters.p1!.port, model: 'V3/A4', paper: null },
          state: expect.objectContaining({ kind: 'holding', job: 'b', state: 'PAUSED' }),
        },
      ]);
    } finally {
      engine.close();
    }
  }, 60_000);
  it('plotters waiting for paper each name a different next job, the one listed first starting to wait last', async () => {
    await plotters(['p1', 'p2']);
    await addSmallJobs(sb, { a: { x: 20, y: 20 }, b: { x: 80, y: 20 } });
    expect(sb.run(['queue', 'add', 'a', 'b']).code).toBe(0);
    // p1 (listed first) cannot be opened at first: p2 waits for paper before it.
    await rig.plotters.p1!.ctl('unplug');
    const engine = openEngine({ env: sb.env });
    try {
      const runner = createQueueRunner(engine);
      const offline = next(
        runner,
        'plotter.state',
        (e) => e.plotter === 'p1' && e.state.kind === 'offline',
      );
      const secondWaits = next(runner, 'paper.waiting', (e) => e.plotter === 'p2');
      const done = runner.run();
      await offline;
      expect(await secondWaits).toMatchObject({ next: 'a' });
      const firstWaits = next(runner, 'paper.waiting', (e) => e.plotter === 'p1');
      await rig.plotters.p1!.ctl('replug');
      expect(await firstWaits).toMatchObject({ next: 'b' });
      expect(
        runner
          .plotters()
          .map((v) => [v.plotter.name, v.state.kind === 'waiting_paper' && v.state.next]),
      ).toEqual([
        ['p1', 'b'],
        ['p2', 'a'],
      ]);
      await runner.stop();
      await done;
    } finally {
      engine.close();
    }
  }, 60_000);
});

describe('the runner, watching', () => {
  it('with watch, an empty queue keeps it running; a job queued later is plotted; stop() ends it', async () => {
    await plotters(['p1']);
    await addSmallJobs(sb, { late: { x: 20, y: 20 } });
    const engine = openEngine({ env: sb.env });
    try {
      const runner = createQueueRunner(engine, { watch: true, unattended: true, pageDelayS: 0 });
      const completed = new Promise<RunnerEvent>((resolve) =>
        runner.subscribe((e) => e.type === 'job.completed' && resolve(e)),
      );
      // Each look at the queue reads it: counting reads is counting looks.
      const reads = vi.spyOn(QueueReader.prototype, 'read');
      let ended = false;
      const done = runner.run().then((s) => ((ended = true), s));
      // Nothing queued: a runner without watch ends at its first look; this one looks again.
      await waitFor(
        'the runner to look at the empty queue three times',
        () => reads.mock.calls.length >= 3,
        {
          timeoutMs: 10_000,
        },
      );
      reads.mockRestore();
      expect(ended).toBe(false);
      queueJobs(engine, ['late']);
      expect(await completed).toMatchObject({ job: 'late', plotter: 'p1' });
      expect(await runner.stop()).toMatchObject({ reason: 'stopped', completed: ['late'] });
      await done;
    } finally {
      engine.close();
    }
  }, 60_000);
});

describe('runners side by side', () => {
  it('two runners on their own plotters share one queue: every job once; a third on a busy plotter is told it is in use', async () => {
    await plotters(['p1', 'p2']);
    const ids = Array.from({ length: 8 }, (_, i) => `r${i}`);
    const programs = await addSmallJobs(
      sb,
      Object.fromEntries(ids.map((id, i) => [id, { ...gridPlace(i), strokes: 30 }])),
    );
    expect(sb.run(['queue', 'add', ...ids]).code).toBe(0);
    const one = rig.spawn(['queue', 'run', '--device', 'p1', '--unattended', '--page-delay', '0']);
    const two = rig.spawn(['queue', 'run', '--device', 'p2', '--unattended', '--page-delay', '0']);
    await saidOnStderr(one, /started on p1/);
    const third = rig.spawn([
      'queue',
      'run',
      '--device',
      'p1',
      '--unattended',
      '--page-delay',
      '0',
    ]);
    expect(await ended(third)).toBe(3);
    expect(third.stderr()).toMatch(/p1: offline: .*in use by vfab \(pid \d+/);
    expect(await ended(one), one.stderr()).toBe(0);
    expect(await ended(two), two.stderr()).toBe(0);
    const rows = (p: typeof one) =>
      p
        .stdout()
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]!);
    expect([...rows(one), ...rows(two)].sort()).toEqual([...ids].sort());
    expect(rows(one).length).toBeGreaterThan(0);
    expect(rows(two).length).toBeGreaterThan(0);
    const verdict = judgeQueue(sb, programs, papers());
    expect(verdict.missing).toEqual(Object.fromEntries(ids.map((id) => [id, 0])));
    expect(verdict.elsewhere).toEqual([]);
    for (const mm of Object.values(verdict.reinkedMm)) expect(mm).toBeLessThan(0.01);
  }, 60_000);

  it('a plotter that lost motor power keeps its job: unattended, the next run leaves it alone and plots the rest elsewhere', async () => {
    await plotters(['p1', 'p2']);
    const programs = await addSmallJobs(sb, {
      long: { x: 20, y: 20, strokes: 80 },
      o1: { x: 120, y: 20 },
      o2: { x: 150, y: 20 },
      o3: { x: 180, y: 20 },
    });
    expect(sb.run(['queue', 'add', 'long', '--plotter', 'p1']).code).toBe(0);
    expect(sb.run(['queue', 'add', 'o1', 'o2']).code).toBe(0);
    const run = rig.spawn(['queue', 'run', '--unattended', '--page-delay', '0']);
    await saidOnStderr(run, /long: started on p1/);
    await waitForCheckpoints(sb, 'long');
    await rig.plotters.p1!.ctl('motorPowerLoss');
    expect(await ended(run), run.stderr()).toBe(1);
    expect(run.stderr()).toMatch(
      /long: interrupted on p1: plot interrupted at move \d+ of \d+: the plotter's motor power was lost/,
    );
    expect(state('long')).toBe('PLOTTING');

    await rig.plotters.p1!.ctl('motorPowerRestore');
    expect(sb.run(['queue', 'add', 'o3']).code).toBe(0);
    const again = rig.spawn(['queue', 'run', '--unattended', '--page-delay', '0']);
    expect(await ended(again), again.stderr()).toBe(1);
    expect(again.stderr()).toMatch(
      /p1 holds job long \(PLOTTING\): Job 'long': .*the carriage position is unknown/,
    );
    expect(state('long')).toBe('PLOTTING');
    expect(jobStates(sb)).toMatchObject({ o1: 'COMPLETED', o2: 'COMPLETED', o3: 'COMPLETED' });

    // What the recovery wizard has the artist do: let the motors go (the moves in flight when the
    // power went engaged them again), push the carriage home, confirm.
    const conn = await openEbb(rig.plotters.p1!.port);
    await conn.ebb.disableMotors();
    await conn.close();
    await rig.plotters.p1!.ctl('carriageHome');
    expect(
      (await rig.plotters.p1!.ctl<{ warnings: string[] }>('stats')).warnings.filter((w) =>
        /ignored/.test(w),
      ),
    ).toEqual([]);
    const resumed = sb.run(['resume', 'long', '--carriage-at-home']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const verdict = judgeQueue(sb, programs, papers());
    expect(verdict.plotterOf).toEqual({ long: 'p1', o1: 'p2', o2: 'p2', o3: 'p2' });
    expect(verdict.missing).toEqual({ long: 0, o1: 0, o2: 0, o3: 0 });
    expect(verdict.elsewhere).toEqual([]);
  }, 90_000);
});

describe('at a terminal', () => {
  it('Enter confirms every plotter waiting for paper; a plotter name confirms that one', async () => {
    await plotters(['p1', 'p2']);
    await addSmallJobs(sb, {
      a: { x: 20, y: 20 },
      b: { x: 80, y: 20 },
      c: { x: 140, y: 20 },
      d: { x: 200, y: 20 },
    });
    expect(sb.run(['queue', 'add', 'a', 'b', 'c', 'd']).code).toBe(0);
    // `script` gives vfab a terminal for stdin and stdout, as a person's shell would.
    const tty = endWithTest(
      spawn(
        'script',
        [
          '-qfec',
          `${process.execPath} ${path.join(ROOT, 'bin', 'vfab.js')} queue run`,
          '/dev/null',
        ],
        { env: sb.env, cwd: sb.root, stdio: ['pipe', 'pipe', 'pipe'] },
      ),
    );
    let out = '';
    tty.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => tty.on('exit', (code) => r(code)));
    const count = (re: RegExp) => out.match(new RegExp(re, 'g'))?.length ?? 0;
    const said = async (re: RegExp, times = 1) => {
      await waitFor(
        `${re} said ${times} time(s) (said so far:\n${out})`,
        () => {
          if (tty.exitCode !== null) throw new Error(`never said ${re} ${times} time(s):\n${out}`);
          return count(re) >= times;
        },
        { timeoutMs: 20_000, everyMs: 20 },
      );
    };
    try {
      await said(
        /p1: waiting for paper[^\n]*or Enter \(Enter alone confirms every plotter waiting; type a plotter name to confirm one\)/,
      );
      await said(/p2: waiting for paper/);
      tty.stdin!.write('p2\n');
      await said(/p2: paper changed \(enter\)/);
      tty.stdin!.write('p3\n');
      await said(/'p3' is not waiting for paper; waiting: p1 \(Enter alone confirms all of them\)/);
      expect(count(/p1: paper changed/)).toBe(0);
      tty.stdin!.write('\n');
      await said(/p1: paper changed \(enter\)/);
      // Both jobs done, both plotters wait again: one Enter confirms both.
      await said(/waiting for paper \(next: job [cd]\)/, 2);
      tty.stdin!.write('\n');
      await said(/p\d: paper changed \(enter\)/, 4);
      expect(await exited).toBe(0);
      expect(jobStates(sb)).toMatchObject({
        a: 'COMPLETED',
        b: 'COMPLETED',
        c: 'COMPLETED',
        d: 'COMPLETED',
      });
    } finally {
      if (tty.exitCode === null) tty.kill('SIGKILL');
      await exited;
    }
  }, 60_000);
});
