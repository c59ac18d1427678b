/**
 * The queue in a real browser against `vfab serve` with the virtual plotter: files dropped on the
 * window become jobs (each file on its own: a bad one says why and does not stop the others), and a
 * job is plotted from its row with a live progress bar until COMPLETED.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dropFiles, launchChromium, openApp, screenshot, until } from './helpers/app-browser';
import { writeJobs } from './helpers/app-jobs';
import { FIXTURES, sandbox, type Sandbox } from './helpers/cli';
import { startServe, type ServeProcess } from './helpers/serve-process';

const FIRST = fs.readFileSync(path.join(FIXTURES, 'AxiDraw_First.svg'));

let sb: Sandbox;
let served: ServeProcess | undefined;
let browser: Browser | undefined;

beforeEach(() => {
  sb = sandbox();
  fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
  fs.writeFileSync(sb.configFile, 'camera:\n  enabled: false\n');
});
afterEach(async () => {
  await browser?.close();
  browser = undefined;
  await served?.kill();
  served = undefined;
  sb.cleanup();
});

describe('the queue', () => {
  it('a dropped SVG becomes a READY job that plots on the virtual plotter with a moving progress bar to COMPLETED', { timeout: 90_000 }, async () => {
    served = await startServe(sb);
    browser = await launchChromium();
    const app = await openApp(browser, served.url);
    const { page } = app;
    await page.getByText('No jobs yet').waitFor();
    await screenshot(page, 'queue-empty');

    await dropFiles(page, [{ name: 'AxiDraw_First.svg', bytes: FIRST }]);
    const row = page.locator('[data-testid="job-row"][data-job="AxiDraw_First"]');
    await row.and(page.locator('[data-state="READY"]')).waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('upload').first().getAttribute('data-status')).resolves.toBe('added');
    expect(await page.getByTestId('jobs').textContent()).toBe('1 job');

    await page.getByTestId('device').first().selectOption('virtual');
    await page.getByTestId('speed').first().fill('8');
    await row.getByRole('button', { name: 'Plot' }).click();

    // The bar is sampled in the page itself, so no value between two polls is missed.
    const bar = row.getByTestId('progress');
    await bar.waitFor({ timeout: 20_000 });
    await screenshot(page, 'queue-plotting');
    const seen = new Set<number>();
    const deadline = Date.now() + 60_000;
    while ((await row.getAttribute('data-state')) !== 'COMPLETED') {
      if (Date.now() > deadline) throw new Error(`not COMPLETED in time; progress seen: ${[...seen].join(', ')}`);
      const v = await bar.getAttribute('value', { timeout: 200 }).catch(() => null);
      if (v !== null) seen.add(Number(v));
      await page.waitForTimeout(100);
    }
    expect(seen.size).toBeGreaterThanOrEqual(3);
    expect([...seen].some((v) => v > 0 && v < 100)).toBe(true);
    await screenshot(page, 'queue-completed');
    expect(await row.getByRole('button').allTextContents()).toEqual(['AxiDraw_First.svg', 'Restart', 'Remove']);
    expect(await app.problems()).toEqual([]);
  });

  it('a bad file dropped with a good one says plainly why; the good one is added', { timeout: 60_000 }, async () => {
    served = await startServe(sb);
    browser = await launchChromium();
    const app = await openApp(browser, served.url);
    const { page } = app;
    const huge = '<svg xmlns="http://www.w3.org/2000/svg" width="3000mm" height="3000mm" viewBox="0 0 3000 3000"><line x1="0" y1="0" x2="3000" y2="3000" stroke="black"/></svg>';
    await dropFiles(page, [
      { name: 'broken.svg', bytes: Buffer.from('this is not an svg <<<') },
      { name: 'AxiDraw_First.svg', bytes: FIRST },
      { name: 'poster.svg', bytes: Buffer.from(huge) },
    ]);
    const uploads = page.getByTestId('upload');
    await until(async () => (await page.locator('[data-testid="upload"][data-status="added"], [data-testid="upload"][data-status="error"]').count()) === 3, 30_000, 'all three files handled');
    expect(await uploads.count()).toBe(3);
    expect(await uploads.nth(0).getAttribute('data-status')).toBe('error');
    expect(await uploads.nth(0).textContent()).toMatch(/broken\.svg.*cannot be planned.*not well-formed XML/);
    expect(await uploads.nth(1).getAttribute('data-status')).toBe('added');
    expect(await uploads.nth(1).textContent()).toMatch(/READY/);
    expect(await uploads.nth(2).getAttribute('data-status')).toBe('error');
    expect(await uploads.nth(2).textContent()).toMatch(/cannot be planned.*does not fit A4/);
    await page.locator('[data-testid="job-row"][data-job="AxiDraw_First"][data-state="READY"]').waitFor();
    // The reason stays beside the job's row once the drop list is cleared.
    await page.getByRole('button', { name: 'Clear finished' }).click();
    expect(await page.locator('[data-job="poster"] [role="alert"]').textContent()).toMatch(/does not fit A4/);
    expect(await page.locator('[data-job="broken"]').textContent()).toMatch(/not well-formed XML/);
    // No plotter is connected: Plot on the configured one says so beside the row.
    const good = page.locator('[data-testid="job-row"][data-job="AxiDraw_First"]');
    await good.getByRole('button', { name: 'Plot' }).click();
    await good.getByRole('alert').waitFor({ timeout: 20_000 });
    expect(await good.getByRole('alert').textContent()).toMatch(/no AxiDraw found/);
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'queue-dark');

    // The keyboard's way in: the same per-file handling from the file chooser.
    await page.getByTestId('file-input').setInputFiles([{ name: 'again.svg', mimeType: 'image/svg+xml', buffer: FIRST }]);
    await page.locator('[data-testid="job-row"][data-job="again"][data-state="READY"]').waitFor({ timeout: 30_000 });
    await screenshot(page, 'queue-drop-errors');
    expect(await app.problems()).toEqual([]);
  });
});

describe('the queue with 10,000 jobs', () => {
  it('mounts only the rows in view, scrolls to the oldest job, and filters by state', { timeout: 120_000 }, async () => {
    writeJobs(sb.jobsDir, 10_000);
    served = await startServe(sb, 60_000);
    browser = await launchChromium();
    const app = await openApp(browser, served.url);
    const { page } = app;
    await page.getByTestId('jobs').getByText('10000 jobs').waitFor({ timeout: 30_000 });
    const rows = page.getByTestId('job-row');
    // Newest first.
    expect(await rows.first().getAttribute('data-job')).toBe('job_09999');
    expect(await rows.count()).toBeLessThan(30);

    await page.locator('.vlist').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.locator('[data-job="job_00000"]').waitFor();
    expect(await rows.count()).toBeLessThan(30);
    await screenshot(page, 'queue-10000-bottom');

    await page.getByRole('button', { name: /^failed 2500$/i }).click();
    await page.locator('.vlist').evaluate((el) => (el.scrollTop = 0));
    await page.locator('[data-job="job_09999"]').waitFor();
    expect(await rows.evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-state')))])).toEqual(['FAILED']);
    expect(await app.problems()).toEqual([]);
  });
});
