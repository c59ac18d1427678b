/**
 * Path-planning benchmarks: pen-up travel of each ordering (input, greedy nearest neighbour, the
 * three presets), time and peak memory of `default`, and the time estimate of the result; and what
 * AxiDraw's min_gap (plot.min_gap_mm) saves: pen lifts, pen-up travel and estimated time of
 * `default` with min_gap 0 against its default.
 *
 * Inputs are the four largest SVG fixtures and a slice of a stipple drawing (one long walk whose
 * own order is already good), read with the app's SVG reader; each layer is planned
 * in turn from where the previous one ended. Peak memory is a child process's max RSS: the reading
 * and `default` run once more in a fresh process (this file, re-run with VFAB_PLAN_CHILD set) so
 * earlier work does not count against it; node itself is about 50 MB of that. Then bench/motion.ts:
 * plot time against its physical lower bound and against saxi's default pipeline.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { defaultConfig } from '../src-main/config/config';
import { estimatePaths } from '../src-main/plan/estimate';
import { motionProfile } from '../src-main/plan/motion';
import { MIN_GAP_MM } from '../src-main/plan/min-gap';
import {
  greedyNearestNeighbour,
  optimizePaths,
  travelLength,
  type OptimizationPreset,
} from '../src-main/plan/optimize';
import type { Polyline } from '../src-main/svg/types';
import { readSvg } from '../src-main/svg/read';
import { motionRows } from './motion';
import type { BenchRow, BenchSuite } from './report';

const FIXTURES = [
  'lorem_ipsum_outline.svg',
  'Declaration.svg',
  'test_svg__benchmark__7k_lines.svg',
  'test_svg__benchmark__multi_skull.svg',
  'Woolf-slice.svg',
];

/** A fixture's plotted layers, as the SVG reader gives them (default chord tolerance). */
function load(file: string): Polyline[][] {
  const drawing = readSvg(fs.readFileSync(path.join(__dirname, '..', 'test', 'fixtures', file)), {
    fileName: file,
  });
  return drawing.layers.map((l) => l.paths);
}

/** Runs `preset` layer after layer, each starting where the last ended, as a plot would. */
function optimizeAll(
  layers: Polyline[][],
  preset: OptimizationPreset,
  minGapMm = MIN_GAP_MM,
): { paths: Polyline[]; travelMm: number; inputOrderMm: number; pathsOut: number; joins: number } {
  let start: readonly [number, number] = [0, 0];
  const paths: Polyline[] = [];
  let travelMm = 0,
    inputOrderMm = 0,
    joins = 0;
  for (const layer of layers) {
    const r = optimizePaths(layer, { preset, start, minGapMm });
    paths.push(...r.paths);
    travelMm += r.stats.travelAfterMm;
    joins += r.stats.joins ?? 0;
    // Each layer's own order from where this plan's pen is, as the plan reports it.
    inputOrderMm += r.stats.travelBeforeMm;
    start = r.end;
  }
  return { paths, travelMm, inputOrderMm, pathsOut: paths.length, joins };
}

