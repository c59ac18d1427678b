/**
 * Crash recovery in a real browser: a plot running in `vfab serve` is SIGKILLed mid-stroke, serve
 * is started again on the same data, and the page opens the recovery wizard by itself with the
 * cause, the drawing as far as it is on paper and the camera's last frame; resuming (carriage
 * confirmed at home when the plotter may have lost it) finishes the job, the journal records the
 * recovery, and the plotter's paper holds every planned stroke.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canvasFacts, openApp, screenshot, until } from './helpers/app-browser';
import { useAppRig } from './helpers/app-rig';
import { jobProgram, judgePaper, reinkBound, startPlotterProcess } from './helpers/crash-rig';
import { startFakeCamera } from './helpers/fake-camera';

/** Long strokes: at speed 2 this plots for several seconds, long enough to kill it mid-plot. */
const ZIGZAG = `<svg xmlns="http://www.w3.org/2000/svg" width="200mm" height="150mm" viewBox="0 0 200 150">${Array.from(
  { length: 40 },
  (_, i) =>
    `<line x1="10" y1="${10 + i * 2}" x2="180" y2="${11 + i * 2}" fill="none" stroke="black" stroke-width="0.3"/>`,
).join('')}</svg>`;

const rig = useAppRig();

describe('the recovery wizard', () => {
  it(
    'opens by itself after a SIGKILL mid-plot, shows cause, paper and last frame, and resumes to a complete drawing',
    { timeout: 120_000 },
    async () => {
      // The plotter and the camera are their own processes, as on a real desk: killing vfab kills neither.
      const SPEED = 4;
      const plotter = await startPlotterProcess(rig.sb, SPEED);
      rig.defer(() => plotter.stop());
      const camera = await startFakeCamera({ width: 320, height: 240, fps: 10 });
      rig.defer(() => camera.close());
      rig.config(
        `device:\n  port: ${plotter.port}\ncamera:\n  url: ${camera.url}\n  snapshot_interval_s: 1\n`,
      );
      const first = await rig.serve();
      await first.api.call('jobs.add', {
        source: { name: 'zigzag.svg', base64: Buffer.from(ZIGZAG).toString('base64') },
        id: 'zz',
        optimization: 'fast',
      });
      await first.api.call('plot.start', { id: 'zz', speed: SPEED });
      await first.api.waitForEvent(
        (e) => e.event === 'plot.progress' && (e.payload.move as number) > 40,
        30_000,
        'progress past move 40',
      );
      // latest.jpg is refreshed every second while plotting: the frame the wizard shows.
      await until(
        async () => fs.existsSync(path.join(rig.sb.jobsDir, 'zz', 'snapshots', 'latest.jpg')),
        10_000,
        'latest.jpg',
      );
      first.served.child.kill('SIGKILL');
      expect(await first.served.exited).toBe('SIGKILL');

      const second = await rig.serve();
      const app = await openApp(await rig.browser(), second.served.url);
      const { page } = app;
      const wizard = page.getByTestId('recovery');
      await wizard.waitFor();
      expect(await wizard.getAttribute('data-job')).toBe('zz');
      expect(await page.getByTestId('cause').getAttribute('data-cause')).toBe('crash');
      expect(await page.getByTestId('cause').textContent()).toMatch(/ended without a word/);
      expect(await page.getByTestId('checkpoint').textContent()).toMatch(
        /layer 1, stroke \d+ \(move \d+\); \d+ mm drawn/,
      );
      // The paper as the checkpoint has it: some of the drawing in ink, the rest still to draw.
      const drawing = wizard.getByTestId('drawing');
      await drawing.waitFor();
      const done = Number(await drawing.getAttribute('data-done'));
      const points = Number(await drawing.getAttribute('data-points'));
      expect(done).toBeGreaterThan(0);
      expect(done).toBeLessThan(points - 1);
      expect((await canvasFacts(wizard.getByTestId('drawing-ink'))).painted).toBeGreaterThan(0);
      // The camera's last view before the crash, a real JPEG decoded by the browser.
      const frame = wizard.getByTestId('last-frame').locator('img');
      await frame.waitFor();
      await until(
        async () =>
          (await frame.evaluate(
            (img) => (img as unknown as { naturalWidth: number }).naturalWidth,
          )) === 320,
        10_000,
        'the last frame to load',
      );
      // Beside it, the live view through serve's relay, to compare the paper now with then.
      const live = wizard.getByTestId('live-frame').getByTestId('camera-live');
      await live.waitFor();
      await until(
        async () =>
          (await live.evaluate(
            (img) => (img as unknown as { naturalWidth: number }).naturalWidth,
          )) === 320,
        10_000,
        'the live view',
      );
      await screenshot(page, 'recovery-review', { theme: 'light', shows: [drawing, frame, live] });

      // Resume is the default choice; the pre-flight comes before anything moves. The plotter kept
      // its power and its position (only vfab died), so no home confirmation is asked for.
      await wizard.getByRole('button', { name: 'Next: pre-flight' }).click();
      await wizard.getByText(/Check the paper has not moved/).waitFor();
      // The plotter answers on its port with its motors powered, and its pen was raised.
      await wizard.locator('[data-testid="preflight-check"][data-state="ok"]').waitFor();
      expect(await wizard.getByTestId('preflight-check').textContent()).toBe(
        `${plotter.port} answers (firmware EBBv13_and_above EB Firmware Version 3.0.3); pen raised. Motors powered.`,
      );
      expect(await wizard.getByTestId('carriage-at-home').count()).toBe(0);
      await screenshot(page, 'recovery-preflight', {
        theme: 'light',
        shows: [
          wizard.getByTestId('preflight-check'),
          wizard.getByRole('button', { name: 'Resume plotting' }),
        ],
      });
      await wizard.getByRole('button', { name: 'Resume plotting' }).click();

      await wizard.getByText('The drawing is finished.').waitFor({ timeout: 90_000 });
      await until(
        async () =>
          Number(await wizard.getByTestId('drawing').getAttribute('data-done')) === points - 1,
        5_000,
        'the drawing to be all ink',
      );
      await screenshot(page, 'recovery-completed', {
        theme: 'light',
        shows: [wizard.getByText('The drawing is finished.'), wizard.getByTestId('drawing')],
      });
      await wizard.getByRole('button', { name: 'Done' }).click();
      await page
        .locator('[data-testid="job-row"][data-job="zz"][data-state="COMPLETED"]')
        .waitFor();

      const info = await second.api.call('jobs.get', { id: 'zz' });
      expect(info.state).toBe('COMPLETED');
      expect(
        info.journal.history.filter((e: { type: string }) => e.type === 'recovery'),
      ).toHaveLength(1);
      // The paper holds every planned stroke; what was drawn twice is within the in-flight bound.
      const program = jobProgram(rig.sb, 'zz');
      const verdict = judgePaper(program, plotter.paper);
      expect(verdict.missing, JSON.stringify(verdict)).toBe(0);
      expect(verdict.reinkedMm).toBeLessThanOrEqual(reinkBound(program));

      // The job's detail shows the drawing done, the camera's pictures and the recovery in its timeline.
      await page.locator('[data-job="zz"]').getByRole('button', { name: 'zigzag.svg' }).click();
      const timeline = page.getByTestId('timeline');
      await timeline.waitFor();
      expect(await timeline.textContent()).toMatch(/recovery PLOTTING → PLOTTING.*COMPLETED/s);
      expect(
        await page.getByTestId('detail').getByTestId('drawing').getAttribute('data-done'),
      ).toBe(String(points - 1));
      await page.getByTestId('detail').getByTestId('snapshot').first().waitFor();
      expect(
        await page
          .getByTestId('detail')
          .locator('[data-testid="snapshot"][data-kind="complete"]')
          .count(),
      ).toBe(1);
      await screenshot(page, 'job-detail', {
        theme: 'light',
        shows: [
          page.getByTestId('detail').getByTestId('drawing'),
          page.getByTestId('detail').getByRole('button', { name: 'Plot again' }),
        ],
      });
      expect(await app.problems()).toEqual([]);
    },
  );

  it(
    'does not open for a deliberate pause; the row offers Resume… through the same pre-flight',
    { timeout: 90_000 },
    async () => {
      const { served, api } = await rig.serve();
      await api.call('jobs.add', {
        source: { name: 'zigzag.svg', base64: Buffer.from(ZIGZAG).toString('base64') },
        id: 'zz',
        optimization: 'fast',
      });
      await api.call('plot.start', { id: 'zz', device: 'virtual', speed: 2 });
      await api.waitForEvent(
        (e) => e.event === 'plot.progress' && (e.payload.move as number) > 3,
        30_000,
        'progress',
      );
      await api.call('plot.pause', { id: 'zz' });

      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      const row = page.locator('[data-testid="job-row"][data-job="zz"][data-state="PAUSED"]');
      await row.waitFor();
      expect(await page.getByTestId('recovery').count()).toBe(0);
      await row.getByRole('button', { name: 'Resume…' }).click();
      const wizard = page.getByTestId('recovery');
      expect(await page.getByTestId('cause').getAttribute('data-cause')).toBe('paused');
      await wizard.getByRole('button', { name: 'Next: pre-flight' }).click();
      // No AxiDraw on this machine: the pre-flight says so and nothing may start.
      await wizard
        .locator('[data-testid="preflight-check"][data-state="failed"]')
        .getByText(/no AxiDraw found/)
        .waitFor();
      expect(await wizard.getByRole('button', { name: 'Resume plotting' }).isDisabled()).toBe(true);
      await wizard.getByTestId('device').selectOption('virtual');
      await wizard
        .locator('[data-testid="preflight-check"][data-state="ok"]')
        .getByText(/^Virtual plotter/)
        .waitFor();
      await wizard.getByTestId('speed').fill('50');
      await wizard.getByTestId('carriage-at-home').check();
      await wizard.getByRole('button', { name: 'Resume plotting' }).click();
      await wizard.getByText('The drawing is finished.').waitFor({ timeout: 60_000 });
      expect(await app.problems()).toEqual([]);
    },
  );
});
