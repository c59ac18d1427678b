/**
 * Crash recovery around the plot itself: who owns a plot, how unfinished jobs are classified,
 * restart, `vfab check self`, the signal handlers, and the recovery guide's scripts run unmodified.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { bootId } from '../src-main/jobs/lock';
import { MoveKind } from '../src-main/plan/planner';
import { backUpFrom } from '../src-main/plotter/plot-setup';
import { claimPlot, deviceOwnerFile, livePlotOwners } from '../src-main/jobs/owner';
import { FIXTURES, ROOT } from './helpers/cli';
import { usePlotterSandbox } from './helpers/plotter-sandbox';
import {
  jobProgram,
  judgePaper,
  spawnVfab,
  startPlotterProcess,
  waitForState,
  waitForCheckpoints,
} from './helpers/crash-rig';
import { endWithTest } from './helpers/processes';
import { useTempDirs } from './helpers/tmp';
import { waitFor } from './helpers/wait';

const tempDir = useTempDirs('vfab-recovery-');
const rig = usePlotterSandbox();

const SPEED = 25;
const now = () => new Date().toISOString();

/** Appends hand-made journal lines (as a crashed vfab would have left them). */
function journal(id: string, ...entries: object[]): void {
  const file = path.join(rig.sb.jobsDir, id, 'journal.jsonl');
  const seq0 = fs.readFileSync(file, 'utf8').trim().split('\n').length;
  fs.appendFileSync(
    file,
    entries
      .map((e, i) => `${JSON.stringify({ ...e, timestamp: now(), seq: seq0 + i + 1 })}\n`)
      .join(''),
  );
}

const toPlotting = [
  { type: 'state_change', from_state: 'READY', to_state: 'QUEUED', reason: 'queued', metadata: {} },
  {
    type: 'state_change',
    from_state: 'QUEUED',
    to_state: 'ARMED',
    reason: 'pre-flight',
    metadata: {},
  },
  {
    type: 'state_change',
    from_state: 'ARMED',
    to_state: 'PLOTTING',
    reason: 'plotting',
    metadata: {},
  },
];
const checkpoint = (move: number) => ({
  type: 'progress',
  progress: { move, layer: 0, path: 3, point: 2, steps: [10, 20], pen_down_mm: 12.5 },
});

function ownerFile(id: string, pid: number, host = os.hostname()): void {
  fs.writeFileSync(
    path.join(rig.sb.jobsDir, id, 'plot.owner'),
    JSON.stringify({
      job: id,
      device: '/dev/ttyACM0',
      pid,
      host,
      boot: bootId(),
      since: now(),
      refreshed: now(),
    }),
  );
}

