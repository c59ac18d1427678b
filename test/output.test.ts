import { describe, expect, it } from 'vitest';
import { localTime, printRows, type Io } from '../src-main/cli/output';

function fakeIo(tty: boolean): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { tty, stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

describe('printRows', () => {
  const rows = [
    ['a-long-job-id', 'PLOTTING', 'x.svg'],
    ['b', 'NEW', 'drawing with spaces.svg'],
  ];

  it('aligns a table with a header on a terminal', () => {
    const io = fakeIo(true);
    printRows(io, ['ID', 'STATE', 'SOURCE'], rows, 'none');
    expect(io.stdout.join('\n').split('\n')).toEqual([
      'ID             STATE     SOURCE',
      'a-long-job-id  PLOTTING  x.svg',
      'b              NEW       drawing with spaces.svg',
    ]);
  });

  it('prints bare tab-separated rows in a pipe, id first, spaces folded', () => {
    const io = fakeIo(false);
    printRows(io, ['ID', 'STATE', 'SOURCE'], [...rows, ['c', 'NEW', '']], 'none');
    expect(io.stdout.join('\n')).toBe(
      'a-long-job-id\tPLOTTING\tx.svg\nb\tNEW\tdrawing with spaces.svg\nc\tNEW\t-',
    );
    expect(io.stderr).toEqual([]);
  });

  it('says "empty" on stderr only', () => {
    for (const tty of [true, false]) {
      const io = fakeIo(tty);
      printRows(io, ['ID'], [], 'The queue is empty.');
      expect(io.stdout).toEqual([]);
      expect(io.stderr).toEqual(['The queue is empty.']);
    }
  });
});

describe('localTime', () => {
  it('formats like the log and passes through what it cannot parse', () => {
    expect(localTime('2026-11-25T22:30:40Z')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(localTime('RECOVERED')).toBe('RECOVERED');
    expect(localTime(null)).toBe('');
  });
});
