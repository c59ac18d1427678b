/**
 * The queue at a glance in a real browser against `vfab serve`: the totals above the list add up
 * the queued rows' jobs (count, plot time, ink, the pens to have at hand) and follow the queue as
 * jobs join and leave it; an empty queue says what to do first and the space below the rows says
 * files go there; and the page holds up to a keyboard and low-vision walk (contrast, names, focus).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { IndexedJob } from '../src-main/jobs/store';
import { duration, millimetres } from '../src-renderer/src/app/format';
import { contrastProblems, tabWalk, unnamedControls } from './helpers/a11y-audit';
import type { ApiSocket } from './helpers/api-socket';
import { dropFiles, openApp, screenshot, until } from './helpers/app-browser';
import { FIXTURES } from './helpers/cli';
import { useAppRig } from './helpers/app-rig';

const FIRST = fs.readFileSync(path.join(FIXTURES, 'AxiDraw_First.svg'));
/** Read, but does not fit any paper: the job stays ANALYZED. */
const MISFIT =
  '<svg xmlns="http://www.w3.org/2000/svg" width="3000mm" height="3000mm" viewBox="0 0 3000 3000"><line x1="0" y1="0" x2="3000" y2="3000" stroke="black"/></svg>';

/** A drawing with one Inkscape layer per pen: [label, colour, y of its line]. */
function layered(pens: [string, string][]): string {
  const layers = pens.map(
    ([label, colour], i) =>
      `<g inkscape:groupmode="layer" inkscape:label="${label}"><path d="M20 ${20 + i * 10} L${120 + i * 20} ${40 + i * 15}" stroke="${colour}" fill="none"/></g>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="200mm" height="150mm" viewBox="0 0 200 150">${layers.join('')}</svg>`;
}

async function add(api: ApiSocket, id: string, svg: string | Buffer, queue = true): Promise<void> {
  const bytes = typeof svg === 'string' ? Buffer.from(svg) : svg;
  await api.call('jobs.add', {
    source: { name: `${id}.svg`, base64: bytes.toString('base64') },
    id,
  });
  if (queue) await api.call('jobs.queue', { id });
}

const rig = useAppRig();

describe('the queue summary', () => {
  it(
    'adds up the queued rows: count, plot time, ink and pens, and follows jobs joining and leaving the queue',
    { timeout: 120_000 },
    async () => {
      const { served, api } = await rig.serve();
      await add(
        api,
        'two-pens',
        layered([
          ['1-black', '#000000'],
          ['2-red', '#ff0000'],
        ]),
      );
      await add(api, 'black', layered([['1-black', '#000000']]));
      await add(api, 'first', FIRST);
      await add(api, 'not-queued', layered([['5-green', '#008000']]), false);
      const app = await openApp(await rig.browser(), served.url, { width: 1400, height: 900 });
      const { page } = app;
      const summary = page.getByTestId('queue-summary');

      /** The rows the page shows as queued, their jobs as the API lists them, and what those add up to. */
      const expected = async () => {
        const ids = await page
          .locator('[data-testid="job-row"][data-state="QUEUED"]')
          .evaluateAll((rows) =>
            rows.map((r) => (r as unknown as { dataset: { job: string } }).dataset.job),
          );
        const { jobs } = (await api.call('jobs.list', {})) as { jobs: IndexedJob[] };
        const queued = ids.map((id) => jobs.find((j) => j.id === id)!);
        const pens = new Map<string, number>();
        for (const j of queued)
          for (const p of j.pens ?? []) pens.set(p.name, (pens.get(p.name) ?? 0) + 1);
        return {
          count: String(queued.length),
          time: duration(queued.reduce((s, j) => s + j.estimate_s!, 0)),
          ink: millimetres(queued.reduce((s, j) => s + j.pen_down_mm!, 0)),
          pens: [...pens].map(([name, n]) => `${name}:${n}`).sort(),
        };
      };
      const shown = async () => ({
        count: await summary.getAttribute('data-count'),
        time: await page.getByTestId('summary-time').textContent(),
        ink: await page.getByTestId('summary-ink').textContent(),
        pens: (
          await page.getByTestId('summary-pen').evaluateAll((li) =>
            li.map((l) => {
              const d = (l as unknown as { dataset: { pen: string; jobs: string } }).dataset;
              return `${d.pen}:${d.jobs}`;
            }),
          )
        ).sort(),
      });
      const settled = async (count: number) => {
        await until(
          async () =>
            (await page.locator('[data-testid="job-row"][data-state="QUEUED"]').count()) ===
              count && (await summary.getAttribute('data-count')) === String(count),
          20_000,
          `${count} queued rows and the summary saying so`,
        );
        expect(await shown()).toEqual(await expected());
      };

      await settled(3);
      // The pens are the drawings' own layers: both jobs with a black layer need the one black pen.
      const pens = await shown();
      expect(pens.pens.filter((p) => p.startsWith('1-black') || p.startsWith('2-red'))).toEqual([
        '1-black:2',
        '2-red:1',
      ]);
      expect(pens.pens.some((p) => p.startsWith('5-green'))).toBe(false);
      expect(await page.getByTestId('summary-count').textContent()).toBe('3 jobs');
      expect(Number(await summary.getAttribute('data-seconds'))).toBeGreaterThan(0);
      await page.getByTestId('plotter').first().waitFor();
      await screenshot(page, 'summary-several-jobs', {
        theme: 'light',
        shows: [summary, page.getByTestId('plotter').first()],
      });

      await add(api, 'blue', layered([['3-blue', '#0000ff']]));
      await settled(4);
      expect((await shown()).pens).toContain('3-blue:1');

      // Taken out of the queue (a queued job is aborted): its time, ink and pens go with it.
      await api.call('plot.abort', { id: 'two-pens' });
      await settled(3);
      expect((await shown()).pens).not.toContain('2-red:1');
      expect((await shown()).pens).toContain('1-black:1');

      await api.call('plot.abort', { id: 'black' });
      await api.call('plot.abort', { id: 'first' });
      await api.call('plot.abort', { id: 'blue' });
      await until(
        async () => (await summary.getAttribute('data-count')) === '0',
        20_000,
        'an empty queue in the summary',
      );
      expect(await summary.textContent()).toMatch(/Nothing waits to plot/);
      expect(await app.problems()).toEqual([]);
    },
  );
});

describe('an empty queue and the space below the rows', () => {
  it(
    'say what to do first and that files can be dropped there, naming what kinds',
    { timeout: 90_000 },
    async () => {
      const { served } = await rig.serve();
      const app = await openApp(await rig.browser(), served.url, { width: 1400, height: 900 });
      const { page } = app;
      const first = page.getByTestId('first-steps');
      await first.waitFor();
      const words = (await first.textContent())!;
      expect(words).toMatch(/No jobs yet/);
      expect(words).toMatch(
        /Drop an SVG file anywhere on this window, or choose one with Add SVG files…/,
      );
      expect(words).toMatch(/\.svg/);
      expect(words).toMatch(/vfab demo/);
      // The command it points to is one this vfab has.
      expect(rig.sb.run(['demo', '--help']).code).toBe(0);
      // The button it names is there, and is the keyboard's way to the file chooser.
      await expect(page.getByRole('button', { name: 'Add SVG files…' }).isVisible()).resolves.toBe(
        true,
      );
      await screenshot(page, 'summary-empty', {
        theme: 'light',
        shows: [first, page.getByRole('button', { name: 'Add SVG files…' })],
      });

      await dropFiles(page, [{ name: 'AxiDraw_First.svg', bytes: FIRST }]);
      await page
        .locator('[data-testid="job-row"][data-job="AxiDraw_First"][data-state="READY"]')
        .waitFor({ timeout: 30_000 });
      expect(await first.count()).toBe(0);
      const hint = page.getByTestId('drop-hint');
      expect(await hint.textContent()).toMatch(/^Drop SVG files here to add them.*\.svg/);
      // Right below the last row, inside the window, taking the room the rows leave.
      const row = (await page.getByTestId('job-row').last().boundingBox())!;
      const box = (await hint.boundingBox())!;
      expect(box.y).toBeGreaterThanOrEqual(row.y + row.height);
      expect(box.y - (row.y + row.height)).toBeLessThan(40);
      expect(box.y + box.height).toBeLessThanOrEqual(900);
      expect(box.height).toBeGreaterThan(200);
      expect(await app.problems()).toEqual([]);
    },
  );
});

describe('accessibility', () => {
  /** What the audit finds wrong on the page as it is now, named by where. */
  async function audit(page: Page, where: string): Promise<string[]> {
    const walk = await tabWalk(page);
    return [
      ...(await contrastProblems(page)).map(
        (p) => `${where}: text ${p.ratio}:1 (${p.color} on ${p.background}) ${p.element}`,
      ),
      ...(await unnamedControls(page)).map((c) => `${where}: no name ${c}`),
      ...walk.unreached.map((c) => `${where}: Tab never reaches ${c}`),
      ...walk.noIndicator.map((c) => `${where}: no visible focus ${c}`),
      ...(walk.controls.length < 5
        ? [`${where}: only ${walk.controls.length} controls found`]
        : []),
    ];
  }

  it(
    'the audit itself finds faint text, a nameless button and a control without a focus ring',
    { timeout: 60_000 },
    async () => {
      const { served } = await rig.serve();
      const { page } = await openApp(await rig.browser(), served.url, { width: 1400, height: 900 });
      await page.getByTestId('first-steps').or(page.getByText('No jobs yet')).first().waitFor();
      expect(await audit(page, 'as shipped')).toEqual([]);
      // Styles through the CSSOM: the page's CSP refuses style attributes.
      await page.evaluate(`(() => {
      const d = document.createElement('div');
      d.innerHTML = '<p class="faint">faint</p><button class="nameless"></button><button class="ringless">ringless</button><span class="half">half</span>';
      d.querySelector('.faint').style.color = '#aaaaaa';
      d.querySelector('.half').style.opacity = '0.5';
      d.querySelector('.ringless').style.setProperty('outline', 'none', 'important');
      document.querySelector('main').prepend(d);
    })()`);
      const found = await audit(page, 'broken');
      expect(
        found.filter((f) =>
          /text .*"faint"|text .*"half"|no name .*nameless|no visible focus .*"ringless"/.test(f),
        ),
      ).toHaveLength(4);
      expect(found).toHaveLength(4);
    },
  );

  it(
    'light and dark, empty and with jobs, the queue, a detail and the settings: text ≥ 4.5:1, every control named, Tab reaches each one with a focus ring ≥ 3:1',
    { timeout: 180_000 },
    async () => {
      const { served, api } = await rig.serve();
      const app = await openApp(await rig.browser(), served.url, { width: 1400, height: 900 });
      const { page } = app;
      const found: string[] = [];
      const schemes = ['light', 'dark'] as const;
      await page.getByText('No jobs yet').waitFor();
      for (const scheme of schemes) {
        await page.emulateMedia({ colorScheme: scheme });
        found.push(...(await audit(page, `${scheme} empty queue`)));
      }

      await add(api, 'ready', FIRST, false);
      await add(
        api,
        'queued',
        layered([
          ['1-black', '#000000'],
          ['2-red', '#ff0000'],
        ]),
      );
      await api.call('jobs.add', {
        source: { name: 'misfit.svg', base64: Buffer.from(MISFIT).toString('base64') },
        id: 'misfit',
      });
      await dropFiles(page, [{ name: 'broken.svg', bytes: Buffer.from('this is not an svg <<<') }]);
      await page
        .locator('[data-testid="upload"][data-status="error"]')
        .waitFor({ timeout: 30_000 });
      await page.getByTestId('plotter').first().waitFor();
      await until(
        async () => (await page.getByTestId('job-row').count()) === 4,
        20_000,
        'four rows',
      );
      // A row still planning (NEW) is replaced as it turns READY: the walk would lose its buttons mid-way.
      await until(
        async () => (await page.locator('[data-testid="job-row"][data-state="NEW"]').count()) === 0,
        20_000,
        'every job planned',
      );
      for (const scheme of schemes) {
        await page.emulateMedia({ colorScheme: scheme });
        found.push(...(await audit(page, `${scheme} queue`)));
        await screenshot(page, `summary-a11y-${scheme}`, {
          theme: scheme,
          shows: [
            page.locator('[data-testid="upload"][data-status="error"]'),
            page.getByTestId('job-row').first(),
          ],
        });
        await page
          .locator('[data-job="queued"]')
          .getByRole('button', { name: 'queued.svg' })
          .click();
        await page.getByRole('button', { name: 'Close details' }).waitFor();
        found.push(...(await audit(page, `${scheme} detail`)));
        await page.getByRole('button', { name: 'Close details' }).click();
        await page.getByRole('button', { name: 'Settings', exact: true }).click();
        await page.getByTestId('settings').locator('input, select').first().waitFor();
        found.push(...(await audit(page, `${scheme} settings`)));
        await page.keyboard.press('Escape');
        await page.getByTestId('settings').waitFor({ state: 'detached' });
      }
      expect(found).toEqual([]);
      expect(await app.problems()).toEqual([]);
    },
  );
});
