/**
 * AxiDraw's min_gap (config plot.min_gap_mm, --min-gap): pen-up hops shorter than it are drawn
 * pen-down, the paths joined in plan.json, so the paper judged against the plan counts the join.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src-main/config/config';
import { planSettings } from '../src-main/jobs/prepare';
import { buildPlan } from '../src-main/plan/build';
import { joinShortGaps } from '../src-main/plan/clean';
import { MIN_GAP_MM } from '../src-main/plan/min-gap';
import { optimizePaths, travelLength } from '../src-main/plan/optimize';
import { readPlan } from '../src-main/plan/plan-file';
import { MoveKind } from '../src-main/plan/planner';
import type { Polyline } from '../src-main/svg/types';
import { readPaper } from '../src-main/plotter/virtual/paper';
import { readSvg } from '../src-main/svg/read';
import { sandbox, type Sandbox } from './helpers/cli';
import { jobProgram, judgePaper, startPlotterProcess } from './helpers/crash-rig';

const P = (...xy: number[]): Polyline => Float64Array.from(xy);
const plain = (paths: readonly Polyline[]) => paths.map((p) => Array.from(p));

describe('joinShortGaps', () => {
  it('joins a hop shorter than the min gap, keeping both paths’ points in order', () => {
    const { paths, joins } = joinShortGaps(
      [P(0, 0, 10, 0), P(10, 0.15, 0, 0.15), P(0, 5, 10, 5)],
      0.2,
    );
    expect(joins).toBe(1);
    expect(plain(paths)).toEqual([
      [0, 0, 10, 0, 10, 0.15, 0, 0.15],
      [0, 5, 10, 5],
    ]);
  });

  it('leaves a hop of the min gap or more pen-up (AxiDraw: shorter than min_gap)', () => {
    const input = [P(0, 0, 10, 0), P(10, 0.2, 0, 0.2), P(0, 0.45, 10, 0.45)];
    const { paths, joins } = joinShortGaps(input, 0.2);
    expect(joins).toBe(0);
    expect(paths).toEqual(input);
  });

  it('chains several short hops into one stroke', () => {
    const { paths, joins } = joinShortGaps(
      [P(0, 0, 1, 0), P(1.1, 0, 2, 0), P(2.1, 0, 3, 0)],
      MIN_GAP_MM,
    );
    expect(joins).toBe(2);
    expect(plain(paths)).toEqual([[0, 0, 1, 0, 1.1, 0, 2, 0, 2.1, 0, 3, 0]]);
  });

  it('joins nothing at 0', () => {
    const input = [P(0, 0, 10, 0), P(10, 0.01, 0, 0.01)];
    expect(joinShortGaps(input, 0)).toEqual({ paths: input, joins: 0 });
  });
});

describe('optimizePaths with a min gap', () => {
  // A hairpin: back along a line 0.15 mm below, as hatching and outlined text are drawn.
  const hairpin = [P(20, 20, 60, 20), P(60, 20.15, 20, 20.15)];

  it('draws the short hop pen-down by default, records the join, and travels less', () => {
    const off = optimizePaths(hairpin, { preset: 'default', minGapMm: 0 });
    const on = optimizePaths(hairpin, { preset: 'default' });
    expect(off.stats.joins).toBe(0);
    expect(off.paths).toHaveLength(2);
    expect(on.stats.joins).toBe(1);
    expect(on.stats.liftsAfter).toBe(1);
    expect(plain(on.paths)).toEqual([[20, 20, 60, 20, 60, 20.15, 20, 20.15]]);
    expect(on.stats.travelAfterMm).toBeCloseTo(off.stats.travelAfterMm - 0.15, 9);
    expect(on.stats.travelAfterMm).toBeCloseTo(travelLength(on.paths), 9);
    expect(on.stats.penDownMm).toBeCloseTo(off.stats.penDownMm + 0.15, 9);
  });

  it('joins paths whose ends meet within the gap, reversing one, but not ends exactly the gap apart', () => {
    const ends = optimizePaths([P(0, 0, 10, 0), P(20, 0.15, 10, 0.15)], {
      preset: 'fast',
      minGapMm: 0.2,
    });
    expect(ends.stats.joins).toBe(1);
    expect([
      [0, 0, 10, 0, 10, 0.15, 20, 0.15],
      [20, 0.15, 10, 0.15, 10, 0, 0, 0],
    ]).toContainEqual(plain(ends.paths)[0]);
    const apart = optimizePaths([P(0, 0, 10, 0), P(20, 0.2, 10, 0.2)], {
      preset: 'fast',
      minGapMm: 0.2,
    });
    expect(apart.stats.joins).toBe(0);
    expect(apart.paths).toHaveLength(2);
  });

  it('joins in the file’s order too, when that order is kept (stats.order input)', () => {
    // Drawn in the file's order, the strokes are already shortest; their short hops still join.
    const rungs = Array.from({ length: 6 }, (_, i) =>
      i % 2 ? P(10, i * 0.1, 0, i * 0.1) : P(0, i * 0.1, 10, i * 0.1),
    );
    const { paths, stats } = optimizePaths(rungs, { preset: 'fast', start: [0, 0] });
    expect(stats.joins).toBe(5);
    expect(paths).toHaveLength(1);
    expect(stats.travelAfterMm).toBeCloseTo(0, 9);
  });
});

describe('buildPlan', () => {
  it('never joins across layers, even where the next layer starts within the gap', () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="297mm" height="210mm" viewBox="0 0 297 210">' +
      '<g inkscape:groupmode="layer" inkscape:label="1-a"><path d="M 20 20 H 60" fill="none" stroke="black"/></g>' +
      '<g inkscape:groupmode="layer" inkscape:label="2-b"><path d="M 60 20.15 H 20" fill="none" stroke="black"/></g></svg>';
    const built = buildPlan(readSvg(svg), {
      job: 'j',
      settings: planSettings(defaultConfig()),
      device: defaultConfig().device,
      fileName: 'j.svg',
    });
    if (!('plan' in built)) throw new Error(built.unfit);
    expect(built.plan.settings.minGapMm).toBe(MIN_GAP_MM);
    expect(built.plan.layers.map((l) => [l.paths.length, l.stats.joins])).toEqual([
      [1, 0],
      [1, 0],
    ]);
    expect(built.plan.summary.lifts).toBe(2);
  });
});

describe('vfab --min-gap and plot.min_gap_mm', () => {
  let sb: Sandbox;
  let file: string;
  beforeEach(() => {
    sb = sandbox();
    file = path.join(sb.root, 'hairpin.svg');
    fs.writeFileSync(
      file,
      '<svg xmlns="http://www.w3.org/2000/svg" width="297mm" height="210mm" viewBox="0 0 297 210"><path d="M 20 20 H 60 M 60 20.15 H 20" fill="none" stroke="black"/></svg>',
    );
  });
  afterEach(() => sb.cleanup());

  const plan = (id: string) => readPlan(path.join(sb.jobsDir, id, 'plan.json'));

  it('joins by default, not with --min-gap 0 nor below a configured gap; refuses a gap past 5 mm', () => {
    expect(sb.run(['add', 'job', 'joined', file]).code).toBe(0);
    expect(plan('joined').settings.minGapMm).toBe(MIN_GAP_MM);
    expect(plan('joined').layers[0]!.stats.joins).toBe(1);
    expect(plan('joined').summary.lifts).toBe(1);
    expect(sb.run(['info', 'job', 'joined']).stdout).toMatch(
      / LIFTS +JOINS +TIME\n.* 1 +1 +\d+ s\n/,
    );

    expect(sb.run(['add', 'job', 'apart', file, '--min-gap', '0']).code).toBe(0);
    expect(plan('apart').settings.minGapMm).toBe(0);
    expect(plan('apart').layers[0]!.paths).toHaveLength(2);
    expect(plan('apart').summary.lifts).toBe(2);

    fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
    fs.writeFileSync(sb.configFile, 'plot:\n  min_gap_mm: 0.1\n');
    expect(sb.run(['add', 'job', 'configured', file]).code).toBe(0);
    expect(plan('configured').layers[0]!.stats.joins).toBe(0);
    expect(sb.run(['plan', 'configured', '--min-gap', '0.5']).code).toBe(0);
    expect(plan('configured').layers[0]!.stats.joins).toBe(1);

    const wide = sb.run(['plan', 'configured', '--min-gap', '6']);
    expect(wide.code).toBe(2);
    expect(wide.stderr).toContain('--min-gap 6: at most 5 mm');
  });

  it('plots the join: the paper holds the bridge, pen down, and equals the plan', async () => {
    expect(sb.run(['add', 'job', 'hp', file]).code).toBe(0);
    const program = jobProgram(sb, 'hp');
    let lowers = 0;
    for (let k = 0; k < program.length; k++) if (program.kind[k] === MoveKind.PenDown) lowers++;
    expect(lowers).toBe(1);
    const plotter = await startPlotterProcess(sb, 50);
    try {
      const r = sb.run(['plot', 'hp', '--device', plotter.port, '--carriage-at-home']);
      expect(r.stdout, r.stderr).toContain('hp\tCOMPLETED');
      const verdict = judgePaper(program, plotter.paper);
      expect(verdict).toMatchObject({ missing: 0, reinkedMm: 0 });
      // The bridge, inked in one go: from the end of the first stroke down to the start of the second.
      const bridge = readPaper(plotter.paper).filter(
        (l) => Math.abs(l.fromMm[0] - 60) < 0.02 && Math.abs(l.toMm[0] - 60) < 0.02,
      );
      const mm = (v: number) => Math.round(v * 100) / 100;
      expect(mm(bridge[0]!.fromMm[1])).toBe(20);
      expect(mm(bridge.at(-1)!.toMm[1])).toBe(20.15);
      bridge.slice(1).forEach((l, i) => expect(l.fromMm).toEqual(bridge[i]!.toMm));
    } finally {
      await plotter.stop();
    }
  }, 60_000);
});
