/**
 * The built app in Debian's Chromium (playwright-core) against a `vfab serve` the test started:
 * open it, collect what would be a bug (page errors, CSP violations), drop files on it as a
 * user's drag would, and save screenshots to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { decodePng, measure, type Measures } from './png';
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

export interface ShotExpectations {
  /** Elements the shot must show: on the page, visible, and more than the page's background where they are. */
  painted?: string[];
}

/** Mean luminance a page in the light scheme stays above, and one in the dark scheme below. */
const LIGHT_MIN = 0.6;
const DARK_MAX = 0.35;

/**
 * Saves a screenshot to look at, and asserts what any shot of the app must show: the viewport's
 * size, a page that is not blank, the colour scheme the page is in (a dark page that renders
 * light, or the reverse, fails), `main` and each `painted` element drawn where the page says it
 * is (not only the page's background there).
 */
export async function screenshot(
  page: Page,
  name: string,
  expectations: ShotExpectations = {},
): Promise<Measures> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  const img = decodePng(await page.screenshot({ path: file }));
  const shot = `screenshot ${file}`;
  const viewport = page.viewportSize();
  expect([img.width, img.height], shot).toEqual([viewport?.width, viewport?.height]);
  const whole = measure(img);
  expect(whole.varied, `${shot}: nearly one flat colour`).toBeGreaterThan(0.01);
  expect(whole.colours, `${shot}: too few colours for a page`).toBeGreaterThanOrEqual(8);
  const dark = (await page.evaluate(
    "matchMedia('(prefers-color-scheme: dark)').matches",
  )) as boolean;
  if (dark) expect(whole.luminance, `${shot}: dark scheme`).toBeLessThan(DARK_MAX);
  else expect(whole.luminance, `${shot}: light scheme`).toBeGreaterThan(LIGHT_MIN);
  const named = expectations.painted ?? [];
  for (const selector of (await page.locator('main').count()) ? ['main', ...named] : named) {
    const el = page.locator(selector).first();
    expect(await el.count(), `${shot}: ${selector} is not on the page`).toBe(1);
    const box = await el.boundingBox();
    expect(box, `${shot}: ${selector} is not visible`).not.toBeNull();
    const inside = measure(img, box!);
    const background = inside.varied === 0 && inside.dominant.join() === whole.dominant.join();
    expect(background, `${shot}: ${selector} shows nothing but the page's background`).toBe(false);
  }
  return whole;
}

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
