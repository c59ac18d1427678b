/**
 * The queue runner in a real browser against `vfab serve` with two standalone virtual plotters:
 * the plotters strip and the queue's assigned plotters, Start queue, both plotters plotting at
 * once, the "Paper changed" button starting the next job on its plotter, the notification list,
 * and each plotter's paper judged against the plans at the end. A second page at the Pi
 * touchscreen's size (800 × 480) follows the same run.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { naturalWidth, openApp, screenshot, until, type AppPage } from './helpers/app-browser';
import { useAppRig } from './helpers/app-rig';
import { startPlotterProcess } from './helpers/crash-rig';
import { startFakeCamera } from './helpers/fake-camera';
import { addSmallJobs, judgeQueue, writeQueueConfig } from './helpers/queue-rig';

/** Slow enough that both plotters are seen plotting at the same moment, fast enough for a test. */
const SPEED = 5;

const rig = useAppRig();

const card = (page: Page, name: string) =>
  page.locator(`[data-testid="plotter"][data-plotter="${name}"]`);
const cardState = (page: Page, name: string) => card(page, name).getAttribute('data-state');
const row = (page: Page, id: string) => page.locator(`[data-testid="job-row"][data-job="${id}"]`);

/** Console errors too: a failed call or a React warning shows there first. */
function consoleErrors(app: AppPage): () => string[] {
  const seen: string[] = [];
  app.page.on('console', (m) => {
    if (m.type() === 'error') seen.push(`${m.text()} (${m.location().url})`);
  });
  return () => seen;
}

/**
 * Runs in the page before its own scripts: the first "Paper changed" call for p1 stays in the page
 * until the test calls `releaseP1()`, so a paper change is in flight for as long as the test needs.
 */
const HOLD_P1_PAPER = `(() => {
  const send = WebSocket.prototype.send;
  let held = [];
  window.releaseP1 = () => { for (const [ws, text] of held.splice(0)) send.call(ws, text); held = null; };
  WebSocket.prototype.send = function (data) {
    const call = typeof data === 'string' ? JSON.parse(data) : null;
    if (held && call && call.method === 'plotters.paperChanged' && call.params.plotter === 'p1') return void held.push([this, data]);
    return send.call(this, data);
  };
})();`;

