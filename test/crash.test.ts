/**
 * The crash test (issue 5): a real fixture drawing plotted by `vfab` processes that are killed at
 * random moments, on a virtual plotter in its own process; `vfab resume` until COMPLETED; then the
 * paper must hold every planned stroke, re-ink no more than the in-flight window allows, and the
 * journals and database must agree. The same with SIGTERM, a torn journal tail, plotter power
 * loss and a USB unplug. Trials are seeded: a failure names its seed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEngine } from '../src-main/engine';
import { bootId } from '../src-main/jobs/lock';
import type { MotionProgram } from '../src-main/plan/planner';
import { processState } from '../src-main/util/proc-stat';
import { FIXTURES, ROOT } from './helpers/cli';
import { waitFor } from './helpers/fake-camera';
import { usePlotterSandbox } from './helpers/plotter-sandbox';
import { startUnreaped } from './helpers/unreaped';
import {
  crashTrial,
  jobProgram,
  judgePaper,
  reinkBound,
  runAndKill,
  spawnVfab,
  startPlotterProcess,
  waitForState,
  waitForCheckpoints,
} from './helpers/crash-rig';

const FIXTURE = path.join(FIXTURES, 'AxiDraw_First.svg');
const SPEED = 25;
const TRIALS = Number(process.env.VFAB_CRASH_TRIALS ?? 20);
/** The plot's first progress line past move 0: the job is PLOTTING and strokes are on their way. */
const FIRST_MOVES = /\d+% \(move [1-9]/;

const rig = usePlotterSandbox();

/** The flags that point vfab at the virtual plotter process and tell it how fast that runs. */
const device = (p = rig.plotter!) => ['--device', p.port, '--speed', String(SPEED)];

function addJob(id: string): MotionProgram {
  const added = rig.sb.run(['add', 'job', id, FIXTURE, '--fit', 'scale']);
  expect(added.code, added.stderr).toBe(0);
  return jobProgram(rig.sb, id);
}

function expectConsistent(id: string): void {
  const validate = rig.sb.run(['system', 'journal', 'validate', id]);
  expect(validate.code, validate.stdout + validate.stderr).toBe(0);
  const state = rig.sb.run(['info', 'job', id, '--state-only']).stdout.trim();
  const listed = rig.sb
    .run(['list', 'jobs'])
    .stdout.split('\n')
    .find((l) => l.startsWith(`${id}\t`));
  expect(listed?.split('\t')[1]).toBe(state);
}

describe('the crash test', () => {
  it(`SIGKILL at random moments (${TRIALS} seeded trials): every stroke on the paper, journals and database agree`, async () => {
    rig.plotter = await startPlotterProcess(rig.sb, SPEED);
    let interruptions = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const id = `trial${trial}`;
      const program = addJob(id);
      const before = fs.existsSync(rig.plotter.paper)
        ? fs.readFileSync(rig.plotter.paper, 'utf8')
        : '';
      const seed = 1000 + trial;
      const result = await crashTrial(rig.sb, id, {
        seed,
        signal: 'SIGKILL',
        kills: 1 + (trial % 2),
        device: device(),
        minMs: 600,
        maxMs: 2800,
      });
      expect(result.completed, `seed ${seed}: ${result.runs.map((r) => r.stderr).join('\n')}`).toBe(
        true,
      );
      for (const r of result.runs.filter((r) => !r.killed))
        expect(r.code, `seed ${seed}: ${r.stderr}`).toBe(0);
      const n = result.interruptions;
      interruptions += n;
      // Judge this trial's ink only: the paper file is shared across trials.
      const trialPaper = path.join(rig.sb.root, `paper-${trial}.jsonl`);
      fs.writeFileSync(trialPaper, fs.readFileSync(rig.plotter.paper, 'utf8').slice(before.length));
      const verdict = judgePaper(program, trialPaper);
      expect(
        verdict.missing,
        `seed ${1000 + trial}: ${verdict.missingMm.toFixed(1)} mm missing`,
      ).toBe(0);
      expect(verdict.reinkedMm, `seed ${1000 + trial}`).toBeLessThanOrEqual(
        n * reinkBound(program) + 0.01,
      );
      expectConsistent(id);
    }
    expect(interruptions).toBeGreaterThanOrEqual(TRIALS);
  }, 600_000);

  it('a kill before the plot armed the job leaves it QUEUED: not interrupted, resume names vfab plot, and the plot run again draws it whole', async () => {
    rig.plotter = await startPlotterProcess(rig.sb, SPEED);
    const program = addJob('early');
    // What `vfab plot` leaves when SIGKILL lands between its QUEUED and ARMED entries: the QUEUED
    // entry it journals, and the owner file of a process that is gone.
    const engine = openEngine({ env: rig.sb.env });
    try {
      engine.jobs.transition('early', 'QUEUED', 'queued for plotting');
    } finally {
      engine.close();
    }
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    fs.writeFileSync(
      path.join(rig.sb.jobsDir, 'early', 'plot.owner'),
      JSON.stringify({
        job: 'early',
        device: rig.plotter.port,
        pid: dead,
        host: os.hostname(),
        boot: bootId(),
        since: new Date().toISOString(),
        refreshed: new Date().toISOString(),
      }),
    );
    expect(rig.sb.run(['info', 'queue', '--interrupted']).stdout).toBe('');
    const refused = rig.sb.run(['resume', 'early', ...device()]);
    expect(refused.code).toBe(7);
    expect(refused.stderr).toContain(
      "Job 'early' is QUEUED, not interrupted; it has not started: vfab plot early.",
    );
    const result = await crashTrial(rig.sb, 'early', {
      seed: 1,
      signal: 'SIGKILL',
      kills: 0,
      device: device(),
      minMs: 0,
      maxMs: 0,
    });
    expect(result.completed, result.runs.map((r) => r.stderr).join('\n')).toBe(true);
    expect(result.runs).toHaveLength(1);
    expect(judgePaper(program, rig.plotter.paper).missing).toBe(0);
    expectConsistent('early');
  }, 60_000);

  it('SIGTERM: exit 143 within seconds, emergency_shutdown journaled, resumable to a complete paper', async () => {
    rig.plotter = await startPlotterProcess(rig.sb, SPEED);
    const program = addJob('term');
    const r = await runAndKill(rig.sb, ['plot', 'term', ...device()], 'SIGTERM', 500, FIRST_MOVES);
    expect(r.killed).toBe(true);
    expect(r.code).toBe(143);
    expect(r.exitMs).toBeLessThan(5000);
    expect(r.stderr).toContain('vfab resume term');
    const last = JSON.parse(
      fs
        .readFileSync(path.join(rig.sb.jobsDir, 'term', 'journal.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .at(-1)!,
    );
    expect(last).toMatchObject({
      type: 'emergency_shutdown',
      state: 'PLOTTING',
      reason: 'signal_received',
      metadata: { signal: 'SIGTERM' },
    });
    expect(last.metadata.checkpoint.move).toBeGreaterThan(0);
    expect(rig.sb.run(['info', 'job', 'term', '--state-only']).stdout).toBe('PLOTTING\n');
    const listed = rig.sb.run(['info', 'queue', '--interrupted']);
    expect(listed.stdout.split('\t').slice(0, 3)).toEqual(['term', 'PLOTTING', 'signal_received']);
    expect((await rig.plotter.ctl<{ penUp: boolean }>('status')).penUp).toBe(true);
    const dry = rig.sb.run(['resume', '--dry-run', '--json']);
    const preview = JSON.parse(dry.stdout).resume[0];
    expect(preview).toMatchObject({
      id: 'term',
      cause: 'signal_received',
      from_move: last.metadata.checkpoint.move,
    });
    expect(preview.remaining_mm).toBeGreaterThan(0);
    const resumed = rig.sb.run(['resume', ...device()]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('term\tCOMPLETED');
    const journal = fs.readFileSync(path.join(rig.sb.jobsDir, 'term', 'journal.jsonl'), 'utf8');
    expect(journal).toMatch(
      /"type":"recovery","from_state":"PLOTTING","to_state":"PLOTTING","reason":"Crash recovery"/,
    );
    expect(judgePaper(program, rig.plotter.paper).missing).toBe(0);
    expectConsistent('term');
  }, 60_000);

  it('a job killed a moment ago is interrupted while its process is still a zombie, and resumes to a complete paper', async () => {
    rig.plotter = await startPlotterProcess(rig.sb, SPEED);
    const program = addJob('zombie');
    // The plot's parent never reaps it: after the SIGKILL its pid still answers kill(pid, 0).
    const plot = startUnreaped(
      [process.execPath, path.join(ROOT, 'bin', 'vfab.js'), 'plot', 'zombie', ...device()],
      { env: rig.sb.env, cwd: rig.sb.root },
    );
    try {
      await waitFor(
        () => FIRST_MOVES.test(plot.stderr()),
        30_000,
        `the plot's first moves (it said: ${plot.stderr()})`,
      );
      const pid = await plot.killToZombie();
      const listed = rig.sb.run(['info', 'queue', '--interrupted', '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout).jobs).toEqual([
        expect.objectContaining({
          id: 'zombie',
          state: 'PLOTTING',
          condition: 'interrupted',
          cause: 'crash',
        }),
      ]);
      const resumed = rig.sb.run(['resume', 'zombie', ...device()]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(processState(pid)).toBe('Z');
    } finally {
      await plot.stop();
    }
    expect(judgePaper(program, rig.plotter.paper).missing).toBe(0);
    expectConsistent('zombie');
  }, 60_000);

  it('a torn journal tail left by the crash is cut before resuming', async () => {
    rig.plotter = await startPlotterProcess(rig.sb, SPEED);
    const program = addJob('torn');
    const r = await runAndKill(rig.sb, ['plot', 'torn', ...device()], 'SIGKILL', 500, FIRST_MOVES);
    expect(r.killed).toBe(true);
    const journal = path.join(rig.sb.jobsDir, 'torn', 'journal.jsonl');
    fs.appendFileSync(journal, '{"type":"progress","progress":{"move":99999,"la');
    expect(rig.sb.run(['info', 'queue', '--interrupted']).stdout).toMatch(
      /^torn\tPLOTTING\tcrash\t/,
    );
    const resumed = rig.sb.run(['resume', 'torn', ...device()]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(judgePaper(program, rig.plotter.paper).missing).toBe(0);
    expect(
      fs
        .readdirSync(path.dirname(journal))
        .some((f) => f.startsWith('journal.jsonl.') && f !== 'journal.jsonl'),
    ).toBe(true);
    expectConsistent('torn');
  }, 60_000);

  it('plotter power loss: stops, asks for the carriage at home, then finishes without a gap', async () => {
    rig.plotter = await startPlotterProcess(rig.sb, SPEED);
    const program = addJob('power');
    const p = spawnVfab(rig.sb, ['plot', 'power', ...device()]);
    expect(await waitForState(rig.sb, 'power', 'PLOTTING')).toBe(true);
    await waitForCheckpoints(rig.sb, 'power');
    await rig.plotter.ctl('motorPowerLoss');
    expect(await p.exited).not.toBe(0);
    const last = JSON.parse(
      fs
        .readFileSync(path.join(rig.sb.jobsDir, 'power', 'journal.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .at(-1)!,
    );
    expect(last).toMatchObject({ type: 'emergency_shutdown', reason: 'plotter_power_lost' });
    await rig.plotter.ctl('motorPowerRestore');
    const refused = rig.sb.run(['resume', 'power', ...device()]);
    expect(refused.code).toBe(7);
    expect(refused.stderr).toMatch(/position is unknown.*--carriage-at-home/s);
    expect(rig.sb.run(['info', 'job', 'power', '--state-only']).stdout).toBe('PLOTTING\n');
    await rig.plotter.ctl('carriageHome');
    const resumed = rig.sb.run(['resume', 'power', ...device(), '--carriage-at-home']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const verdict = judgePaper(program, rig.plotter.paper);
    expect(verdict.missing).toBe(0);
    expect(verdict.reinkedMm).toBeLessThanOrEqual(reinkBound(program));
    expectConsistent('power');
  }, 60_000);

  it('USB unplug mid-move: the job waits with its checkpoint; after replug it finishes', async () => {
    rig.plotter = await startPlotterProcess(rig.sb, SPEED);
    const program = addJob('usb');
    const p = spawnVfab(rig.sb, ['plot', 'usb', ...device()]);
    expect(await waitForState(rig.sb, 'usb', 'PLOTTING')).toBe(true);
    await waitForCheckpoints(rig.sb, 'usb');
    await rig.plotter.ctl('unplug');
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toMatch(/interrupted .*vfab resume usb/);
    const listed = rig.sb.run(['info', 'queue', '--interrupted']).stdout;
    expect(listed).toMatch(/^usb\tPLOTTING\tdevice_lost\t/);
    await rig.plotter.ctl('replug', { resetState: false });
    const resumed = rig.sb.run(['resume', ...device()]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(judgePaper(program, rig.plotter.paper).missing).toBe(0);
    expectConsistent('usb');
  }, 60_000);

  it('two processes racing to plot one job: exactly one plots, the other is told it is busy', async () => {
    rig.plotter = await startPlotterProcess(rig.sb, SPEED);
    addJob('race');
    const second = await startPlotterProcess(rig.sb, SPEED, 'second');
    try {
      const a = spawnVfab(rig.sb, ['plot', 'race', ...device()]);
      const b = spawnVfab(rig.sb, ['plot', 'race', ...device(second)]);
      const codes = [await a.exited, await b.exited].sort();
      expect(codes, a.stderr() + b.stderr()).toEqual([0, 9]);
      expect(a.stderr() + b.stderr()).toMatch(/Job 'race' is being plotted by vfab \(pid \d+/);
      const inked = [rig.plotter.paper, second.paper].map((f) =>
        fs.existsSync(f) ? fs.readFileSync(f, 'utf8').length : 0,
      );
      expect(inked.filter((n) => n > 0)).toHaveLength(1);
      const chain = fs
        .readFileSync(path.join(rig.sb.jobsDir, 'race', 'journal.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((e) => e.type === 'state_change')
        .map((e) => e.to_state);
      expect(chain.slice(-5)).toEqual(['READY', 'QUEUED', 'ARMED', 'PLOTTING', 'COMPLETED']);
      expectConsistent('race');
    } finally {
      await second.stop();
    }
  }, 60_000);
});
