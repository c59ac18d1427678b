import { describe, expect, it } from 'vitest';
import { missedTargets, type BenchRow } from '../bench/report';

describe('bench verdict', () => {
  const rows: BenchRow[] = [
    { name: 'first row', value: 2.7, unit: 's', target: '<= 1', ok: false },
    { name: 'append', value: 0.4, unit: 'ms', target: '< 1', ok: true },
    { name: 'workspace', value: 12, unit: 'MiB' },
  ];

  it('names every missed target with its measure, and only those', () => {
    expect(missedTargets('app', rows)).toEqual(['app: first row 2.7 s (target <= 1 s)']);
  });

  it('finds nothing missed when every target is met or there is none', () => {
    expect(missedTargets('app', rows.slice(1))).toEqual([]);
  });
});
