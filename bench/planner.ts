/**
 * Motion-planner benchmarks on the four largest SVG fixtures, read with the app's SVG reader and
 * ordered with the `fast` preset layer after layer (as a plot would run them), at the AxiDraw
 * defaults: planning time per input point (median of 7 runs after a warm-up; saxi measured
 * 2.3–3.4 µs/point here), program memory per move, the shortest move against the EBB's minimum,
 * and the planned duration against a physical lower bound — all pen-down length at full pen-down
 * speed plus the pen lifts — which no plan can beat (travel and cornering are the rest) — and
 * against the same plan without the minimum move time (what merging and slowing short moves cost).
 */
import fs from 'node:fs';
import path from 'node:path';
import { defaultConfig } from '../src-main/config/config';
import { motionProfile } from '../src-main/plan/motion';
import { optimizePaths } from '../src-main/plan/optimize';
import type { Polyline } from '../src-main/svg/types';
import {
  DEFAULT_MIN_MOVE_S,
  MoveKind,
  planMotion,
  programBytes,
  programDuration,
  type MotionLayer,
} from '../src-main/plan/planner';
import { readSvg } from '../src-main/svg/read';
import { median, timeMs, type BenchRow, type BenchSuite } from './report';

const FIXTURES = [
  'lorem_ipsum_outline.svg',
  'Declaration.svg',
  'test_svg__benchmark__7k_lines.svg',
  'test_svg__benchmark__multi_skull.svg',
];

function orderedLayers(file: string): MotionLayer[] {
  const drawing = readSvg(fs.readFileSync(path.join(__dirname, '..', 'test', 'fixtures', file)), {
    fileName: file,
  });
  let start: readonly [number, number] = [0, 0];
  return drawing.layers.map((l) => {
    const r = optimizePaths(l.paths, { preset: 'fast', start });
    start = r.end;
    return { paths: r.paths, pauseBefore: l.pauseBefore };
  });
}

function penDownMm(paths: readonly Polyline[]): number {
  let mm = 0;
  for (const p of paths)
    for (let i = 2; i + 1 < p.length; i += 2)
      mm += Math.hypot(p[i]! - p[i - 2]!, p[i + 1]! - p[i - 1]!);
  return mm;
}

function benchFixture(file: string): BenchRow[] {
  const profile = motionProfile(defaultConfig().device);
  const layers = orderedLayers(file);
  const paths = layers.flatMap((l) => l.paths);
  const points = paths.reduce((n, p) => n + (p.length >> 1), 0);
  let program = planMotion(layers, profile);
  const us =
    (median(
      Array.from({ length: 7 }, () =>
        timeMs(() => {
          program = planMotion(layers, profile);
        }),
      ),
    ) *
      1000) /
    points;
  const bytes = programBytes(program) / program.length;
  let shortest = Infinity;
  const draws: number[] = [];
  for (let i = 0; i < program.length; i++) {
    const k = program.kind[i];
    if (k !== MoveKind.Draw && k !== MoveKind.Travel) continue;
    shortest = Math.min(shortest, program.duration[i]!);
    if (k === MoveKind.Draw) draws.push(program.duration[i]!);
  }
  // What the EBB's minimum move time costs: the same plan with (almost) no minimum and no merging.
  const unconstrained = programDuration(
    planMotion(layers, profile, { minMoveS: 1e-6, mergeToleranceMm: 0 }),
  );
  const lifts = paths.filter((p) => p.length >= 4).length;
  const bound =
    penDownMm(paths) / profile.penDownSpeedMmS + lifts * (profile.penRaiseS + profile.penLowerS);
  const ratio = programDuration(program) / bound;
  const name = file.replace(/\.svg$/, '');
  return [
    {
      name: `${name}: input points / LM moves (pen-down)`,
      value: points,
      unit: `points / ${draws.length}`,
    },
    {
      name: `${name}: planning time per input point`,
      value: +us.toFixed(3),
      unit: 'µs',
      target: '<= 1.5',
      ok: us <= 1.5,
    },
    {
      name: `${name}: program memory per move`,
      value: +bytes.toFixed(1),
      unit: 'B',
      target: '<= 32',
      ok: bytes <= 32,
    },
    {
      name: `${name}: shortest move`,
      value: +(shortest * 1000).toFixed(2),
      unit: 'ms',
      target: `>= ${DEFAULT_MIN_MOVE_S * 1000}`,
      ok: shortest >= DEFAULT_MIN_MOVE_S - 1e-12,
    },
    {
      name: `${name}: median pen-down move`,
      value: +(median(draws) * 1000).toFixed(1),
      unit: 'ms',
    },
    {
      name: `${name}: planned duration`,
      value: +(programDuration(program) / 60).toFixed(1),
      unit: 'min',
    },
    {
      name: `${name}: planned duration / same without the minimum move time`,
      value: +(programDuration(program) / unconstrained).toFixed(4),
      unit: 'x',
    },
    { name: `${name}: planned duration / lower bound`, value: +ratio.toFixed(3), unit: 'x' },
  ];
}

export const plannerSuite: BenchSuite = {
  name: 'planner',
  run() {
    return FIXTURES.flatMap(benchFixture);
  },
};
