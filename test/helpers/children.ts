import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { endWithTest } from './processes';

const repoRoot = path.resolve(__dirname, '../..');

export interface Helper {
  child: ChildProcess;
  /** Resolves when the helper has printed `line` on stdout. */
  said(line: string): Promise<void>;
  /** Resolves with the exit code (or the signal name) once the helper is gone. */
  exited: Promise<number | string>;
}

/** Runs `test/helpers/<script>` in its own Node process, as a second vfab process would run. */
export function startHelper(script: string, args: string[]): Helper {
  const child = endWithTest(
    spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, script), ...args], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  let out = '';
  const waiters: Array<() => void> = [];
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    out += chunk;
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const said = (line: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (out.split('\n').includes(line)) resolve();
        else waiters.push(check);
      };
      void exited.then((how) =>
        reject(new Error(`${script} exited (${how}) before saying '${line}'; it said: ${out}`)),
      );
      check();
    });
  return { child, said, exited };
}
