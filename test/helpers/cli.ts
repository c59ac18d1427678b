/** Runs the built `vfab` exactly as a user would (bin/vfab.js, stdout a pipe) in a private data folder. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testRunEnv } from './test-run';

export const ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

export interface Sandbox {
  root: string;
  env: NodeJS.ProcessEnv;
  configFile: string;
  dataDir: string;
  jobsDir: string;
  dbFile: string;
  logFile: string;
  run(args: string[], opts?: { input?: string }): { code: number; stdout: string; stderr: string };
  /** A shell line run with this sandbox's environment and `vfab` on PATH, as the recovery guide's scripts are. */
  sh(script: string): { code: number; stdout: string; stderr: string };
  cleanup(): void;
}

export function sandbox(): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-cli-'));
  const home = path.join(root, 'home');
  const bin = path.join(root, 'bin');
  fs.mkdirSync(home);
  fs.mkdirSync(bin);
  fs.symlinkSync(path.join(ROOT, 'bin', 'vfab.js'), path.join(bin, 'vfab'));
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: home,
    VFAB_CONFIG: path.join(home, '.config', 'vfab', 'config.yaml'),
    VFAB_DATA_DIR: path.join(home, '.local', 'share', 'vfab'),
    TZ: process.env.TZ ?? 'UTC',
    ...testRunEnv(),
  };
  const dataDir = env.VFAB_DATA_DIR!;
  const result = (r: ReturnType<typeof spawnSync>) => ({
    code: r.status ?? -1,
    stdout: String(r.stdout),
    stderr: String(r.stderr),
  });
  return {
    root,
    env,
    configFile: env.VFAB_CONFIG!,
    dataDir,
    jobsDir: path.join(dataDir, 'workspace', 'jobs'),
    dbFile: path.join(dataDir, 'vfab.db'),
    logFile: path.join(dataDir, 'logs', 'vfab.log'),
    run: (args, opts = {}) =>
      result(
        spawnSync(process.execPath, [path.join(ROOT, 'bin', 'vfab.js'), ...args], {
          env,
          cwd: root,
          input: opts.input ?? '',
          encoding: 'utf8',
        }),
      ),
    sh: (script) => result(spawnSync('bash', ['-c', script], { env, cwd: root, encoding: 'utf8' })),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
