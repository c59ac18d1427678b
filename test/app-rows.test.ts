/**
 * The queue's rows as a table in a real browser against `vfab serve`: jobs in every kind of state
 * (planned, queued, one that does not fit, a bad file, a plot paused for a pen change, one cut off
 * mid-plot, finished, cancelled) line their columns up at 800, 1280 and 1920 px, say in words why
 * each is where it is, offer buttons whose words say what they do, and are walked by Tab.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dropFiles, openApp, screenshot, until } from './helpers/app-browser';
import { useAppRig } from './helpers/app-rig';

const rig = useAppRig({ config: 'camera:\n  enabled: false\npaper:\n  default_size: A4\n' });

/** Two Inkscape layers, 60 mm of line: plans in a moment. */
const TWO_PENS = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="100mm" height="100mm" viewBox="0 0 100 100">
<g inkscape:groupmode="layer" inkscape:label="1 black"><line x1="10" y1="10" x2="40" y2="10" stroke="black"/></g>
<g inkscape:groupmode="layer" inkscape:label="2 red"><line x1="10" y1="20" x2="40" y2="20" stroke="red"/></g>
</svg>`;
/** A4 landscape is 297 × 210 mm: this reaches 1.7 mm below its bottom edge. */
const MISFIT =
  '<svg xmlns="http://www.w3.org/2000/svg" width="297mm" height="211.7mm" viewBox="0 0 297 211.7"><rect x="10" y="10" width="270" height="201.7" fill="none" stroke="black"/></svg>';
const LONG_NAME = 'a-drawing-whose-name-is-far-too-long-for-its-column-in-the-queue.svg';

const now = () => new Date().toISOString();

/** Appends hand-made journal lines, as a plot that got this far would have left them. */
function journal(id: string, ...entries: object[]): void {
  const file = path.join(rig.sb.jobsDir, id, 'journal.jsonl');
  const seq0 = fs.readFileSync(file, 'utf8').trim().split('\n').length;
  fs.appendFileSync(
    file,
    entries
      .map((e, i) => `${JSON.stringify({ ...e, timestamp: now(), seq: seq0 + i + 1 })}\n`)
      .join(''),
  );
}

const change = (from: string, to: string, reason: string, metadata: object = {}) => ({
  type: 'state_change',
  from_state: from,
  to_state: to,
  reason,
  metadata,
});
const checkpoint = (penDownMm: number) => ({
  move: 5,
  layer: 0,
  path: 0,
  point: 1,
  steps: [10, 20],
  pen_down_mm: penDownMm,
});
const TO_PLOTTING = [
  change('READY', 'QUEUED', 'queued'),
  change('QUEUED', 'ARMED', 'pre-flight'),
  change('ARMED', 'PLOTTING', 'plotting'),
];

/** Adds a job with the CLI, as the studio's scripts do; `file` names the drawing as the artist saved it. */
function add(id: string, file: string, svg: string): void {
  const at = path.join(rig.sb.root, file);
  fs.writeFileSync(at, svg);
  rig.sb.run(['add', 'job', id, at]);
}

/** One job per kind of row, newest first on the page: `done` at the top, `ready` at the bottom. */
function studio(): void {
  add('ready', 'ready.svg', TWO_PENS);
  add('long', LONG_NAME, TWO_PENS);
  add('queued', 'queued.svg', TWO_PENS);
  expect(rig.sb.run(['queue', 'add', 'queued']).code).toBe(0);
  add('misfit', 'misfit.svg', MISFIT);
  add('broken', 'broken.svg', 'this is not an svg <<<');
  add('paused', 'paused.svg', TWO_PENS);
  journal(
    'paused',
    ...TO_PLOTTING,
    { type: 'progress', progress: checkpoint(30) },
    change('PLOTTING', 'PAUSED', 'pen change before layer 2 (2 red, pen 2): load pen 2 (2 red)', {
      checkpoint: checkpoint(30),
      kind: 'pen_change',
    }),
  );
  add('crashed', 'crashed.svg', TWO_PENS);
  // 23.4 of the plan's 60 mm of ink: 39 %.
  journal(
    'crashed',
    ...TO_PLOTTING,
    { type: 'progress', progress: checkpoint(23.4) },
    {
      type: 'emergency_shutdown',
      state: 'PLOTTING',
      reason: 'device_lost',
      metadata: { checkpoint: checkpoint(23.4) },
    },
  );
  add('cancelled', 'cancelled.svg', TWO_PENS);
  journal('cancelled', change('READY', 'ABORTED', 'the user aborted the job'));
  add('done', 'done.svg', TWO_PENS);
  journal(
    'done',
    ...TO_PLOTTING,
    change('PLOTTING', 'COMPLETED', 'every stroke of the plan was drawn'),
  );
}

const IDS = [
  'ready',
  'long',
  'queued',
  'misfit',
  'broken',
  'paused',
  'crashed',
  'cancelled',
  'done',
];

async function openStudio(viewport: { width: number; height: number }) {
  studio();
  const { served, api } = await rig.serve();
  const app = await openApp(await rig.browser(), served.url, viewport);
  // The recovery wizard opens by itself for the plot cut off mid-way: not what these tests look at.
  const wizard = app.page.getByTestId('recovery');
  await wizard.waitFor();
  await wizard
    .getByRole('button', { name: /Later|Close|Not now/ })
    .first()
    .click();
  await wizard.waitFor({ state: 'detached' });
  await app.page.getByTestId('plotter').first().waitFor();
  return { ...app, served, api };
}

const row = (page: Page, id: string) => page.locator(`[data-testid="job-row"][data-job="${id}"]`);

/** Cells whose left edge each row shares, as the page lays them out now (fractional pixels). */
const COLUMNS = [
  '.job-state',
  '.job-drawing',
  '.job-paper',
  '.job-layers',
  '.job-time',
  '.job-ink',
  '.job-actions',
];

/** Per column, the left edge of that cell in every row mounted now. */
function columnEdges(page: Page): Promise<Record<string, number[]>> {
  return page
    .getByTestId('job-row')
    .evaluateAll(
      (rows, columns) =>
        Object.fromEntries(
          columns.map((c) => [
            c,
            rows.map((r) => r.querySelector(c)!.getBoundingClientRect().left),
          ]),
        ),
      COLUMNS,
    );
}

/** Whether `phrase` in the element's text is on screen inside the element: not cut off by its ellipsis or its line clamp. */
function shows(el: Locator, phrase: string): Promise<boolean> {
  return el.evaluate((node, words) => {
    const text = node.firstChild!;
    const at = text.textContent!.indexOf(words);
    if (at < 0) return false;
    type Box = { left: number; right: number; bottom: number };
    const range = (
      node as unknown as {
        ownerDocument: {
          createRange(): {
            setStart(n: unknown, o: number): void;
            setEnd(n: unknown, o: number): void;
            getClientRects(): Iterable<Box>;
          };
        };
      }
    ).ownerDocument.createRange();
    range.setStart(text, at);
    range.setEnd(text, at + words.length);
    const box = node.getBoundingClientRect();
    return [...range.getClientRects()].every(
      (r) => r.right <= box.right + 0.5 && r.bottom <= box.bottom + 0.5 && r.left >= box.left - 0.5,
    );
  }, phrase);
}

describe('queue rows as a table', () => {
  it(
    'lines each column up across rows with different states, text and buttons at 800, 1280 and 1920 px',
    { timeout: 90_000 },
    async () => {
      const { page, problems } = await openStudio({ width: 1280, height: 800 });
      for (const id of IDS) await row(page, id).waitFor();
      // 1249: the narrowest window that puts a row on one line.
      for (const width of [800, 1249, 1280, 1920]) {
        await page.setViewportSize({ width, height: 900 });
        // Up to 78rem (1248 px) a row takes two lines and a taller slot (Queue.tsx).
        const slot = width <= 1248 ? 100 : 76;
        await until(
          async () =>
            (await row(page, 'ready').evaluate((r) => r.parentElement!.style.height)) ===
            `${slot}px`,
          5_000,
          `the rows laid out at ${width} px`,
        );
        await screenshot(page, `rows-${width}`, {
          theme: 'light',
          shows: [row(page, 'done'), row(page, 'crashed').getByTestId('row-story')],
        });
        const edges = await columnEdges(page);
        expect(Object.values(edges)[0]!.length, `rows at ${width} px`).toBeGreaterThanOrEqual(
          IDS.length,
        );
        for (const [column, xs] of Object.entries(edges)) {
          expect(
            Math.max(...xs) - Math.min(...xs),
            `${column} at ${width} px: ${xs.join(', ')}`,
          ).toBeLessThan(0.5);
        }
        // The heads stand over their columns.
        const heads = page.getByTestId('queue-columns');
        for (const [head, cell] of [
          ['.col-paper', '.job-paper'],
          ['.col-time', '.job-time'],
          ['.col-ink', '.job-ink'],
          ['.col-actions', '.job-actions'],
        ] as const) {
          const x = await heads.locator(head).evaluate((e) => e.getBoundingClientRect().left);
          expect(
            Math.abs(x - edges[cell]![0]!),
            `${head} over ${cell} at ${width} px`,
          ).toBeLessThan(0.5);
        }
        // Each cell keeps to its column and every button to its row: long text gives way, not the grid.
        for (const id of IDS) {
          const r = row(page, id);
          const fit = await r.evaluate((el) => {
            const box = el.getBoundingClientRect();
            const cells = [...el.children].map((c) => c.getBoundingClientRect());
            const overlaps = cells.some((a, i) =>
              cells.some(
                (b, j) =>
                  i < j &&
                  a.left < b.right - 0.5 &&
                  b.left < a.right - 0.5 &&
                  a.top < b.bottom - 0.5 &&
                  b.top < a.bottom - 0.5,
              ),
            );
            const outside = [...el.querySelectorAll('button')]
              .filter((b) => {
                const x = b.getBoundingClientRect();
                return (
                  x.left < box.left ||
                  x.right > box.right + 0.5 ||
                  x.top < box.top ||
                  x.bottom > box.bottom + 0.5
                );
              })
              .map((b) => b.textContent);
            const lines = new Set(
              [...el.querySelectorAll('.job-actions button')].map((b) =>
                Math.round(b.getBoundingClientRect().top),
              ),
            ).size;
            return { overlaps, outside, lines };
          });
          // On one line, a row's buttons are too.
          expect(fit, `${id} at ${width} px`).toEqual({
            overlaps: false,
            outside: [],
            lines: width > 1248 ? 1 : fit.lines,
          });
        }
      }
      // The long name is cut with an ellipsis, whole in its title.
      const name = row(page, 'long').getByRole('button', { name: LONG_NAME });
      expect(await name.evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
      expect(await name.getAttribute('title')).toContain(LONG_NAME);
      expect(await problems()).toEqual([]);
    },
  );

  it(
    'says why a job did not plan: the misfit by how much past which edge, the bad file by what is wrong with it',
    { timeout: 90_000 },
    async () => {
      const { page, problems } = await openStudio({ width: 1400, height: 900 });
      const broken = row(page, 'broken').getByTestId('row-story');
      expect(await broken.textContent()).toBe(
        'line 1: text data outside of root node — the file is not well-formed XML; re-export it from your editor.',
      );
      expect(await shows(broken, 'not well-formed XML')).toBe(true);
      expect(await broken.getAttribute('title')).toMatch(/^broken\.svg: line 1: /);

      // Dropped on the page, the plan's answer is what the row says: by how much, past which edge of which paper.
      await dropFiles(page, [{ name: 'poster.svg', bytes: Buffer.from(MISFIT) }]);
      const poster = row(page, 'poster').getByTestId('row-story');
      await until(
        async () =>
          (await poster.count()) === 1 && /Does not fit/.test((await poster.textContent()) ?? ''),
        30_000,
        "the dropped misfit's reason",
      );
      expect(await poster.textContent()).toBe(
        'Does not fit: 1.7 mm beyond the bottom edge of A4 landscape',
      );
      expect(await shows(poster, '1.7 mm beyond the bottom edge of A4 landscape')).toBe(true);
      expect(await poster.getAttribute('title')).toMatch(
        /^poster\.svg: the drawing \(270 × 201\.7 mm\) does not fit A4 landscape .* Use --fit center/,
      );
      expect(await row(page, 'poster').getAttribute('data-state')).toBe('ANALYZED');

      // The paused plot says which pen to load; the one cut off, how far it got.
      const paused = row(page, 'paused').getByTestId('row-story');
      expect(await paused.textContent()).toBe('Pen change: load pen 2 (2 red)');
      expect(await paused.getAttribute('title')).toBe(
        'pen change before layer 2 (2 red, pen 2): load pen 2 (2 red)',
      );
      const crashed = row(page, 'crashed').getByTestId('row-story');
      expect(await crashed.textContent()).toBe('Interrupted at 39 % — needs recovery');
      expect(await crashed.getAttribute('title')).toMatch(/plotter stopped answering/);
      await screenshot(page, 'rows-1400', {
        theme: 'light',
        shows: [poster, crashed, row(page, 'done')],
      });
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, 'rows-1400-dark', {
        theme: 'dark',
        shows: [poster, crashed, row(page, 'done')],
      });
      expect(await problems()).toEqual([]);
    },
  );

  it(
    'names each action for what it does in that state: Cancel before a plot starts, Abort only for a plot',
    { timeout: 90_000 },
    async () => {
      const { page, api, problems } = await openStudio({ width: 1280, height: 800 });
      const words = async (id: string) =>
        await row(page, id).locator('.job-actions button').allTextContents();
      await row(page, 'done').waitFor();
      expect(await words('ready')).toEqual(['Plot', 'Queue', 'Plan…', 'Remove']);
      expect(await words('queued')).toEqual(['Plot', 'Cancel']);
      expect(await words('misfit')).toEqual(['Plan…', 'Cancel', 'Remove']);
      expect(await words('broken')).toEqual(['Restart', 'Remove']);
      expect(await words('paused')).toEqual(['Resume…', 'Start over', 'Abort']);
      expect(await words('crashed')).toEqual(['Recover…', 'Abort']);
      expect(await words('cancelled')).toEqual(['Restart', 'Remove']);
      expect(await words('done')).toEqual(['Plot again', 'Remove']);
      expect(
        await row(page, 'queued').getByRole('button', { name: 'Cancel' }).getAttribute('title'),
      ).toMatch(/before it plots/);
      expect(
        await row(page, 'paused').getByRole('button', { name: 'Abort' }).getAttribute('title'),
      ).toMatch(/Stop this plot/);

      // Each word does what it says: Cancel leaves the queued job ABORTED, kept; Plot again queues the finished one.
      await row(page, 'queued').getByRole('button', { name: 'Cancel' }).click();
      // Cancelling loses the job's place: the app asks first.
      await page.getByTestId('confirm').getByRole('button', { name: 'Cancel job' }).click();
      await page.locator('[data-job="queued"][data-state="ABORTED"]').waitFor();
      expect((await api.call('jobs.get', { id: 'queued' })).journal.history.at(-1)).toMatchObject({
        from_state: 'QUEUED',
        to_state: 'ABORTED',
      });
      await row(page, 'done').getByRole('button', { name: 'Plot again' }).click();
      await page.locator('[data-job="done"][data-state="QUEUED"]').waitFor();
      expect(await words('done')).toEqual(['Plot', 'Cancel']);
      expect(await problems()).toEqual([]);
    },
  );

  it(
    'walks a row by Tab, name first, then each button, each with a visible focus ring',
    { timeout: 90_000 },
    async () => {
      const { page, problems } = await openStudio({ width: 1280, height: 800 });
      const paused = row(page, 'paused');
      await paused.getByRole('button', { name: 'Resume…' }).waitFor();
      await paused.getByRole('button', { name: 'paused.svg' }).focus();
      // Focused by script: the next Tab comes from the keyboard, and :focus-visible follows it.
      const walk: { text: string; ring: string; inRow: boolean }[] = [];
      // Strings: this file is type-checked without the DOM library.
      const seen = () =>
        page.evaluate(`(() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        return {
          text: el.textContent,
          ring: el.matches(':focus-visible') && style.outlineStyle !== 'none' ? style.outlineStyle + ' ' + style.outlineWidth : 'none',
          inRow: el.closest('[data-job]')?.getAttribute('data-job') === 'paused',
        };
      })()`) as Promise<{ text: string; ring: string; inRow: boolean }>;
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Tab');
      walk.push(await seen());
      for (let i = 0; i < 3; i++) {
        await page.keyboard.press('Tab');
        walk.push(await seen());
      }
      expect(walk).toEqual([
        { text: 'paused.svg', ring: 'solid 3px', inRow: true },
        { text: 'Resume…', ring: 'solid 3px', inRow: true },
        { text: 'Start over', ring: 'solid 3px', inRow: true },
        { text: 'Abort', ring: 'solid 3px', inRow: true },
      ]);
      // The ring is drawn, not clipped away: the focused button's outline lies inside the row's slot.
      const ring = await page.evaluate(`(() => {
      const el = document.activeElement;
      const b = el.getBoundingClientRect();
      const slot = el.closest('.vlist-row').getBoundingClientRect();
      const out = parseFloat(getComputedStyle(el).outlineWidth) + parseFloat(getComputedStyle(el).outlineOffset);
      return b.top - out >= slot.top && b.bottom + out <= slot.bottom && b.right + out <= slot.right;
    })()`);
      expect(ring).toBe(true);
      await screenshot(page, 'rows-focus', { theme: 'light', shows: [page.locator(':focus')] });
      // The next Tab leaves the row for the one below it.
      await page.keyboard.press('Tab');
      expect((await seen()).inRow).toBe(false);
      expect(await problems()).toEqual([]);
    },
  );
});

describe('queue rows on a small screen', () => {
  it(
    'keep their columns on two lines at 800 × 480, heads over the second line',
    { timeout: 90_000 },
    async () => {
      const { page, problems } = await openStudio({ width: 800, height: 480 });
      await row(page, 'done').waitFor();
      const heads = page.getByTestId('queue-columns');
      expect(await heads.locator('.col-paper').isVisible()).toBe(true);
      expect(await heads.locator('.col-state').isVisible()).toBe(false);
      const r = (await row(page, 'done').boundingBox())!;
      const state = (await row(page, 'done').locator('.job-state').boundingBox())!;
      const paper = (await row(page, 'done').locator('.job-paper').boundingBox())!;
      // The paper column is on the second line, under the state.
      expect(paper.y).toBeGreaterThan(state.y + state.height - 1);
      expect(Math.abs(paper.x - state.x)).toBeLessThan(0.5);
      expect(paper.y + paper.height).toBeLessThanOrEqual(r.y + r.height);
      // The short screen scrolls the column: the list comes up under the plotters.
      await page.locator('.vlist').scrollIntoViewIfNeeded();
      await screenshot(page, 'rows-800x480', { theme: 'light', shows: [heads, row(page, 'done')] });
      await page.locator('.vlist').evaluate((el) => (el.scrollTop = el.scrollHeight));
      await screenshot(page, 'rows-800x480-bottom', {
        theme: 'light',
        shows: [page.getByTestId('job-row').last()],
      });
      expect(await problems()).toEqual([]);
    },
  );
});
