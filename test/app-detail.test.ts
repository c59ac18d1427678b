/**
 * A job's detail in a real browser against `vfab serve`: the drawing rendered from the plan, the
 * part on paper inked over it live while the virtual plotter draws, pen-up travel on request;
 * and a paused plot marked done from the recovery wizard.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canvasFacts, canvasFactsInPage, openApp, screenshot, until } from './helpers/app-browser';
import { useAppRig } from './helpers/app-rig';
import { FIXTURES } from './helpers/cli';

const rig = useAppRig();

/** 30 strokes of 100 mm: about 40 s at real speed. */
const ZIGZAG = `<svg xmlns="http://www.w3.org/2000/svg" width="200mm" height="150mm" viewBox="0 0 200 150">${Array.from(
  { length: 30 },
  (_, i) =>
    `<line x1="${10 + (i % 2) * 20}" y1="${10 + i * 4}" x2="110" y2="${12 + i * 4}" fill="none" stroke="black" stroke-width="0.3"/>`,
).join('')}</svg>`;
const zigzag = { name: 'zigzag.svg', base64: Buffer.from(ZIGZAG).toString('base64') };

/**
 * In the page, the detail drawing's done index and its ink at every change of that index, read
 * in the same turn as the render: no change is missed, and no read falls between two renders.
 */
const WATCH_INK = `(() => {
  const facts = ${canvasFactsInPage.toString()};
  const box = document.querySelector('[data-testid="detail"] [data-testid="drawing"]');
  const ink = box.querySelector('[data-testid="drawing-ink"]');
  window.inkSeen = [];
  new MutationObserver(() =>
    window.inkSeen.push({ done: Number(box.dataset.done), painted: facts(ink).painted }),
  ).observe(box, { attributes: true, attributeFilter: ['data-done'] });
})()`;