describe('plot ownership', () => {
  it('lets one claim a job and a device, refuses a second, and takes over from a dead owner', () => {
    const data = tempDir();
    const jobDir = path.join(data, 'jobs', 'a');
    fs.mkdirSync(jobDir, { recursive: true });
    const claim = claimPlot({ jobDir, dataDir: data, job: 'a', device: '/dev/ttyACM0' });
    expect(() => claimPlot({ jobDir, dataDir: data, job: 'a', device: '/dev/ttyACM1' })).toThrow(
      /Job 'a' is being plotted by vfab \(pid \d+/,
    );
    const other = path.join(data, 'jobs', 'b');
    fs.mkdirSync(other);
    expect(() =>
      claimPlot({ jobDir: other, dataDir: data, job: 'b', device: '/dev/ttyACM0' }),
    ).toThrow(/Device '\/dev\/ttyACM0' is in use .* plotting job 'a'/);
    expect(fs.existsSync(path.join(other, 'plot.owner'))).toBe(false);
    expect(livePlotOwners(path.join(data, 'jobs')).map((o) => o.owner.job)).toEqual(['a']);
    claim.release();
    expect(fs.existsSync(path.join(jobDir, 'plot.owner'))).toBe(false);
    expect(fs.existsSync(deviceOwnerFile(data, '/dev/ttyACM0'))).toBe(false);
    // A SIGKILLed owner leaves its files; the next claim sees the pid is gone and takes over.
    const dead = spawn(process.execPath, ['-e', '0']);
    return new Promise<void>((resolve) => {
      dead.on('exit', () => {
        fs.writeFileSync(
          path.join(jobDir, 'plot.owner'),
          JSON.stringify({
            job: 'a',
            device: 'x',
            pid: dead.pid,
            host: os.hostname(),
            since: now(),
            refreshed: now(),
          }),
        );
        const again = claimPlot({ jobDir, dataDir: data, job: 'a', device: '/dev/ttyACM0' });
        expect(JSON.parse(fs.readFileSync(path.join(jobDir, 'plot.owner'), 'utf8')).pid).toBe(
          process.pid,
        );
        again.release();
        resolve();
      });
    });
  });
});

describe('classifying unfinished jobs', () => {
  it('tells interrupted (with cause and checkpoint) from running and stuck, in pipe-friendly rows', async () => {
    for (const id of ['crashed', 'signalled', 'paused', 'running', 'stuck', 'ready'])
      expect(rig.sb.run(['add', 'job', id, path.join(FIXTURES, 'AxiDraw_trivial.svg')]).code).toBe(
        0,
      );
    journal('crashed', ...toPlotting, checkpoint(41));
    journal('signalled', ...toPlotting, checkpoint(7), {
      type: 'emergency_shutdown',
      state: 'PLOTTING',
      reason: 'signal_received',
      metadata: { signal: 'SIGHUP', checkpoint: checkpoint(7).progress },
    });
    journal('paused', ...toPlotting, {
      type: 'state_change',
      from_state: 'PLOTTING',
      to_state: 'PAUSED',
      reason: 'pen change before layer 2 (2-red)',
      metadata: { checkpoint: checkpoint(9).progress },
    });
    journal('running', ...toPlotting, checkpoint(3));
    journal('stuck', ...toPlotting, checkpoint(5));
    // A live process owns both; the stuck one's journal has not moved for ten minutes.
    const holder = endWithTest(spawn('sleep', ['30']));
    try {
      ownerFile('running', holder.pid!);
      ownerFile('stuck', holder.pid!);
      const old = new Date(Date.now() - 600_000);
      fs.utimesSync(path.join(rig.sb.jobsDir, 'stuck', 'journal.jsonl'), old, old);
      fs.writeFileSync(
        path.join(rig.sb.jobsDir, 'stuck', 'plot.owner'),
        JSON.stringify({
          job: 'stuck',
          device: 'd',
          pid: holder.pid,
          host: os.hostname(),
          boot: bootId(),
          since: old.toISOString(),
          refreshed: now(),
        }),
      );

      const interrupted = rig.sb.run(['info', 'queue', '--interrupted']);
      const rows = interrupted.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      expect(rows.map((r) => r[0]).sort()).toEqual(['crashed', 'paused', 'signalled']);
      expect(rows.find((r) => r[0] === 'crashed')!.slice(1, 4)).toEqual([
        'PLOTTING',
        'crash',
        'move 42, layer 1, 12.5 mm drawn',
      ]);
      expect(rows.find((r) => r[0] === 'signalled')![5]).toMatch(/signal .*\(SIGHUP\)/);
      expect(rows.find((r) => r[0] === 'paused')!.slice(1, 3)).toEqual(['PAUSED', 'paused']);
      expect(rig.sb.sh("vfab info queue --interrupted | awk '{print $1}' | sort").stdout).toBe(
        'crashed\npaused\nsignalled\n',
      );

      const stuck = rig.sb.run(['info', 'queue', '--stuck']);
      expect(
        stuck.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t')[0]),
      ).toEqual(['stuck']);
      expect(rig.sb.sh('vfab info queue --stuck | wc -l').stdout.trim()).toBe('1');
      const json = JSON.parse(rig.sb.run(['info', 'queue', '--stuck', '--json']).stdout).jobs[0];
      expect(json).toMatchObject({ id: 'stuck', condition: 'stuck', owner: { pid: holder.pid } });
      expect(json.silent_s).toBeGreaterThan(500);

      // A live owner also keeps others away: resume and remove are refused as busy.
      expect(rig.sb.run(['resume', 'running']).code).toBe(9);
      expect(rig.sb.run(['remove', 'job', 'running', '--force']).code).toBe(9);
    } finally {
      holder.kill();
    }
    // No owner left: both are interrupted now.
    await waitFor(
      'the owner process to end',
      () => holder.exitCode !== null || holder.signalCode !== null,
    );
    expect(rig.sb.sh("vfab info queue --interrupted | awk '{print $1}' | sort").stdout).toBe(
      'crashed\npaused\nrunning\nsignalled\nstuck\n',
    );
    // Without a job named, resume leaves the deliberate pause alone and says so.
    const dry = rig.sb.run(['resume', '--dry-run']);
    expect(
      dry.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0])
        .sort(),
    ).toEqual(['crashed', 'running', 'signalled', 'stuck']);
    expect(dry.stderr).toContain(
      'paused: PAUSED (pen change before layer 2 (2-red)); resume it by name when ready: vfab resume paused',
    );
  });

  it('backs up whole strokes before the checkpoint', () => {
    expect(
      rig.sb.run(['add', 'job', 'b', path.join(FIXTURES, 'AxiDraw_First.svg'), '--fit', 'scale'])
        .code,
    ).toBe(0);
    const p = jobProgram(rig.sb, 'b');
    const downs: number[] = [];
    for (let k = 0; k < p.length; k++) if (p.kind[k] === MoveKind.PenDown) downs.push(k);
    const mid = downs[10]! + 3; // inside the 11th stroke
    expect(p.kind[mid]).toBe(MoveKind.Draw);
    expect(backUpFrom(p, mid, 1)).toBe(downs[10]! - 1);
    expect(backUpFrom(p, mid, 3)).toBe(downs[8]! - 1);
    expect(backUpFrom(p, mid, 100)).toBe(-1);
    expect(backUpFrom(p, mid, 0)).toBe(mid);
  });
});

