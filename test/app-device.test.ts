/**
 * The device bar in a real browser against `vfab serve`, with the virtual plotter on a PTY as the
 * configured plotter: "Connect" asks it (firmware, motor power) and raises its pen; "Release
 * motors" turns its motors off so the carriage can be pushed by hand.
 */
import { describe, expect, it } from 'vitest';
import { openApp, screenshot } from './helpers/app-browser';
import { useAppRig } from './helpers/app-rig';
import { startPlotterProcess } from './helpers/crash-rig';

const rig = useAppRig();

describe('the device bar', () => {
  it(
    'connects to the configured plotter, raising its pen, and releases its motors',
    { timeout: 60_000 },
    async () => {
      const plotter = await startPlotterProcess(rig.sb, 1);
      rig.defer(() => plotter.stop());
      rig.config(`device:\n  port: ${plotter.port}\ncamera:\n  enabled: false\n`);
      const { served, api } = await rig.serve();
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      const note = page.getByTestId('device-note');
      await page.getByRole('button', { name: 'Connect' }).click();
      await page.locator('[data-testid="device-note"][data-state="ok"]').waitFor();
      expect(await note.textContent()).toBe('Connected · fw 3.0.3 · pen up · motors on');
      expect(await note.getAttribute('title')).toBe(
        `${plotter.port} answers (firmware EBBv13_and_above EB Firmware Version 3.0.3); pen raised. Motors powered. Motors off: the carriage moves freely.`,
      );
      const asked = (await plotter.ctl('status')) as { penUp: boolean; motors: number[] };
      expect(asked.penUp).toBe(true);
      await screenshot(page, 'device-connected', {
        theme: 'light',
        shows: [note, page.getByRole('button', { name: 'Connect' })],
      });

      // A paused plot leaves the motors on, holding the carriage; the bar releases them.
      const line =
        '<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="100mm" viewBox="0 0 100 100"><path d="M10 10 H90 V90 H10 Z M20 20 H80" fill="none" stroke="black"/></svg>';
      await api.call('jobs.add', {
        source: { name: 'square.svg', base64: Buffer.from(line).toString('base64') },
        id: 'sq',
      });
      await api.call('plot.start', { id: 'sq' });
      await api.waitForEvent(
        (e) =>
          e.event === 'plot.progress' && e.payload.id === 'sq' && (e.payload.move as number) > 2,
        20_000,
        'progress',
      );
      await api.call('plot.pause', { id: 'sq' });
      expect(((await plotter.ctl('status')) as { motors: number[] }).motors).not.toEqual([0, 0]);
      await page.getByRole('button', { name: 'Release motors' }).click();
      await page.locator('[data-testid="device-note"][data-state="released"]').waitFor();
      expect(await note.textContent()).toBe('Motors released');
      expect(await note.getAttribute('title')).toMatch(
        /^Motors of .* released: the carriage moves by hand; its position is lost\.$/,
      );
      expect(((await plotter.ctl('status')) as { motors: number[] }).motors).toEqual([0, 0]);

      // Resuming that paused plot now needs the carriage confirmed at home: the pre-flight saw the
      // motors off, so the carriage may have been pushed anywhere.
      await page
        .locator('[data-testid="job-row"][data-job="sq"]')
        .getByRole('button', { name: 'Resume…' })
        .click();
      const wizard = page.getByTestId('recovery');
      await wizard.getByRole('button', { name: 'Next: pre-flight' }).click();
      await wizard
        .locator('[data-testid="preflight-check"][data-state="ok"]')
        .getByText(/Motors off: the carriage moves freely\.$/)
        .waitFor();
      const go = wizard.getByRole('button', { name: 'Resume plotting' });
      expect(await go.isDisabled()).toBe(true);
      await plotter.ctl('carriageHome');
      await wizard.getByTestId('carriage-at-home').check();
      await go.click();
      await wizard.getByText('The drawing is finished.').waitFor({ timeout: 30_000 });
      await wizard.getByRole('button', { name: 'Done' }).click();

      // The virtual plotter of a dry run has nothing to reach: it is made with the plot.
      await page.getByTestId('device').first().selectOption('virtual');
      await page
        .getByTestId('device-note')
        .getByText(/on USB$/)
        .waitFor();
      expect(await note.textContent()).toMatch(/V3\/A4 on USB$/);
      await page.getByRole('button', { name: 'Connect' }).click();
      await page
        .locator('[data-testid="device-note"][data-state="ok"]')
        .getByText('Virtual plotter')
        .waitFor();
      expect(await app.problems()).toEqual([]);
    },
  );
});
