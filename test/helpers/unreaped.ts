/**
 * A process whose parent never reaps it: `sh` starts the command in the background, prints its
 * pid and becomes `sleep`, which waits for nobody. Killed, the command stays a zombie (state Z)
 * until `stop()` ends the sleeping parent and init reaps it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { processState } from '../../src-main/util/proc-stat';
import { waitFor } from './fake-camera';
import { endWithTest } from './processes';

export interface Unreaped {
  /** The sleeping parent (the `sh` that exec'd `sleep`). */
  parent: ChildProcess;
  /** The command's pid, once `sh` has started it. */
  pid: Promise<number>;
  /** Both the command's and the parent's stderr (they share it). */
  stderr(): string;
  /** SIGKILLs the command and resolves with its pid once /proc shows it a zombie. */
  killToZombie(): Promise<number>;
  /** Ends the command and its parent (by their group id); safe to call more than once. */
  stop(): Promise<void>;
}

function procStat(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').trim();
  } catch {
    return 'nothing (gone)';
  }
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

export function startUnreaped(
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Unreaped {
  // Its own process group: one kill by group id ends the parent and the command.
  const parent = endWithTest(
    spawn('sh', ['-c', '"$@" & echo "$!"; exec sleep 120', 'sh', ...argv], {
      env: opts.env,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    }),
    { group: true },
  );
  let out = '',
    err = '';
  parent.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => parent.once('exit', () => r()));
  const pid = new Promise<number>((resolve, reject) => {
    parent.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = /^(\d+)\n/.exec(out);
      if (line) resolve(Number(line[1]));
    });
    void exited.then(() =>
      reject(new Error(`sh exited before starting ${argv.join(' ')}: ${err}`)),
    );
  });
  pid.catch(() => {});
  return {
    parent,
    pid,
    stderr: () => err,
    async killToZombie() {
      const child = await pid;
      // Until `sh` has exec'd `sleep`, dash may still reap its background job (a race measured at
      // 5 in 200): the zombie is only guaranteed once the parent is the non-reaping `sleep`.
      await waitFor(
        () => cmdline(parent.pid!).startsWith('sleep\0'),
        20_000,
        `the parent of pid ${child} to exec sleep`,
      );
      process.kill(child, 'SIGKILL');
      // Bounded generously: on a loaded machine a killed process can wait a while to be scheduled out.
      await waitFor(() => processState(child) === 'Z', 20_000, `pid ${child} to be a zombie`).catch(
        (err: Error) => {
          throw new Error(`${err.message}: /proc/${child}/stat says ${procStat(child)}`);
        },
      );
      return child;
    },
    async stop() {
      try {
        process.kill(-parent.pid!, 'SIGKILL');
      } catch {
        // the group has ended already
      }
      if (parent.exitCode === null && parent.signalCode === null) await exited;
    },
  };
}
