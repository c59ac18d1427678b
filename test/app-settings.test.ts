/**
 * First run and settings in a real browser against `vfab serve`: with no config.yaml the app asks
 * for the plotter and paper and writes the file; the settings panel writes only what was changed,
 * so masked secrets shown in it never overwrite the real ones.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium, openApp, screenshot } from './helpers/app-browser';
import { sandbox, type Sandbox } from './helpers/cli';
import { startServe, type ServeProcess } from './helpers/serve-process';

let sb: Sandbox;
let served: ServeProcess | undefined;
let browser: Browser | undefined;

beforeEach(() => {
  sb = sandbox();
});
afterEach(async () => {
  await browser?.close();
  browser = undefined;
  await served?.kill();
  served = undefined;
  sb.cleanup();
});

describe('first run and settings', () => {
  it('without config.yaml asks for the plotter and paper, then writes the file', { timeout: 60_000 }, async () => {
    served = await startServe(sb);
    browser = await launchChromium();
    const app = await openApp(browser, served.url);
    const { page } = app;
    const card = page.getByTestId('first-run');
    await card.waitFor();
    await card.getByLabel('AxiDraw model').selectOption('V3/A3');
    await card.getByLabel('Paper').fill('A3');
    await screenshot(page, 'first-run');
    await card.getByRole('button', { name: 'Save and start' }).click();
    await card.waitFor({ state: 'detached' });
    const yaml = fs.readFileSync(sb.configFile, 'utf8');
    expect(yaml).toMatch(/model: V3\/A3/);
    expect(yaml).toMatch(/default_size: A3/);
    expect(await app.problems()).toEqual([]);
  });

  it('saves only the changed keys: a masked camera password stays as it was', { timeout: 60_000 }, async () => {
    fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
    fs.writeFileSync(sb.configFile, 'camera:\n  enabled: false\n  url: http://motion:s3cret@127.0.0.1:8881/stream.mjpeg\n');
    served = await startServe(sb);
    browser = await launchChromium();
    const app = await openApp(browser, served.url);
    const { page } = app;
    expect(await page.getByTestId('first-run').count()).toBe(0);
    await page.getByRole('button', { name: 'Settings' }).click();
    const panel = page.getByTestId('settings');
    await panel.getByLabel('Pen down height').fill('35');
    expect(await panel.getByLabel('Stream URL (Motion)').inputValue()).not.toMatch(/s3cret/);
    await panel.getByRole('button', { name: 'Save settings' }).click();
    await panel.getByRole('status').getByText(/^Saved to/).waitFor();
    await screenshot(page, 'settings');
    const yaml = fs.readFileSync(sb.configFile, 'utf8');
    expect(yaml).toMatch(/pen_pos_down: 35/);
    expect(yaml).toMatch(/motion:s3cret@/);
    expect(await app.problems()).toEqual([]);
  });
});
