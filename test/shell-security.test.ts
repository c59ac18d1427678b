/**
 * The Electron security baseline, checked in CI: fails when the window, its session, the CSP, the
 * preload or the import boundaries weaken. The window is built through the real entry
 * (src-main/index.ts) with the fake `electron`, so a setting changed anywhere on that path shows.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_NAMES, METHOD_NAMES } from '../src-main/shared/api-names';
import { parseCsp, rendererCsp } from '../src-main/shell/csp';
import { bootShell, type BootedShell } from './helpers/electron-shell';
import * as fake from './setup/fake-electron';

const ROOT = path.resolve(__dirname, '..');

function walk(dir: string, exts: readonly string[]): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return walk(full, exts);
    return exts.some((x) => e.name.endsWith(x)) ? [full] : [];
  });
}

interface ImportRef {
  spec: string;
  typeOnly: boolean;
}

/** Every module a file imports, exports from, `import()`s or `require`s, and whether only types. */
function importsOf(file: string): ImportRef[] {
  const src = fs
    .readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const refs: ImportRef[] = [];
  for (const m of src.matchAll(
    /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/gm,
  )) {
    // `import { type A, type B } from` is type-only too.
    const names = m[3] ?? '';
    const allTypeNamed =
      /^\{[^}]*\}$/.test(names.trim()) &&
      names
        .replace(/[{}\s]/g, '')
        .split(',')
        .filter(Boolean)
        .every((n) => n.startsWith('type'));
    refs.push({ spec: m[4]!, typeOnly: Boolean(m[2]) || allTypeNamed });
  }
  for (const m of src.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm))
    refs.push({ spec: m[1]!, typeOnly: false });
  for (const m of src.matchAll(/\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g))
    refs.push({ spec: m[1]!, typeOnly: false });
  return refs;
}

const rel = (f: string) => path.relative(ROOT, f);
/** The one part of src-main the preload and the renderer may load at run time. */
const SHARED = path.join(ROOT, 'src-main', 'shared');
const inShared = (file: string, spec: string) =>
  spec.startsWith('.') && path.resolve(path.dirname(file), spec).startsWith(SHARED + path.sep);
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/** Packages that only run in Node (native addons, sockets, the CLI): never in the renderer. */
const NODE_ONLY_PACKAGES = [
  'electron',
  'better-sqlite3',
  'serialport',
  '@serialport/',
  'ws',
  'commander',
];

/** The rules every CSP the renderer gets must keep; `header` adds those only a header can carry. */
function expectStrictCsp(policy: string, kind: 'header' | 'meta'): void {
  const csp = parseCsp(policy);
  const d = (name: string) => csp.get(name) ?? csp.get('default-src') ?? [];
  expect(['none', 'self'].map((v) => [`'${v}'`])).toContainEqual(csp.get('default-src'));
  for (const directive of ['script-src', 'script-src-elem', 'script-src-attr', 'worker-src']) {
    const sources = csp.has(directive) ? csp.get(directive)! : d('script-src');
    for (const bad of [
      "'unsafe-inline'",
      "'unsafe-eval'",
      "'unsafe-hashes'",
      "'wasm-unsafe-eval'",
      '*',
      'data:',
      'blob:',
      'http:',
      'https:',
      'filesystem:',
    ]) {
      expect(sources, `${kind} CSP ${directive} must not allow ${bad}`).not.toContain(bad);
    }
    expect(
      sources.every((s) => s === "'self'" || s === "'none'"),
      `${kind} CSP ${directive}: ${sources.join(' ')}`,
    ).toBe(true);
  }
  expect(d('object-src'), `${kind} CSP object-src`).toEqual(["'none'"]);
  expect(
    ['none', 'self'].map((v) => [`'${v}'`]),
    `${kind} CSP base-uri`,
  ).toContainEqual(csp.get('base-uri'));
  expect(csp.get('form-action'), `${kind} CSP form-action`).toEqual(["'none'"]);
  // Images: the bundle, data: URLs and exact loopback origins (the camera relay) only. The meta
  // tag cannot know the relay's port, so it names loopback on any port; every face also sends a
  // header naming the exact origin, and a browser enforces both.
  const loopback =
    kind === 'meta' ? /^http:\/\/127\.0\.0\.1:(\d+|\*)$/ : /^http:\/\/127\.0\.0\.1:\d+$/;
  for (const s of d('img-src'))
    expect(
      ["'self'", 'data:', 'blob:'].includes(s) || loopback.test(s),
      `${kind} CSP img-src ${s}`,
    ).toBe(true);
  if (kind === 'header') {
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    // The window talks to main over IPC only: no network from the page.
    expect(d('connect-src')).toEqual(["'self'"]);
  }
}

