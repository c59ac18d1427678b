/**
 * `npm test` leaves nothing running. Every process the suite starts inherits VFAB_TEST_RUN=<id>
 * (set here before the workers start; the CLI sandbox passes it on); after the last test, any
 * process still carrying this run's id is listed, killed, and fails the run.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { survivors, TEST_RUN_ENV } from '../helpers/test-run';
import { waitFor } from '../helpers/wait';

/** How long a process stopped at the very end of a test may take to exit before it counts as left behind. */
const GRACE_MS = 5000;

export function setup(): void {
  process.env[TEST_RUN_ENV] = `${process.pid}-${randomUUID()}`;
}

export async function teardown(): Promise<void> {
  const run = process.env[TEST_RUN_ENV];
  if (!run || !fs.existsSync('/proc/self/environ')) return;
  let left = survivors(run, process.pid);
  await waitFor('test processes to end', () => !(left = survivors(run, process.pid)).length, {
    timeoutMs: GRACE_MS,
    everyMs: 100,
  }).catch(() => undefined);
  if (!left.length) return;
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // ended just now
    }
  }
  // A teardown's throw is only logged by vitest: the exit status must say it too.
  process.exitCode = 1;
  console.error(
    `\nFAIL: the tests left ${left.length} process(es) running (now killed); a test must end what it starts, also on failure:\n${left.map((p) => `  pid ${p.pid} (parent ${p.ppid}): ${p.cmd}`).join('\n')}\n`,
  );
}
