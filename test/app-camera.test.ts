/**
 * The camera panel in a real browser against `vfab serve`: the live view comes through serve's own
 * relay (same origin, the CSP allows it), the status is live, and a disabled camera says so.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium, openApp, screenshot, until } from './helpers/app-browser';
import { sandbox, type Sandbox } from './helpers/cli';
import { startFakeCamera, type FakeCamera } from './helpers/fake-camera';
import { startServe, type ServeProcess } from './helpers/serve-process';

let sb: Sandbox;
let served: ServeProcess | undefined;
let browser: Browser | undefined;
let camera: FakeCamera | undefined;

beforeEach(() => {
  sb = sandbox();
  fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
});
afterEach(async () => {
  await browser?.close();
  browser = undefined;
  await served?.kill();
  served = undefined;
  await camera?.close();
  camera = undefined;
  sb.cleanup();
});

describe('the camera panel', () => {
  it('shows the live view through the relay and the camera status', { timeout: 60_000 }, async () => {
    camera = await startFakeCamera({ width: 320, height: 240, fps: 10 });
    fs.writeFileSync(sb.configFile, `camera:\n  enabled: true\n  mode: ip\n  url: ${camera.url}\n`);
    served = await startServe(sb);
    browser = await launchChromium();
    const app = await openApp(browser, served.url);
    const { page } = app;
    await page.getByRole('button', { name: 'Camera' }).click();
    const live = page.getByTestId('camera-live');
    await live.waitFor();
    await until(async () => (await live.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)) === 320, 15_000, 'a frame in the live view');
    await page.getByTestId('camera-status').getByText(/^Live, 320×240/).waitFor({ timeout: 15_000 });
    await screenshot(page, 'camera-live');

    // Closing the panel takes the live view (and with it the page's stream connection) away.
    await page.getByRole('button', { name: 'Close camera' }).click();
    expect(await live.count()).toBe(0);
    expect(await app.problems()).toEqual([]);
  });

  it('says plainly when the camera is off', { timeout: 60_000 }, async () => {
    fs.writeFileSync(sb.configFile, 'camera:\n  enabled: false\n');
    served = await startServe(sb);
    browser = await launchChromium();
    const app = await openApp(browser, served.url);
    await app.page.getByRole('button', { name: 'Camera' }).click();
    await app.page.getByTestId('camera-status').getByText(/^Camera off/).waitFor();
    expect(await app.page.getByTestId('camera-live').count()).toBe(0);
    expect(await app.problems()).toEqual([]);
  });
});