describe('vfab restart', () => {
  it("takes the guide's reconstructed journal (NEW -> NEW) and plans the job again from its source", () => {
    expect(
      rig.sb.run(['add', 'job', 'rebuilt', path.join(FIXTURES, 'AxiDraw_trivial.svg')]).code,
    ).toBe(0);
    const file = path.join(rig.sb.jobsDir, 'rebuilt', 'journal.jsonl');
    fs.writeFileSync(
      file,
      `{"type": "state_change", "from_state": "NEW", "to_state": "NEW", "timestamp": "${now()}", "reason": "Journal reconstruction", "metadata": {}}\n`,
    );
    const r = rig.sb.run(['restart', 'rebuilt']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('rebuilt\tQUEUED\n');
    expect(rig.sb.run(['info', 'job', 'rebuilt', '--state-only']).stdout).toBe('QUEUED\n');
    expect(rig.sb.run(['system', 'journal', 'validate', 'rebuilt']).code).toBe(0);
  });

  it('puts an interrupted plot back in the queue from the start, and plots it whole with --now', () => {
    expect(
      rig.sb.run([
        'add',
        'job',
        'again',
        path.join(FIXTURES, 'AxiDraw_First.svg'),
        '--fit',
        'scale',
      ]).code,
    ).toBe(0);
    journal('again', ...toPlotting, checkpoint(3));
    const r = rig.sb.run(['restart', 'again', '--now', '--device', 'virtual', '--speed', '50']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'again: PLOTTING -> QUEUED (restart from the beginning of the plan)',
    );
    expect(r.stdout).toContain('again\tCOMPLETED');
    const paperFile = r.stdout.match(/^paper: (.*)$/m)![1]!;
    expect(judgePaper(jobProgram(rig.sb, 'again'), paperFile).missing).toBe(0);
    fs.rmSync(path.dirname(paperFile), { recursive: true, force: true });
  });
});

describe('signals while plotting', () => {
  it('Ctrl-C (SIGINT) lifts the pen, journals emergency_shutdown and exits 130; info system lists the handlers', async () => {
    expect(
      rig.sb.run([
        'add',
        'job',
        'ctrlc',
        path.join(FIXTURES, 'AxiDraw_First.svg'),
        '--fit',
        'scale',
      ]).code,
    ).toBe(0);
    // About 25 s of plotting: under load a faster plot may end before PLOTTING is seen.
    const p = spawnVfab(rig.sb, ['plot', 'ctrlc', '--device', 'virtual', '--speed', '2']);
    expect(await waitForState(rig.sb, 'ctrlc', 'PLOTTING')).toBe(true);
    await waitForCheckpoints(rig.sb, 'ctrlc');
    const t = Date.now();
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(130);
    expect(Date.now() - t).toBeLessThan(5000);
    const last = JSON.parse(
      fs
        .readFileSync(path.join(rig.sb.jobsDir, 'ctrlc', 'journal.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .at(-1)!,
    );
    expect(last).toMatchObject({
      type: 'emergency_shutdown',
      state: 'PLOTTING',
      reason: 'signal_received',
      metadata: { signal: 'SIGINT' },
    });
    expect(fs.existsSync(path.join(rig.sb.jobsDir, 'ctrlc', 'plot.owner'))).toBe(false);
    expect(fs.readFileSync(rig.sb.logFile, 'utf8')).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ERROR job ctrlc: emergency_shutdown \(signal_received\)/m,
    );
    const handlers = rig.sb.sh('vfab info system | grep -i signal').stdout;
    for (const [sig, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
      ['SIGHUP', 129],
    ] as const)
      expect(handlers).toMatch(new RegExp(`${sig}: .*exit ${code}`));
  }, 30_000);
});

describe('vfab check self', () => {
  it('says ok / warn / fail per part with the fix, and exits with the worst', () => {
    fs.mkdirSync(path.dirname(rig.sb.configFile), { recursive: true });
    fs.writeFileSync(rig.sb.configFile, 'camera:\n  enabled: false\ndevice:\n  port: virtual\n');
    expect(
      rig.sb.run(['add', 'job', 'fine', path.join(FIXTURES, 'AxiDraw_trivial.svg')]).code,
    ).toBe(0);
    const ok = rig.sb.run(['check', 'self', '--json']);
    const report = JSON.parse(ok.stdout).self;
    expect(report.checks.map((c: { name: string }) => c.name)).toEqual([
      'config',
      'workspace',
      'disk',
      'database',
      'journals',
      'jobs',
      'device',
      'camera',
    ]);
    expect(report.status).toBe('ok');
    expect(ok.code).toBe(0);
    // An interrupted plot is a warning with its fix; a damaged journal is a failure.
    journal('fine', ...toPlotting, checkpoint(2));
    const warn = rig.sb.run(['check', 'self']);
    expect(warn.code).toBe(1);
    expect(warn.stdout).toMatch(/^warn {2}jobs +1 interrupted: fine\n +fix: vfab resume/m);
    fs.appendFileSync(
      path.join(rig.sb.jobsDir, 'fine', 'journal.jsonl'),
      'not json at all\n{"type":"progress","progress":{"move":3}}\n',
    );
    const fail = rig.sb.run(['check', 'self']);
    expect(fail.code).toBe(2);
    expect(fail.stdout).toMatch(
      /^fail {2}journals +1 of 1 damaged: fine\n +fix: vfab system journal repair fine/m,
    );
  });
});

describe("the recovery guide's scripts, unmodified", () => {
  const guide = (name: string) => path.join(ROOT, 'test', 'fixtures', 'guide', name);

  async function interruptedJob(id: string, signal: NodeJS.Signals): Promise<void> {
    expect(
      rig.sb.run(['add', 'job', id, path.join(FIXTURES, 'AxiDraw_First.svg'), '--fit', 'scale'])
        .code,
    ).toBe(0);
    const p = spawnVfab(rig.sb, ['plot', id]);
    expect(await waitForState(rig.sb, id, 'PLOTTING')).toBe(true);
    await waitForCheckpoints(rig.sb, id);
    p.child.kill(signal);
    await p.exited;
  }

  beforeEach(async () => {
    rig.plotter = await startPlotterProcess(rig.sb, SPEED);
    fs.mkdirSync(path.dirname(rig.sb.configFile), { recursive: true });
    fs.writeFileSync(
      rig.sb.configFile,
      `device:\n  port: ${rig.plotter.port}\ncamera:\n  enabled: false\n`,
    );
  });

  it('recover_all_interrupted.sh restarts the interrupted plot and resumes the paused one', async () => {
    await interruptedJob('job_crashed', 'SIGKILL');
    const svg = path.join(rig.sb.root, 'two-pens.svg');
    fs.writeFileSync(
      svg,
      `<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="100mm" height="100mm" viewBox="0 0 100 100">` +
        `<g inkscape:groupmode="layer" inkscape:label="1-black"><path d="M10 10 H 90" stroke="black"/></g>` +
        `<g inkscape:groupmode="layer" inkscape:label="2-red"><path d="M10 50 H 90" stroke="red"/></g></svg>`,
    );
    expect(rig.sb.run(['add', 'job', 'job_pens', svg]).code).toBe(0);
    // The crashed plot left the carriage mid-sheet: sent home, the next job is drawn on that sheet.
    expect(rig.sb.run(['home']).stdout).toBe('default\ttravelled\n');
    expect(rig.sb.run(['plot', 'job_pens']).stdout).toContain('job_pens\tPAUSED');
    const out = rig.sb.sh(`bash ${guide('recover_all_interrupted.sh')}`);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(
      /Found interrupted jobs: (job_crashed\s+job_pens|job_pens\s+job_crashed)\n/,
    );
    expect(out.stdout).toMatch(
      /Recovering job: job_crashed\n {2}Current state: PLOTTING\n(.|\n)*? {2}New state: QUEUED/,
    );
    expect(out.stdout).toMatch(
      /Recovering job: job_pens\n {2}Current state: PAUSED\n(.|\n)*? {2}New state: COMPLETED/,
    );
    expect(out.stdout).toContain('Recovery complete.');
  }, 60_000);

  it('auto_recovery.sh resumes every interrupted plot; crash_analysis.sh counts the crashes from the log', async () => {
    await interruptedJob('job_a', 'SIGTERM');
    const program = jobProgram(rig.sb, 'job_a');
    const out = rig.sb.sh(`bash ${guide('auto_recovery.sh')}`);
    expect(out.stdout).toMatch(/Auto-recovering interrupted jobs: job_a/);
    expect(rig.sb.run(['info', 'job', 'job_a', '--state-only']).stdout).toBe('COMPLETED\n');
    expect(judgePaper(program, rig.plotter!.paper).missing).toBe(0);
    expect(rig.sb.sh(`bash ${guide('auto_recovery.sh')}`).stdout).toBe('');
    const report = rig.sb.sh(`bash ${guide('crash_analysis.sh')}`);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(
      /Crashes by Type:\n\s+1 job job_a: emergency_shutdown \(signal_received\)/,
    );
    expect(report.stdout).toMatch(/Crashes by Hour:\n\s+\d+ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(report.stdout).toMatch(/Most Affected Jobs:\n\s+\d+ job_a/);
  }, 60_000);
});
