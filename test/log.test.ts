import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, createStderrLogger } from '../src-main/log';

const LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) /;

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-log-'));
  file = path.join(dir, 'logs', 'vfab.log');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const lines = (f = file) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean);
/** A fixed local time, so the expected text does not depend on the machine's time zone. */
const at = () => new Date(2026, 0, 2, 3, 4, 5);

describe('log line format', () => {
  it('writes one grep-able local-time line per call, naming the job when given, creating the folder', () => {
    const log = createLogger({ file, level: 'DEBUG', now: at });
    log.debug('d');
    log.info('started');
    log.warning('w', 'job_abc123');
    log.error('e');
    log.critical('power lost\nmid stroke\r\nat 40%', 'job_abc123');
    const got = lines();
    expect(got).toHaveLength(5);
    for (const l of got) expect(l).toMatch(LINE);
    expect(got[1]).toBe('2026-01-02 03:04:05 INFO started');
    expect(got[2]).toBe('2026-01-02 03:04:05 WARNING job job_abc123: w');
    expect(got[4]).toBe(
      '2026-01-02 03:04:05 CRITICAL job job_abc123: power lost | mid stroke | at 40%',
    );
    expect(log.file).toBe(file);
    expect(log.lastError).toBeUndefined();
  });

  it('uses local time, zero-padded', () => {
    const now = new Date(2031, 11, 9, 23, 7, 0);
    createLogger({ file, now: () => now }).info('x');
    expect(lines()[0]!.startsWith('2031-12-09 23:07:00 INFO ')).toBe(true);
  });

  it.skipIf(process.platform === 'win32')(
    "works with the recovery guide's grep | cut pipelines",
    () => {
      const log = createLogger({ file, now: at });
      log.info('all good');
      log.error('emergency_shutdown during plot', 'job_x1');
      log.critical('servo stalled');
      const cut = (fields: string) =>
        execFileSync(
          'sh',
          [
            '-c',
            `grep -E "(emergency_shutdown|ERROR|CRITICAL)" "$0" | cut -d' ' -f${fields}`,
            file,
          ],
          { encoding: 'utf8' },
        );
      expect(cut('1-2')).toBe('2026-01-02 03:04:05\n2026-01-02 03:04:05\n');
      expect(cut('4-')).toBe('job job_x1: emergency_shutdown during plot\nservo stalled\n');
    },
  );

  it('appends to an existing log, shared by several writers', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '2020-01-01 00:00:00 INFO from an older run\n');
    const app = createLogger({ file });
    const cli = createLogger({ file });
    for (let i = 0; i < 50; i++) (i % 2 ? app : cli).info(`line ${i}`);
    const got = lines();
    expect(got[0]).toBe('2020-01-01 00:00:00 INFO from an older run');
    expect(got.slice(1).map((l) => l.split(' ').slice(3).join(' '))).toEqual(
      Array.from({ length: 50 }, (_, i) => `line ${i}`),
    );
  });
});

describe('levels', () => {
  it('drops messages below the configured level', () => {
    const log = createLogger({ file, level: 'WARNING' });
    log.debug('d');
    log.info('i');
    log.warning('w');
    log.error('e');
    log.critical('c');
    expect(lines().map((l) => l.split(' ')[2])).toEqual(['WARNING', 'ERROR', 'CRITICAL']);
  });

  it('defaults to INFO', () => {
    const log = createLogger({ file });
    log.debug('hidden');
    log.info('shown');
    expect(lines()).toHaveLength(1);
  });
});

describe('rotation', () => {
  it('keeps the newest lines and N backups, each under the size limit', () => {
    const maxBytes = 200;
    const log = createLogger({ file, maxBytes, backups: 3, now: at });
    for (let i = 0; i < 100; i++) log.info(`message number ${String(i).padStart(3, '0')}`);
    const names = fs.readdirSync(path.dirname(file)).sort();
    expect(names).toEqual(['vfab.log', 'vfab.log.1', 'vfab.log.2', 'vfab.log.3']);
    for (const n of names)
      expect(fs.statSync(path.join(path.dirname(file), n)).size).toBeLessThanOrEqual(maxBytes);
    // Oldest backup first, then newer ones, then the live file: one unbroken run ending at 099.
    const kept = ['vfab.log.3', 'vfab.log.2', 'vfab.log.1', 'vfab.log'].flatMap((n) =>
      lines(path.join(path.dirname(file), n)),
    );
    const numbers = kept.map((l) => Number(l.slice(-3)));
    expect(numbers.at(-1)).toBe(99);
    expect(numbers).toEqual(
      Array.from({ length: numbers.length }, (_, i) => 100 - numbers.length + i),
    );
    expect(numbers.length).toBeLessThan(100);
  });

  it('with no backups, starts the file afresh', () => {
    const log = createLogger({ file, maxBytes: 100, backups: 0 });
    for (let i = 0; i < 20; i++) log.info(`entry ${i}`);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['vfab.log']);
    expect(lines().at(-1)).toMatch(/ entry 19$/);
  });

  it('writes a line longer than the limit rather than losing it', () => {
    const log = createLogger({ file, maxBytes: 50 });
    log.info('x'.repeat(120));
    expect(lines()[0]).toMatch(/x{120}$/);
  });
});

describe('failures never reach the caller', () => {
  it('swallows an unwritable location and remembers the error', () => {
    const blocker = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocker, '');
    const log = createLogger({ file: path.join(blocker, 'logs', 'vfab.log') });
    expect(() => log.error('disk trouble', 'job_1')).not.toThrow();
    expect(log.lastError).toBeInstanceOf(Error);
    expect((log.lastError as NodeJS.ErrnoException).code).toMatch(/ENOTDIR|EEXIST|ENOENT/);
  });

  it.runIf(fs.existsSync('/dev/full'))('swallows a full disk (ENOSPC, even for root)', () => {
    const log = createLogger({ file: '/dev/full' });
    expect(() => log.critical('no space', 'job_1')).not.toThrow();
    expect((log.lastError as NodeJS.ErrnoException).code).toBe('ENOSPC');
  });

  it('for a data folder that cannot be written: warnings and worse in the same format on stderr, nothing on disk', () => {
    const said: string[] = [];
    const log = createStderrLogger({ file, now: at, write: (t) => said.push(t) });
    log.debug('d');
    log.info('listed');
    log.warning('w', 'job_1');
    log.error('e\nmore');
    expect(said).toEqual([
      '2026-01-02 03:04:05 WARNING job job_1: w\n',
      '2026-01-02 03:04:05 ERROR e | more\n',
    ]);
    expect(log.sink).toBe('stderr');
    expect(createLogger({ file }).sink).toBe('file');
    expect(fs.existsSync(path.dirname(file))).toBe(false);
  });
});