describe('the plotters strip', () => {
  it(
    'Start queue: two plotters plot at once, "Paper changed" starts the next job there, the notifications list the endings, the papers match the plans',
    { timeout: 180_000 },
    async () => {
      const plotters = {
        p1: await startPlotterProcess(rig.sb, SPEED, 'p1'),
        p2: await startPlotterProcess(rig.sb, SPEED, 'p2'),
      };
      for (const p of Object.values(plotters)) rig.defer(() => p.stop());
      // The device section is an A3 machine's, so an A3 job can be planned; both plotters hold A4.
      writeQueueConfig(
        rig.sb,
        Object.entries(plotters).map(([name, p]) => ({
          name,
          port: p.port,
          speed: SPEED,
          model: 'V3/A4',
          paper: 'A4',
        })),
        { model: 'V3/A3' },
      );
      const { big: _, ...programs } = await addSmallJobs(rig.sb, {
        a: { x: 20, y: 20, strokes: 100 },
        b: { x: 80, y: 20, strokes: 100 },
        c: { x: 140, y: 20, strokes: 4 },
        d: { x: 200, y: 20, strokes: 4 },
        big: { x: 300, y: 200, page: 'A3' },
      });
      const { served, api } = await rig.serve();
      // c only on p2, queued before d: each plotter's next job is then one it alone waits for.
      for (const id of ['a', 'b', 'big']) await api.call('jobs.queue', { id });
      await api.call('jobs.queue', { id: 'c', target: { plotter: 'p2' } });
      await api.call('jobs.queue', { id: 'd' });

      const context = await (await rig.browser()).newContext();
      rig.defer(() => context.close());
      await context.addInitScript({ content: HOLD_P1_PAPER });
      const app = await openApp(context, served.url, { width: 1400, height: 900 });
      const errors = consoleErrors(app);
      const small = await openApp(await rig.browser(), served.url, { width: 800, height: 480 });
      const smallErrors = consoleErrors(small);
      const { page } = app;

      // Before the start: each card idle with its model and paper; each queued row names its plotter, or why none can take it.
      for (const name of ['p1', 'p2']) {
        await card(page, name).waitFor();
        expect(await cardState(page, name)).toBe('idle');
        expect(await card(page, name).textContent()).toContain('V3/A4 · A4 loaded');
      }
      await page.getByRole('button', { name: /^queued 5$/i }).click();
      await until(
        async () => (await page.getByTestId('row-plotter').count()) === 5,
        10_000,
        'every queued row to name its plotter',
      );
      const where = async (id: string) => row(page, id).getByTestId('row-plotter').textContent();
      expect(await where('a')).toBe('→ p1 next');
      expect(await where('b')).toBe('→ p2 next');
      expect(await where('c')).toMatch(/^→ p2 in about \d+ s$/);
      expect(await where('d')).toMatch(/^→ p1 in about \d+ s$/);
      expect(await where('big')).toMatch(
        /^No plotter: no plotter can take it \(p1: loaded with A4, the job is planned for A3/,
      );
      await screenshot(page, 'plotters-1400-idle', {
        theme: 'light',
        shows: [card(page, 'p1'), card(page, 'p2'), row(page, 'big').getByTestId('row-plotter')],
      });
      await screenshot(small.page, 'plotters-800-idle', {
        theme: 'light',
        shows: [card(small.page, 'p1'), card(small.page, 'p2')],
      });

      // Start: before its first job each plotter waits for its sheet.
      await page.getByRole('button', { name: 'Start queue' }).click();
      for (const name of ['p1', 'p2'])
        await until(
          async () => (await cardState(page, name)) === 'waiting_paper',
          20_000,
          `${name} waiting for paper`,
        );
      expect(await card(page, 'p1').textContent()).toContain('Waiting for paper');
      await page
        .getByTestId('queue-controls')
        .getByRole('status')
        .getByText('Queue running')
        .waitFor();
      await screenshot(page, 'plotters-1400-waiting', {
        theme: 'light',
        shows: [
          card(page, 'p1'),
          card(page, 'p2'),
          page.getByTestId('queue-controls').getByRole('status'),
        ],
      });
      await screenshot(small.page, 'plotters-800-waiting', {
        theme: 'light',
        shows: [card(small.page, 'p1'), card(small.page, 'p2')],
      });
      // One plotter's paper change in flight holds back no other: p2 starts while p1's call is held.
      const paperButton = (name: string) =>
        page.getByRole('button', { name: `Paper changed on ${name}` });
      await paperButton('p1').click();
      await until(
        async () =>
          (await paperButton('p1').textContent()) === 'Paper changed…' &&
          (await paperButton('p1').isDisabled()),
        5000,
        "p1's button to show its call in flight",
      );
      expect(await paperButton('p2').isEnabled()).toBe(true);
      // The keyboard's way: focus and Enter.
      await paperButton('p2').focus();
      await page.keyboard.press('Enter');
      await until(
        async () => (await cardState(page, 'p2')) !== 'waiting_paper',
        20_000,
        'p2 to start while p1 is held',
      );
      expect(await cardState(page, 'p1')).toBe('waiting_paper');
      await page.evaluate('window.releaseP1()');

      // Both plotting at the same moment, each with a progress bar past 0 %.
      const both = async () => {
        const states = await Promise.all(['p1', 'p2'].map((n) => cardState(page, n)));
        if (states.some((s) => s !== 'plotting')) return false;
        const values = await Promise.all(
          ['p1', 'p2'].map((n) =>
            card(page, n)
              .getByTestId('progress')
              .getAttribute('value', { timeout: 500 })
              .catch(() => null),
          ),
        );
        return values.every((v) => v !== null && Number(v) > 0 && Number(v) < 100);
      };
      await until(both, 30_000, 'both plotters plotting with progress at once');
      const plotting = Object.fromEntries(
        await Promise.all(
          ['p1', 'p2'].map(async (n) => [
            n,
            await card(page, n).locator('.job-link').textContent(),
          ]),
        ),
      );
      expect(Object.values(plotting).sort()).toEqual(['a', 'b']);
      expect(await card(page, 'p1').textContent()).toMatch(/\d+% · \d+ s left/);
      await screenshot(page, 'plotters-1400-plotting', {
        theme: 'light',
        shows: [card(page, 'p1').getByTestId('progress'), card(page, 'p2').getByTestId('progress')],
      });
      await until(
        async () =>
          (await cardState(small.page, 'p1')) === 'plotting' &&
          (await cardState(small.page, 'p2')) === 'plotting',
        5000,
        'the small screen to show both plotting',
      );
      await screenshot(small.page, 'plotters-800-plotting', {
        theme: 'light',
        shows: [
          card(small.page, 'p1').getByTestId('progress'),
          card(small.page, 'p2').getByTestId('progress'),
        ],
      });
      await small.page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(small.page, 'plotters-800-plotting-dark', {
        theme: 'dark',
        shows: [card(small.page, 'p1'), card(small.page, 'p2')],
      });

      // Its first job done, each plotter waits for a fresh sheet; "Paper changed" starts its next job there.
      const next: Record<string, string> = { p1: 'd', p2: 'c' };
      for (const name of ['p1', 'p2']) {
        await until(
          async () => (await cardState(page, name)) === 'waiting_paper',
          60_000,
          `${name} waiting for paper after its first job`,
        );
        expect(await card(page, name).locator('.job-link').textContent()).toBe(next[name]);
        if (name === 'p1')
          await screenshot(page, 'plotters-1400-paper-change', {
            theme: 'light',
            shows: [page.getByRole('button', { name: 'Paper changed on p1' })],
          });
        await page.getByRole('button', { name: `Paper changed on ${name}` }).click();
        await until(
          async () => (await cardState(page, name)) !== 'waiting_paper',
          10_000,
          `${name} to start its next job`,
        );
        await until(
          async () => (await row(page, next[name]!).count()) === 0,
          10_000,
          `${next[name]} to leave the queue`,
        );
      }
      expect(await page.getByTestId('unread').textContent()).toMatch(/^\d+$/);
      await until(
        async () =>
          (await page.getByTestId('queue-controls').getAttribute('data-running')) === 'false',
        60_000,
        'the queue to finish',
      );
      await page
        .getByTestId('queue-controls')
        .getByText('Last run: 4 completed, 1 job left in the queue.')
        .waitFor();
      expect(
        await page
          .getByTestId('job-row')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-job'))),
      ).toEqual(['big']);
      expect(await where('big')).toMatch(/^No plotter:/);
      await page.getByRole('button', { name: /^all 5$/i }).click();
      for (const id of ['a', 'b', 'c', 'd'])
        expect(await row(page, id).getAttribute('data-state')).toBe('COMPLETED');

      // The notifications, newest first: every job completed, with its plotter; opening the list clears the count.
      const unread = Number(await page.getByTestId('unread').textContent());
      await page.getByRole('button', { name: `Notifications, ${unread} unread` }).click();
      const entries = page.getByTestId('notification');
      const completed = await page
        .locator('[data-testid="notification"][data-kind="completed"]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-job')));
      expect([...completed].sort()).toEqual(['a', 'b', 'c', 'd']);
      expect(
        await page.locator('[data-testid="notification"][data-kind="waiting_for_paper"]').count(),
      ).toBeGreaterThanOrEqual(4);
      expect(await entries.count()).toBe(unread);
      const times = await entries
        .locator('time')
        .evaluateAll((els) => els.map((e) => e.getAttribute('datetime')!));
      expect([...times].sort().reverse()).toEqual(times);
      for (const id of ['a', 'b'])
        expect(
          await page
            .locator(`[data-testid="notification"][data-kind="completed"][data-job="${id}"]`)
            .textContent(),
        ).toContain(`Job ${id} on ${plotting.p1 === id ? 'p1' : 'p2'} after`);
      expect(await page.getByTestId('unread').count()).toBe(0);
      await screenshot(page, 'plotters-1400-notifications', {
        theme: 'light',
        shows: [entries.first()],
      });
      await small.page.getByRole('button', { name: /^Notifications/ }).click();
      await screenshot(small.page, 'plotters-800-notifications-dark', {
        theme: 'dark',
        shows: [small.page.getByTestId('notification').first()],
      });

      const verdict = judgeQueue(rig.sb, programs, {
        p1: plotters.p1.paper,
        p2: plotters.p2.paper,
      });
      expect(verdict.plotterOf).toEqual({
        a: plotting.p1 === 'a' ? 'p1' : 'p2',
        b: plotting.p1 === 'b' ? 'p1' : 'p2',
        c: 'p2',
        d: 'p1',
      });
      expect(verdict.missing).toEqual({ a: 0, b: 0, c: 0, d: 0 });
      expect(verdict.elsewhere).toEqual([]);
      for (const mm of Object.values(verdict.reinkedMm)) expect(mm).toBeLessThan(0.01);

      expect(await app.problems()).toEqual([]);
      expect(await small.problems()).toEqual([]);
      expect(errors()).toEqual([]);
      expect(smallErrors()).toEqual([]);
    },
  );

  it(
    'unattended with a page delay, kept running; a plotter that is not there is offline with the reason; Pause now leaves each plotter holding its paused job; a plotter with its own camera shows it',
    { timeout: 120_000 },
    async () => {
      const camera = await startFakeCamera({ fps: 5 });
      rig.defer(() => camera.close());
      const plotters = {
        p1: await startPlotterProcess(rig.sb, SPEED, 'p1'),
        p2: await startPlotterProcess(rig.sb, SPEED, 'p2'),
      };
      for (const p of Object.values(plotters)) rig.defer(() => p.stop());
      // p1 has a camera of its own; p3's port is not there.
      rig.config(
        [
          'camera:\n  enabled: false',
          'devices:',
          `  - name: p1\n    port: ${plotters.p1.port}\n    speed: ${SPEED}\n    camera:\n      enabled: true\n      url: ${camera.url}`,
          `  - name: p2\n    port: ${plotters.p2.port}\n    speed: ${SPEED}`,
          `  - name: p3\n    port: /dev/vfab-unplugged\n    speed: ${SPEED}`,
        ].join('\n') + '\n',
      );
      await addSmallJobs(rig.sb, {
        a: { x: 20, y: 20, strokes: 120 },
        b: { x: 80, y: 20, strokes: 120 },
        c: { x: 140, y: 20 },
      });
      const { served, api } = await rig.serve();
      for (const id of ['a', 'b']) await api.call('jobs.queue', { id });
      await api.call('jobs.queue', { id: 'c', target: { plotter: 'p3' } });
      const app = await openApp(await rig.browser(), served.url, { width: 1400, height: 900 });
      const errors = consoleErrors(app);
      const { page } = app;

      const cam = card(page, 'p1').getByTestId('plotter-camera');
      await until(
        async () => (await cam.count()) === 1 && (await naturalWidth(cam)) > 0,
        10_000,
        "p1's camera picture",
      );
      expect(await cam.getAttribute('alt')).toBe('Live view of plotter p1');
      expect(await card(page, 'p2').getByTestId('plotter-camera').count()).toBe(0);

      await page.getByLabel('Unattended').check();
      await page.getByLabel('Page delay').fill('0');
      await page.getByLabel('Keep running').check();
      await page.getByRole('button', { name: 'Start queue' }).click();
      await until(
        async () =>
          (await cardState(page, 'p1')) === 'plotting' &&
          (await cardState(page, 'p2')) === 'plotting',
        30_000,
        'both plotting',
      );
      await until(async () => (await cardState(page, 'p3')) === 'offline', 20_000, 'p3 offline');
      expect(await card(page, 'p3').textContent()).toMatch(/Offline.*vfab-unplugged/);
      expect(await page.getByTestId('queue-controls').getByRole('status').textContent()).toBe(
        'Queue running, unattended (0 s between pages); keeps running for jobs queued later',
      );
      await screenshot(page, 'plotters-1400-camera-offline', {
        theme: 'light',
        shows: [cam, card(page, 'p3')],
      });

      await page.getByRole('button', { name: 'Pause now' }).click();
      for (const name of ['p1', 'p2'])
        await until(
          async () => (await cardState(page, name)) === 'holding',
          20_000,
          `${name} holding`,
        );
      const held = await Promise.all(
        ['p1', 'p2'].map(async (n) => (await card(page, n).textContent()) ?? ''),
      );
      expect(held.map((t) => /Holding paused job ([ab])/.exec(t)?.[1]).sort()).toEqual(['a', 'b']);
      await page
        .getByTestId('queue-controls')
        .getByText('Last run: 0 completed, 2 paused, 1 job left in the queue.')
        .waitFor();
      for (const id of ['a', 'b'])
        expect((await api.call('jobs.get', { id })).state).toBe('PAUSED');
      await screenshot(page, 'plotters-1400-holding', {
        theme: 'light',
        shows: [card(page, 'p1'), card(page, 'p2')],
      });
      await page.setViewportSize({ width: 800, height: 480 });
      await screenshot(page, 'plotters-800-holding', { theme: 'light', shows: [card(page, 'p1')] });
      expect(await app.problems()).toEqual([]);
      expect(errors()).toEqual([]);
    },
  );
});
