/**
 * The queue in a real browser against `vfab serve` with the virtual plotter: files dropped on the
 * window become jobs (each file on its own: a bad one says why and does not stop the others), a
 * job is plotted from its row with a live progress bar until COMPLETED, and queued jobs are put in
 * another plotting order by dragging their rows or with the keyboard.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dropFiles, openApp, screenshot, until } from './helpers/app-browser';
import { writeJobs } from './helpers/app-jobs';
import { FIXTURES } from './helpers/cli';
import { useAppRig } from './helpers/app-rig';

const FIRST = fs.readFileSync(path.join(FIXTURES, 'AxiDraw_First.svg'));

const rig = useAppRig();

describe('the queue', () => {
  it(
    'a dropped SVG becomes a READY job that plots on the virtual plotter with a moving progress bar to COMPLETED',
    { timeout: 90_000 },
    async () => {
      const { served } = await rig.serve();
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      await page.getByText('No jobs yet').waitFor();
      await screenshot(page, 'queue-empty', {
        theme: 'light',
        shows: [page.getByText('No jobs yet')],
      });

      await dropFiles(page, [{ name: 'AxiDraw_First.svg', bytes: FIRST }]);
      const row = page.locator('[data-testid="job-row"][data-job="AxiDraw_First"]');
      await row.and(page.locator('[data-state="READY"]')).waitFor({ timeout: 30_000 });
      await expect(page.getByTestId('upload').first().getAttribute('data-status')).resolves.toBe(
        'added',
      );
      expect(await page.getByTestId('jobs').textContent()).toBe('1 job');

      await page.getByTestId('device').first().selectOption('virtual');
      await page.getByTestId('speed').first().fill('8');
      await row.getByRole('button', { name: 'Plot' }).click();

      // The bar is sampled in the page itself, so no value between two polls is missed.
      const bar = row.getByTestId('progress');
      await bar.waitFor({ timeout: 20_000 });
      await screenshot(page, 'queue-plotting', { theme: 'light', shows: [row, bar] });
      const seen = new Set<number>();
      const deadline = Date.now() + 60_000;
      while ((await row.getAttribute('data-state')) !== 'COMPLETED') {
        if (Date.now() > deadline)
          throw new Error(`not COMPLETED in time; progress seen: ${[...seen].join(', ')}`);
        const v = await bar.getAttribute('value', { timeout: 200 }).catch(() => null);
        if (v !== null) seen.add(Number(v));
        await page.waitForTimeout(100);
      }
      expect(seen.size).toBeGreaterThanOrEqual(3);
      expect([...seen].some((v) => v > 0 && v < 100)).toBe(true);
      await screenshot(page, 'queue-completed', {
        theme: 'light',
        shows: [row.getByRole('button', { name: 'Plot again' })],
      });
      expect(await row.getByRole('button').allTextContents()).toEqual([
        'AxiDraw_First.svg',
        'Plot again',
        'Remove',
      ]);
      expect(await app.problems()).toEqual([]);
    },
  );

  it(
    'a bad file dropped with a good one says plainly why; the good one is added',
    { timeout: 60_000 },
    async () => {
      const { served } = await rig.serve();
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      const huge =
        '<svg xmlns="http://www.w3.org/2000/svg" width="3000mm" height="3000mm" viewBox="0 0 3000 3000"><line x1="0" y1="0" x2="3000" y2="3000" stroke="black"/></svg>';
      await dropFiles(page, [
        { name: 'broken.svg', bytes: Buffer.from('this is not an svg <<<') },
        { name: 'AxiDraw_First.svg', bytes: FIRST },
        { name: 'poster.svg', bytes: Buffer.from(huge) },
      ]);
      const uploads = page.getByTestId('upload');
      await until(
        async () =>
          (await page
            .locator(
              '[data-testid="upload"][data-status="added"], [data-testid="upload"][data-status="error"]',
            )
            .count()) === 3,
        30_000,
        'all three files handled',
      );
      expect(await uploads.count()).toBe(3);
      expect(await uploads.nth(0).getAttribute('data-status')).toBe('error');
      expect(await uploads.nth(0).textContent()).toMatch(
        /broken\.svg.*cannot be planned.*not well-formed XML/,
      );
      expect(await uploads.nth(1).getAttribute('data-status')).toBe('added');
      expect(await uploads.nth(1).textContent()).toMatch(/READY/);
      expect(await uploads.nth(2).getAttribute('data-status')).toBe('error');
      expect(await uploads.nth(2).textContent()).toMatch(
        /cannot be planned.*does not fit 3000 × 3000 mm on an AxiDraw V3\/A4/,
      );
      // Only the one that was read but did not fit offers to plan it again with other settings.
      expect(await uploads.nth(0).getByRole('button', { name: 'Plan…' }).count()).toBe(0);
      await uploads.nth(2).getByRole('button', { name: 'Plan…' }).click();
      expect(await page.getByTestId('plan-form').getAttribute('open')).not.toBeNull();
      await page.getByRole('button', { name: 'Close details' }).click();
      await page
        .locator('[data-testid="job-row"][data-job="AxiDraw_First"][data-state="READY"]')
        .waitFor();
      // The reason stays beside the job's row once the drop list is cleared.
      await page.getByRole('button', { name: 'Clear finished' }).click();
      expect(await page.locator('[data-job="poster"] [role="alert"]').textContent()).toMatch(
        /^Does not fit: .* beyond the bottom edge of what the plotter reaches on 3000 × 3000 mm$/,
      );
      expect(await page.locator('[data-job="broken"]').textContent()).toMatch(
        /not well-formed XML/,
      );
      // No plotter is connected: Plot on the configured one says so beside the row.
      const good = page.locator('[data-testid="job-row"][data-job="AxiDraw_First"]');
      await good.getByRole('button', { name: 'Plot' }).click();
      await good.getByRole('alert').waitFor({ timeout: 20_000 });
      expect(await good.getByRole('alert').textContent()).toMatch(/no AxiDraw found/);
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, 'queue-dark', {
        theme: 'dark',
        shows: [
          page.locator('[data-job="broken"]'),
          good.getByRole('alert'),
          page.locator('[data-job="poster"] [role="alert"]'),
        ],
      });

      // The keyboard's way in: the same per-file handling from the file chooser.
      await page
        .getByTestId('file-input')
        .setInputFiles([{ name: 'again.svg', mimeType: 'image/svg+xml', buffer: FIRST }]);
      await page
        .locator('[data-testid="job-row"][data-job="again"][data-state="READY"]')
        .waitFor({ timeout: 30_000 });
      await screenshot(page, 'queue-drop-errors', {
        theme: 'dark',
        shows: [page.locator('[data-job="again"]'), page.locator('[data-job="broken"]')],
      });
      expect(await app.problems()).toEqual([]);
    },
  );
});

describe('a small screen', () => {
  it(
    'fits a Pi touchscreen (800 × 480): each row on two lines with every action inside it',
    { timeout: 60_000 },
    async () => {
      const { served, api } = await rig.serve();
      const source = { name: 'AxiDraw_First.svg', base64: FIRST.toString('base64') };
      await api.call('jobs.add', { source, id: 'ready' });
      await api.call('jobs.add', { source, id: 'queued' });
      await api.call('jobs.queue', { id: 'queued' });
      const app = await openApp(await rig.browser(), served.url, { width: 800, height: 480 });
      const { page } = app;
      const row = page.locator('[data-job="ready"]');
      await row.waitFor();
      // The plotters strip above the queue has arrived too: nothing moves the rows any more.
      await page.getByTestId('plotter').first().waitFor();
      const box = (await row.boundingBox())!;
      expect(box.height).toBeGreaterThanOrEqual(95);
      for (const name of ['Plot', 'Queue', 'Plan…', 'Remove']) {
        const b = (await row.getByRole('button', { name, exact: true }).boundingBox())!;
        expect(b.x + b.width, name).toBeLessThanOrEqual(box.x + box.width);
        expect(b.y + b.height, name).toBeLessThanOrEqual(box.y + box.height);
      }
      // The plotter controls get a line of their own below the title.
      const header = (await page.locator('.app-head').boundingBox())!;
      expect(header.height).toBeLessThan(120);
      await page.getByRole('button', { name: /^queued/i }).click();
      const handle = (await page
        .locator('[data-job="queued"]')
        .getByRole('button', { name: /Move/ })
        .boundingBox())!;
      expect(handle.x).toBeGreaterThanOrEqual(box.x);
      await screenshot(page, 'queue-small-screen', {
        theme: 'light',
        shows: [
          page.locator('[data-job="queued"]'),
          page.locator('[data-job="queued"]').getByRole('button', { name: /Move/ }),
        ],
      });
      expect(await app.problems()).toEqual([]);
    },
  );
});

describe('the queue with 10,000 jobs', () => {
  it(
    'mounts only the rows in view, scrolls to the oldest job, and filters by state',
    { timeout: 120_000 },
    async () => {
      writeJobs(rig.sb.jobsDir, 10_000);
      const { served } = await rig.serve(60_000);
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      await page.getByTestId('jobs').getByText('10000 jobs').waitFor({ timeout: 30_000 });
      const rows = page.getByTestId('job-row');
      // Newest first.
      expect(await rows.first().getAttribute('data-job')).toBe('job_09999');
      expect(await rows.count()).toBeLessThan(30);

      await page.locator('.vlist').evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.locator('[data-job="job_00000"]').waitFor();
      expect(await rows.count()).toBeLessThan(30);
      await screenshot(page, 'queue-10000-bottom', {
        theme: 'light',
        shows: [page.locator('[data-job="job_00000"]')],
      });

      await page.getByRole('button', { name: /^failed 2500$/i }).click();
      await page.locator('.vlist').evaluate((el) => (el.scrollTop = 0));
      await page.locator('[data-job="job_09999"]').waitFor();
      expect(
        await rows.evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-state')))]),
      ).toEqual(['FAILED']);
      expect(await app.problems()).toEqual([]);
    },
  );
});

/** Two Inkscape layers (two pens), a few millimetres of line: plans in a moment. */
const TWO_PENS = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="100mm" height="100mm" viewBox="0 0 100 100">
<g inkscape:groupmode="layer" inkscape:label="1 black"><line x1="10" y1="10" x2="40" y2="10" stroke="black"/></g>
<g inkscape:groupmode="layer" inkscape:label="2 red"><line x1="10" y1="20" x2="40" y2="20" stroke="red"/></g>
</svg>`;

describe('the plotting order', () => {
  it(
    'moves a queued job by dragging its row and by Alt+arrow on its handle; the CLI sees the same queue',
    { timeout: 90_000 },
    async () => {
      const { served, api: socket } = await rig.serve();
      for (const id of ['one', 'two', 'three', 'four']) {
        await socket.call('jobs.add', {
          source: { name: `${id}.svg`, base64: Buffer.from(TWO_PENS).toString('base64') },
          id,
          optimization: 'fast',
        });
        await socket.call('jobs.queue', { id });
      }
      const cliQueue = () =>
        rig.sb
          .run(['info', 'queue', '--state', 'queued'])
          .stdout.split('\n')
          .filter(Boolean)
          .map((line) => line.split('\t')[0]);
      expect(cliQueue()).toEqual(['one', 'two', 'three', 'four']);

      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      // Anything that would add a job from a row drag shows this overlay first, however briefly.
      await page.evaluate(`(() => {
      window.overlaySeen = false;
      new MutationObserver((records) => {
        if (records.some((r) => [...r.addedNodes].some((n) => n.classList && n.classList.contains('drop-overlay')))) window.overlaySeen = true;
      }).observe(document.body, { childList: true, subtree: true });
    })()`);
      const rows = page.getByTestId('job-row');
      const order = () => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-job')));
      await page.locator('[data-testid="job-row"][data-job="four"]').waitFor();
      // Everything newest first, nothing to move.
      expect(await order()).toEqual(['four', 'three', 'two', 'one']);
      expect(await page.getByRole('button', { name: /^Move / }).count()).toBe(0);
      expect(await rows.first().locator('.job-paper').textContent()).toBe('100 × 100 mm');
      expect(await rows.first().locator('.job-layers').textContent()).toBe('2 layers');

      await page.getByRole('button', { name: /^queued 4$/i }).click();
      await page.getByText('The top job plots first.').waitFor();
      expect(await order()).toEqual(['one', 'two', 'three', 'four']);
      expect(await page.getByRole('button', { name: /^Move / }).count()).toBe(4);

      // An offline plotter's card (its reason on two lines) fits the strip's reserved height: the
      // list does not jump under the pointer when a probe finds no plotter.
      await page.locator('[data-testid="plotter"].plotter-offline .plotter-why').waitFor();
      const strip = (await page.evaluate(
        '(() => { const el = document.querySelector(".plotter-strip"); return [el.clientHeight, parseFloat(getComputedStyle(el).minHeight)]; })()',
      )) as [number, number];
      expect(strip[0]).toBe(strip[1]);

      // The last row's handle dragged onto the first row: a real mouse drag, with the line showing where it lands.
      const handle = page.getByRole('button', { name: 'Move four.svg' });
      const first = await rows.first().boundingBox();
      await handle.hover();
      await page.mouse.down();
      await page.mouse.move(first!.x + first!.width / 2, first!.y + first!.height / 2 + 10, {
        steps: 8,
      });
      // The line follows the dragover events; a loaded renderer may still show an earlier one.
      const dropLine = page.getByTestId('drop-line');
      await until(
        async () => Math.abs(((await dropLine.boundingBox()) ?? { y: -99 }).y - first!.y) < 5,
        10_000,
        'the drop line at the top of the first row',
      );
      expect(await dropLine.boundingBox()).toMatchObject({ y: expect.closeTo(first!.y, -1) });
      await screenshot(page, 'queue-reorder-dragging', {
        theme: 'light',
        shows: [rows.first(), handle],
      });
      await page.mouse.up();
      await until(
        async () => (await order()).join() === 'four,one,two,three',
        10_000,
        'four moved to the top',
      );
      expect(await page.getByTestId('drop-line').count()).toBe(0);
      await until(
        async () => cliQueue().join() === 'four,one,two,three',
        10_000,
        'the CLI to see four first',
      );

      // playwright's own drag: the first row onto the lower half of the last one goes to the end.
      const last = rows.last();
      const box = await last.boundingBox();
      await page
        .getByRole('button', { name: 'Move four.svg' })
        .dragTo(last, { targetPosition: { x: box!.width / 2, y: box!.height - 10 } });
      await until(
        async () => (await order()).join() === 'one,two,three,four',
        10_000,
        'four moved to the end',
      );

      // The keyboard: Alt+↓ on a handle moves the job one place, and the focus goes with it.
      const focused = () =>
        page.evaluate(
          'document.activeElement && document.activeElement.getAttribute("aria-label")',
        );
      // Reached as a keyboard user does: from the row above, Tab lands on the next row's handle.
      await rows.first().getByRole('button', { name: 'Cancel' }).focus();
      await page.keyboard.press('Tab');
      expect(await focused()).toBe('Move two.svg');
      await page.keyboard.press('Alt+ArrowDown');
      await until(
        async () => (await order()).join() === 'one,three,two,four',
        10_000,
        'two moved down one place',
      );
      await until(
        async () => (await focused()) === 'Move two.svg',
        5_000,
        'the focus on the moved handle',
      );
      await page.keyboard.press('Alt+ArrowDown');
      await until(
        async () => (await order()).join() === 'one,three,four,two',
        10_000,
        'two moved down again',
      );
      await until(
        async () => (await focused()) === 'Move two.svg',
        5_000,
        'the focus still on the moved handle',
      );
      await page.keyboard.press('Alt+ArrowUp');
      await until(
        async () => (await order()).join() === 'one,three,two,four',
        10_000,
        'two moved up',
      );
      await until(
        async () => cliQueue().join() === 'one,three,two,four',
        10_000,
        'the CLI to see the keyboard moves',
      );
      expect(await page.getByRole('status').textContent()).toBe(
        'two.svg is now number 3 of 4 in the queue.',
      );
      await screenshot(page, 'queue-reorder', {
        theme: 'light',
        shows: [rows.first(), rows.last(), page.getByRole('button', { name: 'Move two.svg' })],
      });
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, 'queue-reorder-dark', {
        theme: 'dark',
        shows: [rows.first(), rows.last(), page.getByRole('button', { name: 'Move two.svg' })],
      });

      // No row drag was taken for a file drop.
      expect(await page.evaluate('window.overlaySeen')).toBe(false);
      expect(await page.getByTestId('upload').count()).toBe(0);
      expect(await page.getByTestId('jobs').textContent()).toBe('4 jobs');
      expect(rig.sb.run(['list', 'jobs']).stdout.split('\n').filter(Boolean)).toHaveLength(4);
      expect(await app.problems()).toEqual([]);
    },
  );
});
