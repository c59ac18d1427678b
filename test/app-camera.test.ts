/**
 * The camera panel in a real browser against `vfab serve`: the live view comes through serve's own
 * relay (the address camera.viewer gives; same origin, the CSP allows it), the status is live, a
 * snapshot shows as a thumbnail to save (or is kept with the job being plotted), and a disabled or
 * silent camera says so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { naturalWidth, openApp, screenshot, until } from './helpers/app-browser';
import { startFakeCamera } from './helpers/fake-camera';
import { useAppRig } from './helpers/app-rig';

const rig = useAppRig();

/** Long strokes: on the virtual plotter at speed 1 this plots for well over a minute. */
const LONG = `<svg xmlns="http://www.w3.org/2000/svg" width="200mm" height="150mm" viewBox="0 0 200 150">${Array.from(
  { length: 40 },
  (_, i) =>
    `<line x1="10" y1="${10 + i * 2}" x2="180" y2="${11 + i * 2}" fill="none" stroke="black" stroke-width="0.3"/>`,
).join('')}</svg>`;

describe('the camera panel', () => {
  it(
    'shows the live view through the relay and the camera status',
    { timeout: 60_000 },
    async () => {
      const camera = await startFakeCamera({ width: 320, height: 240, fps: 10 });
      rig.defer(() => camera.close());
      rig.config(`camera:\n  enabled: true\n  mode: ip\n  url: ${camera.url}\n`);
      const { served } = await rig.serve();
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      await page.getByRole('button', { name: 'Camera' }).click();
      const live = page.getByTestId('camera-live');
      await live.waitFor();
      expect(await live.getAttribute('src')).toBe(`/camera/stream.mjpeg?token=${served.token}`);
      await until(
        async () => (await naturalWidth(live)) === 320,
        15_000,
        'a frame in the live view',
      );
      await page
        .getByTestId('camera-status')
        .getByText(/^Live, 320×240, \d+\.\d fps$/)
        .waitFor({ timeout: 15_000 });
      await screenshot(page, 'camera-live', {
        theme: 'light',
        shows: [live, page.getByTestId('camera-status')],
      });

      // Nothing is plotting: the picture is only shown, with a link to save it.
      await page.getByRole('button', { name: 'Take snapshot' }).click();
      const shot = page.getByTestId('camera-snapshot');
      await until(
        async () =>
          (await shot.count()) === 1 && (await naturalWidth(shot.getByRole('img'))) === 320,
        10_000,
        'the snapshot thumbnail',
      );
      const save = shot.getByRole('link', { name: 'Save…' });
      expect(await save.getAttribute('download')).toMatch(/^vfab-snapshot-\d{8}T\d{6}Z\.jpg$/);
      expect(await save.getAttribute('href')).toMatch(/^data:image\/jpeg;base64,\/9j\//);
      expect(await shot.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
      await screenshot(page, 'camera-snapshot', {
        theme: 'light',
        shows: [live, shot.getByRole('img'), save],
      });
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, 'camera-snapshot-dark', {
        theme: 'dark',
        shows: [live, shot.getByRole('img'), save],
      });

      // Closing the panel takes the live view (and with it the page's stream connection) away.
      await page.getByRole('button', { name: 'Close camera' }).click();
      expect(await live.count()).toBe(0);
      expect(await app.problems()).toEqual([]);
    },
  );

  it(
    'keeps a snapshot taken during a plot with the job being plotted',
    { timeout: 60_000 },
    async () => {
      const camera = await startFakeCamera({ width: 320, height: 240, fps: 10 });
      rig.defer(() => camera.close());
      rig.config(`camera:\n  enabled: true\n  mode: ip\n  url: ${camera.url}\n`);
      const { served, api: socket } = await rig.serve();
      await socket.call('jobs.add', {
        source: { name: 'long.svg', base64: Buffer.from(LONG).toString('base64') },
        id: 'long',
        optimization: 'fast',
      });
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      await page.getByRole('button', { name: 'Camera' }).click();
      await socket.call('plot.start', { id: 'long', device: 'virtual', speed: 1 });
      await page.getByText('Kept with long, which is plotting.').waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: 'Take snapshot' }).click();
      const saved = page
        .getByTestId('camera-snapshot')
        .getByText(/^Saved to job long as \d{8}T\d{6}-manual(-\d+)?\.jpg$/);
      await saved.waitFor({ timeout: 10_000 });
      const name = (await saved.textContent())!.split(' as ')[1]!;
      expect(
        fs.statSync(path.join(rig.sb.jobsDir, 'long', 'snapshots', name)).size,
      ).toBeGreaterThan(0);
      expect(await page.getByRole('link', { name: 'Save…' }).count()).toBe(0);
      await screenshot(page, 'camera-snapshot-plotting', {
        theme: 'light',
        shows: [saved, page.getByTestId('camera-live')],
      });
      await socket.call('plot.abort', { id: 'long' });
      expect(await app.problems()).toEqual([]);
    },
  );

  it(
    'says why there is no snapshot when the camera sends nothing',
    { timeout: 60_000 },
    async () => {
      // A camera that closes at once: the address is taken, nothing answers.
      const camera = await startFakeCamera({ status: 503 });
      rig.defer(() => camera.close());
      rig.config(`camera:\n  enabled: true\n  mode: ip\n  url: ${camera.url}\n`);
      const { served } = await rig.serve();
      const app = await openApp(await rig.browser(), served.url);
      await app.page.getByRole('button', { name: 'Camera' }).click();
      await app.page.getByRole('button', { name: 'Take snapshot' }).click();
      const alert = app.page.getByTestId('camera').getByRole('alert');
      await alert.waitFor({ timeout: 10_000 });
      expect(await alert.textContent()).toMatch(
        /^Cannot take a snapshot: No picture from the camera within 3 s .*HTTP 503/,
      );
      // The camera's address stays in the main process, in errors too.
      expect(await alert.textContent()).not.toContain(String(camera.port));
      expect(await app.page.getByTestId('camera-status').textContent()).not.toContain(
        String(camera.port),
      );
      expect(await app.page.getByTestId('camera-snapshot').count()).toBe(0);
      await screenshot(app.page, 'camera-snapshot-error', { theme: 'light', shows: [alert] });
    },
  );

  it('says plainly when the camera is off', { timeout: 60_000 }, async () => {
    rig.config('camera:\n  enabled: false\n');
    const { served } = await rig.serve();
    const app = await openApp(await rig.browser(), served.url);
    await app.page.getByRole('button', { name: 'Camera' }).click();
    await app.page
      .getByTestId('camera-status')
      .getByText(/^Camera off: .+\. Plotting works without it\.$/)
      .waitFor();
    expect(await app.page.getByTestId('camera-live').count()).toBe(0);
    expect(await app.page.getByRole('button', { name: 'Take snapshot' }).count()).toBe(0);
    await screenshot(app.page, 'camera-off', {
      theme: 'light',
      shows: [app.page.getByTestId('camera-status')],
    });
    expect(await app.problems()).toEqual([]);
  });
});
