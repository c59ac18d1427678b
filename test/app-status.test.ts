/**
 * The one status banner, in a real browser: the server killed (said within 2 s, buttons that
 * need it disabled, and the page back by itself when serve returns on the same port and token),
 * and the plotter's USB cable pulled mid-plot (said within 5 s in words, in every open tab, and
 * the recovery wizard opens by itself).
 */
import { describe, expect, it } from 'vitest';
import { openApiSocket, wsUrl } from './helpers/api-socket';
import { openApp, screenshot, until } from './helpers/app-browser';
import { useAppRig } from './helpers/app-rig';
import { startPlotterProcess } from './helpers/crash-rig';
import { startFakeCamera } from './helpers/fake-camera';
import { startServe } from './helpers/serve-process';
import type { Page } from 'playwright-core';

const ZIGZAG = `<svg xmlns="http://www.w3.org/2000/svg" width="200mm" height="150mm" viewBox="0 0 200 150">${Array.from(
  { length: 40 },
  (_, i) =>
    `<line x1="10" y1="${10 + i * 2}" x2="180" y2="${11 + i * 2}" fill="none" stroke="black" stroke-width="0.3"/>`,
).join('')}</svg>`;

const rig = useAppRig();

/** Milliseconds until `selector` is visible on `page`, polled from the test side (the page's CSP forbids eval). */
async function msUntilVisible(page: Page, selector: string, ms: number): Promise<number> {
  const from = Date.now();
  await until(async () => page.locator(selector).first().isVisible(), ms, selector);
  return Date.now() - from;
}

