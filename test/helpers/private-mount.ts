/**
 * A small tmpfs that only the processes run through it see: a holder process in a mount
 * namespace of its own keeps the mount alive, commands enter that namespace with nsenter, and
 * the test reaches the files through /proc/<holder>/root. Ending the holder takes the mount with
 * it, and the holder ends by itself when the test process dies (it waits on its stdin), so no
 * mount is ever left on the host. Needs root (CI and the dev machine run the tests as root).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const CAN_MOUNT =
  process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PrivateMount {
  /** The path the test's own fs calls use for `p` as the namespace sees it. */
  host(p: string): string;
  /** Runs `argv` inside the namespace; `asUser` runs it as that uid/gid without groups. */
  run(argv: string[], opts: { env: NodeJS.ProcessEnv; cwd: string; asUser?: number }): RunResult;
  /** `mount -o remount,<options>` of the tmpfs, e.g. 'ro' or 'rw'. */
  remount(options: string): void;
  /** Bytes this user may still write on the tmpfs. */
  free(): number;
  /** Ends the holder (by pid) and so the mount. */
  close(): Promise<void>;
}

export async function privateTmpfs(dir: string, sizeBytes: number): Promise<PrivateMount> {
  fs.mkdirSync(dir, { recursive: true });
  const holder: ChildProcess = spawn(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t tmpfs -o size="$1" tmpfs "$2" && echo mounted && exec cat >/dev/null',
      'sh',
      String(sizeBytes),
      dir,
    ],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<void>((resolve) => holder.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let err = '';
    holder.stdout!.on('data', (b) => {
      out += String(b);
      if (out.includes('mounted\n')) resolve();
    });
    holder.stderr!.on('data', (b) => (err += String(b)));
    void exited.then(() => reject(new Error(`the mount holder ended before mounting: ${err}`)));
  });
  const pid = holder.pid!;
  const enter = (argv: string[]) => ['-t', String(pid), '-m', '--', ...argv];
  const mount: PrivateMount = {
    host: (p) => path.join(`/proc/${pid}/root`, p),
    run(argv, opts) {
      const user =
        opts.asUser === undefined
          ? []
          : ['setpriv', `--reuid=${opts.asUser}`, `--regid=${opts.asUser}`, '--clear-groups'];
      const r = spawnSync('nsenter', enter([...user, ...argv]), {
        env: opts.env,
        cwd: opts.cwd,
        input: '',
        encoding: 'utf8',
      });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    remount(options) {
      const r = spawnSync('nsenter', enter(['mount', '-o', `remount,${options}`, dir]), {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`remount,${options} failed: ${r.stderr}`);
    },
    free() {
      const s = fs.statfsSync(mount.host(dir));
      return s.bavail * s.bsize;
    },
    async close() {
      holder.stdin!.end();
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone: the end of its stdin was enough.
      }
      await exited;
    },
  };
  return mount;
}
