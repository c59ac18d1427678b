/**
 * The built renderer in a real browser, served by the built `vfab serve`: Debian's Chromium
 * driven by playwright-core opens the printed URL, the page reaches the API over the WebSocket
 * (token from its URL) and shows the version and job count from system.info, follows
 * job.changed live, and breaks no CSP rule on the way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VERSION } from '../src-main/version';
import { openApiSocket, wsUrl } from './helpers/api-socket';
import { FIXTURES, sandbox, type Sandbox } from './helpers/cli';
import { startServe, type ServeProcess } from './helpers/serve-process';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/vfab-serve-browser.png';

let sb: Sandbox;
let served: ServeProcess | undefined;
let browser: Browser | undefined;
const closers: (() => unknown)[] = [];

beforeEach(() => {
  sb = sandbox();
  fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
  fs.writeFileSync(sb.configFile, 'camera:\n  enabled: false\n');
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await browser?.close();
  browser = undefined;
  await served?.kill();
  served = undefined;
  sb.cleanup();
});

async function launch(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}; this test needs it (CI installs it): apt-get install -y chromium`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

describe('the app in a browser from vfab serve', () => {
  it('shows the version and job count from system.info, live, with no CSP violation', { timeout: 60_000 }, async () => {
    for (const id of ['first', 'second']) expect(sb.run(['add', 'job', id, path.join(FIXTURES, 'AxiDraw_trivial.svg'), '--no-plan']).code).toBe(0);
    served = await startServe(sb);
    const page = await (await launch()).newPage();
    const console: string[] = [];
    const errors: string[] = [];
    page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => errors.push(e.message));
    // Runs before the page's own scripts, outside its CSP, to catch every violation report.
    await page.addInitScript({
      content: "window.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
    });

    const res = await page.goto(served.url);
    expect(res?.status()).toBe(200);
    await page.getByTestId('version').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('version').textContent()).toBe(`vfab ${VERSION}`);
    expect(await page.getByTestId('jobs').textContent()).toBe('2 jobs');

    // A job added by another client reaches the page as a job.changed event.
    const api = await openApiSocket(wsUrl(served.origin, served.token), served.origin);
    closers.push(() => api.close());
    await api.call('jobs.add', { source: { name: 'third.svg', base64: fs.readFileSync(path.join(FIXTURES, 'AxiDraw_trivial.svg')).toString('base64') }, plan: false });
    await page.getByText('3 jobs').waitFor({ timeout: 10_000 });

    await page.screenshot({ path: SCREENSHOT });
    expect(await page.evaluate('window.cspViolations')).toEqual([]);
    expect(console.filter((l) => /Content Security Policy|Refused to/i.test(l))).toEqual([]);
    expect(errors).toEqual([]);

    // Without the token the browser gets nothing but the refusal.
    const bare = await (await browser!.newPage()).goto(`${served.origin}/`);
    expect(bare?.status()).toBe(401);

    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(143);
  });
});
