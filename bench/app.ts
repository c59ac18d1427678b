/**
 * The app in Debian's Chromium against the built `vfab serve`. Needs `electron-vite build` and /usr/bin/chromium.
 *
 * - The queue with 10,000 jobs, each planned one with the plan of one of a few real drawings and
 *   its thumbnail, as planning leaves them (so each row shows its picture): how long until the
 *   list shows, and the longest frame while scrolling through it (requestAnimationFrame intervals
 *   while the list scrolls BENCH_APP_ROWS_PER_FRAME rows a frame, 8 by default).
 * - The live plot view: the largest fixture plotting on a fast virtual plotter, its job detail
 *   open, the drawing inked as progress events arrive; the page's frame rate in one-second
 *   windows while that goes on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openApiSocket, wsUrl } from '../test/helpers/api-socket';
import { launchChromium, openApp, until } from '../test/helpers/app-browser';
import { writeJobs } from '../test/helpers/app-jobs';
import { ROOT, sandbox } from '../test/helpers/cli';
import { defaultConfig } from '../src-main/config/config';
import { planSettings } from '../src-main/jobs/prepare';
import { buildPlan } from '../src-main/plan/build';
import type { Plan } from '../src-main/plan/plan-file';
import { readSvg } from '../src-main/svg/read';
import { startServe } from '../test/helpers/serve-process';
import { median, type BenchRow, type BenchSuite } from './report';

const JOBS = Number(process.env.BENCH_APP_JOBS ?? 10_000);
const FRAMES = 240;
/** Eight rows a frame is a hard fling (about 480 rows a second). */
const ROWS_PER_FRAME = Number(process.env.BENCH_APP_ROWS_PER_FRAME ?? 8);

/**
 * Scrolls the list in the page, one step per animation frame, and resolves with every frame's
 * interval. A string, not a function: tsx's name-keeping helpers do not exist in the page.
 */
const frames = (scroll: boolean) => `new Promise((resolve) => {
  const list = document.querySelector('.vlist');
  const step = list.querySelector('.vlist-row').getBoundingClientRect().height * ${ROWS_PER_FRAME};
  const intervals = [];
  let last = performance.now();
  const tick = (now) => {
    intervals.push(now - last);
    last = now;
    if (${scroll}) list.scrollTop = (list.scrollTop + step) % (list.scrollHeight - list.clientHeight);
    if (intervals.length < ${FRAMES}) requestAnimationFrame(tick);
    else resolve(intervals.slice(1));
  };
  requestAnimationFrame(tick);
})`;

/** The queue's planned jobs take these plans in turn: text, curves, two pens, a dense drawing. */
const ROW_FIXTURES = [
  'AxiDraw_First.svg',
  'HappyBirthday.svg',
  'test_vpy__two_layers_a4.svg',
  'arrowhead_curve.svg',
  'test_svg__benchmark__multi_skull.svg',
];

