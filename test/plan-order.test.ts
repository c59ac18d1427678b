/**
 * Black-box: the built `vfab` plans drawings whose own order is already good (a stipple drawing is
 * one long walk of touching steps) with no more pen-up travel than that order, at every preset.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPlan } from '../src-main/plan/plan-file';
import { FIXTURES, sandbox, type Sandbox } from './helpers/cli';
import { seeded } from './helpers/crash-rig';

let sb: Sandbox;
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

const PRESETS = ['fast', 'default', 'best'] as const;

/** Plans `file` at each preset; the plan's travel, and each layer's, against the file's own order. */
function travelByPreset(
  file: string,
): { preset: string; before: number; after: number; orders: string[]; lifts: number }[] {
  return PRESETS.map((preset) => {
    const id = `walk-${preset}`;
    const r = sb.run(['add', 'job', id, file, '--optimization', preset]);
    expect(r.code, r.stderr).toBe(0);
    const plan = readPlan(path.join(sb.jobsDir, id, 'plan.json'));
    for (const l of plan.layers)
      expect(l.stats.travelAfterMm).toBeLessThanOrEqual(l.stats.travelBeforeMm + 1e-9);
    return {
      preset,
      before: plan.summary.travelBeforeMm,
      after: plan.summary.travelMm,
      orders: plan.layers.map((l) => l.stats.order),
      lifts: plan.summary.lifts,
    };
  });
}

/**
 * A walk like Woolf.svg's, one `<path>` per step in Woolf's units (1/72 in, y up) and transform:
 * steps of about 10 units in random directions, kept in a box so it crosses itself thousands of
 * times and now and then steps straight back over the step before.
 */
function stippleWalk(steps: number): string {
  const moves: [number, number][] = [];
  for (let dx = -10; dx <= 10; dx++)
    for (let dy = -10; dy <= 10; dy++)
      if (Math.hypot(dx, dy) >= 9 && Math.hypot(dx, dy) <= 10.5) moves.push([dx, dy]);
  const rand = seeded(16);
  let x = 350,
    y = 450;
  const out: string[] = [];
  while (out.length < steps) {
    const [dx, dy] = moves[Math.floor(rand() * moves.length)]!;
    if (x + dx < 200 || x + dx > 500 || y + dy < 300 || y + dy > 600) continue;
    out.push(`<path style="fill:none;stroke:#000000;stroke-width:1" d="m ${x},${y} ${dx},${dy}"/>`);
    x += dx;
    y += dy;
  }
  const file = path.join(sb.root, 'walk.svg');
  fs.writeFileSync(
    file,
    `<svg xmlns="http://www.w3.org/2000/svg" width="11in" height="8.5in" viewBox="0 0 11 8.5">\n` +
      `<g transform="matrix(0.01388889,0,0,-0.01388889,-0.04862042,9.9444459)">\n${out.join('\n')}\n</g>\n</svg>\n`,
  );
  return file;
}

describe('planning a stipple walk', () => {
  it('never travels more than the file order on a slice of the real Woolf drawing', () => {
    const runs = travelByPreset(path.join(FIXTURES, 'Woolf-slice.svg'));
    for (const run of runs) {
      expect(run.after, run.preset).toBeLessThanOrEqual(run.before);
      // Two walks (the file's first and last steps), each drawn as one stroke.
      expect(run.lifts, run.preset).toBe(2);
    }
  });

  it('draws a Woolf-sized walk of 11,654 steps that crosses and retraces itself as one stroke', () => {
    const runs = travelByPreset(stippleWalk(11_654));
    for (const run of runs) {
      expect(run.before, run.preset).toBeGreaterThan(100);
      expect(run.after, run.preset).toBeLessThanOrEqual(run.before);
      expect(run.lifts, run.preset).toBe(1);
      expect(run.orders, run.preset).toEqual(['optimized']);
    }
  });
});