describe('the status banner', () => {
  it(
    'says at once that the server is gone, disables what needs it, and recovers when serve returns',
    { timeout: 90_000 },
    async () => {
      const args = ['--port', '0', '--keep-token'];
      const first = await startServe(rig.sb, 15_000, args);
      rig.defer(() => first.kill());
      const app = await openApp(await rig.browser(), first.url);
      const { page } = app;
      expect(await page.getByTestId('status-banner').count()).toBe(0);
      const settings = page.getByRole('button', { name: 'Settings' });
      expect(await settings.isDisabled()).toBe(false);

      first.child.kill('SIGKILL');
      await first.exited;
      const took = await msUntilVisible(
        page,
        '[data-testid="status-banner"][data-kind="server"]',
        2_000,
      );
      expect(took).toBeLessThan(2_000);
      expect(await page.getByTestId('status-banner').textContent()).toMatch(
        /Lost the connection to vfab/,
      );
      expect(await settings.isDisabled()).toBe(true);
      await screenshot(page, 'server-lost', {
        theme: 'light',
        shows: [page.getByTestId('status-banner'), settings],
      });

      // The same server back: same port, same token (kept in the data folder); a job added meanwhile shows up.
      const second = await startServe(rig.sb, 15_000, [
        '--port',
        String(first.port),
        '--keep-token',
      ]);
      rig.defer(() => second.kill());
      expect(second.token).toBe(first.token);
      const api = await openApiSocket(wsUrl(second.origin, second.token), second.origin);
      rig.defer(() => api.close());
      await api.call('jobs.add', {
        source: { name: 'back.svg', base64: Buffer.from(ZIGZAG).toString('base64') },
        id: 'back',
        plan: false,
      });
      await until(
        async () => (await page.getByTestId('status-banner').count()) === 0,
        10_000,
        'the banner to go',
      );
      await page.locator('[data-testid="job-row"][data-job="back"]').waitFor({ timeout: 10_000 });
      await until(
        async () => (await page.getByText('Cannot list the plotters').count()) === 0,
        10_000,
        'the plotters to be listed again',
      );
      expect(await settings.isDisabled()).toBe(false);
      await screenshot(page, 'server-back', {
        theme: 'light',
        shows: [page.locator('[data-testid="job-row"][data-job="back"]'), settings],
      });
      expect(await app.problems()).toEqual([]);
    },
  );

  it(
    'says in words within 5 s that the plotter was unplugged mid-plot, in every tab, and opens the wizard',
    { timeout: 120_000 },
    async () => {
      const SPEED = 2;
      const plotter = await startPlotterProcess(rig.sb, SPEED);
      rig.defer(() => plotter.stop());
      rig.config(`device:\n  port: ${plotter.port}\ncamera:\n  enabled: false\n`);
      const { served, api } = await rig.serve();
      await api.call('jobs.add', {
        source: { name: 'zigzag.svg', base64: Buffer.from(ZIGZAG).toString('base64') },
        id: 'zz',
        optimization: 'fast',
      });
      const browser = await rig.browser();
      const app = await openApp(browser, served.url);
      const { page } = app;
      await api.call('plot.start', { id: 'zz', speed: SPEED });
      await api.waitForEvent(
        (e) => e.event === 'plot.progress' && (e.payload.move as number) > 20,
        30_000,
        'progress past move 20',
      );
      expect(await page.getByTestId('status-banner').count()).toBe(0);

      await plotter.ctl('unplug');
      const took = await msUntilVisible(
        page,
        '[data-testid="status-banner"][data-kind="plotter"]',
        5_000,
      );
      expect(took).toBeLessThan(5_000);
      const said =
        (await page.locator('[data-testid="status-banner"][data-kind="plotter"]').textContent()) ??
        '';
      expect(said).toMatch(/Plotter \S+ lost: (the plotter stopped answering|its USB port)/);
      expect(said).not.toMatch(/EBB|LM,|SM,|QM|timeout/);
      const wizard = page.getByTestId('recovery');
      await wizard.waitFor({ timeout: 10_000 });
      expect(await wizard.getAttribute('data-job')).toBe('zz');
      // The wizard's sentence is words too; the board's own reply is one click away for whoever debugs it.
      expect(await page.getByTestId('cause').innerText()).not.toMatch(/EBB|LM,/);
      await screenshot(page, 'plotter-lost-wizard', {
        theme: 'light',
        shows: ['[data-testid="status-banner"][data-kind="plotter"]', page.getByTestId('cause')],
      });

      // A tab opened now is told the same by the server, not by its own guess.
      const other = await openApp(browser, served.url);
      await other.page
        .locator('[data-testid="status-banner"][data-kind="plotter"]')
        .waitFor({ timeout: 5_000 });
      expect(
        await other.page
          .locator('[data-testid="status-banner"][data-kind="plotter"]')
          .textContent(),
      ).toBe(said);

      // Plugged back in: the port is there again and the banner goes.
      await plotter.ctl('replug');
      await until(
        async () =>
          (await other.page
            .locator('[data-testid="status-banner"][data-kind="plotter"]')
            .count()) === 0,
        10_000,
        'the plotter banner to go',
      );
      expect(await app.problems()).toEqual([]);
    },
  );

  it(
    'asks "paper loaded and pen 1 in?" before the first plot when config requires it',
    { timeout: 90_000 },
    async () => {
      rig.config('camera:\n  enabled: false\nphysical_setup:\n  require_confirmation: true\n');
      const { served, api } = await rig.serve();
      const svg = ZIGZAG.replace(
        '<line',
        '<g inkscape:groupmode="layer" inkscape:label="1-black" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"><line',
      ).replace('</svg>', '</g></svg>');
      await api.call('jobs.add', {
        source: { name: 'zigzag.svg', base64: Buffer.from(svg).toString('base64') },
        id: 'zz',
        optimization: 'fast',
      });
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      await page.getByTestId('device').first().selectOption('virtual');
      await page.getByTestId('speed').first().fill('50');
      const row = page.locator('[data-testid="job-row"][data-job="zz"]');
      await row.getByRole('button', { name: 'Plot' }).click();
      const ask = page.getByTestId('ready-check');
      await ask.waitFor();
      expect(await ask.locator('h2').textContent()).toBe(
        'Plotter virtual: Paper loaded and pen 1 (1-black) in?',
      );
      await screenshot(page, 'ready-check', { theme: 'light', shows: [ask.locator('h2')] });
      // Not yet: nothing plots, and the row says why.
      await ask.getByRole('button', { name: 'Not yet' }).click();
      await row.getByText(/not confirmed ready/).waitFor();
      expect(await row.getAttribute('data-state')).toBe('READY');
      await row.getByRole('button', { name: 'Plot' }).click();
      await ask.getByRole('button', { name: 'Ready: plot' }).click();
      await page
        .locator('[data-testid="job-row"][data-job="zz"][data-state="COMPLETED"]')
        .waitFor({ timeout: 60_000 });
      expect(await app.problems()).toEqual([]);
    },
  );

  it('says when the camera is lost', { timeout: 60_000 }, async () => {
    const camera = await startFakeCamera({ width: 320, height: 240, fps: 10 });
    let closed = false;
    rig.defer(() => (closed ? undefined : camera.close()));
    rig.config(`camera:\n  url: ${camera.url}\n`);
    const { served } = await rig.serve();
    const app = await openApp(await rig.browser(), served.url);
    const { page } = app;
    // The live view holds the stream open, as a person watching would.
    await page.getByRole('button', { name: 'Camera' }).click();
    await page.getByTestId('camera-live').waitFor();
    await camera.close();
    closed = true;
    await msUntilVisible(page, '[data-testid="status-banner"][data-kind="camera"]', 15_000);
    expect(
      await page.locator('[data-testid="status-banner"][data-kind="camera"]').textContent(),
    ).toMatch(/^Camera lost: /);
    await screenshot(page, 'camera-lost', {
      theme: 'light',
      shows: ['[data-testid="status-banner"][data-kind="camera"]'],
    });
  });
});