function rowPlans(): Plan[] {
  const config = defaultConfig();
  return ROW_FIXTURES.map((name) => {
    const built = buildPlan(
      readSvg(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', name)), { fileName: name }),
      {
        job: name,
        settings: planSettings(config, { fit: 'scale' }),
        device: config.device,
        fileName: name,
      },
    );
    if (!('plan' in built)) throw new Error(`${name} does not plan: ${built.unfit}`);
    return built.plan;
  });
}

const LIVE_FIXTURE = 'lorem_ipsum_outline.svg';
const LIVE_SECONDS = Number(process.env.BENCH_APP_LIVE_SECONDS ?? 8);

/** rAF timestamps and the drawing's inked point count for `seconds`, sampled in the page. */
const watchLive = (seconds: number) => `new Promise((resolve) => {
  const drawing = document.querySelector('[data-testid="detail"] [data-testid="drawing"]');
  const stamps = [];
  const done = [];
  const t0 = performance.now();
  const tick = (now) => {
    stamps.push(now);
    const d = Number(drawing.getAttribute('data-done'));
    if (done.at(-1) !== d) done.push(d);
    if (now - t0 < ${seconds * 1000}) requestAnimationFrame(tick);
    else resolve({ stamps, done, points: Number(drawing.getAttribute('data-points')) });
  };
  requestAnimationFrame(tick);
})`;

async function livePlotView(): Promise<BenchRow[]> {
  const sb = sandbox();
  fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
  fs.writeFileSync(sb.configFile, 'camera:\n  enabled: false\n');
  const served = await startServe(sb, 120_000);
  const api = await openApiSocket(wsUrl(served.origin, served.token), served.origin);
  const browser = await launchChromium();
  try {
    const svg = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', LIVE_FIXTURE));
    await api.call('jobs.add', {
      source: { name: LIVE_FIXTURE, base64: svg.toString('base64') },
      id: 'live',
      fit: 'scale',
    });
    const { page, problems } = await openApp(browser, served.url);
    await page.locator('[data-job="live"]').getByRole('button', { name: LIVE_FIXTURE }).click();
    const t0 = performance.now();
    await page.getByTestId('detail').getByTestId('drawing').waitFor({ timeout: 60_000 });
    const firstPaint = performance.now() - t0;
    await api.call('plot.start', { id: 'live', device: 'virtual', speed: 40 });
    const drawing = page.getByTestId('detail').getByTestId('drawing');
    await until(
      async () => Number(await drawing.getAttribute('data-done')) > 0,
      60_000,
      'the first ink in the live view',
    );
    const seen = (await page.evaluate(watchLive(LIVE_SECONDS))) as {
      stamps: number[];
      done: number[];
      points: number;
    };
    await api.call('plot.abort', { id: 'live' });
    const issues = await problems();
    if (issues.length) throw new Error(`page problems: ${issues.join('; ')}`);
    const start = seen.stamps[0]!;
    const perSecond: number[] = [];
    for (const t of seen.stamps)
      perSecond[Math.floor((t - start) / 1000)] =
        (perSecond[Math.floor((t - start) / 1000)] ?? 0) + 1;
    const whole = perSecond.slice(0, Math.floor((seen.stamps.at(-1)! - start) / 1000));
    const minFps = Math.min(...whole);
    const intervals = seen.stamps.slice(1).map((t, i) => t - seen.stamps[i]!);
    const longest = Math.max(...intervals);
    const updates = seen.done.length - 1;
    if (updates < LIVE_SECONDS * 3)
      throw new Error(
        `the drawing was inked only ${updates} times in ${LIVE_SECONDS} s: progress did not reach the page`,
      );
    return [
      {
        name: `live plot view: ${LIVE_FIXTURE} (${seen.points} points) drawn on opening the detail`,
        value: Math.round(firstPaint),
        unit: 'ms',
        target: '<= 2000',
        ok: firstPaint <= 2000,
      },
      {
        name: `live plot view: slowest 1 s window while plotting (${updates} ink updates in ${LIVE_SECONDS} s)`,
        value: minFps,
        unit: 'fps',
        target: '>= 30',
        ok: minFps >= 30,
      },
      {
        name: 'live plot view: longest frame while plotting',
        value: +longest.toFixed(1),
        unit: 'ms',
      },
    ];
  } finally {
    await api.close();
    await browser.close();
    await served.kill();
    sb.cleanup();
  }
}

async function queue(): Promise<BenchRow[]> {
  const sb = sandbox();
  fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
  fs.writeFileSync(sb.configFile, 'camera:\n  enabled: false\n');
  writeJobs(sb.jobsDir, JOBS, rowPlans());
  const served = await startServe(sb, 120_000);
  const browser = await launchChromium();
  try {
    const loads: number[] = [];
    let longest = 0;
    let p95 = 0;
    let idleP95 = 0;
    let settle = 0;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const { page, problems } = await openApp(browser, served.url);
      await page.getByTestId('jobs').getByText(`${JOBS} jobs`).waitFor({ timeout: 60_000 });
      await page.getByTestId('job-row').first().waitFor();
      loads.push(performance.now() - t0);
      // The rows in view have their pictures before the scrolling starts.
      await page.locator('[data-thumb="shown"]').first().waitFor({ timeout: 60_000 });
      if (i === 2) {
        const idle = ((await page.evaluate(frames(false))) as number[]).sort((a, b) => a - b);
        idleP95 = idle[Math.floor(idle.length * 0.95)]!;
        const intervals = ((await page.evaluate(frames(true))) as number[]).sort((a, b) => a - b);
        longest = intervals.at(-1)!;
        p95 = intervals[Math.floor(intervals.length * 0.95)]!;
        const mounted = await page.getByTestId('job-row').count();
        if (mounted > 40) throw new Error(`${mounted} rows mounted: the list is not windowed`);
        // Where the fling stopped, the rows in view get their pictures.
        const stopped = performance.now();
        await page.locator('[data-thumb="shown"]').first().waitFor({ timeout: 60_000 });
        settle = performance.now() - stopped;
        const seen = await problems();
        if (seen.length) throw new Error(`page problems: ${seen.join('; ')}`);
      }
      await page.close();
    }
    return [
      {
        name: `queue shows ${JOBS} jobs with thumbnails (page open to first row, median of 3)`,
        value: Math.round(median(loads)),
        unit: 'ms',
        target: '<= 1000',
        ok: median(loads) <= 1000,
      },
      {
        name: `longest frame scrolling ${FRAMES} frames, ${ROWS_PER_FRAME} rows a frame`,
        value: +longest.toFixed(1),
        unit: 'ms',
        target: '<= 50',
        ok: longest <= 50,
      },
      {
        name: 'p95 frame while scrolling',
        value: +p95.toFixed(1),
        unit: 'ms',
        target: '<= 16.7',
        ok: +p95.toFixed(1) <= 16.7,
      },
      {
        name: 'scrolling stopped to the first thumbnail there',
        value: Math.round(settle),
        unit: 'ms',
      },
      // What this machine's headless, GPU-less Chromium gives a page doing nothing: the floor for the two above.
      { name: 'p95 frame, idle page (baseline)', value: +idleP95.toFixed(1), unit: 'ms' },
    ];
  } finally {
    await browser.close();
    await served.kill();
    sb.cleanup();
  }
}

async function run(): Promise<BenchRow[]> {
  return [...(await queue()), ...(await livePlotView())];
}

export const appSuite: BenchSuite = { name: 'app', run };
