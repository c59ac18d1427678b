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
 * Live processes (zombies carry no environment) whose environment holds `run`'s marker: not this
 * one, nor vitest's own workers (its children, still closing when a global teardown runs).
 */
export function survivors(run: string): Survivor[] {
  const marker = `${TEST_RUN_ENV}=${run}`;
  const out: Survivor[] = [];
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (!fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker)) continue;
      const ppid = Number(/\) \S (\d+)/.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1]);
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (ppid === process.pid && cmd.includes('/node_modules/vitest/')) continue;
      out.push({ pid, ppid, cmd });
    } catch {
      // gone meanwhile, or another user's
    }
  }
  return out;
}
