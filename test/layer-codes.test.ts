/**
 * AxiDraw layer control codes (wiki "AxiDraw Layer Control"): `+S` pen-down speed, `+H` pen-down
 * height, `+D` delay before the layer, read from Inkscape layer names into the plan, and the
 * program the plotter runs (and the estimate) honouring them layer by layer.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../src-main/config/config';
import { buildPlan } from '../src-main/plan/build';
import { estimatePaths } from '../src-main/plan/estimate';
import { motionProfile } from '../src-main/plan/motion';
import { readPlan, readPlanOverview, writePlan, type Plan } from '../src-main/plan/plan-file';
import type { Polyline } from '../src-main/svg/types';
import {
  MoveKind,
  planMotion,
  plotProgram,
  programDuration,
  type MotionProgram,
} from '../src-main/plan/planner';
import { ebbCommand } from '../src-main/plotter/lm';
import { parseLayerLabel } from '../src-main/svg/layers';
import { useTempDirs } from './helpers/tmp';
import { mmDoc, read } from './svg-helpers';

const P = (...xy: number[]): Polyline => Float64Array.from(xy);
const device = defaultConfig().device;
const profile = motionProfile(device);
const codes = (label: string) => parseLayerLabel(label).codes;
const layer = (name: string) =>
  `<g inkscape:groupmode="layer" inkscape:label="${name}"><path d="M10 10 H60" stroke="black"/></g>`;

describe('parseLayerLabel: the codes', () => {
  it('reads each code after the number, in any case and order, the rest being the name', () => {
    expect(codes('2+S75 outline')).toEqual({ speedPct: 75, heightPct: null, delayMs: null });
    expect(codes('3+h40')).toEqual({ speedPct: null, heightPct: 40, delayMs: null });
    expect(codes('1+D500')).toEqual({ speedPct: null, heightPct: null, delayMs: 500 });
    expect(codes('2+S75+H40+d1500 outline')).toEqual({
      speedPct: 75,
      heightPct: 40,
      delayMs: 1500,
    });
    expect(codes('+s30 no number')).toEqual({ speedPct: 30, heightPct: null, delayMs: null });
    const label = parseLayerLabel('  !4+H0+S110 red');
    expect(label).toMatchObject({
      pen: 4,
      pauseBefore: true,
      skip: false,
      codes: { speedPct: 110, heightPct: 0, delayMs: null },
      ignored: [],
    });
  });

  it('the last valid code of a kind wins; codes after other text, or after a space, are only name', () => {
    expect(codes('1+S20+S60')).toEqual({ speedPct: 60, heightPct: null, delayMs: null });
    expect(codes('1+S20+S0')).toEqual({ speedPct: 20, heightPct: null, delayMs: null });
    expect(codes('1 +S20')).toEqual({ speedPct: null, heightPct: null, delayMs: null });
    expect(codes('1-black+S20')).toEqual({ speedPct: null, heightPct: null, delayMs: null });
    expect(codes('1-black')).toEqual({ speedPct: null, heightPct: null, delayMs: null });
  });

  it('ignores out-of-range or numberless codes, as AxiDraw does, and says which', () => {
    expect(parseLayerLabel('2+S0')).toMatchObject({
      pen: 2,
      codes: { speedPct: null },
      ignored: ['+S0 is outside 1–110'],
    });
    expect(parseLayerLabel('2+S150')).toMatchObject({
      codes: { speedPct: null },
      ignored: ['+S150 is outside 1–110'],
    });
    expect(parseLayerLabel('2+H101')).toMatchObject({
      codes: { heightPct: null },
      ignored: ['+H101 is outside 0–100'],
    });
    // "+Sx": no number; the codes end there and "x…" is the name.
    expect(parseLayerLabel('2+Sx+H40')).toMatchObject({
      codes: { speedPct: null, heightPct: null },
      ignored: ['+S has no number'],
    });
    expect(parseLayerLabel('2+D3600001')).toMatchObject({
      codes: { delayMs: null },
      ignored: ['+D3600001 is outside 1–3600000'],
    });
    // +D0 asks for no delay: nothing to warn about.
    expect(parseLayerLabel('2+D0')).toMatchObject({ codes: { delayMs: null }, ignored: [] });
    expect(parseLayerLabel('%3+S50 notes')).toMatchObject({ skip: true, ignored: [] });
  });

  it('the drawing carries the codes per layer and warns about ignored ones, naming the layer', () => {
    const d = read(mmDoc(layer('1') + layer('2+S50+H30+D250 slow') + layer('3+S150')));
    expect(d.layers.map((l) => [l.name, l.speedPct, l.heightPct, l.delayMs])).toEqual([
      ['1', null, null, null],
      ['2+S50+H30+D250 slow', 50, 30, 250],
      ['3+S150', null, null, null],
    ]);
    expect(d.warnings.map((w) => w.message)).toContain(
      'layer "3+S150": +S150 is outside 1–110 and was ignored, as the AxiDraw software does',
    );
  });
});

const seconds = (p: MotionProgram, kind: number) => {
  let t = 0;
  for (let k = 0; k < p.length; k++) if (p.kind[k] === kind) t += p.duration[k]!;
  return t;
};

describe('the program and the estimate honour the codes', () => {
  const paths = [P(10, 10, 110, 10, 110, 20, 10, 20)];

  it('+S: a layer at +S10 draws the same strokes slower than the configured 25 %, +S50 faster', () => {
    const plain = planMotion([{ paths }], profile);
    const slow = planMotion([{ paths, speedPct: 10 }], profile);
    const fast = planMotion([{ paths, speedPct: 50 }], profile);
    expect(seconds(slow, MoveKind.Draw)).toBeGreaterThan(2 * seconds(plain, MoveKind.Draw));
    expect(seconds(fast, MoveKind.Draw)).toBeLessThan(seconds(plain, MoveKind.Draw));
    // Top speed of the +S10 layer: 10 % of 8.6979 in/s at 110 %.
    expect(Math.max(...[...slow.v1].filter((_, k) => slow.kind[k] === MoveKind.Draw))).toBeCloseTo(
      (8.6979 * 25.4 * 10) / 110,
      3,
    );
    // Pen-up travel is not the layer's business.
    expect(seconds(slow, MoveKind.Travel)).toBeCloseTo(seconds(plain, MoveKind.Travel), 9);
    // Only the coded layer changes: the next layer plots at config speed again.
    const two = planMotion([{ paths, speedPct: 10 }, { paths }], profile);
    expect(seconds(two, MoveKind.Draw)).toBeCloseTo(
      seconds(slow, MoveKind.Draw) + seconds(plain, MoveKind.Draw),
      6,
    );
  });

  it('+H: the pen travel and so its raise and lower times follow the layer height', () => {
    const p = planMotion([{ paths, heightPct: 10 }, { paths }], profile);
    const downs = [...p.kind.keys()]
      .filter((k) => p.kind[k] === MoveKind.PenDown)
      .map((k) => p.duration[k]!);
    // Config: up 60 %, down 40 %; +H10 makes the pen travel 50 % instead of 20 %: a longer move.
    expect(downs[0]).toBeGreaterThan(downs[1]!);
    expect(downs[1]).toBeCloseTo(profile.penLowerS, 9);
  });

  it('+D: a pen-up wait before the layer, in SM pieces of at most half a second, the exact milliseconds', () => {
    const p = planMotion([{ paths }, { paths, delayMs: 1234 }], profile);
    const dwell = [...p.kind.keys()].filter((k) => p.kind[k] === MoveKind.Dwell);
    expect(dwell.map((k) => ebbCommand(p, k))).toEqual(['SM,411,0,0', 'SM,412,0,0', 'SM,411,0,0']);
    // After the first layer's last pen-up, before the second layer's first move.
    expect(p.kind[dwell[0]! - 1]).toBe(MoveKind.PenUp);
    expect(seconds(p, MoveKind.Dwell)).toBeCloseTo(1.234, 9);
  });

  it('estimate: the layer estimate and the whole plan take the slower layer and the delay into account', () => {
    const plain = estimatePaths(paths, profile);
    const coded = estimatePaths(paths, profile, [0, 0], { speedPct: 10, delayMs: 2000 });
    expect(coded.penDownS).toBeGreaterThan(2 * plain.penDownS);
    expect(coded.delayS).toBeCloseTo(2, 9);
    expect(coded.seconds).toBeCloseTo(coded.penDownS + coded.travelS + coded.penLiftS + 2, 9);

    const drawing = read(mmDoc(layer('1') + layer('1+S10+D2000')));
    const built = buildPlan(drawing, {
      job: 'j',
      settings: {
        preset: 'default',
        paper: 'A4',
        marginMm: 0,
        fit: 'none',
        model: 'V3/A4',
        toleranceMm: 0.1,
      },
      device,
      fileName: 'test.svg',
    });
    if (!('plan' in built)) throw new Error(built.unfit);
    const [one, two] = built.plan.layers;
    expect([two!.speedPct, two!.heightPct, two!.delayMs]).toEqual([10, null, 2000]);
    expect(two!.estimate.seconds - two!.estimate.delayS!).toBeGreaterThan(
      1.5 * one!.estimate.seconds,
    );
    const unCoded = plotProgram(
      built.plan.layers.map((l) => ({ paths: l.paths })),
      profile,
    );
    expect(built.plan.summary.estimateS).toBeGreaterThan(programDuration(unCoded) + 2);
  });
});

describe('plan.json', () => {
  const tempDir = useTempDirs('vfab-layer-codes-');

  it('keeps the codes, and a plan written before them loads with none', () => {
    const file = path.join(tempDir(), 'plan.json');
    // A layer as plans were written before the codes: no speedPct, heightPct or delayMs.
    const estimate = {
      seconds: 1,
      penDownS: 1,
      travelS: 0,
      penLiftS: 0,
      lifts: 1,
      penDownMm: 10,
      travelMm: 0,
    };
    const stats = {
      pathsIn: 1,
      pathsOut: 1,
      pointsIn: 2,
      pointsOut: 2,
      penDownMm: 10,
      travelBeforeMm: 0,
      travelAfterMm: 0,
      liftsBefore: 1,
      liftsAfter: 1,
    };
    const old = {
      format: 1,
      job: 'old',
      createdAt: '2026-11-01T00:00:00.000Z',
      settings: {
        preset: 'default',
        paper: 'A4',
        marginMm: 10,
        fit: 'none',
        model: 'V3/A4',
        toleranceMm: 0.05,
      },
      summary: {
        paper: 'A4 landscape',
        paperWidthMm: 297,
        paperHeightMm: 210,
        scale: 1,
        layerCount: 1,
        pathCount: 1,
        pointCount: 2,
        penDownMm: 10,
        travelMm: 0,
        travelBeforeMm: 0,
        lifts: 1,
        estimateS: 1,
      },
      layers: [
        {
          name: '1',
          pen: 1,
          pauseBefore: false,
          pause: null,
          color: null,
          source: 'inkscape-layer',
          stats,
          estimate,
          paths: [[0, 0, 10, 0]],
        },
      ],
    };
    fs.writeFileSync(file, JSON.stringify(old));
    expect(readPlan(file).layers.map((l) => [l.speedPct, l.heightPct, l.delayMs])).toEqual([
      [null, null, null],
    ]);
    expect(readPlanOverview(file)!.layers[0]).toMatchObject({
      speedPct: null,
      heightPct: null,
      delayMs: null,
    });
    const loaded: Plan = readPlan(file);
    writePlan(file, {
      ...loaded,
      layers: loaded.layers.map((l) => ({ ...l, speedPct: 75, heightPct: 30, delayMs: 500 })),
    });
    expect(readPlan(file).layers.map((l) => [l.speedPct, l.heightPct, l.delayMs])).toEqual([
      [75, 30, 500],
    ]);
  });
});
