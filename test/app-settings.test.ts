/**
 * First run and settings in a real browser against `vfab serve`: with no config.yaml the app asks
 * for the plotter and paper and writes the file; the settings panel writes only what was changed,
 * so masked secrets shown in it never overwrite the real ones; a camera set there is live at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openApp, screenshot, until } from './helpers/app-browser';
import { useAppRig } from './helpers/app-rig';
import { FIXTURES } from './helpers/cli';
import { deadCameraUrl, startFakeCamera } from './helpers/fake-camera';

const rig = useAppRig({ config: null });

describe('first run and settings', () => {
  it(
    'without config.yaml asks for the plotter, paper and camera (tried live), then writes the file',
    { timeout: 60_000 },
    async () => {
      const camera = await startFakeCamera({ width: 320, height: 240, fps: 10 });
      rig.defer(() => camera.close());
      const { served } = await rig.serve();
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      const card = page.getByTestId('first-run');
      await card.waitFor();
      await card.getByLabel('AxiDraw model').selectOption('V3/A3');
      await card.getByLabel('Paper').fill('A3');
      // A URL where nothing listens says why; the fake Motion shows a frame, its size and rate.
      const url = card.getByLabel('Stream URL (Motion)');
      await url.fill(await deadCameraUrl());
      await card.getByRole('button', { name: 'Test camera' }).click();
      await card
        .getByTestId('camera-test')
        .getByRole('alert')
        .getByText(/refused the connection/)
        .waitFor();
      await url.fill(camera.url);
      await card.getByRole('button', { name: 'Test camera' }).click();
      await card
        .getByTestId('camera-test')
        .getByRole('status')
        .getByText(/^Camera works: 320×240, [\d.]+ fps\.$/)
        .waitFor({ timeout: 15_000 });
      const frame = card.getByTestId('camera-test').locator('img');
      expect(
        await frame.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      ).toBe(320);
      await card.getByLabel('Use a camera').check();
      await screenshot(page, 'first-run', {
        theme: 'light',
        shows: [card.getByTestId('camera-test').getByRole('status'), frame],
      });
      await card.getByRole('button', { name: 'Save and start' }).click();
      await card.waitFor({ state: 'detached' });
      const yaml = fs.readFileSync(rig.sb.configFile, 'utf8');
      expect(yaml).toMatch(/model: V3\/A3/);
      expect(yaml).toMatch(/default_size: A3/);
      expect(yaml).toContain(`url: ${camera.url}`);
      // The running server follows the new camera at once: its live view needs no restart.
      await page.getByRole('button', { name: 'Camera' }).click();
      const live = page.getByTestId('camera-live');
      await live.waitFor();
      await until(
        async () =>
          (await live.evaluate(
            (img) => (img as unknown as { naturalWidth: number }).naturalWidth,
          )) === 320,
        15_000,
        'the new camera in the live view',
      );
      expect(await app.problems()).toEqual([]);
    },
  );

  it(
    'saves only the changed keys: a masked camera password stays as it was',
    { timeout: 60_000 },
    async () => {
      rig.config(
        'camera:\n  enabled: false\n  url: http://motion:s3cret@127.0.0.1:8881/stream.mjpeg\n',
      );
      const { served } = await rig.serve();
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      expect(await page.getByTestId('first-run').count()).toBe(0);
      await page.getByRole('button', { name: 'Settings' }).click();
      const panel = page.getByTestId('settings');
      await panel.getByLabel('Pen down height').fill('35');
      expect(await panel.getByLabel('Stream URL (Motion)').inputValue()).not.toMatch(/s3cret/);
      await panel.getByRole('button', { name: 'Save settings' }).click();
      await panel
        .getByRole('status')
        .getByText(/^Saved to/)
        .waitFor();
      await screenshot(page, 'settings', {
        theme: 'light',
        shows: [panel.getByRole('status'), panel.getByLabel('Stream URL (Motion)')],
      });
      const yaml = fs.readFileSync(rig.sb.configFile, 'utf8');
      expect(yaml).toMatch(/pen_pos_down: 35/);
      expect(yaml).toMatch(/motion:s3cret@/);
      expect(await app.problems()).toEqual([]);
    },
  );

  it(
    'Settings → Backups: turns automatic backups on, backs up now, and restores a backup after a check',
    { timeout: 90_000 },
    async () => {
      rig.config('camera:\n  enabled: false\n');
      const { served, api } = await rig.serve();
      const svg = fs.readFileSync(path.join(FIXTURES, 'AxiDraw_trivial.svg')).toString('base64');
      await api.call('jobs.add', { source: { name: 'kept.svg', base64: svg }, id: 'kept' });
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      await page.getByRole('button', { name: 'Settings' }).click();
      const panel = page.getByTestId('settings');
      const backups = panel.getByTestId('backups');
      await backups.getByText('No backups yet.').waitFor();

      await panel.getByLabel('Back up automatically').check();
      await panel.getByLabel('Keep the newest').fill('3');
      await panel.getByRole('button', { name: 'Save settings' }).click();
      await panel
        .getByRole('status')
        .getByText(/^Saved to/)
        .waitFor();
      expect(fs.readFileSync(rig.sb.configFile, 'utf8')).toMatch(
        /backups:\n\s+auto: true\n\s+keep: 3/,
      );
      await backups.getByText(/Automatic every 24 h, keeping 3/).waitFor();

      await backups.getByRole('button', { name: 'Back up now' }).click();
      await backups
        .getByRole('status')
        .getByText(/^Saved .*vfab-backup-\d{8}T\d{6}\.tar\.gz \(1 jobs/)
        .waitFor();
      const row = backups.getByTestId('backup');
      // The list is asked again after the status says saved: wait for its row, then count.
      await row.first().waitFor();
      expect(await row.count()).toBe(1);

      // A job added after the backup is gone once the backup is restored; the one before it stays.
      await api.call('jobs.add', { source: { name: 'later.svg', base64: svg }, id: 'later' });
      await page.locator('[data-job="later"]').waitFor();
      await row.getByRole('button', { name: 'Restore…' }).click();
      await row.getByText(/1 jobs, settings, database\. Restoring replaces/).waitFor();
      await screenshot(page, 'settings-backups', {
        theme: 'light',
        shows: [row, row.getByRole('button', { name: 'Restore this backup' })],
      });
      await row.getByRole('button', { name: 'Restore this backup' }).click();
      await backups
        .getByRole('status')
        .getByText(/^Restored 1 jobs from .* What was here before is kept in .*pre-import-/)
        .waitFor({ timeout: 30_000 });
      expect((await api.call('jobs.list', {})).jobs.map((j: { id: string }) => j.id)).toEqual([
        'kept',
      ]);
      await page.locator('[data-job="later"]').waitFor({ state: 'detached' });
      expect(await app.problems()).toEqual([]);
    },
  );
});
