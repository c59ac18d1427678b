/**
 * Packaging smoke test, offline: electron-builder packs the built app with electron-builder.yml
 * into an unpacked Linux app (`--dir`), with a stand-in Electron (`electronDist`: a folder holding
 * a non-runnable `electron` file, so nothing is downloaded) and a stand-in for the Electron-ABI
 * better_sqlite3.node. Then app.asar is read back: the app and its runtime dependencies are in,
 * the native module is outside, renderer-only and dev packages are not.
 * The output is NOT a runnable app (no Electron binary); real installers need the internet
 * (docs/development.md "The Electron native build").
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listPackage } from '@electron/asar';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { endWithTest } from './helpers/processes';

const ROOT = path.resolve(__dirname, '..');
const PACK_TIMEOUT_MS = 120_000;

interface ExtraResource {
  from: string;
  to: string;
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    // Its own group, ended with the test even when the test times out before the pack does.
    const child = endWithTest(
      spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true }),
      { group: true },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[killed after ${PACK_TIMEOUT_MS} ms]`;
      // The whole group: electron-builder spawns npm and helpers.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, PACK_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - t0 });
    });
  });
}

describe('electron-builder packaging (offline, --dir, stand-in Electron)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-pack-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it(
    'packs out/**, package.json and the runtime dependencies into app.asar, the native module beside it',
    async () => {
      for (const built of [
        'out/main/index.js',
        'out/preload/index.js',
        'out/renderer/index.html',
      ]) {
        expect(
          fs.existsSync(path.join(ROOT, built)),
          `${built} missing: build first (npx electron-vite build)`,
        ).toBe(true);
      }

      // The real config, with only what an offline machine must stand in for overridden.
      const config = parse(
        fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8'),
      ) as Record<string, unknown> & {
        extraResources: ExtraResource[];
        directories: Record<string, string>;
      };
      expect(config.asar).toBe(true);
      expect(config.npmRebuild).toBe(false);
      expect((config.extraMetadata as { main: string }).main).toBe('out/main/index.js');
      expect(config.extraResources).toEqual([
        {
          from: 'native/electron/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
          to: 'native/better_sqlite3.node',
        },
      ]);

      const electronDist = path.join(tmp, 'electron-dist');
      fs.mkdirSync(electronDist);
      fs.writeFileSync(
        path.join(electronDist, 'electron'),
        '#!/bin/sh\necho "stand-in Electron for packaging tests; not runnable" >&2\nexit 1\n',
        { mode: 0o755 },
      );
      const electronVersion = (
        JSON.parse(
          fs.readFileSync(path.join(ROOT, 'node_modules/electron/package.json'), 'utf8'),
        ) as { version: string }
      ).version;
      fs.writeFileSync(path.join(electronDist, 'version'), `v${electronVersion}`);
      fs.writeFileSync(path.join(electronDist, 'LICENSE'), 'stand-in\n');
      const standInNative = path.join(tmp, 'better_sqlite3.node');
      fs.writeFileSync(standInNative, 'stand-in for the Electron-ABI build of better-sqlite3\n');

      const output = path.join(tmp, 'dist');
      const overridden = {
        ...config,
        electronDist,
        directories: { ...config.directories, output },
        extraResources: config.extraResources.map((r) => ({ ...r, from: standInNative })),
      };
      const configFile = path.join(tmp, 'electron-builder.json');
      fs.writeFileSync(configFile, JSON.stringify(overridden, null, 2));

      const env: NodeJS.ProcessEnv = {
        ...process.env,
        // Nothing may be fetched: any download attempt goes to a dead proxy and fails at once.
        ELECTRON_BUILDER_CACHE: path.join(tmp, 'cache'),
        HTTP_PROXY: 'http://127.0.0.1:9',
        HTTPS_PROXY: 'http://127.0.0.1:9',
        http_proxy: 'http://127.0.0.1:9',
        https_proxy: 'http://127.0.0.1:9',
        CI: 'true',
      };
      const result = await run(
        process.execPath,
        [
          path.join(ROOT, 'node_modules/electron-builder/cli.js'),
          '--dir',
          '--linux',
          '--x64',
          '--publish',
          'never',
          '--config',
          configFile,
        ],
        env,
      );
      expect(result.code, result.output).toBe(0);
      console.log(`electron-builder --dir --linux: ${result.ms} ms`);

      const unpacked = path.join(output, 'linux-unpacked');
      const resources = path.join(unpacked, 'resources');
      expect(
        fs.existsSync(path.join(unpacked, 'vfab')),
        'the executable is named after productName',
      ).toBe(true);
      // The native module: outside the archive, where src-main/index.ts looks (process.resourcesPath/native).
      expect(
        fs.readFileSync(path.join(resources, 'native', 'better_sqlite3.node'), 'utf8'),
      ).toContain('stand-in');

      const entries = listPackage(path.join(resources, 'app.asar'), { isPack: false }).map((e) =>
        e.replace(/\\/g, '/').replace(/^\//, ''),
      );
      const has = (p: string) => entries.includes(p);
      const packages = new Set(
        entries
          .filter((e) => e.startsWith('node_modules/'))
          .map((e) =>
            e
              .split('/')
              .slice(1, e.startsWith('node_modules/@') ? 3 : 2)
              .join('/'),
          ),
      );

      for (const f of [
        'package.json',
        'out/main/index.js',
        'out/main/cli.js',
        'out/main/plan-worker.js',
        'out/preload/index.js',
        'out/renderer/index.html',
      ])
        expect(has(f), f).toBe(true);
      expect(
        entries.some((e) => /^out\/renderer\/assets\/.+\.js$/.test(e)),
        'the renderer bundle',
      ).toBe(true);
      // Migrations are code (src-main/jobs/migrations.ts), bundled into out/main: no files to ship.
      for (const dep of [
        'better-sqlite3',
        'serialport',
        'zod',
        'yaml',
        'commander',
        'saxes',
        'ws',
        '@serialport/bindings-cpp',
      ])
        expect(packages.has(dep), dep).toBe(true);
      expect(has('node_modules/better-sqlite3/lib/index.js')).toBe(true);
      // The Node-ABI build would crash Electron: only the Electron build, outside, is loaded.
      expect(entries.filter((e) => e.endsWith('.node') && e.includes('better-sqlite3'))).toEqual(
        [],
      );
      expect(entries.some((e) => e.startsWith('node_modules/better-sqlite3/deps/'))).toBe(false);
      // Renderer-only and development packages are bundled or not needed at run time.
      for (const dev of [
        'react',
        'react-dom',
        'zustand',
        'vite',
        'vitest',
        'electron',
        'electron-vite',
        'electron-builder',
        'typescript',
        '@vitejs/plugin-react',
        'playwright-core',
        'tsx',
        'fast-check',
      ]) {
        expect(packages.has(dev), `${dev} must not be packaged`).toBe(false);
      }
      expect(
        entries.some(
          (e) => e.startsWith('src-') || e.startsWith('test/') || e.startsWith('native/'),
        ),
        'no sources, tests or native/ in the archive',
      ).toBe(false);

      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
      };
      console.log(
        `app.asar: ${entries.length} entries, ${(fs.statSync(path.join(resources, 'app.asar')).size / 2 ** 20).toFixed(1)} MiB; ` +
          `${packages.size} packages (${Object.keys(pkg.dependencies).length} direct runtime deps)`,
      );
    },
    PACK_TIMEOUT_MS + 20_000,
  );
});