/** Child mode: optimise one fixture with `default` and report time and this process's peak RSS. */
function child(file: string): void {
  const layers = load(file);
  const t = performance.now();
  optimizeAll(layers, 'default');
  const ms = performance.now() - t;
  process.stdout.write(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}

function peakOfDefault(file: string): { ms: number; maxRssMb: number } {
  const run = spawnSync(process.execPath, [...process.execArgv, __filename], {
    env: { ...process.env, VFAB_PLAN_CHILD: file },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`bench child failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { ms: number; maxRssMb: number };
}

const mm = (v: number) => Math.round(v);

function benchFixture(file: string): BenchRow[] {
  const layers = load(file);
  const input = layers.flat();
  // Greedy per layer too, chained like the presets, so the ratio compares like with like.
  let nn = 0;
  let from: readonly [number, number] = [0, 0];
  for (const layer of layers) {
    const ordered = greedyNearestNeighbour(layer, from);
    nn += travelLength(ordered, from);
    const last = ordered.at(-1);
    if (last) from = [last[last.length - 2]!, last[last.length - 1]!];
  }
  const fast = optimizeAll(layers, 'fast');
  const def = optimizeAll(layers, 'default');
  const best = optimizeAll(layers, 'best');
  const ratio = def.travelMm / nn;
  // The guarantee is per layer, against each layer's own order from the same start.
  const overInput = Math.max(...[fast, def, best].map((r) => r.travelMm - r.inputOrderMm));
  const peak = peakOfDefault(file);
  const profile = motionProfile(defaultConfig().device);
  const estimate = estimatePaths(def.paths, profile);
  const noGap = optimizeAll(layers, 'default', 0);
  const noGapS = estimatePaths(noGap.paths, profile).seconds;
  const minGap = `min_gap ${MIN_GAP_MM} mm`;
  const name = file.replace(/\.svg$/, '');
  return [
    {
      name: `${name}: paths in / after merging (default)`,
      value: input.length,
      unit: `paths / ${def.pathsOut}`,
    },
    { name: `${name}: pen-up travel, input order`, value: mm(travelLength(input)), unit: 'mm' },
    { name: `${name}: pen-up travel, greedy NN`, value: mm(nn), unit: 'mm' },
    { name: `${name}: pen-up travel, fast`, value: mm(fast.travelMm), unit: 'mm' },
    { name: `${name}: pen-up travel, default`, value: mm(def.travelMm), unit: 'mm' },
    { name: `${name}: pen-up travel, best`, value: mm(best.travelMm), unit: 'mm' },
    {
      name: `${name}: most any preset travels beyond its layers' input order`,
      value: +overInput.toFixed(3),
      unit: 'mm',
      target: '<= 0',
      ok: overInput <= 1e-6,
    },
    {
      name: `${name}: default / greedy NN`,
      value: +ratio.toFixed(3),
      unit: 'x',
      target: '<= 0.85',
      ok: ratio <= 0.85,
    },
    {
      name: `${name}: default time (fresh process)`,
      value: Math.round(peak.ms),
      unit: 'ms',
      target: '<= 5000',
      ok: peak.ms <= 5000,
    },
    {
      name: `${name}: peak RSS, read + default (fresh process)`,
      value: Math.round(peak.maxRssMb),
      unit: 'MB',
      target: '< 500',
      ok: peak.maxRssMb < 500,
    },
    {
      name: `${name}: estimated plot time (default order, AxiDraw defaults)`,
      value: +(estimate.seconds / 60).toFixed(1),
      unit: 'min',
    },
    {
      name: `${name}: pen lifts, default, ${minGap} (joins made)`,
      value: def.pathsOut,
      unit: `lifts (${def.joins} joins) vs ${noGap.pathsOut} with min_gap 0`,
    },
    {
      name: `${name}: pen-up travel, default, ${minGap}`,
      value: +def.travelMm.toFixed(1),
      unit: `mm vs ${noGap.travelMm.toFixed(1)} with min_gap 0`,
    },
    {
      name: `${name}: estimated plot time, default, ${minGap}`,
      value: +estimate.seconds.toFixed(1),
      unit: `s vs ${noGapS.toFixed(1)} with min_gap 0 (${(100 * (estimate.seconds / noGapS - 1)).toFixed(1)} %)`,
      ok:
        estimate.seconds <= noGapS &&
        def.travelMm <= noGap.travelMm &&
        def.pathsOut <= noGap.pathsOut,
    },
  ];
}

export const planSuite: BenchSuite = {
  name: 'plan',
  run() {
    return [...FIXTURES.flatMap(benchFixture), ...motionRows()];
  },
};

if (process.env.VFAB_PLAN_CHILD) child(process.env.VFAB_PLAN_CHILD);
