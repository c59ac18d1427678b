/**
 * The built renderer in a real browser, served by the built `vfab serve`: Debian's Chromium
 * driven by playwright-core opens the printed URL, the page reaches the API over the WebSocket
 * (token from its URL) and shows the version and job count from system.info, follows
 * job.changed live, and breaks no CSP rule on the way.
 */
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src-main/version';
import { naturalWidth, openApp, screenshot, until } from './helpers/app-browser';
import { useAppRig } from './helpers/app-rig';
import { FIXTURES } from './helpers/cli';
import { startFakeCamera } from './helpers/fake-camera';
import { startServe } from './helpers/serve-process';

const rig = useAppRig();

describe('the app in a browser from vfab serve', () => {
  it(
    'shows the version and job count from system.info, live, with no CSP violation',
    { timeout: 60_000 },
    async () => {
      for (const id of ['first', 'second'])
        expect(
          rig.sb.run(['add', 'job', id, path.join(FIXTURES, 'AxiDraw_trivial.svg'), '--no-plan'])
            .code,
        ).toBe(0);
      const { served, api } = await rig.serve();
      const browser = await rig.browser();
      const app = await openApp(browser, served.url);
      const { page } = app;
      expect(await page.getByTestId('version').textContent()).toBe(`vfab ${VERSION}`);
      expect(await page.getByTestId('jobs').textContent()).toBe('2 jobs');

      // A job added by another client reaches the page as a job.changed event.
      await api.call('jobs.add', {
        source: {
          name: 'third.svg',
          base64: fs.readFileSync(path.join(FIXTURES, 'AxiDraw_trivial.svg')).toString('base64'),
        },
        plan: false,
      });
      await page.getByText('3 jobs').waitFor({ timeout: 10_000 });
      await screenshot(page, 'serve-browser', {
        theme: 'light',
        shows: [
          page.getByTestId('version'),
          page.getByTestId('jobs'),
          page.getByTestId('job-row').nth(2),
        ],
      });
      // Page errors, CSP violation reports and "Refused to…" console lines.
      expect(await app.problems()).toEqual([]);

      // Without the token a tab gets the public page and nothing from vfab; it says how to get in.
      const bare = await browser.newPage();
      expect((await bare.goto(`${served.origin}/`))?.status()).toBe(200);
      await bare
        .getByText(
          /^Cannot reach vfab: this tab has no token: open the URL that vfab serve printed/,
        )
        .waitFor();
      expect(await bare.getByTestId('version').count()).toBe(0);
      expect((await bare.goto(`${served.origin}/?token=wrong`))?.status()).toBe(401);

      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(143);
    },
  );

  it(
    'keeps the token to its own page: another server on this machine gets no credential, and a reload still works',
    { timeout: 90_000 },
    async () => {
      const camera = await startFakeCamera({ width: 320, height: 240, fps: 10 });
      rig.defer(() => camera.close());
      rig.config(`camera:\n  enabled: true\n  mode: ip\n  url: ${camera.url}\n`);
      const { served } = await rig.serve();
      // Another local server, as any program on this machine may run: it writes down what it is sent.
      const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];
      const other = http.createServer((req, res) => {
        seen.push({ url: req.url ?? '', headers: req.headers });
        res
          .writeHead(200, { 'Content-Type': 'text/html' })
          .end('<!doctype html><title>other</title><img src="/pixel.png" alt="">');
      });
      await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
      rig.defer(() => new Promise((r) => other.close(r)));
      const otherOrigin = `http://127.0.0.1:${(other.address() as net.AddressInfo).port}`;

      const context = await (await rig.browser()).newContext();
      const app = await openApp(context, served.url);
      const { page } = app;
      // The page took the token out of its address, so it is not left in history or on screen.
      expect(page.url()).toBe(`${served.origin}/`);
      const liveView = async (what: string) => {
        await page.getByRole('button', { name: 'Camera' }).click();
        const live = page.getByTestId('camera-live');
        await until(
          async () => (await live.count()) === 1 && (await naturalWidth(live)) === 320,
          15_000,
          what,
        );
      };
      await liveView('a frame in the live view through the relay');
      await page.reload();
      expect(await page.getByTestId('version').textContent()).toBe(`vfab ${VERSION}`);
      await liveView('a frame in the live view after a reload');
      expect(await app.problems()).toEqual([]);

      // The same browser, in a new tab and in the app's own tab, goes to the other server.
      const tab = await context.newPage();
      expect((await tab.goto(`${otherOrigin}/tab`))?.status()).toBe(200);
      expect((await page.goto(`${otherOrigin}/from-the-app`))?.status()).toBe(200);
      expect(seen.map((r) => r.url)).toEqual(
        expect.arrayContaining(['/tab', '/from-the-app', '/pixel.png']),
      );
      for (const r of seen) {
        expect(r.headers.cookie, r.url).toBeUndefined();
        expect(r.headers.authorization, r.url).toBeUndefined();
        expect(JSON.stringify(r), r.url).not.toContain(served.token);
      }
    },
  );

  it(
    'after vfab serve restarts (a new token), a reload says to open the new URL',
    { timeout: 60_000 },
    async () => {
      const { served, api } = await rig.serve();
      const app = await openApp(await rig.browser(), served.url);
      await api.close();
      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(143);
      const again = await startServe(rig.sb, 15_000, ['--port', String(served.port)]);
      rig.defer(() => again.kill());
      expect(again.token).not.toBe(served.token);
      await app.page.reload();
      await app.page
        .getByText(/^Cannot reach vfab: .*open the URL (it|that vfab serve) printed/)
        .waitFor();
      expect(await app.page.getByTestId('version').count()).toBe(0);
      // The new URL works in the same tab.
      await app.page.goto(again.url);
      expect(await app.page.getByTestId('version').textContent()).toBe(`vfab ${VERSION}`);
    },
  );
});
