/**
 * Crash recovery in a real browser: a plot running in `vfab serve` is SIGKILLed mid-stroke, serve
 * is started again on the same data, and the page opens the recovery wizard by itself with the
 * cause; resuming on a virtual plotter (carriage confirmed at home, as a freshly powered plotter
 * needs) finishes the job, and its journal records the recovery.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openApiSocket, wsUrl, type ApiSocket } from './helpers/api-socket';
import { launchChromium, openApp, screenshot } from './helpers/app-browser';
import { sandbox, type Sandbox } from './helpers/cli';
import { startServe, type ServeProcess } from './helpers/serve-process';

/** Long strokes: at speed 2 this plots for several seconds, long enough to kill it mid-plot. */
const ZIGZAG = `<svg xmlns="http://www.w3.org/2000/svg" width="200mm" height="150mm" viewBox="0 0 200 150">${Array.from(
  { length: 40 },
  (_, i) => `<line x1="10" y1="${10 + i * 2}" x2="180" y2="${11 + i * 2}" fill="none" stroke="black" stroke-width="0.3"/>`,
).join('')}</svg>`;

let sb: Sandbox;
const servers: ServeProcess[] = [];
const sockets: ApiSocket[] = [];
let browser: Browser | undefined;

beforeEach(() => {
  sb = sandbox();
  fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
  fs.writeFileSync(sb.configFile, 'camera:\n  enabled: false\n');
});
afterEach(async () => {
  for (const s of sockets.splice(0)) await s.close();
  await browser?.close();
  browser = undefined;
  for (const s of servers.splice(0)) await s.kill();
  sb.cleanup();
});

async function serve(): Promise<{ served: ServeProcess; api: ApiSocket }> {
  const served = await startServe(sb);
  servers.push(served);
  const api = await openApiSocket(wsUrl(served.origin, served.token), served.origin);
  sockets.push(api);
  return { served, api };
}

describe('the recovery wizard', () => {
  it('opens by itself after a SIGKILL mid-plot, names the cause, and resumes to COMPLETED', { timeout: 120_000 }, async () => {
    const first = await serve();
    await first.api.call('jobs.add', { source: { name: 'zigzag.svg', base64: Buffer.from(ZIGZAG).toString('base64') }, id: 'zz', optimization: 'fast' });
    await first.api.call('plot.start', { id: 'zz', device: 'virtual', speed: 2 });
    await first.api.waitForEvent((e) => e.event === 'plot.progress' && (e.payload.move as number) > 5, 30_000, 'progress past move 5');
    first.served.child.kill('SIGKILL');
    expect(await first.served.exited).toBe('SIGKILL');

    const second = await serve();
    browser = await launchChromium();
    const app = await openApp(browser, second.served.url);
    const { page } = app;
    const wizard = page.getByTestId('recovery');
    await wizard.waitFor();
    expect(await wizard.getAttribute('data-job')).toBe('zz');
    expect(await page.getByTestId('cause').getAttribute('data-cause')).toBe('crash');
    expect(await page.getByTestId('cause').textContent()).toMatch(/ended without a word/);
    expect(await page.getByTestId('checkpoint').textContent()).toMatch(/layer 1, stroke \d+ \(move \d+\); \d+ mm drawn/);
    await screenshot(page, 'recovery-review');

    // Resume is the default choice; the pre-flight comes before anything moves.
    await wizard.getByRole('button', { name: 'Next: pre-flight' }).click();
    await wizard.getByTestId('device').selectOption('virtual');
    await wizard.getByTestId('speed').fill('50');
    const go = wizard.getByRole('button', { name: 'Resume plotting' });
    expect(await go.isDisabled()).toBe(true);
    await wizard.getByTestId('carriage-at-home').check();
    await screenshot(page, 'recovery-preflight');
    await go.click();

    await wizard.getByText('The drawing is finished.').waitFor({ timeout: 60_000 });
    await screenshot(page, 'recovery-completed');
    await wizard.getByRole('button', { name: 'Done' }).click();
    await page.locator('[data-testid="job-row"][data-job="zz"][data-state="COMPLETED"]').waitFor();

    const info = await second.api.call('jobs.get', { id: 'zz' });
    expect(info.state).toBe('COMPLETED');
    expect(info.journal.history.filter((e: { type: string }) => e.type === 'recovery')).toHaveLength(1);

    // The job's detail shows the recovery in its journal timeline.
    await page.locator('[data-job="zz"]').getByRole('button', { name: 'zigzag.svg' }).click();
    const timeline = page.getByTestId('timeline');
    await timeline.waitFor();
    expect(await timeline.textContent()).toMatch(/recovery PLOTTING → PLOTTING.*COMPLETED/s);
    await screenshot(page, 'job-detail');
    expect(await app.problems()).toEqual([]);
  });

  it('does not open for a deliberate pause; the row offers Resume… through the same pre-flight', { timeout: 90_000 }, async () => {
    const { served, api } = await serve();
    await api.call('jobs.add', { source: { name: 'zigzag.svg', base64: Buffer.from(ZIGZAG).toString('base64') }, id: 'zz', optimization: 'fast' });
    await api.call('plot.start', { id: 'zz', device: 'virtual', speed: 2 });
    await api.waitForEvent((e) => e.event === 'plot.progress' && (e.payload.move as number) > 3, 30_000, 'progress');
    await api.call('plot.pause', { id: 'zz' });

    browser = await launchChromium();
    const app = await openApp(browser, served.url);
    const { page } = app;
    const row = page.locator('[data-testid="job-row"][data-job="zz"][data-state="PAUSED"]');
    await row.waitFor();
    expect(await page.getByTestId('recovery').count()).toBe(0);
    await row.getByRole('button', { name: 'Recover…' }).click();
    const wizard = page.getByTestId('recovery');
    expect(await page.getByTestId('cause').getAttribute('data-cause')).toBe('paused');
    await wizard.getByRole('button', { name: 'Next: pre-flight' }).click();
    await wizard.getByTestId('device').selectOption('virtual');
    await wizard.getByTestId('speed').fill('50');
    await wizard.getByTestId('carriage-at-home').check();
    await wizard.getByRole('button', { name: 'Resume plotting' }).click();
    await wizard.getByText('The drawing is finished.').waitFor({ timeout: 60_000 });
    expect(await app.problems()).toEqual([]);
  });
});
