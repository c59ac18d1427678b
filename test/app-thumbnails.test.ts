/**
 * Queue rows' thumbnails in a real browser against `vfab serve`: the picture is the plan (ink
 * where its paths are, in each layer's pen colour, paper elsewhere), a job without a plan says
 * so, and a thumbnail is made once per plan: a re-planned job gets a new one, an unchanged one
 * is neither made again by the engine nor asked for again by the page.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openApp, screenshot } from './helpers/app-browser';
import { useAppRig } from './helpers/app-rig';
import type { PlanPreview } from '../src-main/plan/preview';

/** A4 landscape: a red rectangle on the left, a blue zigzag on the right, nothing in between or around. */
const SHAPES = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="297mm" height="210mm" viewBox="0 0 297 210">
<g inkscape:groupmode="layer" inkscape:label="1 red"><rect x="30" y="30" width="90" height="150" fill="none" stroke="#ff0000"/></g>
<g inkscape:groupmode="layer" inkscape:label="2 blue"><polyline points="180,40 260,100 180,160 260,170" fill="none" stroke="#0000ff"/></g>
</svg>`;

const PAPER = [0xfd, 0xfc, 0xf8];

const rig = useAppRig();

interface Pixels {
  width: number;
  height: number;
  rgba: number[];
}

/** The thumbnail canvas of a row, pixel by pixel (the page runs at device pixel ratio 1). */
function thumbnailPixels(page: Page, id: string): Promise<Pixels> {
  return page.locator(`[data-job="${id}"] [data-testid="thumbnail-canvas"]`).evaluate((el) => {
    const c = el as unknown as {
      width: number;
      height: number;
      getContext(k: '2d'): {
        getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
      };
    };
    return {
      width: c.width,
      height: c.height,
      rgba: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data),
    };
  });
}

/** The plan's paths as segments in mm, per layer colour. */
function planSegments(
  preview: PlanPreview,
): { color: string | null; segments: [number, number, number, number][] }[] {
  return preview.layers.map((l) => {
    const b = Buffer.from(l.xy, 'base64');
    const xy = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    const s = Buffer.from(l.starts, 'base64');
    const starts = new Uint32Array(s.buffer, s.byteOffset, s.byteLength / 4);
    const segments: [number, number, number, number][] = [];
    for (let p = 0; p + 1 < starts.length; p++) {
      for (let k = starts[p]!; k + 1 < starts[p + 1]!; k++)
        segments.push([xy[k * 2]!, xy[k * 2 + 1]!, xy[k * 2 + 2]!, xy[k * 2 + 3]!]);
    }
    return { color: l.color, segments };
  });
}

function distanceToSegment(
  px: number,
  py: number,
  [ax, ay, bx, by]: [number, number, number, number],
): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t =
    dx || dy
      ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
      : 0;
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

const add = (
  api: { call(m: string, p: unknown): Promise<unknown> },
  id: string,
  svg: string,
  extra: Record<string, unknown> = {},
) =>
  api.call('jobs.add', {
    source: { name: `${id}.svg`, base64: Buffer.from(svg).toString('base64') },
    id,
    ...extra,
  });

describe('queue row thumbnails', () => {
  it(
    "show the plan: ink where its paths are, in each layer's pen colour, paper where there are none; a job without a plan says so",
    { timeout: 60_000 },
    async () => {
      const { served, api } = await rig.serve();
      await add(api, 'shapes', SHAPES);
      await add(api, 'unplanned', SHAPES, { plan: false });
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      await page.locator('[data-job="shapes"] [data-thumb="shown"]').waitFor();
      const none = page.locator('[data-job="unplanned"] [data-testid="thumbnail"]');
      await expect(none.getAttribute('data-thumb')).resolves.toBe('none');
      await expect(none.textContent()).resolves.toBe('no plan yet');

      const preview = (await api.call('jobs.preview', { id: 'shapes' })) as PlanPreview;
      const layers = planSegments(preview);
      expect(layers.map((l) => l.color)).toEqual(['#ff0000', '#0000ff']);
      const px = await thumbnailPixels(page, 'shapes');
      // The whole sheet fits the 56 px cell, its shape kept.
      expect(px.width).toBe(56);
      expect(
        Math.abs(px.height - (56 * preview.paperHeightMm) / preview.paperWidthMm),
      ).toBeLessThanOrEqual(1);
      const perMm = px.width / preview.paperWidthMm;
      const at = (x: number, y: number) =>
        px.rgba.slice((y * px.width + x) * 4, (y * px.width + x) * 4 + 3);
      const nearest = (x: number, y: number) => {
        let best = { layer: -1, d: Infinity };
        layers.forEach((l, i) => {
          for (const s of l.segments) {
            const d = distanceToSegment(x, y, [
              s[0] * perMm,
              s[1] * perMm,
              s[2] * perMm,
              s[3] * perMm,
            ]);
            if (d < best.d) best = { layer: i, d };
          }
        });
        return best;
      };

      let inked = 0;
      let blank = 0;
      const red = (c: number[]) => c[0]! - c[1]! > 60 && c[0]! - c[2]! > 60;
      const blue = (c: number[]) => c[2]! - c[0]! > 60 && c[2]! - c[1]! > 60;
      for (let y = 0; y < px.height; y++) {
        for (let x = 0; x < px.width; x++) {
          const c = at(x, y);
          const near = nearest(x + 0.5, y + 0.5);
          const isPaper = c.every((v, i) => Math.abs(v - PAPER[i]!) <= 8);
          if (near.d > 2) {
            expect(isPaper, `pixel ${x},${y} is ${c} but no planned path is within 2 px`).toBe(
              true,
            );
            blank++;
          } else if (!isPaper) {
            inked++;
            // A pixel that holds a stroke's colour holds its own layer's pen colour.
            if (near.d < 0.8)
              expect(
                near.layer === 0 ? !blue(c) : !red(c),
                `pixel ${x},${y} (${c}) beside layer ${near.layer}`,
              ).toBe(true);
          }
        }
      }
      // Along every planned segment, the strongest pixel near it is in its layer's colour.
      layers.forEach((l, i) => {
        for (const [ax, ay, bx, by] of l.segments) {
          const steps = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) * perMm));
          for (let k = 0; k <= steps; k++) {
            const x = (ax + ((bx - ax) * k) / steps) * perMm;
            const y = (ay + ((by - ay) * k) / steps) * perMm;
            const around = [-1, 0, 1]
              .flatMap((dy) =>
                [-1, 0, 1].map((dx) => [Math.floor(x) + dx, Math.floor(y) + dy] as const),
              )
              .filter(([u, v]) => u >= 0 && v >= 0 && u < px.width && v < px.height);
            const strongest = around
              .map(([u, v]) => at(u, v))
              .sort((a, b) => a.reduce((s, v) => s + v, 0) - b.reduce((s, v) => s + v, 0))[0]!;
            expect(
              i === 0 ? red(strongest) : blue(strongest),
              `layer ${i} at ${x.toFixed(1)},${y.toFixed(1)}: ${strongest}`,
            ).toBe(true);
          }
        }
      });
      expect(inked).toBeGreaterThan(100);
      expect(blank).toBeGreaterThan((px.width * px.height) / 2);
      await screenshot(page, 'queue-thumbnails', {
        theme: 'light',
        shows: [page.locator('[data-job="shapes"] [data-thumb="shown"]'), none],
      });
      expect(await app.problems()).toEqual([]);
    },
  );

  it(
    'are made once per plan: a re-planned job gets a new one, an unchanged one is not made again nor asked for again',
    { timeout: 90_000 },
    async () => {
      const { served, api } = await rig.serve();
      await add(api, 'shapes', SHAPES);
      await add(api, 'other', SHAPES);
      const file = (id: string) => path.join(rig.sb.jobsDir, id, 'thumbnail.json');
      // Planning made them, beside the plans.
      expect([fs.existsSync(file('shapes')), fs.existsSync(file('other'))]).toEqual([true, true]);
      const browser = await rig.browser();
      const context = await browser.newContext();
      rig.defer(() => context.close());
      const asked: string[] = [];
      context.on('page', (p) =>
        p.on('websocket', (ws) =>
          ws.on('framesent', (f) => {
            const m =
              typeof f.payload === 'string' && f.payload.includes('"jobs.thumbnail"')
                ? (JSON.parse(f.payload) as { params: { id: string } })
                : undefined;
            if (m) asked.push(m.params.id);
          }),
        ),
      );
      const app = await openApp(context, served.url);
      const { page } = app;
      for (const id of ['shapes', 'other'])
        await page.locator(`[data-job="${id}"] [data-thumb="shown"]`).waitFor();
      const before = {
        shapes: fs.statSync(file('shapes')).mtimeMs,
        other: fs.statSync(file('other')).mtimeMs,
        made: fs.readFileSync(file('shapes'), 'utf8'),
      };
      const landscape = await thumbnailPixels(page, 'shapes');
      expect(landscape.width).toBeGreaterThan(landscape.height);
      expect(asked.sort()).toEqual(['other', 'shapes']);

      // The same drawing planned again on a square sheet: a new sheet shape, a new picture.
      await api.call('jobs.plan', { id: 'shapes', paper: '200x200', fit: 'scale' });
      const canvas = page.locator('[data-job="shapes"] [data-testid="thumbnail-canvas"]');
      const height = () =>
        canvas.evaluate((el) => (el as unknown as { height: number }).height).catch(() => 0);
      await expect.poll(height, { timeout: 20_000 }).toBe(56);
      const square = await thumbnailPixels(page, 'shapes');
      expect(square.width).toBe(56);
      expect(square.rgba).not.toEqual(landscape.rgba);
      expect(fs.statSync(file('shapes')).mtimeMs).toBeGreaterThan(before.shapes);
      expect(fs.readFileSync(file('shapes'), 'utf8')).not.toBe(before.made);
      // The page asked again only for the re-planned job; the engine did not make the other again.
      expect(asked.filter((id) => id === 'shapes')).toHaveLength(2);
      expect(asked.filter((id) => id === 'other')).toHaveLength(1);
      expect(fs.statSync(file('other')).mtimeMs).toBe(before.other);

      // A new page has no pictures in memory: it asks, and the engine answers from its cache.
      await page.reload();
      await page.locator('[data-job="other"] [data-thumb="shown"]').waitFor();
      expect(asked.filter((id) => id === 'other')).toHaveLength(2);
      expect(fs.statSync(file('other')).mtimeMs).toBe(before.other);
      expect(await app.problems()).toEqual([]);
    },
  );
});
