/** The queue summary's sums (src-renderer/src/app/queue/totals.ts), from jobs as the index lists them. */
import { describe, expect, it } from 'vitest';
import type { IndexedJob } from '../src-main/jobs/store';
import { queueTotals } from '../src-renderer/src/app/queue/totals';

function job(id: string, fields: Partial<IndexedJob>): IndexedJob {
  return {
    id,
    state: 'QUEUED',
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    synced_state: null,
    last_reason: null,
    last_seq: 1,
    journal_size: 0,
    journal_mtime_ms: 0,
    last_entry_offset: null,
    queue_position: 1,
    source_name: `${id}.svg`,
    source_size: 1,
    paper: 'A4',
    layer_count: 1,
    pen_down_mm: 100,
    travel_mm: 10,
    estimate_s: 60,
    pens: [{ name: '1-black', color: '#000000' }],
    planned_at: '2026-01-01T00:00:00Z',
    ...fields,
  };
}

describe('queue totals', () => {
  it('add up only queued jobs: count, time at each plotter speed, ink, and each pen once with the jobs that need it, in queue order', () => {
    const jobs = [
      job('a', {
        estimate_s: 120,
        pen_down_mm: 1000,
        pens: [
          { name: '2-red', color: '#ff0000' },
          { name: '1-black', color: '#000000' },
        ],
      }),
      job('b', { estimate_s: 600, pen_down_mm: 250 }),
      job('ready', {
        state: 'READY',
        estimate_s: 9999,
        pen_down_mm: 9999,
        pens: [{ name: '9-gold', color: null }],
      }),
      job('unplanned', { estimate_s: null, pen_down_mm: null, pens: null }),
    ];
    const t = queueTotals(jobs, (id) => (id === 'b' ? 20 : 1));
    expect(t).toEqual({
      count: 3,
      seconds: 120 + 600 / 20,
      plotterSeconds: 720,
      inkMm: 1250,
      unestimated: 1,
      penless: 1,
      pens: [
        { name: '2-red', color: '#ff0000', jobs: 1 },
        { name: '1-black', color: '#000000', jobs: 2 },
      ],
    });
  });

  it('an empty queue adds up to nothing', () => {
    expect(queueTotals([job('done', { state: 'COMPLETED' })], () => 1)).toMatchObject({
      count: 0,
      seconds: 0,
      inkMm: 0,
      pens: [],
    });
  });
});
