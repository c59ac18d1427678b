/** The suite's process marker (test/setup/process-guard.ts): which processes this test run started. */
import fs from 'node:fs';

export const TEST_RUN_ENV = 'VFAB_TEST_RUN';

/** The marker for a child's environment, when this run has one (it is absent outside vitest's run). */
export function testRunEnv(): NodeJS.ProcessEnv {
  const run = process.env[TEST_RUN_ENV];
  return run ? { [TEST_RUN_ENV]: run } : {};
}

export interface Survivor {
  pid: number;
  ppid: number;
  cmd: string;
}

/**
 * Live processes (zombies carry no environment) other than this one whose environment holds
 * `run`'s marker. `vitest`: the main vitest process, whose children are its own (its workers,
 * still closing when a global teardown runs, and its transform service); tests run in the
 * workers, so what they start is never among them.
 */
export function survivors(run: string, vitest?: number): Survivor[] {
  const marker = `${TEST_RUN_ENV}=${run}`;
  const out: Survivor[] = [];
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (!fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker)) continue;
      const ppid = Number(/\) \S (\d+)/.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1]);
      if (ppid === vitest) continue;
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid, ppid, cmd });
    } catch {
      // gone meanwhile, or another user's
    }
  }
  return out;
}
