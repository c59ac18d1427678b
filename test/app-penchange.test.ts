/**
 * A plot's steps in a real browser against `vfab serve` and the virtual plotter: a pen change is a
 * step (the pen named in the row and the detail, pen up/down to set the new pen, one Continue to
 * COMPLETED; the crash wizard never opens), the pinned Now-plotting bar on a Pi's screen, Abort
 * that asks first, and files that are not SVG refused at the drop and by the API.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dropFiles, openApp, screenshot, until } from './helpers/app-browser';
import { useAppRig } from './helpers/app-rig';
import { jobProgram, judgePaper, startPlotterProcess } from './helpers/crash-rig';

const rig = useAppRig();

const layer = (label: string, colour: string, y: number) =>
  `<g inkscape:groupmode="layer" inkscape:label="${label}">${[0, 10, 20].map((d) => `<path d="M20 ${y + d} H 160" fill="none" stroke="${colour}"/>`).join('')}</g>`;
/** Two numbered layers in two colours: plot.pen_change auto stops before layer 2. */
const TWO_PENS = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="297mm" height="210mm" viewBox="0 0 297 210">${layer('1-black', 'black', 20)}${layer('2-red', 'red', 80)}</svg>`;
/** Long strokes in one layer: at speed 2 this plots for well over ten seconds. */
const ZIGZAG = `<svg xmlns="http://www.w3.org/2000/svg" width="200mm" height="150mm" viewBox="0 0 200 150">${Array.from(
  { length: 40 },
  (_, i) =>
    `<line x1="10" y1="${10 + i * 2}" x2="180" y2="${11 + i * 2}" fill="none" stroke="black" stroke-width="0.3"/>`,
).join('')}</svg>`;
const source = (name: string, svg: string) => ({
  name,
  base64: Buffer.from(svg).toString('base64'),
});

/** Set once the recovery wizard has been in the page at any moment (checked at the end, not polled). */
async function watchForWizard(page: Page): Promise<void> {
  await page.addInitScript({
    content:
      'window.wizardSeen = false; new MutationObserver(() => { if (document.querySelector(\'[data-testid="recovery"]\')) window.wizardSeen = true; }).observe(document, { childList: true, subtree: true });',
  });
}

describe('a pen change is a step of the plot', () => {
  it(
    'the row and detail name the pen to load, pen down/up reach the plotter, one Continue finishes it; the wizard never opens',
    { timeout: 120_000 },
    async () => {
      const plotter = await startPlotterProcess(rig.sb, 20);
      rig.defer(() => plotter.stop());
      rig.config(`device:\n  port: ${plotter.port}\ncamera:\n  enabled: false\n`);
      const { served, api } = await rig.serve();
      await api.call('jobs.add', {
        source: source('birthday.svg', TWO_PENS),
        id: 'bday',
        optimization: 'fast',
      });
      const app = await openApp(await rig.browser(), served.url, { width: 1400, height: 900 });
      const { page } = app;
      // From the first script of the page on: the load again, with the watch in place.
      await watchForWizard(page);
      await page.reload();
      await page.getByTestId('version').waitFor();

      const row = page.locator('[data-testid="job-row"][data-job="bday"]');
      await row.getByRole('button', { name: 'Plot' }).click();
      const paused = page.locator('[data-testid="job-row"][data-job="bday"][data-state="PAUSED"]');
      await paused.waitFor({ timeout: 30_000 });
      await until(
        async () => (await paused.getByTestId('pause-step').count()) === 1,
        10_000,
        'the step in the row',
      );
      expect(await paused.getByTestId('pause-step').textContent()).toBe(
        'Layer 2 of 2 · load pen 2 (2-red)',
      );
      // One way on from the row, and no crash talk.
      expect(await paused.getByRole('button').allTextContents()).toEqual([
        'birthday.svg',
        'Continue',
        'Start over',
        'Abort',
      ]);
      expect(await paused.textContent()).not.toMatch(/interrupted|Recover/);
      // Progress stays in view: the bar where the row's facts were, part done.
      expect(Number(await paused.getByTestId('progress').getAttribute('value'))).toBeGreaterThan(
        20,
      );
      expect(Number(await paused.getByTestId('progress').getAttribute('value'))).toBeLessThan(80);

      await row.getByRole('button', { name: 'birthday.svg' }).click();
      const step = page.getByTestId('detail').getByTestId('pen-step');
      await step.waitFor();
      expect(await step.locator('.pen-step-text').textContent()).toBe(
        'Layer 2 of 2 · load pen 2 (2-red)',
      );
      await step.getByRole('button', { name: 'Pen down' }).click();
      await step
        .getByRole('status')
        .getByText(/^Pen down on /)
        .waitFor();
      expect(((await plotter.ctl('status')) as { penUp: boolean }).penUp).toBe(false);
      await step.getByRole('button', { name: 'Pen up' }).click();
      await step
        .getByRole('status')
        .getByText(/^Pen up on /)
        .waitFor();
      expect(((await plotter.ctl('status')) as { penUp: boolean }).penUp).toBe(true);
      // The bar at the foot of the window waits with the same words.
      expect(await page.getByTestId('now-plotting').getByTestId('now-layer').textContent()).toBe(
        'Layer 2 of 2 · load pen 2 (2-red)',
      );
      await screenshot(page, 'pen-change-step', {
        theme: 'light',
        shows: [step, page.getByTestId('now-plotting').getByTestId('now-layer')],
      });
      // A Pi's screen: the step and the bar's Continue both in view.
      await page.setViewportSize({ width: 800, height: 480 });
      expect(
        await page
          .getByTestId('now-plotting')
          .getByRole('button', { name: 'Continue' })
          .isVisible(),
      ).toBe(true);
      await screenshot(page, 'pen-change-step-800x480', {
        theme: 'light',
        shows: [
          step.getByRole('button', { name: 'Pen down' }),
          page.getByTestId('now-plotting').getByRole('button', { name: 'Continue' }),
        ],
      });
      await page.setViewportSize({ width: 1400, height: 900 });

      // Exactly one Continue in the panel; one click on it finishes the drawing.
      expect(
        await page
          .getByTestId('detail')
          .getByRole('button', { name: 'Continue', exact: true })
          .count(),
      ).toBe(1);
      await step.getByRole('button', { name: 'Continue', exact: true }).click();
      await page
        .locator('[data-testid="job-row"][data-job="bday"][data-state="COMPLETED"]')
        .waitFor({ timeout: 60_000 });
      expect(await page.evaluate('window.wizardSeen')).toBe(false);
      const states = (await api.call('jobs.get', { id: 'bday' })).journal.history
        .map((e: { to_state?: string }) => e.to_state)
        .filter(Boolean);
      expect(states.filter((s: string) => s === 'PAUSED')).toHaveLength(1);
      expect(states.at(-1)).toBe('COMPLETED');
      expect(judgePaper(jobProgram(rig.sb, 'bday'), plotter.paper).missing).toBe(0);
      expect(await app.problems()).toEqual([]);
    },
  );
});

describe('the Now-plotting bar and Abort', () => {
  it(
    'at 800 × 480 the bar shows layer, pen and time over an open panel; Plot waits for the plotter; Abort asks first',
    { timeout: 120_000 },
    async () => {
      const { served, api } = await rig.serve();
      await api.call('jobs.add', {
        source: source('zigzag.svg', ZIGZAG),
        id: 'zz',
        optimization: 'fast',
      });
      await api.call('jobs.add', {
        source: source('next.svg', ZIGZAG),
        id: 'next',
        optimization: 'fast',
      });
      const app = await openApp(await rig.browser(), served.url, { width: 800, height: 480 });
      const { page } = app;
      await page
        .locator('[data-testid="job-row"][data-job="next"]')
        .getByRole('button', { name: 'Plot' })
        .waitFor();
      await api.call('plot.start', { id: 'zz', device: 'virtual', speed: 2 });

      const bar = page.getByTestId('now-plotting');
      await bar.waitFor();
      const job = bar.locator('[data-testid="now-job"][data-job="zz"]');
      await until(
        async () =>
          /elapsed · .* left$/.test((await job.getByTestId('now-time').textContent()) ?? ''),
        15_000,
        'elapsed and time left',
      );
      // One unnumbered layer, named for its colour: no pen number to name.
      // Named once the first progress says which layer is on paper (before it: the plan's layer count).
      await until(
        async () => (await job.getByTestId('now-layer').textContent()) === 'Layer 1 of 1 · #000000',
        10_000,
        'the layer being drawn',
      );
      // Plotting another job on the busy plotter is not offered; queueing it is.
      const next = page.locator('[data-testid="job-row"][data-job="next"]');
      await until(
        async () => next.getByRole('button', { name: 'Plot' }).isDisabled(),
        10_000,
        'Plot disabled for the other job',
      );
      expect(await next.getByRole('button', { name: 'Plot' }).getAttribute('title')).toMatch(
        /drawing zigzag\.svg: Queue this job/,
      );
      expect(await next.getByRole('button', { name: 'Queue' }).isDisabled()).toBe(false);

      // With the detail panel open the bar is still on screen and on top.
      await job.getByRole('button', { name: 'zigzag.svg' }).click();
      await page.getByTestId('detail').getByTestId('detail-actions').waitFor();
      const onTop = () =>
        bar.evaluate((el) => {
          const d = el as unknown as {
            getBoundingClientRect(): {
              x: number;
              y: number;
              width: number;
              height: number;
              bottom: number;
            };
            contains(n: unknown): boolean;
            ownerDocument: { elementFromPoint(x: number, y: number): unknown };
          };
          const r = d.getBoundingClientRect();
          return (
            r.bottom <= 480 &&
            r.height > 0 &&
            d.contains(d.ownerDocument.elementFromPoint(r.x + r.width - 20, r.y + r.height / 2))
          );
        });
      expect(await onTop()).toBe(true);
      expect(await page.getByTestId('detail').getByRole('button', { name: 'Pause' }).count()).toBe(
        1,
      );
      await screenshot(page, 'now-plotting-800x480-detail', {
        theme: 'light',
        shows: [bar, page.getByTestId('detail').getByRole('button', { name: 'Pause' })],
      });

      // Abort asks; Escape keeps the plot going.
      await job.getByRole('button', { name: 'Abort' }).click();
      const confirm = page.getByTestId('confirm');
      await confirm.waitFor();
      expect(await confirm.getByRole('heading').textContent()).toBe('Abort zigzag.svg?');
      expect(
        await page.evaluate('document.activeElement && document.activeElement.textContent'),
      ).toBe('Go back');
      await screenshot(page, 'abort-confirm-800x480', {
        theme: 'light',
        shows: [confirm.getByRole('heading'), confirm.getByRole('button', { name: 'Go back' })],
      });
      await page.keyboard.press('Escape');
      await until(async () => (await confirm.count()) === 0, 5_000, 'the question gone');
      expect(await page.getByTestId('detail').count()).toBe(1);
      const seen = api.events.length;
      await api.waitForEvent(
        (e) =>
          e.event === 'plot.progress' && e.payload.id === 'zz' && api.events.indexOf(e) >= seen,
        10_000,
        'progress after the cancelled abort',
      );
      expect((await api.call('jobs.get', { id: 'zz' })).state).toBe('PLOTTING');

      // A double click on the row's Abort: the second click does not confirm for the user.
      await page.getByRole('button', { name: 'Close details' }).click();
      await page
        .locator('[data-testid="job-row"][data-job="zz"]')
        .getByRole('button', { name: 'Abort' })
        .dblclick();
      await confirm.waitFor();
      expect((await api.call('jobs.get', { id: 'zz' })).state).toBe('PLOTTING');
      await confirm.getByRole('button', { name: 'Abort job' }).click();
      await page
        .locator('[data-testid="job-row"][data-job="zz"][data-state="ABORTED"]')
        .waitFor({ timeout: 20_000 });
      await until(async () => (await bar.count()) === 0, 10_000, 'the bar gone with the plot');
      expect(await next.getByRole('button', { name: 'Plot' }).isDisabled()).toBe(false);
      expect(await app.problems()).toEqual([]);
    },
  );

  it(
    'at 1400 × 900 the bar sits at the foot of the window below the queue',
    { timeout: 60_000 },
    async () => {
      const { served, api } = await rig.serve();
      await api.call('jobs.add', {
        source: source('zigzag.svg', ZIGZAG),
        id: 'zz',
        optimization: 'fast',
      });
      const app = await openApp(await rig.browser(), served.url, { width: 1400, height: 900 });
      await api.call('plot.start', { id: 'zz', device: 'virtual', speed: 2 });
      const job = app.page.getByTestId('now-plotting').locator('[data-job="zz"]');
      await until(
        async () => /left$/.test((await job.getByTestId('now-time').textContent()) ?? ''),
        15_000,
        'time left',
      );
      const box = (await app.page.getByTestId('now-plotting').boundingBox())!;
      expect(box.y + box.height).toBeCloseTo(900, 0);
      await screenshot(app.page, 'now-plotting-1400x900', {
        theme: 'light',
        shows: [job.getByTestId('now-time'), app.page.getByTestId('now-plotting')],
      });
      await api.call('plot.abort', { id: 'zz' });
    },
  );
});

describe('files that are not SVG', () => {
  it(
    'are refused at the drop with their names, and by the API, and no job is made',
    { timeout: 60_000 },
    async () => {
      const { served, api } = await rig.serve();
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      const png = Buffer.from([
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
      ]);
      await dropFiles(page, [
        { name: 'holiday photo.png', bytes: png, type: 'image/png' },
        { name: 'notes.txt', bytes: Buffer.from('a shopping list'), type: 'text/plain' },
      ]);
      const uploads = page.getByTestId('upload');
      await until(async () => (await uploads.count()) === 2, 10_000, 'both files listed');
      expect(
        await uploads.evaluateAll((els) =>
          els.map((e) => (e as unknown as { dataset: { status: string } }).dataset.status),
        ),
      ).toEqual(['error', 'error']);
      expect(await uploads.nth(0).getByRole('alert').textContent()).toBe(
        "'holiday photo.png' is not an SVG file: only SVG drawings (.svg) become jobs; nothing was added.",
      );
      expect(await uploads.nth(1).getByRole('alert').textContent()).toMatch(
        /^'notes\.txt' is not an SVG file/,
      );
      await screenshot(page, 'drop-not-svg', {
        theme: 'light',
        shows: [uploads.nth(0), uploads.nth(1)],
      });

      // Sent to the API directly: refused, named, nothing created (also a PNG given an .svg name).
      await expect(
        api.call('jobs.add', { source: { name: 'photo.png', base64: png.toString('base64') } }),
      ).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/'photo\.png' is not an SVG file/),
      });
      await expect(
        api.call('jobs.add', { source: { name: 'photo.svg', base64: png.toString('base64') } }),
      ).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/'photo\.svg' is not an SVG drawing \(it holds binary data/),
      });
      expect((await api.call('jobs.list', {})).jobs).toEqual([]);
      expect(rig.sb.run(['list', 'jobs']).stdout.trim()).toBe('');
      expect(await page.getByTestId('job-row').count()).toBe(0);
      expect(await app.problems()).toEqual([]);
    },
  );
});
