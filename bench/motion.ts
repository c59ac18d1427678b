/**
 * Plot time against the physics and against saxi, on the four largest fixtures.
 *
 * vfab: the plan `vfab add` makes at the defaults on an A3 model (buildPlan: placement, ordering, joins, the
 * whole program home). Its lower bound is what no plan of those paths can beat: the pen-down
 * length at full pen-down speed, the pen-up travel at full pen-up speed, and every lift's servo
 * time — acceleration and cornering are the rest.
 *
 * saxi (npm `saxi`, its own default pipeline: reorder, join paths within 0.5 mm, plan with its
 * default profile) gets the same placed polylines, in millimetres, unordered — each tool orders
 * and plans the drawing its own way with its own defaults, as a user of either would plot it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { defaultConfig } from '../src-main/config/config';
import { planSettings } from '../src-main/jobs/prepare';
import { buildPlan } from '../src-main/plan/build';
import { motionProfile } from '../src-main/plan/motion';
import { placeDrawing } from '../src-main/plan/paper';
import type { Polyline } from '../src-main/svg/types';
import { readSvg } from '../src-main/svg/read';
import type { BenchRow } from './report';

// saxi ships CommonJS without types; only its planning modules are loaded (no serial port).
/* eslint-disable @typescript-eslint/no-require-imports -- untyped CommonJS modules, typed by the casts below */
const massager = require('saxi/dist/server/massager.js') as {
  replan(paths: Point[][], options: object): { duration(): number };
};
const planning = require('saxi/dist/server/planning.js') as { defaultPlanOptions: object };
/* eslint-enable @typescript-eslint/no-require-imports */

interface Point {
  x: number;
  y: number;
}

const FIXTURES: { file: string; boundTarget?: number }[] = [
  { file: 'lorem_ipsum_outline.svg', boundTarget: 1.25 },
  { file: 'Declaration.svg' },
  { file: 'test_svg__benchmark__7k_lines.svg', boundTarget: 1.05 },
  { file: 'test_svg__benchmark__multi_skull.svg' },
];

/** CSS px per mm: saxi reads SVG user units and scales them by 25.4 / 96. */
const PX_PER_MM = 96 / 25.4;

function length(p: Polyline): number {
  let mm = 0;
  for (let i = 2; i + 1 < p.length; i += 2)
    mm += Math.hypot(p[i]! - p[i - 2]!, p[i + 1]! - p[i - 1]!);
  return mm;
}

/** Seconds to cover `d` mm from rest to rest at top speed `v` and acceleration `a`. */
function restToRest(d: number, v: number, a: number): number {
  return d >= (v * v) / a ? d / v + v / a : 2 * Math.sqrt(d / a);
}

/**
 * Seconds no plan of these ordered layers can beat (see the file comment), and the floor once
 * acceleration counts: every stroke and every hop starts and ends at rest (the pen moves only
 * while the carriage stands), even with no slowing at corners.
 */
function bounds(layers: readonly (readonly Polyline[])[]): { lower: number; floor: number } {
  const profile = motionProfile(defaultConfig().device);
  const vDown = profile.penDownSpeedMmS,
    vUp = profile.penUpSpeedMmS;
  let lower = 0,
    floor = 0,
    x = 0,
    y = 0;
  const hop = (d: number) => {
    lower += d / vUp;
    if (d > 0) floor += restToRest(d, vUp, profile.penUpAccelMmS2);
  };
  for (const paths of layers) {
    for (const p of paths) {
      if (p.length < 4) continue;
      hop(Math.hypot(p[0]! - x, p[1]! - y));
      const down = length(p),
        pen = profile.penRaiseS + profile.penLowerS;
      lower += down / vDown + pen;
      floor += restToRest(down, vDown, profile.accelMmS2) + pen;
      x = p[p.length - 2]!;
      y = p[p.length - 1]!;
    }
  }
  hop(Math.hypot(x, y));
  return { lower, floor };
}

function saxiSeconds(layers: readonly (readonly Polyline[])[]): number {
  const paths: Point[][] = [];
  for (const layer of layers) {
    for (const p of layer) {
      const pts: Point[] = [];
      for (let i = 0; i + 1 < p.length; i += 2)
        pts.push({ x: p[i]! * PX_PER_MM, y: p[i + 1]! * PX_PER_MM });
      paths.push(pts);
    }
  }
  const log = console.time,
    end = console.timeEnd;
  // saxi times its stages on the console; keep the bench table readable.
  console.time = console.timeEnd = () => {};
  try {
    return massager
      .replan(paths, {
        ...planning.defaultPlanOptions,
        fitPage: false,
        cropToMargins: false,
        layerMode: 'all',
        rotateDrawing: 0,
      })
      .duration();
  } finally {
    console.time = log;
    console.timeEnd = end;
  }
}

function fixtureRows({ file, boundTarget }: (typeof FIXTURES)[number]): BenchRow[] {
  const config = defaultConfig();
  const drawing = readSvg(fs.readFileSync(path.join(__dirname, '..', 'test', 'fixtures', file)), {
    fileName: file,
  });
  // An A3 machine: multi_skull's page is A3 and would not fit the default A4 model's travel.
  const settings = { ...planSettings(config), model: 'V3/A3' as const };
  const built = buildPlan(drawing, {
    job: 'bench',
    settings,
    device: config.device,
    fileName: file,
  });
  if ('unfit' in built) throw new Error(`${file}: ${built.unfit}`);
  const plan = built.plan;
  const placed = placeDrawing(drawing, {
    paper: settings.paper,
    autoRotate: settings.autoRotate ?? false,
    model: settings.model,
    marginMm: settings.marginMm,
    fit: settings.fit,
    fileName: file,
  });
  const saxi = saxiSeconds(placed.fitted.layers.map((l) => l.paths));
  const vfab = plan.summary.estimateS;
  const { lower, floor } = bounds(plan.layers.map((l) => l.paths));
  const name = file.replace(/\.svg$/, '');
  const ratio = vfab / lower;
  return [
    {
      name: `${name}: planned duration, vfab defaults`,
      value: +(vfab / 60).toFixed(1),
      unit: 'min',
    },
    {
      name: `${name}: planned duration, saxi 0.15 defaults`,
      value: +(saxi / 60).toFixed(1),
      unit: 'min',
    },
    {
      name: `${name}: vfab / saxi`,
      value: +(vfab / saxi).toFixed(3),
      unit: 'x',
      target: '<= 1',
      ok: vfab <= saxi,
    },
    {
      name: `${name}: vfab planned / lower bound (pen-down + travel at full speed + lifts)`,
      value: +ratio.toFixed(3),
      unit: 'x',
      ...(boundTarget !== undefined && { target: `<= ${boundTarget}`, ok: ratio <= boundTarget }),
    },
    {
      name: `${name}: acceleration floor / lower bound (rest-to-rest strokes and hops, no corners)`,
      value: +(floor / lower).toFixed(3),
      unit: 'x',
    },
    { name: `${name}: vfab pen lifts`, value: plan.summary.lifts, unit: 'lifts' },
  ];
}

/** The comparison rows of the `plan` suite. */
export function motionRows(): BenchRow[] {
  return FIXTURES.flatMap(fixtureRows);
}
