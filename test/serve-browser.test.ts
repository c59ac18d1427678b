/**
 * The built renderer in a real browser, served by the built `vfab serve`: Debian's Chromium
 * driven by playwright-core opens the printed URL, the page reaches the API over the WebSocket
 * (token from its URL) and shows the version and job count from system.info, follows
 * job.changed live, and breaks no CSP rule on the way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src-main/version';
import { openApp, screenshot } from './helpers/app-browser';
import { useAppRig } from './helpers/app-rig';
import { FIXTURES } from './helpers/cli';

const rig = useAppRig();

describe('the app in a browser from vfab serve', () => {
  it('shows the version and job count from system.info, live, with no CSP violation', { timeout: 60_000 }, async () => {
    for (const id of ['first', 'second']) expect(rig.sb.run(['add', 'job', id, path.join(FIXTURES, 'AxiDraw_trivial.svg'), '--no-plan']).code).toBe(0);
    const { served, api } = await rig.serve();
    const browser = await rig.browser();
    const app = await openApp(browser, served.url);
    const { page } = app;
    expect(await page.getByTestId('version').textContent()).toBe(`vfab ${VERSION}`);
    expect(await page.getByTestId('jobs').textContent()).toBe('2 jobs');

    // A job added by another client reaches the page as a job.changed event.
    await api.call('jobs.add', { source: { name: 'third.svg', base64: fs.readFileSync(path.join(FIXTURES, 'AxiDraw_trivial.svg')).toString('base64') }, plan: false });
    await page.getByText('3 jobs').waitFor({ timeout: 10_000 });
    await screenshot(page, 'serve-browser');
    // Page errors, CSP violation reports and "Refused to…" console lines.
    expect(await app.problems()).toEqual([]);

    // Without the token the browser gets nothing but the refusal.
    const bare = await (await browser.newPage()).goto(`${served.origin}/`);
    expect(bare?.status()).toBe(401);

    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(143);
  });
});