describe('job detail', () => {
  it(
    'draws the plan, inks the part on paper live during a plot, and shows pen-up travel on request',
    { timeout: 90_000 },
    async () => {
      const { served, api } = await rig.serve();
      await api.call('jobs.add', { source: zigzag, id: 'zz', optimization: 'fast' });
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      await page.locator('[data-job="zz"]').getByRole('button', { name: 'zigzag.svg' }).click();
      const detail = page.getByTestId('detail');
      const drawing = detail.getByTestId('drawing');
      await drawing.waitFor();
      expect(await drawing.getAttribute('data-done')).toBe('-1');
      expect(Number(await drawing.getAttribute('data-points'))).toBe(60);
      // The document's own 200 × 150 mm page, named once.
      expect(await detail.getByTestId('stats').textContent()).toMatch(
        /^Paper200 × 150 mm, scale 1\.00Estimate/,
      );
      const ink = detail.getByTestId('drawing-ink');
      expect((await canvasFacts(ink)).painted).toBe(0);

      // Travel drawn on the base canvas changes its picture; hiding it again restores it.
      const base = drawing.locator('canvas').first();
      const plain = await canvasFacts(base);
      await detail.getByLabel('Show pen-up travel').check();
      expect((await canvasFacts(base)).hash).not.toBe(plain.hash);
      await detail.getByLabel('Show pen-up travel').uncheck();
      expect((await canvasFacts(base)).hash).toBe(plain.hash);

      await page.evaluate(WATCH_INK);
      await api.call('plot.start', { id: 'zz', device: 'virtual', speed: 6 });
      await page
        .locator('[data-testid="job-row"][data-job="zz"][data-state="COMPLETED"]')
        .waitFor();
      // Through the whole plot and its end: the inked part only grows, and the canvas with it.
      const seen = (await page.evaluate('window.inkSeen')) as { done: number; painted: number }[];
      const moving = seen.filter((s) => s.done > -1 && s.done < 59);
      expect(moving.length).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < seen.length; i++) {
        expect(seen[i]!.done).toBeGreaterThan(seen[i - 1]!.done);
        expect(seen[i]!.painted).toBeGreaterThanOrEqual(seen[i - 1]!.painted);
      }
      expect(seen.at(-1)!.done).toBe(59);
      expect(seen.at(-1)!.painted).toBeGreaterThan(moving[0]!.painted);
      // The watched drawing is the one shown: it was not put back blank in between.
      expect(await drawing.getAttribute('data-done')).toBe('59');
      expect((await canvasFacts(ink)).painted).toBe(seen.at(-1)!.painted);
      expect(await app.problems()).toEqual([]);
    },
  );

  it(
    'a portrait A4 drawing turned to fit an A4 AxiDraw shows on a landscape sheet, and says so',
    { timeout: 60_000 },
    async () => {
      const { served, api } = await rig.serve();
      const a4 = {
        name: 'two_layers_a4.svg',
        base64: fs
          .readFileSync(path.join(FIXTURES, 'test_vpy__two_layers_a4.svg'))
          .toString('base64'),
      };
      await api.call('jobs.add', { source: a4, id: 'tall', optimization: 'fast' });
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      const row = page.locator('[data-job="tall"]');
      expect(await row.textContent()).toContain('A4 landscape, drawing turned 90°');
      await row.getByRole('button', { name: 'two_layers_a4.svg' }).click();
      const detail = page.getByTestId('detail');
      await detail.getByTestId('drawing').waitFor();
      expect(await detail.getByTestId('stats').textContent()).toMatch(
        /A4 landscape \(297 × 210 mm\).*drawing turned 90°: its top is at the left edge/,
      );
      const box = (await detail.getByTestId('drawing').locator('canvas').first().boundingBox())!;
      expect(box.width / box.height).toBeCloseTo(297 / 210, 1);
      await screenshot(page, 'detail-turned', {
        theme: 'light',
        shows: [
          detail.getByTestId('drawing').locator('canvas').first(),
          detail.getByTestId('stats'),
        ],
      });
      expect(await app.problems()).toEqual([]);
    },
  );

  it(
    "a drawing too big for the paper is planned again from the row's Plan…: scaled to fit",
    { timeout: 60_000 },
    async () => {
      const { served, api } = await rig.serve();
      const poster =
        '<svg xmlns="http://www.w3.org/2000/svg" width="600mm" height="400mm" viewBox="0 0 600 400"><rect x="0" y="0" width="600" height="400" fill="none" stroke="black"/></svg>';
      const added = await api.call('jobs.add', {
        source: { name: 'poster.svg', base64: Buffer.from(poster).toString('base64') },
        id: 'poster',
      });
      expect(added.plan).toMatchObject({
        state: 'ANALYZED',
        error: expect.stringMatching(/does not fit 600 × 400 mm on an AxiDraw V3\/A4/),
      });
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      // The row at rest first (its picture settled as "no plan yet"), so the click lands on it.
      await page.locator('[data-job="poster"] [data-thumb="none"]').waitFor();
      await page.locator('[data-job="poster"]').getByRole('button', { name: 'Plan…' }).click();
      const form = page.getByTestId('plan-form');
      await form.waitFor();
      expect(await form.getAttribute('open')).not.toBeNull();
      // Opened to plan: the first setting has the focus, so the keyboard goes straight on.
      expect(
        await form
          .getByLabel(/^Paper/)
          .evaluate(
            (el) =>
              el ===
              (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument
                .activeElement,
          ),
      ).toBe(true);
      expect(await form.getByLabel(/^Paper/).inputValue()).toBe('document');
      await form.getByRole('button', { name: 'Plan' }).click();
      await form
        .getByRole('alert')
        .getByText(/does not fit 600 × 400 mm/)
        .waitFor();
      await form.getByLabel(/^Fit/).selectOption('scale');
      await form.getByRole('button', { name: 'Plan' }).click();
      await form
        .getByRole('status')
        .getByText(/^Planned: READY, scaled ×0\.4\d\.$/)
        .waitFor({ timeout: 15_000 });
      await page.locator('[data-job="poster"][data-state="READY"]').waitFor();
      await page.getByTestId('detail').getByTestId('drawing').waitFor();
      expect(await page.getByTestId('stats').textContent()).toMatch(
        /^Paper600 × 400 mm, scale 0\.4\d/,
      );
      await screenshot(page, 'detail-plan-form', {
        theme: 'light',
        shows: [form.getByRole('status'), form.getByLabel(/^Fit/)],
      });
      expect(await app.problems()).toEqual([]);
    },
  );

  it(
    'plans again with a join distance and a cornering from the form: both pinned in the plan, the short gap drawn pen-down',
    { timeout: 60_000 },
    async () => {
      const { served, api } = await rig.serve();
      // Two strokes 0.5 mm apart: more than the default min_gap (0.2 mm), less than 1 mm.
      const gap =
        '<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="50mm" viewBox="0 0 100 50"><path d="M10 10 H50 M50.5 10 H90" fill="none" stroke="black"/></svg>';
      await api.call('jobs.add', {
        source: { name: 'gap.svg', base64: Buffer.from(gap).toString('base64') },
        id: 'gap',
      });
      expect((await api.call('jobs.get', { id: 'gap' })).plan?.summary.lifts).toBe(2);
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      await page.locator('[data-job="gap"]').getByRole('button', { name: 'gap.svg' }).click();
      const form = page.getByTestId('plan-form');
      await form.locator('summary').click();
      // A plan made with the defaults shows them: the config's min_gap, and the plotter's cornering (empty).
      expect(await form.getByLabel(/^Join gaps shorter than/).inputValue()).toBe('0.2032');
      expect(await form.getByLabel(/^Cornering/).inputValue()).toBe('');
      // Unchanged, they plan as they are: 0.2032 passes the form's own checks.
      await form.getByRole('button', { name: 'Plan again' }).click();
      await form
        .getByRole('status')
        .getByText(/^Planned: READY/)
        .waitFor({ timeout: 15_000 });
      expect((await api.call('jobs.get', { id: 'gap' })).plan?.settings).toMatchObject({
        minGapMm: 0.2032,
      });
      await form.getByLabel(/^Join gaps shorter than/).fill('1');
      await form.getByLabel(/^Cornering/).fill('30');
      await form.getByRole('button', { name: 'Plan again' }).click();
      await until(
        async () => (await api.call('jobs.get', { id: 'gap' })).plan?.settings.minGapMm === 1,
        15_000,
        'the plan with min_gap 1 mm',
      );
      const plan = (await api.call('jobs.get', { id: 'gap' })).plan!;
      expect(plan.settings).toMatchObject({ minGapMm: 1, cornering: 30 });
      expect(plan.summary.lifts).toBe(1);
      expect(await app.problems()).toEqual([]);
    },
  );

  it('a screenshot of the detail mid-plot', { timeout: 60_000 }, async () => {
    const { served, api } = await rig.serve();
    await api.call('jobs.add', { source: zigzag, id: 'zz', optimization: 'fast' });
    const app = await openApp(await rig.browser(), served.url);
    await app.page.locator('[data-job="zz"]').getByRole('button', { name: 'zigzag.svg' }).click();
    const drawing = app.page.getByTestId('detail').getByTestId('drawing');
    await drawing.waitFor();
    await api.call('plot.start', { id: 'zz', device: 'virtual', speed: 3 });
    await until(
      async () => Number(await drawing.getAttribute('data-done')) > 20,
      30_000,
      'a third of the drawing',
    );
    await screenshot(app.page, 'job-detail-plotting', {
      theme: 'light',
      shows: [drawing, app.page.getByTestId('now-plotting')],
    });
    await app.page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(app.page, 'job-detail-plotting-dark', {
      theme: 'dark',
      shows: [drawing, app.page.getByTestId('now-plotting')],
    });
    await api.call('plot.pause', { id: 'zz' });
  });

  it(
    'a paused plot is marked done from the wizard: COMPLETED, journaled as the user marking it',
    { timeout: 60_000 },
    async () => {
      const { served, api } = await rig.serve();
      await api.call('jobs.add', { source: zigzag, id: 'zz', optimization: 'fast' });
      await api.call('plot.start', { id: 'zz', device: 'virtual', speed: 2 });
      await api.waitForEvent(
        (e) => e.event === 'plot.progress' && (e.payload.move as number) > 10,
        30_000,
        'progress',
      );
      await api.call('plot.pause', { id: 'zz' });
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      await page
        .locator('[data-testid="job-row"][data-job="zz"][data-state="PAUSED"]')
        .getByRole('button', { name: 'Resume…' })
        .click();
      const wizard = page.getByTestId('recovery');
      // The wizard's drawing stands at the pause's checkpoint.
      const done = Number(await wizard.getByTestId('drawing').getAttribute('data-done'));
      expect(done).toBeGreaterThan(0);
      expect(done).toBeLessThan(59);
      // Asking to redraw the last 2 strokes shows them in orange: from the start of the stroke before.
      await wizard.getByRole('spinbutton').fill('2');
      const drawing = wizard.getByTestId('drawing');
      await until(
        async () => (await drawing.getAttribute('data-redraw-from')) !== null,
        5_000,
        'the back-up shown',
      );
      const from = Number(await drawing.getAttribute('data-redraw-from'));
      expect(from).toBeLessThan(done);
      expect(from % 2).toBe(0); // strokes here are 2 points: a stroke starts at an even index
      expect((await canvasFacts(wizard.getByTestId('drawing-redraw'))).painted).toBeGreaterThan(0);
      await wizard.getByText(/drawn again on resume \(orange\)/).waitFor();
      await screenshot(page, 'recovery-back-up', {
        theme: 'light',
        shows: [
          wizard.getByTestId('drawing-redraw'),
          wizard.getByText(/drawn again on resume \(orange\)/),
        ],
      });
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, 'recovery-paused-dark', {
        theme: 'dark',
        shows: [wizard.getByTestId('drawing-redraw'), wizard.getByRole('spinbutton')],
      });
      await wizard.getByLabel(/Mark it done/).check();
      await wizard.getByRole('button', { name: 'Mark done' }).click();
      await page
        .locator('[data-testid="job-row"][data-job="zz"][data-state="COMPLETED"]')
        .waitFor();
      expect(await wizard.count()).toBe(0);
      const info = await api.call('jobs.get', { id: 'zz' });
      expect(info.journal.history.at(-1)).toMatchObject({
        from_state: 'PAUSED',
        to_state: 'COMPLETED',
        reason: 'the user marked the drawing complete',
      });
      expect(await app.problems()).toEqual([]);
    },
  );
});
