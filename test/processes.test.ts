/** The suite's own hygiene: what a test starts ends with it, and the end-of-run guard finds what a test forgot. */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processState } from '../src-main/util/proc-stat';
import { sandbox } from './helpers/cli';
import { waitFor } from './helpers/fake-camera';
import { endWithTest } from './helpers/processes';
import { survivors, TEST_RUN_ENV } from './helpers/test-run';
import { startUnreaped } from './helpers/unreaped';

/** A process started here, by pid and command line (a pid reused since is another process). */
type Started = { pid: number; cmd: string };
const cmdline = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
};
const gone = (p: Started) => cmdline(p.pid) !== p.cmd || processState(p.pid) === 'Z';
const started = (pid: number, cmd: string): Started => ({ pid, cmd });

describe.runIf(process.platform === 'linux')('processes started by tests', () => {
  const forgotten: Started[] = [];

  it('a test that forgets its processes (a plain child, and a wrapper whose child outlives it)…', async () => {
    forgotten.push(
      started(endWithTest(spawn('sleep', ['60'], { stdio: 'ignore' })).pid!, 'sleep 60'),
    );
    const wrapped = startUnreaped(['sleep', '61']);
    forgotten.push(
      started(wrapped.parent.pid!, 'sleep 120'),
      started(await wrapped.pid, 'sleep 61'),
    );
    await waitFor(() => forgotten.every((p) => !gone(p)), 5000, 'the wrapper to exec sleep');
  });

  it('…has them ended by pid once it is over, its wrapper’s whole process group included', () => {
    expect(forgotten).toHaveLength(3);
    expect(forgotten.filter((p) => !gone(p))).toEqual([]);
  });

  it('the end-of-run guard finds a live process by its run marker, passed on by the CLI sandbox, and not once it has ended', async () => {
    const sb = sandbox();
    sb.cleanup();
    expect(process.env[TEST_RUN_ENV]).toMatch(/^\d+-[0-9a-f-]{36}$/);
    expect(sb.env[TEST_RUN_ENV]).toBe(process.env[TEST_RUN_ENV]);
    const run = `probe-${randomUUID()}`;
    const child = endWithTest(
      spawn('sleep', ['60'], { env: { ...sb.env, [TEST_RUN_ENV]: run }, stdio: 'ignore' }),
    );
    expect(survivors(run)).toEqual([{ pid: child.pid, ppid: process.pid, cmd: 'sleep 60' }]);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(survivors(run)).toEqual([]);
  });
});