describe('the Electron window, built by the real shell', () => {
  let shell: BootedShell;
  beforeAll(async () => {
    shell = await bootShell();
  });
  afterAll(async () => {
    await shell.stop();
  });

  it('is isolated, sandboxed, without Node, with web security on', () => {
    const prefs = shell.window.options.webPreferences;
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).not.toBe(true);
    expect(prefs.nodeIntegrationInSubFrames).not.toBe(true);
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.allowRunningInsecureContent).not.toBe(true);
    expect(prefs.experimentalFeatures).not.toBe(true);
    expect(prefs.webviewTag).not.toBe(true);
    expect(prefs.enableBlinkFeatures).toBeUndefined();
    expect(prefs.preload).toMatch(/preload[\\/]index\.js$/);
    expect(shell.window.loaded.file, 'the renderer is the built file, never a remote URL').toMatch(
      /renderer[\\/]index\.html$/,
    );
  });

  it('denies navigation, redirects, new windows and webviews, for the window and any later webContents', () => {
    const later = new fake.WebContents();
    fake.app.emit('web-contents-created', fake.fakeEvent(), later);
    for (const contents of [shell.window.webContents, later]) {
      for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
        const e = fake.fakeEvent({ url: 'https://example.com/' });
        contents.emit(event, e, 'https://example.com/');
        expect(e.defaultPrevented, event).toBe(true);
      }
      expect(contents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({
        action: 'deny',
      });
    }
  });

  it('refuses every permission the page could ask for', () => {
    const ses = fake.session.defaultSession;
    expect(ses.permissionRequestHandler).toBeTypeOf('function');
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'midi',
      'pointerLock',
      'fullscreen',
      'openExternal',
      'clipboard-read',
      'hid',
      'serial',
      'usb',
      'unknown',
    ]) {
      let granted: boolean | undefined;
      ses.permissionRequestHandler!(shell.window.webContents, permission, (g) => (granted = g), {});
      expect(granted, permission).toBe(false);
    }
    expect(ses.permissionCheckHandler?.(shell.window.webContents, 'media', 'file://', {})).toBe(
      false,
    );
    expect(ses.devicePermissionHandler?.({})).toBe(false);
  });

  it('sends the strict CSP header with the renderer document, and only with it', async () => {
    const hook = fake.session.defaultSession.headersReceived;
    expect(hook).not.toBeNull();
    let response: { responseHeaders?: Record<string, string[]> } = {};
    hook!.listener(
      { url: shell.rendererUrl, resourceType: 'mainFrame', responseHeaders: {} },
      (r) => (response = r),
    );
    const header = response.responseHeaders?.['Content-Security-Policy'];
    // img-src names one exact origin besides the bundle: the window's own camera relay.
    const relay = parseCsp(header![0]!)
      .get('img-src')!
      .filter((s) => s.startsWith('http:'));
    expect(relay).toEqual([expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/)]);
    expect(header).toEqual([rendererCsp({ imgOrigins: relay })]);
    expectStrictCsp(header![0]!, 'header');
    const answer = await fetch(`${relay[0]}/camera/stream.mjpeg`);
    expect(answer.status, await answer.text()).toBeOneOf([401, 503]);
    hook!.listener(
      { url: 'http://127.0.0.1:8881/stream.mjpeg', resourceType: 'image' },
      (r) => (response = r),
    );
    expect(response).toEqual({});
  });
});

describe('the CSP', () => {
  it('the header policy is strict', () => {
    expectStrictCsp(rendererCsp(), 'header');
    expectStrictCsp(rendererCsp({ imgOrigins: ['http://127.0.0.1:8899'] }), 'header');
    expect(
      parseCsp(rendererCsp({ imgOrigins: ['http://127.0.0.1:8899'] })).get('img-src'),
    ).toContain('http://127.0.0.1:8899');
    for (const wide of [
      'http://127.0.0.1:*',
      'http://*',
      'https://example.com',
      '*',
      "'unsafe-inline'",
    ]) {
      expect(() => rendererCsp({ imgOrigins: [wide] }), wide).toThrow(/exact loopback origin/);
    }
  });

  it('the meta tag in src-renderer/index.html is strict too (frame-ancestors aside: meta tags cannot carry it)', () => {
    const html = fs.readFileSync(path.join(ROOT, 'src-renderer', 'index.html'), 'utf8');
    const metas = [
      ...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/gi),
    ].map((m) => m[1]!);
    expect(metas).toHaveLength(1);
    expectStrictCsp(metas[0]!, 'meta');
    // No inline script for the policy to have to allow.
    expect([...html.matchAll(/<script\b([^>]*)>/gi)].every((m) => /\bsrc=/.test(m[1]!))).toBe(true);
  });

  it('the built renderer keeps the meta tag and adds no inline script', () => {
    const built = path.join(ROOT, 'out', 'renderer', 'index.html');
    if (!fs.existsSync(built)) return expect.fail('Build first: npx electron-vite build');
    const html = fs.readFileSync(built, 'utf8');
    expect(html).toMatch(/http-equiv="Content-Security-Policy"/);
    expect([...html.matchAll(/<script\b([^>]*)>/gi)].every((m) => /\bsrc=/.test(m[1]!))).toBe(true);
  });
});

