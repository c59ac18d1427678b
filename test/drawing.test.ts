/**
 * The app's drawing geometry against a real plan: the preview the API sends decodes to the plan's
 * own coordinates, and a plot position (as progress events and checkpoints name it) maps to the
 * right point, so "on paper" in the app is what the plotter drew.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planPreview } from '../src-main/plan/preview';
import { readPlan, type Plan } from '../src-main/plan/plan-file';
import { planSettings, prepareJob } from '../src-main/jobs/prepare';
import { openEngine } from '../src-main/engine';
import { plotProgram, sourceOf } from '../src-main/plan/planner';
import { backUpFrom } from '../src-main/plotter/plot-setup';
import { motionProfile } from '../src-main/plan/motion';
import {
  backUpPoint,
  decodePreview,
  eachLayerRange,
  pathOf,
  pointIndex,
  type Drawing,
} from '../src-renderer/src/app/drawing/geometry';
import { defaultConfig } from '../src-main/config/config';
import { useTempDirs } from './helpers/tmp';

const tempDir = useTempDirs('vfab-drawing-');

async function plannedFixture(name: string): Promise<Plan> {
  const root = tempDir();
  const env = {
    ...process.env,
    VFAB_DATA_DIR: path.join(root, 'data'),
    VFAB_CONFIG: path.join(root, 'config.yaml'),
  };
  fs.writeFileSync(env.VFAB_CONFIG, 'camera:\n  enabled: false\n');
  const engine = openEngine({ env });
  try {
    const job = await engine.jobs.add({ file: path.join(__dirname, 'fixtures', name) });
    const r = await prepareJob(
      { jobs: engine.jobs, store: engine.store, logger: engine.logger },
      job.id,
      { settings: planSettings(engine.config, { fit: 'scale' }), device: engine.config.device },
    );
    expect(r.state).toBe('READY');
    return readPlan(path.join(engine.paths.jobsDir, job.id, 'plan.json'));
  } finally {
    engine.close();
  }
}

function tiny(): Drawing {
  // Layer 0: paths of 3 and 2 points; layer 1: one path of 4 points.
  const layer = (paths: number[][]) => {
    const starts = new Uint32Array(paths.length + 1);
    paths.forEach((p, i) => (starts[i + 1] = starts[i]! + p.length / 2));
    return { name: 'l', color: null, xy: Float32Array.from(paths.flat()), starts };
  };
  return {
    id: 't',
    widthMm: 100,
    heightMm: 100,
    points: 9,
    layers: [
      layer([
        [0, 0, 1, 0, 2, 0],
        [5, 5, 6, 6],
      ]),
      layer([[9, 9, 8, 8, 7, 7, 6, 6]]),
    ],
  };
}

describe('the drawing the app shows', () => {
  it('decodes to the plan, point for point, with its paper size (multilayer fixture)', async () => {
    const plan = await plannedFixture('test_vpy__paint_well_svgs__multilayer.svg');
    const d = decodePreview(planPreview('m', plan));
    expect(d.layers.length).toBe(plan.layers.length);
    expect(d.widthMm).toBe(plan.summary.paperWidthMm);
    expect(d.points).toBe(plan.summary.pointCount);
    plan.layers.forEach((l, i) => {
      const got = d.layers[i]!;
      expect(got.starts.length).toBe(l.paths.length + 1);
      l.paths.forEach((p, k) => {
        const a = got.starts[k]!;
        expect(got.starts[k + 1]! - a).toBe(p.length / 2);
        // float32 holds a plotter's resolution (1/80 mm) with room to spare.
        for (let j = 0; j < p.length; j++)
          expect(Math.abs(got.xy[a * 2 + j]! - p[j]!)).toBeLessThan(1e-3);
      });
    });
  });

  it('maps a position to the last point on paper, clamping what lies outside', () => {
    const d = tiny();
    expect(pointIndex(d, null)).toBe(-1);
    expect(pointIndex(d, { layer: null, path: null, point: null })).toBe(-1);
    expect(pointIndex(d, { layer: 0, path: 0, point: 0 })).toBe(0);
    expect(pointIndex(d, { layer: 0, path: 0, point: 2 })).toBe(2);
    expect(pointIndex(d, { layer: 0, path: 1, point: 1 })).toBe(4);
    expect(pointIndex(d, { layer: 1, path: 0, point: 0 })).toBe(5);
    expect(pointIndex(d, { layer: 1, path: 0, point: 3 })).toBe(8);
    expect(pointIndex(d, { layer: 1, path: 0, point: 99 })).toBe(8);
    expect(pointIndex(d, { layer: 7, path: 0, point: 0 })).toBe(8);
    expect(pointIndex(d, { layer: 0, path: 9, point: 0 })).toBe(4);
  });

  it('splits global ranges into layer ranges and finds the path of a point', () => {
    const d = tiny();
    const seen: number[][] = [];
    eachLayerRange(d, 3, 7, (l, a, b) => seen.push([l, a, b]));
    expect(seen).toEqual([
      [0, 3, 5],
      [1, 0, 2],
    ]);
    const starts = d.layers[0]!.starts;
    expect([0, 1, 2, 3, 4].map((k) => pathOf(starts, k))).toEqual([0, 0, 0, 1, 1]);
  });

  it('every move of the plotted program lands on the point the app inks up to, in order', async () => {
    const plan = await plannedFixture('AxiDraw_First.svg');
    const d = decodePreview(planPreview('a', plan));
    const program = plotProgram(plan.layers, motionProfile(defaultConfig().device));
    let last = -1;
    let reachedEnd = false;
    for (let k = 0; k < program.length; k++) {
      const src = sourceOf(program, k);
      if (!src) continue;
      const i = pointIndex(d, src);
      expect(i).toBeGreaterThanOrEqual(last);
      last = i;
      // The position's own point is where the index says it is.
      const l = d.layers[src.layer]!;
      const at = l.starts[src.path]! + src.point;
      expect(i - d.layers.slice(0, src.layer).reduce((n, x) => n + x.starts.at(-1)!, 0)).toBe(at);
      if (i === d.points - 1) reachedEnd = true;
    }
    expect(reachedEnd).toBe(true);
  });

  it('"redraw the last N strokes" starts where the runner backs up to', async () => {
    const d = tiny();
    expect(backUpPoint(d, 4, 0)).toBe(4);
    expect(backUpPoint(d, 4, 1)).toBe(3);
    expect(backUpPoint(d, 4, 2)).toBe(0);
    expect(backUpPoint(d, 4, 3)).toBe(-1);
    expect(backUpPoint(d, 6, 1)).toBe(5);
    expect(backUpPoint(d, 6, 2)).toBe(3);
    expect(backUpPoint(d, -1, 3)).toBe(-1);

    const plan = await plannedFixture('AxiDraw_First.svg');
    const real = decodePreview(planPreview('a', plan));
    const program = plotProgram(plan.layers, motionProfile(defaultConfig().device));
    let compared = 0;
    for (let k = 0; k < program.length; k += 97) {
      const src = sourceOf(program, k);
      if (!src) continue;
      for (const n of [1, 2, 5]) {
        const back = backUpFrom(program, k, n);
        // The runner resumes after move `back`: the drawing keeps what that move left on paper.
        const kept = back < 0 ? -1 : pointIndex(real, sourceOf(program, back) ?? null);
        expect(backUpPoint(real, pointIndex(real, src), n), `move ${k}, ${n} strokes`).toBe(kept);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(30);
  });
});
