/**
 * The built app in Debian's Chromium (playwright-core) against a `vfab serve` the test started:
 * open it, collect what would be a bug (page errors, CSP violations), drop files on it as a
 * user's drag would, and save screenshots to look at that also check what they show.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';
import { decodePng, pixelStats, type Box, type Rgba } from './png';
import { waitFor } from './wait';

const CHROMIUM = '/usr/bin/chromium';
/** test-results/ is not gitignored; screenshots stay out of the tree (VFAB_SCREENSHOTS: another folder, for runs side by side). */
export const SCREENSHOTS = process.env.VFAB_SCREENSHOTS || '/tmp/vfab-screens';

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(
      `Chromium is missing at ${CHROMIUM}; this test needs it (CI installs it): apt-get install -y chromium`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface AppPage {
  page: Page;
  /** Page errors, CSP violations and console errors seen so far. */
  problems(): Promise<string[]>;
}

/** `browser`: a page of its own; `context`: a page in it (a test that opens more tabs in the same browser session). */
export async function openApp(
  from: Browser | BrowserContext,
  url: string,
  viewport = { width: 1280, height: 800 },
): Promise<AppPage> {
  const page = await from.newPage();
  await page.setViewportSize(viewport);
  page.setDefaultTimeout(15_000);
  const seen: string[] = [];
  page.on('pageerror', (e) => seen.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) seen.push(`console: ${m.text()}`);
  });
  // Runs before the page's own scripts, outside its CSP, to catch every violation report.
  await page.addInitScript({
    content:
      "window.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
  });
  const res = await page.goto(url);
  if (res?.status() !== 200) throw new Error(`GET ${url} answered ${res?.status()}`);
  await page.getByTestId('version').waitFor();
  return {
    page,
    async problems() {
      const csp = (await page.evaluate('window.cspViolations')) as string[];
      return [...seen, ...csp.map((v) => `csp: ${v}`)];
    },
  };
}

export interface DroppedFile {
  name: string;
  bytes: Buffer;
  type?: string;
}

/** What a drag from the file manager does: dragenter, dragover and drop on the page, carrying real File objects. */
export async function dropFiles(page: Page, files: DroppedFile[]): Promise<void> {
  const payload = files.map((f) => ({
    name: f.name,
    base64: f.bytes.toString('base64'),
    type: f.type ?? 'image/svg+xml',
  }));
  // A string, not a function: this file is type-checked without the DOM library, and the page needs no bundler helpers.
  await page.evaluate(`(() => {
    const dt = new DataTransfer();
    for (const f of ${JSON.stringify(payload)}) {
      const bin = atob(f.base64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    const target = document.querySelector('main') ?? document.body;
    for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  })()`);
}

/** What a screenshot must show; checked on its pixels, not against a stored image (fonts differ between machines). */
export interface ShotExpectations {
  /** The colour scheme on screen: a dark shot's mean luma is below 0.4, a light one's above 0.5 (a modal's dimmed backdrop over light pages measures about 0.57). */
  theme: 'light' | 'dark';
  /** Elements (CSS selectors or locators; the first match of each) that must be in the shot and painted: more than one colour inside their box. */
  shows?: (string | Locator)[];
  /** The whole page rather than the viewport. */
  fullPage?: boolean;
}

/** Blank or barely drawn: fewer colours than anti-aliased text alone gives, or almost all one colour. */
const MIN_COLOURS = 32;
const MIN_NOT_BACKGROUND = 0.02;
/** An element's box: its text, border or picture differs from its own background somewhere. */
const MIN_ELEMENT_NOT_BACKGROUND = 0.002;
const LUMA = { dark: { above: 0, below: 0.4 }, light: { above: 0.5, below: 1 } };

