/** Black-box: a drawing with clip paths plans through the built `vfab` with only the clipped ink. */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPlan } from '../src-main/plan/plan-file';
import { FIXTURES, sandbox, type Sandbox } from './helpers/cli';

let sb: Sandbox;
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

describe('clip paths in vfab add job', () => {
  it('plans the ink inside the clips: chords of a disc and a frame cut by evenodd', () => {
    const r = sb.run(['add', 'job', 'clip', path.join(FIXTURES, 'clip_hatch.svg')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(sb.run(['info', 'job', 'clip', '--state-only']).stdout).toBe('READY\n');
    // 19 lines y = 55…145 through a disc of r = 50: chords 2√(r² − d²); 10 verticals over a
    // 100 mm square frame, 5 of them crossing its 50 mm hole.
    let chords = 0;
    for (let d = -45; d <= 45; d += 5) chords += 2 * Math.sqrt(50 ** 2 - d ** 2);
    const frame = 5 * 100 + 5 * 50;
    const plan = readPlan(path.join(sb.jobsDir, 'clip', 'plan.json'));
    expect(Math.abs(plan.summary.penDownMm - (chords + frame)) / (chords + frame)).toBeLessThan(
      0.002,
    );
    expect(plan.summary.pathCount).toBe(19 + 15);
  });
});
