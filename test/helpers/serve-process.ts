/** Runs the built `vfab serve --port 0` (or `vfab demo`, which prints its URL alike) as a user would, and reads the URL it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT, type Sandbox } from './cli';
import { endWithTest } from './processes';
import { waitFor } from './wait';

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  origin: string;
  port: number;
  token: string;
  stdout(): string;
  stderr(): string;
  /** Exit code, or the signal name when it died of one. */
  exited: Promise<number | string>;
  /** SIGKILL if still running (afterEach). */
  kill(): Promise<void>;
}

const URL_LINE = /^(http:\/\/127\.0\.0\.1:(\d+))\/\?token=([A-Za-z0-9_-]+)$/m;

export function spawnServe(
  sb: Sandbox,
  args: string[] = ['--port', '0'],
  command = 'serve',
): { child: ChildProcess; exited: Promise<number | string>; out: () => string; err: () => string } {
  const child = endWithTest(
    spawn(process.execPath, [path.join(ROOT, 'bin', 'vfab.js'), command, ...args], {
      env: sb.env,
      cwd: sb.root,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, exited, out: () => out, err: () => err };
}

export async function startServe(
  sb: Sandbox,
  timeoutMs = 15_000,
  args?: string[],
  command = 'serve',
): Promise<ServeProcess> {
  const p = spawnServe(sb, args, command);
  let gone: number | string | undefined;
  void p.exited.then((how) => (gone = how));
  const m = await waitFor(
    `vfab ${command} to print its URL`,
    () => URL_LINE.exec(p.out()) ?? (gone !== undefined && 'gone'),
    { timeoutMs, everyMs: 25 },
  ).catch(() => 'timed out' as const);
  if (typeof m === 'string') {
    p.child.kill('SIGKILL');
    throw new Error(
      `vfab ${command} printed no URL (${m === 'gone' ? `exited ${gone}` : 'timed out'}); stderr: ${p.err()}`,
    );
  }
  return {
    child: p.child,
    url: m[0],
    origin: m[1]!,
    port: Number(m[2]),
    token: m[3]!,
    stdout: p.out,
    stderr: p.err,
    exited: p.exited,
    async kill() {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    },
  };
}
