/** The suite's own hygiene: what a test starts ends with it, and the end-of-run guard finds what a test forgot. */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { processState } from '../src-main/util/proc-stat';
import { sandbox } from './helpers/cli';
import { endWithTest } from './helpers/processes';
import { survivors, TEST_RUN_ENV } from './helpers/test-run';
import { startUnreaped } from './helpers/unreaped';

const gone = (pid: number) => processState(pid) === undefined || processState(pid) === 'Z';

describe.runIf(process.platform === 'linux')('processes started by tests', () => {
  const forgotten: number[] = [];

  it('a test that forgets its processes (a plain child, and a wrapper whose child outlives it)…', async () => {
    forgotten.push(endWithTest(spawn('sleep', ['60'], { stdio: 'ignore' })).pid!);
    const wrapped = startUnreaped(['sleep', '61']);
    forgotten.push(wrapped.parent.pid!, await wrapped.pid);
    expect(forgotten.every((pid) => !gone(pid))).toBe(true);
  });

  it('…has them ended by pid once it is over, its wrapper’s whole process group included', () => {
    expect(forgotten).toHaveLength(3);
    expect(forgotten.filter((pid) => !gone(pid))).toEqual([]);
  });

  it('the end-of-run guard finds a live process by its run marker, passed on by the CLI sandbox, and not once it has ended', async () => {
    const sb = sandbox();
    sb.cleanup();
    expect(process.env[TEST_RUN_ENV]).toMatch(/^\d+-[0-9a-f-]{36}$/);
    expect(sb.env[TEST_RUN_ENV]).toBe(process.env[TEST_RUN_ENV]);
    const run = `probe-${randomUUID()}`;
    const child = endWithTest(spawn('sleep', ['60'], { env: { ...sb.env, [TEST_RUN_ENV]: run }, stdio: 'ignore' }));
    expect(survivors(run)).toEqual([{ pid: child.pid, ppid: process.pid, cmd: 'sleep 60' }]);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(survivors(run)).toEqual([]);
  });
});