/** Saves `<name>.png` and fails, naming the file, when its pixels do not show what `expect` says. */
export async function screenshot(
  page: Page,
  name: string,
  expect: ShotExpectations,
): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  const [scrollX, scrollY, pageWidth, pageHeight] = (await page.evaluate(
    '[scrollX, scrollY, document.documentElement.scrollWidth, document.documentElement.scrollHeight]',
  )) as number[];
  const boxes = await Promise.all(
    (expect.shows ?? []).map(async (target) => {
      const locator = (typeof target === 'string' ? page.locator(target) : target).first();
      const box = await locator
        .boundingBox({ timeout: 5_000 })
        .catch((e: Error) => e.message.split('\n')[0]!);
      if (box && typeof box !== 'string' && expect.fullPage)
        Object.assign(box, { x: box.x + scrollX!, y: box.y + scrollY! });
      return { what: String(target), box };
    }),
  );
  const size = expect.fullPage ? { width: pageWidth!, height: pageHeight! } : page.viewportSize()!;
  await page.screenshot({ path: file, fullPage: expect.fullPage });
  const failures = judgeShot(decodePng(fs.readFileSync(file)), size, expect.theme, boxes);
  if (failures.length) throw new Error(`screenshot ${file}:\n  ${failures.join('\n  ')}`);
  return file;
}

/** What is wrong with a shot, in words; empty when nothing is. */
export function judgeShot(
  img: Rgba,
  size: { width: number; height: number },
  theme: ShotExpectations['theme'],
  /** Each element's box; null when it is not visible, or why it could not be found. */
  boxes: { what: string; box: Box | null | string }[] = [],
): string[] {
  const failures: string[] = [];
  if (img.width !== size.width || img.height !== size.height)
    failures.push(`${img.width}×${img.height} pixels, expected ${size.width}×${size.height}`);
  const all = pixelStats(img);
  if (all.distinctColours < MIN_COLOURS || all.notDominant < MIN_NOT_BACKGROUND)
    failures.push(
      `blank: ${all.distinctColours} colours, ${pct(all.notDominant)} of pixels differ from ${all.dominant}`,
    );
  const { above, below } = LUMA[theme];
  if (!(all.meanLuma < below && all.meanLuma > above))
    failures.push(`not ${theme}: mean luma ${all.meanLuma.toFixed(2)}`);
  for (const { what, box } of boxes) {
    if (typeof box === 'string') {
      failures.push(`${what}: ${box}`);
      continue;
    }
    const inside = box && pixelStats(img, box);
    if (!inside || inside.pixels === 0) failures.push(`${what} is not in the shot`);
    else if (inside.distinctColours < 2 || inside.notDominant < MIN_ELEMENT_NOT_BACKGROUND)
      failures.push(
        `${what} is not painted: ${inside.distinctColours} colours, ${pct(inside.notDominant)} differ from ${inside.dominant}`,
      );
  }
  return failures;
}

const pct = (share: number) => `${(share * 100).toFixed(2)}%`;

/**
 * Pixels with any paint on them (alpha > 0), all its pixels, and a hash of the picture, for one
 * canvas. Runs in the page: its source also goes into scripts that watch a canvas there.
 */
export function canvasFactsInPage(c: unknown): { painted: number; pixels: number; hash: number } {
  const el = c as {
    width: number;
    height: number;
    getContext(k: '2d'): {
      getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
    };
  };
  const data = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;
  let painted = 0;
  let hash = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3]! > 0) painted++;
    hash = (hash * 31 + data[i]! + data[i + 1]! * 7 + data[i + 2]! * 13) | 0;
  }
  return { painted, pixels: el.width * el.height, hash };
}

export const canvasFacts = (canvas: Locator) => canvas.evaluate(canvasFactsInPage);

/** An <img>'s decoded width: 0 until a picture has loaded into it. */
export const naturalWidth = (img: { evaluate<R>(fn: (el: unknown) => R): Promise<R> }) =>
  img.evaluate((el) => (el as { naturalWidth: number }).naturalWidth);

/** Polls from the test side: the page's CSP forbids the eval that page.waitForFunction uses for strings. */
export async function until(
  check: () => Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  await waitFor(what, check, { timeoutMs: ms, everyMs: 100 });
}
