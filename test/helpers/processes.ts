/**
 * Every process a test starts ends with the test, whatever happened in it: a failed assertion
 * before the test's own kill must not leave a plot or a server running after the suite. Started
 * inside a test (or its beforeEach), a process is ended once the test's own afterEach hooks ran;
 * started in a beforeAll, when its file ends (hooks in test/setup/end-processes.ts). No vitest
 * import here: the benches (plain tsx) use the helpers that call endWithTest.
 */
import type { ChildProcess } from 'node:child_process';
import { waitFor } from './wait';

interface Started {
  child: ChildProcess;
  /** Spawned `detached`: its whole process group (a wrapper and what it started) is ended. */
  group: boolean;
  inTest: boolean;
}

const started = new Set<Started>();
let inTest = false;
/** How long a SIGKILLed process may take to be reaped before we stop waiting for it. */
const REAP_MS = 5000;

/** Ends `child` (its group with `group`) by pid when the test, or the file, ends. */
export function endWithTest<T extends ChildProcess>(child: T, opts: { group?: boolean } = {}): T {
  started.add({ child, group: opts.group ?? false, inTest });
  return child;
}

/** A test begins: what starts from now on is the test's. */
export function testBegins(): void {
  inTest = true;
}

/** Ends the processes started during the test that just ended. */
export async function endTestProcesses(): Promise<void> {
  inTest = false;
  await Promise.all([...started].filter((s) => s.inTest).map(end));
}

/** Ends every tracked process still running. */
export async function endStarted(): Promise<void> {
  await Promise.all([...started].map(end));
}

async function end(s: Started): Promise<void> {
  started.delete(s);
  const { child } = s;
  if (child.pid === undefined) return;
  const running = child.exitCode === null && child.signalCode === null;
  const deadline = Date.now() + REAP_MS;
  if (s.group) {
    // The group outlives its leader: what a wrapper started may still run after it exited. Ended
    // once kill(-pgid, 0) finds no member left (its orphans reaped, not only signalled).
    await waitFor(`process group ${child.pid} to end`, () => !signalGroup(child.pid!, 'SIGKILL'), {
      timeoutMs: REAP_MS,
    }).catch(() => undefined);
  } else if (running) child.kill('SIGKILL');
  if (running)
    await Promise.race([
      new Promise((r) => child.once('exit', r)),
      new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref()),
    ]);
}

/** False once no process is left in the group. */
function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
