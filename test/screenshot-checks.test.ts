/**
 * The checks every UI screenshot passes through (helpers/app-browser.ts `screenshot`), on pages of
 * known colours: the decoder reads back what Chromium painted, and a blank page, a page in the
 * wrong colour scheme or an element that is not drawn fail.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot, SCREENSHOTS } from './helpers/app-browser';
import { decodePng, measure } from './helpers/png';

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchChromium();
  page = await browser.newPage();
  await page.setViewportSize({ width: 320, height: 200 });
  // A missing element is reported after this, not after the 30 s default.
  page.setDefaultTimeout(2000);
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

const STRIPES =
  '<body style="margin:0;background:#ffffff">' +
  '<main style="display:block;height:200px">' +
  '<div id="red" style="position:absolute;left:10px;top:10px;width:100px;height:50px;background:rgb(200,30,40)"></div>' +
  '<p style="position:absolute;left:10px;top:80px;font:16px sans-serif;color:#333">plotter</p>' +
  '</main><div id="flat" style="position:absolute;left:200px;top:120px;width:60px;height:40px;background:#fff"></div></body>';

describe('screenshot checks', () => {
  it('decodes what Chromium painted: size, colours, a box read back exactly', async () => {
    await page.setContent(STRIPES);
    const img = decodePng(await page.screenshot());
    expect([img.width, img.height]).toEqual([320, 200]);
    const red = measure(img, { x: 20, y: 20, width: 50, height: 20 });
    expect(red.dominant).toEqual([200, 30, 40]);
    expect(red.varied).toBe(0);
    const whole = measure(img);
    expect(whole.dominant).toEqual([255, 255, 255]);
    expect(whole.luminance).toBeGreaterThan(0.8);
    expect(whole.colours).toBeGreaterThanOrEqual(3);
  });

  it('passes a light page and writes the file', async () => {
    await page.setContent(STRIPES);
    const shot = await screenshot(page, 'checks-light', { painted: ['#red', 'p'] });
    expect(shot.luminance).toBeGreaterThan(0.6);
    expect(fs.existsSync(path.join(SCREENSHOTS, 'checks-light.png'))).toBe(true);
  });

  it('fails a blank page', async () => {
    await page.setContent('<body style="margin:0;background:#fff"></body>');
    await expect(screenshot(page, 'checks-blank')).rejects.toThrow(/flat colour/);
  });

  it('fails a page that ignores the dark scheme it is in', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      await page.setContent(STRIPES);
      await expect(screenshot(page, 'checks-wrong-scheme')).rejects.toThrow(/dark scheme/);
      await page.setContent(
        '<style>body{margin:0;background:#fff}@media (prefers-color-scheme: dark){body{background:#111}p{color:#eee}}</style>' +
          '<body><main style="display:block;height:200px"><p style="margin:0;padding:40px;font:24px sans-serif">night plot</p></main></body>',
      );
      const shot = await screenshot(page, 'checks-dark');
      expect(shot.luminance).toBeLessThan(0.35);
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
  });

  it('fails an element that is not drawn, or not there', async () => {
    await page.setContent(STRIPES);
    await expect(screenshot(page, 'checks-flat', { painted: ['#flat'] })).rejects.toThrow(
      /#flat shows nothing but the page's background/,
    );
    await expect(screenshot(page, 'checks-missing', { painted: ['#nowhere'] })).rejects.toThrow(
      /#nowhere is not on the page/,
    );
  });
});
