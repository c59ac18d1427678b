/**
 * Resume from rest, as a user meets it: `vfab plot` SIGKILLed inside a long stroke on a virtual
 * plotter in its own process, then `vfab resume`: the first pen-down move after the resume starts
 * with both motors at rest, and the paper holds the plan exactly once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../src-main/config/config';
import { motionProfile } from '../src-main/plan/motion';
import { MoveKind } from '../src-main/plan/planner';
import { LM_TICK_S } from '../src-main/plotter/lm';
import type { PenDownEntry } from '../src-main/plotter/virtual/machine';
import {
  jobProgram,
  judgePaper,
  longStrokesSvg,
  reinkBound,
  runAndKill,
  startPlotterProcess,
} from './helpers/crash-rig';
import { usePlotterSandbox } from './helpers/plotter-sandbox';

const SPEED = 5;
/** The plot's first progress line past move 0: strokes are on their way. */
const FIRST_MOVES = /\d+% \(move [1-9]/;

const rig = usePlotterSandbox();

function lastCheckpoint(id: string): number {
  const lines = fs
    .readFileSync(path.join(rig.sb.jobsDir, id, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n');
  const progress = lines.map((l) => JSON.parse(l)).filter((e) => e.type === 'progress');
  return progress.at(-1)?.progress.move ?? -1;
}

describe('resume from rest', () => {
  it('a plot killed inside a stroke resumes it from rest, and the paper equals the plan', async () => {
    rig.plotter = await startPlotterProcess(rig.sb, SPEED);
    const device = ['--device', rig.plotter.port, '--speed', String(SPEED)];
    expect(rig.sb.run(['add', 'job', 'long', longStrokesSvg(rig.sb, 12)]).code).toBe(0);
    const program = jobProgram(rig.sb, 'long');
    const inStroke = (k: number) =>
      k >= 0 &&
      program.kind[k] === MoveKind.Draw &&
      program.kind[k + 1] === MoveKind.Draw &&
      program.v1[k]! > 0;
    // Killed until the last checkpoint lies inside a stroke (most of this drawing's time is).
    let kills = 0;
    for (
      let first = true;
      kills < 6 && (kills === 0 || !inStroke(lastCheckpoint('long')));
      first = false, kills++
    ) {
      const r = await runAndKill(
        rig.sb,
        [first ? 'plot' : 'resume', 'long', ...device],
        'SIGKILL',
        700 + 300 * kills,
        FIRST_MOVES,
      );
      expect(r.killed, r.stderr).toBe(true);
    }
    const from = lastCheckpoint('long');
    expect(inStroke(from), `checkpoint move ${from}`).toBe(true);
    expect(program.v0[from + 1]).toBeGreaterThan(0); // where the planned program would enter

    const resumedAt = Date.now();
    const resumed = rig.sb.run(['resume', 'long', ...device]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('long\tCOMPLETED');

    const stats = await rig.plotter.ctl<{ penDownEntries: { recent: PenDownEntry[] } }>('stats');
    const entry = stats.penDownEntries.recent.find((e) => e.at >= resumedAt);
    // Rest, or at most what one 40 µs tick of the profile's acceleration gives either motor.
    const profile = motionProfile(defaultConfig().device);
    const oneTick = profile.accelMmS2 * LM_TICK_S * program.stepsPerMm * Math.SQRT2;
    expect(entry, 'a pen-down stroke after the resume').toBeDefined();
    for (const rate of entry!.rates) expect(rate).toBeLessThanOrEqual(oneTick);

    const verdict = judgePaper(program, rig.plotter.paper);
    expect(verdict.missing, `${verdict.missingMm.toFixed(2)} mm missing`).toBe(0);
    expect(verdict.reinkedMm).toBeLessThanOrEqual(kills * reinkBound(program) + 0.01);
    expect(rig.sb.run(['system', 'journal', 'validate', 'long']).code).toBe(0);
  }, 120_000);
});