describe('the preload', () => {
  it('imports nothing but electron and src-main/shared at run time (a sandboxed preload cannot require packages)', () => {
    for (const file of walk(path.join(ROOT, 'src-preload'), ['.ts'])) {
      const runtime = importsOf(file)
        .filter((r) => !r.typeOnly)
        .map((r) => r.spec);
      expect(
        runtime.every((s) => s === 'electron' || inShared(file, s)),
        `${rel(file)}: ${runtime.join(', ')}`,
      ).toBe(true);
    }
    // The shared names must be bundled in: a sandboxed preload cannot require a chunk of its own.
    const built = path.join(ROOT, 'out', 'preload', 'index.js');
    if (!fs.existsSync(built)) return expect.fail('Build first: npx electron-vite build');
    const bundle = fs.readFileSync(built, 'utf8');
    const requires = [...bundle.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect(requires).toEqual(['electron']);
    for (const name of [...METHOD_NAMES, ...EVENT_NAMES]) expect(bundle).toContain(`"${name}"`);
  });

  it('exposes exactly window.vfab = { call, on }: no ipcRenderer, no process', () => {
    const src = fs.readFileSync(path.join(ROOT, 'src-preload', 'index.ts'), 'utf8');
    const exposures = [...src.matchAll(/exposeInMainWorld\(\s*'([^']+)'\s*,\s*([^)]*)\)/g)].map(
      (m) => [m[1], m[2]!.trim()],
    );
    expect(exposures).toEqual([['vfab', '{ call, on }']]);
  });
});

describe('import boundaries', () => {
  it('the import scanner sees every form (so the checks below cannot pass vacuously)', () => {
    const file = path.join(os.tmpdir(), `vfab-imports-${process.pid}.ts`);
    fs.writeFileSync(
      file,
      [
        "import { app } from 'electron';",
        "import type { Session } from 'electron/main';",
        "import { type A, type B } from './types';",
        "import {\n  x,\n  y,\n} from 'node:fs';",
        "import './side-effect';",
        "export { z } from '../src-main/engine';",
        "const p = require('better-sqlite3');",
        "const q = await import('ws');",
        "// import { commented } from 'child_process';",
      ].join('\n'),
    );
    try {
      expect(importsOf(file)).toEqual([
        { spec: 'electron', typeOnly: false },
        { spec: 'electron/main', typeOnly: true },
        { spec: './types', typeOnly: true },
        { spec: 'node:fs', typeOnly: false },
        { spec: '../src-main/engine', typeOnly: false },
        { spec: './side-effect', typeOnly: false },
        { spec: 'better-sqlite3', typeOnly: false },
        { spec: 'ws', typeOnly: false },
      ]);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('no file in src-main imports electron except index.ts and shell/**', () => {
    const offenders = walk(path.join(ROOT, 'src-main'), ['.ts', '.tsx'])
      .filter(
        (f) =>
          rel(f) !== path.join('src-main', 'index.ts') &&
          !rel(f).startsWith(path.join('src-main', 'shell') + path.sep),
      )
      .filter((f) =>
        importsOf(f).some((r) => r.spec === 'electron' || r.spec.startsWith('electron/')),
      )
      .map(rel);
    expect(offenders).toEqual([]);
  });

  it('the renderer imports no Node built-ins or Node-only packages, and src-main only for types (src-main/shared aside)', () => {
    const files = walk(path.join(ROOT, 'src-renderer'), ['.ts', '.tsx', '.mts', '.js', '.jsx']);
    expect(files.length).toBeGreaterThan(0);
    const offenders: string[] = [];
    for (const file of files) {
      for (const ref of importsOf(file)) {
        const spec = ref.spec;
        const bare = !spec.startsWith('.') && !spec.startsWith('/');
        if (
          bare &&
          (spec.startsWith('node:') ||
            NODE_BUILTINS.has(spec) ||
            NODE_BUILTINS.has(spec.split('/')[0]!))
        )
          offenders.push(`${rel(file)}: ${spec} (Node built-in)`);
        else if (
          bare &&
          NODE_ONLY_PACKAGES.some(
            (p) => spec === p || spec.startsWith(p.endsWith('/') ? p : `${p}/`),
          )
        )
          offenders.push(`${rel(file)}: ${spec} (Node-only package)`);
        else if (!bare && !ref.typeOnly && !inShared(file, spec)) {
          const target = path.resolve(path.dirname(file), spec);
          if (!target.startsWith(path.join(ROOT, 'src-renderer') + path.sep))
            offenders.push(`${rel(file)}: ${spec} (outside the renderer: use import type)`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('src-main/shared imports nothing but itself: no Node, no package, no other src-main folder', () => {
    const files = walk(SHARED, ['.ts']);
    expect(files.length).toBeGreaterThan(0);
    const offenders = files.flatMap((file) =>
      importsOf(file)
        .filter((r) => !inShared(file, r.spec))
        .map((r) => `${rel(file)}: ${r.spec}`),
    );
    expect(offenders).toEqual([]);
  });
});
