import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isProcessAlive,
  LockTimeoutError,
  readLockHolder,
  withFileLock,
} from '../src-main/jobs/lock';
import { startHelper } from './helpers/children';
import { startUnreaped } from './helpers/unreaped';
import { useTempDirs } from './helpers/tmp';

const tempDir = useTempDirs('vfab-lock-');

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '']);
  if (!pid) throw new Error('could not spawn a short-lived process');
  return pid;
}

function writeLock(lockPath: string, holder: object): void {
  fs.writeFileSync(lockPath, JSON.stringify(holder));
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('withFileLock', () => {
  it('holds a lock file naming this process while fn runs, returns its value and removes the file', () => {
    const lockPath = path.join(tempDir(), 'journal.lock');
    const result = withFileLock(lockPath, () => {
      expect(readLockHolder(lockPath)).toMatchObject({ pid: process.pid, host: os.hostname() });
      return 42;
    });
    expect(result).toBe(42);
    expect(fs.existsSync(lockPath)).toBe(false);
  });

  it('removes the lock file when fn throws, and lets the error through', () => {
    const lockPath = path.join(tempDir(), 'journal.lock');
    const boom = new Error('boom');
    expect(() =>
      withFileLock(lockPath, () => {
        throw boom;
      }),
    ).toThrow(boom);
    expect(fs.existsSync(lockPath)).toBe(false);
  });

  it('breaks the stale lock of a holder killed with SIGKILL', async () => {
    const dir = tempDir();
    const lockPath = path.join(dir, 'journal.lock');
    const holder = startHelper('hold-lock.ts', [lockPath, path.join(dir, 'never')]);
    await holder.said('locked');
    holder.child.kill('SIGKILL');
    expect(await holder.exited).toBe('SIGKILL');
    expect(readLockHolder(lockPath)?.pid).toBe(holder.child.pid);

    const started = Date.now();
    expect(withFileLock(lockPath, () => 'mine', { timeoutMs: 2000 })).toBe('mine');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fs.existsSync(lockPath)).toBe(false);
  });

  it('breaks a lock whose pid is dead', () => {
    const lockPath = path.join(tempDir(), 'journal.lock');
    writeLock(lockPath, { pid: deadPid(), host: os.hostname(), since: new Date().toISOString() });
    expect(withFileLock(lockPath, () => 'mine', { timeoutMs: 1000 })).toBe('mine');
  });

  it.runIf(fs.existsSync('/proc/sys/kernel/random/boot_id'))(
    'breaks a lock left by an earlier boot even if its pid is alive now',
    () => {
      const lockPath = path.join(tempDir(), 'journal.lock');
      writeLock(lockPath, {
        pid: process.pid,
        host: os.hostname(),
        since: '2020-01-01T00:00:00.000Z',
        boot: 'an-earlier-boot',
      });
      expect(withFileLock(lockPath, () => 'mine', { timeoutMs: 1000 })).toBe('mine');
    },
  );

  it('waits for a live holder in another process, times out naming it, and gets the lock once released', async () => {
    const dir = tempDir();
    const lockPath = path.join(dir, 'journal.lock');
    const release = path.join(dir, 'release');
    const holder = startHelper('hold-lock.ts', [lockPath, release]);
    await holder.said('locked');

    const started = Date.now();
    const err = thrownBy(() =>
      withFileLock(lockPath, () => 'never', { timeoutMs: 200, what: 'the journal of job demo' }),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(err).toBeInstanceOf(LockTimeoutError);
    const message = (err as Error).message;
    expect(message).toContain(lockPath);
    expect(message).toContain(`pid ${holder.child.pid}`);
    expect(message).toContain(os.hostname());
    expect(message).toContain('the journal of job demo');
    expect(message).toMatch(/delete/);
    expect(readLockHolder(lockPath)?.pid).toBe(holder.child.pid); // the live lock was not broken

    fs.writeFileSync(release, '');
    expect(await holder.exited).toBe(0);
    expect(withFileLock(lockPath, () => 'mine', { timeoutMs: 1000 })).toBe('mine');
  });

  it('never breaks a lock held on another host, whatever its pid', () => {
    const lockPath = path.join(tempDir(), 'journal.lock');
    writeLock(lockPath, {
      pid: deadPid(),
      host: 'some-other-host',
      since: new Date().toISOString(),
    });
    const err = thrownBy(() => withFileLock(lockPath, () => 'never', { timeoutMs: 50 }));
    expect((err as Error).message).toContain('some-other-host');
    expect(fs.existsSync(lockPath)).toBe(true);
  });

  it('waits on an empty lock file while it is fresh (its holder is still writing) and breaks it once old', () => {
    const lockPath = path.join(tempDir(), 'journal.lock');
    fs.writeFileSync(lockPath, '');
    expect(thrownBy(() => withFileLock(lockPath, () => 'never', { timeoutMs: 50 }))).toBeInstanceOf(
      LockTimeoutError,
    );
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockPath, old, old);
    expect(withFileLock(lockPath, () => 'mine', { timeoutMs: 1000 })).toBe('mine');
  });

  it('reports a folder that does not exist instead of waiting', () => {
    const lockPath = path.join(tempDir(), 'gone', 'journal.lock');
    expect(() => withFileLock(lockPath, () => 'never')).toThrow(/ENOENT/);
  });
});

describe('isProcessAlive', () => {
  it('knows this process is alive and an exited one is not', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(deadPid())).toBe(false);
  });

  it.runIf(process.platform === 'linux')(
    'counts a zombie (killed, not yet reaped by its parent) as dead',
    async () => {
      const z = startUnreaped(['sleep', '60']);
      try {
        const pid = await z.pid;
        expect(isProcessAlive(pid)).toBe(true);
        await z.killToZombie();
        expect(() => process.kill(pid, 0)).not.toThrow();
        expect(isProcessAlive(pid)).toBe(false);
      } finally {
        await z.stop();
      }
    },
  );

  it('refuses pids that would address process groups or nothing', () => {
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(isProcessAlive(pid)).toBe(false);
  });
});

describe('readLockHolder', () => {
  it('returns the holder, or undefined for a missing, empty or foreign file', () => {
    const dir = tempDir();
    const lockPath = path.join(dir, 'x.lock');
    expect(readLockHolder(lockPath)).toBeUndefined();
    fs.writeFileSync(lockPath, '');
    expect(readLockHolder(lockPath)).toBeUndefined();
    fs.writeFileSync(lockPath, 'locked by bob');
    expect(readLockHolder(lockPath)).toBeUndefined();
    writeLock(lockPath, { pid: 7, host: 'h', since: 's' });
    expect(readLockHolder(lockPath)).toEqual({ pid: 7, host: 'h', since: 's' });
  });
});
