/**
 * The plan made small for a queue row (plan/thumbnail.ts) and its cache beside plan.json
 * (plan/thumbnail-file.ts): layers and pen colours kept, every point near where the plan has it, a
 * dense drawing within the point budget, and made again only when plan.json changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobThumbnail } from '../src-main/plan/thumbnail-file';
import { defaultConfig } from '../src-main/config/config';
import { planSettings } from '../src-main/jobs/prepare';
import { jobFiles } from '../src-main/jobs/workspace';
import { buildPlan } from '../src-main/plan/build';
import { writePlan, type Plan } from '../src-main/plan/plan-file';
import { THUMBNAIL_CELLS, THUMBNAIL_MAX_POINTS, thumbnailPlan } from '../src-main/plan/thumbnail';
import { readSvg } from '../src-main/svg/read';
import { FIXTURES } from './helpers/cli';
import { useTempDirs } from './helpers/tmp';

const tempDir = useTempDirs('vfab-thumb-');

function planOf(svg: string | Buffer, paper = 'A4'): Plan {
  const config = defaultConfig();
  const built = buildPlan(readSvg(svg), {
    job: 'j',
    settings: planSettings(config, { fit: 'scale', paper }),
    device: config.device,
    fileName: 'j.svg',
  });
  if (!('plan' in built)) throw new Error(built.unfit);
  return built.plan;
}

const TWO_LAYERS = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="297mm" height="210mm" viewBox="0 0 297 210">
<g inkscape:groupmode="layer" inkscape:label="1 red"><circle cx="80" cy="100" r="50" fill="none" stroke="#ff0000"/></g>
<g inkscape:groupmode="layer" inkscape:label="2 blue"><path d="M 160 40 L 260 40 L 260 180" fill="none" stroke="#0000ff"/></g>
</svg>`;

const points = (p: Plan) =>
  p.layers.reduce((n, l) => n + l.paths.reduce((m, q) => m + q.length / 2, 0), 0);

describe('thumbnailPlan', () => {
  it('keeps layers, pens and colours, and puts every point within a cell of a point of the plan', () => {
    const plan = planOf(TWO_LAYERS);
    const small = thumbnailPlan(plan);
    expect(small.layers.map((l) => [l.name, l.color, l.pen])).toEqual(
      plan.layers.map((l) => [l.name, l.color, l.pen]),
    );
    expect(small.summary).toEqual(plan.summary);
    const cell = Math.max(plan.summary.paperWidthMm, plan.summary.paperHeightMm) / THUMBNAIL_CELLS;
    small.layers.forEach((l, i) => {
      const original = plan.layers[i]!.paths.flatMap((p) =>
        Array.from({ length: p.length / 2 }, (_, k) => [p[k * 2]!, p[k * 2 + 1]!]),
      );
      for (const p of l.paths) {
        for (let k = 0; k < p.length; k += 2) {
          const d = Math.min(...original.map(([x, y]) => Math.hypot(x! - p[k]!, y! - p[k + 1]!)));
          expect(d).toBeLessThanOrEqual(cell);
        }
      }
    });
    // The blue corner stays three points; the circle is far fewer points than planned but still closed round.
    expect(small.layers[1]!.paths.map((p) => p.length / 2)).toEqual([3]);
    expect(small.layers[0]!.paths).toHaveLength(1);
    const circle = small.layers[0]!.paths[0]!;
    expect([circle[0], circle[1]]).toEqual([circle.at(-2), circle.at(-1)]);
    expect(points(small)).toBeLessThan(points(plan));
  });

  it('a dense drawing stays within the point budget', () => {
    const plan = planOf(fs.readFileSync(path.join(FIXTURES, 'test_svg__benchmark__7k_lines.svg')));
    expect(points(plan)).toBeGreaterThan(THUMBNAIL_MAX_POINTS);
    const small = thumbnailPlan(plan);
    expect(points(small)).toBeLessThanOrEqual(THUMBNAIL_MAX_POINTS);
    expect(points(small)).toBeGreaterThan(THUMBNAIL_MAX_POINTS / 4);
  });
});

describe('jobThumbnail', () => {
  it('is made from plan.json once, kept in thumbnail.json, and made again when the plan changes or the file is damaged', () => {
    const files = jobFiles(tempDir(), 'j');
    fs.mkdirSync(files.dir, { recursive: true });
    expect(jobThumbnail('j', files)).toBeUndefined();
    expect(fs.existsSync(files.thumbnail)).toBe(false);

    writePlan(files.plan, planOf(TWO_LAYERS));
    const first = jobThumbnail('j', files)!;
    expect(first).toMatchObject({ id: 'j', paperWidthMm: 297, paperHeightMm: 210 });
    expect(first.layers.map((l) => l.color)).toEqual(['#ff0000', '#0000ff']);
    const made = fs.statSync(files.thumbnail).mtimeMs;
    // Kept: the second ask reads the file and writes nothing.
    fs.utimesSync(files.thumbnail, new Date(made - 60_000), new Date(made - 60_000));
    const kept = fs.statSync(files.thumbnail).mtimeMs;
    expect(jobThumbnail('j', files)).toEqual(first);
    expect(fs.statSync(files.thumbnail).mtimeMs).toBe(kept);

    // Planned again on a square sheet: a new thumbnail.
    writePlan(files.plan, planOf(TWO_LAYERS, '200x200'));
    const square = jobThumbnail('j', files)!;
    expect(square).toMatchObject({ paperWidthMm: 200, paperHeightMm: 200 });
    expect(fs.statSync(files.thumbnail).mtimeMs).toBeGreaterThan(kept);

    fs.writeFileSync(files.thumbnail, '{"format":1,"plan":');
    expect(jobThumbnail('j', files)).toEqual(square);
    expect(JSON.parse(fs.readFileSync(files.thumbnail, 'utf8'))).toMatchObject({
      format: 1,
      thumbnail: square,
    });
  });
});
