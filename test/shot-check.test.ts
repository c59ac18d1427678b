/**
 * The screenshot checks the browser tests rest on: the PNG decoder against images whose every
 * pixel is known (each of the five row filters, greyscale with alpha), and screenshot() in
 * Debian's Chromium on pages drawn for it: a known colour measured back, and a blank page, the
 * wrong theme and an element off screen each failing.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeShot, launchChromium, screenshot } from './helpers/app-browser';
import { decodePng, pixelStats } from './helpers/png';

/** A PNG written the long way, row `y` with filter `y % 5`, so the decoder meets each one. */
function encodePng(width: number, height: number, colourType: number, samples: number[]): Buffer {
  const bpp = samples.length / width / height;
  const paeth = (a: number, b: number, c: number) => {
    const [pa, pb, pc] = [Math.abs(b - c), Math.abs(a - c), Math.abs(a + b - 2 * c)];
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  };
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(y % 5);
    for (let i = 0; i < width * bpp; i++) {
      const [x, ch] = [Math.floor(i / bpp), i % bpp];
      // The same channel of the pixel dx, dy away; 0 beyond the left or top edge.
      const s = (dx: number, dy: number) =>
        x + dx < 0 || y + dy < 0 ? 0 : samples[((y + dy) * width + x + dx) * bpp + ch]!;
      const [raw, a, b, c] = [s(0, 0), s(-1, 0), s(0, -1), s(-1, -1)];
      const predicted = [0, a, b, (a + b) >> 1, paeth(a, b, c)][y % 5]!;
      rows.push((raw - predicted) & 0xff);
    }
  }
  const chunk = (type: string, body: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    return Buffer.concat([length, Buffer.from(type, 'latin1'), body, Buffer.alloc(4)]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, colourType, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('the PNG decoder', () => {
  it('undoes each of the five row filters of an RGB image', () => {
    const [width, height] = [7, 10];
    // Values that make every predictor matter: left, up and up-left all differ and wrap past 255.
    const samples = Array.from(
      { length: width * height * 3 },
      (_, i) => (i * 97 + (i >> 3) * 31) % 256,
    );
    const img = decodePng(encodePng(width, height, 2, samples));
    expect([img.width, img.height]).toEqual([width, height]);
    for (let p = 0; p < width * height; p++)
      expect([...img.data.subarray(p * 4, p * 4 + 4)], `pixel ${p}`).toEqual([
        ...samples.slice(p * 3, p * 3 + 3),
        255,
      ]);
  });

  it('spreads greyscale with alpha to RGBA and refuses what is not a PNG', () => {
    const img = decodePng(encodePng(2, 1, 4, [10, 200, 250, 7]));
    expect([...img.data]).toEqual([10, 10, 10, 200, 250, 250, 250, 7]);
    expect(() => decodePng(Buffer.from('GIF89a'))).toThrow(/not a PNG/);
  });

  it('measures colours, the dominant one and luma, inside a box clipped to the image', () => {
    const img = decodePng(encodePng(4, 1, 2, [0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 0, 0]));
    expect(pixelStats(img)).toEqual({
      pixels: 4,
      distinctColours: 3,
      dominant: '#ffffff',
      notDominant: 0.5,
      meanLuma: expect.closeTo((2 + 0.2126) / 4, 6),
    });
    expect(pixelStats(img, { x: 3, y: -5, width: 10, height: 10 })).toMatchObject({
      pixels: 1,
      dominant: '#ff0000',
    });
  });
});

describe('screenshot() in Chromium', () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage();
    await page.setViewportSize({ width: 320, height: 200 });
  });
  afterAll(() => browser?.close());

  const draw = (body: string, style = '') =>
    page.setContent(
      `<style>body{margin:0;font:16px sans-serif;background:#fff;color:#111}${style}</style>${body}`,
    );

  it('reads back a known colour, and passes a page with text and a painted element', async () => {
    await draw(
      '<div id="swatch" style="position:absolute;left:40px;top:30px;width:80px;height:50px;background:#3366cc"></div><p id="words" style="position:absolute;left:150px;top:30px">Queue, 3 jobs</p>',
    );
    const file = await screenshot(page, 'shot-check-swatch', {
      theme: 'light',
      shows: ['#words'],
    });
    const img = decodePng(fs.readFileSync(file));
    const swatch = pixelStats(img, { x: 40, y: 30, width: 80, height: 50 });
    expect(swatch).toMatchObject({ pixels: 4000, distinctColours: 1, dominant: '#3366cc' });
    expect(swatch.meanLuma).toBeCloseTo((0.2126 * 0x33 + 0.7152 * 0x66 + 0.0722 * 0xcc) / 255, 3);
    // A box of one flat colour is not "painted" content: the check asks for more than its fill.
    expect(
      judgeShot(img, { width: 320, height: 200 }, 'light', [
        { what: '#swatch', box: { x: 40, y: 30, width: 80, height: 50 } },
      ]),
    ).toEqual([expect.stringMatching(/^#swatch is not painted: 1 colours/)]);
  });

  it('fails a blank page, the wrong theme, a wrong size, an element off screen and one clipped away', async () => {
    await draw('');
    await expect(screenshot(page, 'shot-check-blank', { theme: 'light' })).rejects.toThrow(
      /blank: 1 colours, 0\.00% of pixels differ from #ffffff/,
    );
    await draw(
      '<h1>Plotters</h1><p>Nothing is plotting.</p><p id="far" style="margin-top:900px">Far</p>',
    );
    await expect(screenshot(page, 'shot-check-theme', { theme: 'dark' })).rejects.toThrow(
      /not dark: mean luma 0\.9\d/,
    );
    await expect(
      screenshot(page, 'shot-check-offscreen', { theme: 'light', shows: ['#far'] }),
    ).rejects.toThrow(/#far is not in the shot/);
    const img = decodePng(await page.screenshot({ clip: { x: 0, y: 0, width: 100, height: 200 } }));
    expect(judgeShot(img, { width: 320, height: 200 }, 'light')).toContain(
      '100×200 pixels, expected 320×200',
    );
    // Inside the viewport but cut off by its scrolling parent, as a row below a list's fold is.
    await draw(
      '<h1>Queue</h1><div style="height:40px;overflow:hidden"><p style="margin-top:60px" id="clipped">Row</p></div>',
    );
    await expect(
      screenshot(page, 'shot-check-clipped', { theme: 'light', shows: ['#clipped'] }),
    ).rejects.toThrow(/#clipped is not painted: 1 colours/);
    await page.emulateMedia({ colorScheme: 'dark' });
    await draw(
      '<h1>Plotters</h1><p>Nothing is plotting.</p>',
      '@media (prefers-color-scheme: dark){body{background:#161615;color:#ecebe6}}',
    );
    await screenshot(page, 'shot-check-dark', { theme: 'dark', shows: ['h1'] });
  });
});
