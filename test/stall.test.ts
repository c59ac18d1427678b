/**
 * A frozen plotting process (SIGSTOP for 3 s, as an event-loop stall, a GC pause or a laptop
 * suspend would freeze it) must not fail the plot: the replies the board sent meanwhile sit in the
 * port, and the plot carries on to COMPLETED with the paper equal to the plan. The virtual plotter
 * runs on in its own process meanwhile (its FIFO drains: starvation, expected here).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './helpers/cli';
import {
  jobProgram,
  judgePaper,
  spawnVfab,
  startPlotterProcess,
  waitForState,
  waitForCheckpoints,
} from './helpers/crash-rig';
import { usePlotterSandbox } from './helpers/plotter-sandbox';
import { holdFor } from './helpers/wait';

const FIXTURE = path.join(FIXTURES, 'AxiDraw_First.svg');
const SPEED = 10;
const FREEZE_MS = 3000;

const rig = usePlotterSandbox();

describe('a frozen plotting process', () => {
  it('SIGSTOP for 3 s mid-plot, then SIGCONT: the plot completes, the paper equals the plan, the stall is logged', async () => {
    rig.plotter = await startPlotterProcess(rig.sb, SPEED);
    expect(rig.sb.run(['add', 'job', 'frozen', FIXTURE, '--fit', 'scale']).code).toBe(0);
    const program = jobProgram(rig.sb, 'frozen');
    const p = spawnVfab(rig.sb, [
      'plot',
      'frozen',
      '--device',
      rig.plotter.port,
      '--speed',
      String(SPEED),
    ]);
    const pid = p.child.pid!;
    try {
      expect(await waitForState(rig.sb, 'frozen', 'PLOTTING')).toBe(true);
      await waitForCheckpoints(rig.sb, 'frozen');
      process.kill(pid, 'SIGSTOP');
      await holdFor(FREEZE_MS, 'the process stays frozen this long: the stall under test');
      // Still mid-plot when frozen: the job was not done before the freeze.
      expect(rig.sb.run(['info', 'job', 'frozen', '--state-only']).stdout).toBe('PLOTTING\n');
      process.kill(pid, 'SIGCONT');
      expect(await p.exited, p.stderr()).toBe(0);
    } finally {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
        await p.exited;
      }
    }
    expect(rig.sb.run(['info', 'job', 'frozen', '--state-only']).stdout).toBe('COMPLETED\n');
    const verdict = judgePaper(program, rig.plotter.paper);
    expect(verdict.missing).toBe(0);
    expect(verdict.reinkedMm).toBe(0);
    expect(fs.readFileSync(rig.sb.logFile, 'utf8')).toMatch(
      /WARNING job frozen: this process was frozen for \d+ ms/,
    );
  }, 90_000);
});
