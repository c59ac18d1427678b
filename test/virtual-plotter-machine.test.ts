/** The EBB state machine on a fake clock: exact timing, queueing and accounting without a PTY. */
import { describe, expect, it } from 'vitest';
import { EbbMachine, type Clock, type Segment } from '../src-main/plotter/virtual/machine';
import { lmMove } from '../src-main/plotter/virtual/motion';

class FakeClock implements Clock {
  t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (id: unknown) => void this.timers.delete(id as number);
  /** Moves time forward, firing timers in order. */
  tick(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
    }
    this.t = end;
  }
}

function rig(opts: { firmware?: string } = {}) {
  const clock = new FakeClock();
  const m = new EbbMachine({ clock, ...opts });
  let out = '';
  const segments: Segment[] = [];
  m.onOutput = (t) => (out += t);
  m.onSegment = (s) => segments.push(s);
  const take = () => {
    const o = out;
    out = '';
    return o;
  };
  return { clock, m, take, segments, send: (s: string) => m.feed(s.replace(/\n/g, '\r')) };
}

describe('EBB machine', () => {
  it('LM durations follow the accumulator maths (doc examples)', () => {
    expect(lmMove(85899346, 10, 0, 17180814, 2, 0).durationMs).toBeCloseTo(10, 9);
    const ramp = lmMove(42950000, 50, 13400, 0, 0, 0);
    expect(ramp.durationMs).toBeCloseTo(77, 0);
    expect(ramp.stepsAt(ramp.durationMs)).toEqual([50, 0]);
    expect(lmMove(42950000, 50, -13400, 0, 0, 0).stalls).toBe(true);
  });

  it('runs queued moves back to back and records no gap while the host keeps up', () => {
    const { m, send, take, clock } = rig();
    send('SM,100,10,0\nSM,100,10,0\n');
    expect(take()).toBe('OK\r\nOK\r\n');
    clock.tick(50);
    send('SM,100,10,0\n'); // FIFO full: the parser holds it until the first move ends at 100
    expect(take()).toBe('');
    send('QS\n');
    clock.tick(60);
    expect(take()).toBe('OK\r\n10,0\n\rOK\r\n');
    clock.tick(300);
    expect(m.getStats().gaps.count).toBe(0);
    send('SM,100,10,0\n');
    clock.tick(200);
    expect(m.getStats().gaps).toMatchObject({ count: 1, totalMs: 110 });
  });

  it('does not count idle time the host waited for with QM (pre-flight, pause) as starvation', () => {
    const { m, send, take, clock } = rig();
    send('SM,100,10,0\n');
    clock.tick(50);
    send('QM\n'); // still moving: the idle that follows is the host's fault
    clock.tick(100);
    send('SM,100,10,0\n');
    clock.tick(150);
    expect(m.getStats().gaps.count).toBe(1);
    send('QM\n'); // idle seen: the host drained on purpose
    clock.tick(500);
    send('SM,100,10,0\n');
    clock.tick(150);
    expect(take()).toContain('QM,0,0,0,0');
    expect(m.getStats().gaps.count).toBe(1);
  });

  it('HM waits for the queue, EM (queued) zeroes the counters when it runs, CS zeroes them now', () => {
    const { m, send, take, clock, segments } = rig();
    send('SP,0\nSM,100,100,0\nHM,1000\n');
    expect(take()).toBe('OK\r\nOK\r\n');
    clock.tick(100);
    expect(take()).toBe('OK\r\n');
    clock.tick(200);
    expect(m.status().steps).toEqual([0, 0]);
    expect(segments.map((s) => [s.cmd, s.from, s.to])).toEqual([
      ['SM', [0, 0], [100, 0]],
      ['HM', [100, 0], [0, 0]],
    ]);
    send('SM,100,50,50\nEM,1,1\nQS\n');
    clock.tick(50);
    take();
    send('QS\n');
    expect(take()).toBe('25,25\n\rOK\r\n');
    clock.tick(60);
    send('QS\nSM,10,5,5\nCS\nQS\n');
    clock.tick(20);
    expect(take()).toBe('0,0\n\rOK\r\nOK\r\nOK\r\n0,0\n\rOK\r\n');
    // The carriage kept its physical place through EM and CS: 50 steps each way at 1/16 = 0.625 mm in x.
    expect(m.status().mm).toEqual([0.6875, 0]);
  });

  it('a parse cost starves blocks shorter than it, as on hardware', () => {
    for (const [parseMs, gaps] of [
      [0, 0],
      [2, 4],
    ] as const) {
      const clock = new FakeClock();
      const m = new EbbMachine({ clock, parseMs });
      m.feed('SM,1,1,1\r'.repeat(5));
      clock.tick(50);
      expect(m.status().steps).toEqual([5, 5]);
      expect(m.getStats().gaps).toMatchObject({ count: gaps, totalMs: gaps });
    }
  });

  it('ES aborts the move and reports, doc error termination, OK suppression, reset', () => {
    const { m, send, take, clock } = rig();
    send('SM,1000,1000,0\n');
    clock.tick(250);
    take();
    send('ES\nQS\n');
    expect(take()).toBe('1\n\rOK\r\n250,0\n\rOK\r\n');
    send('CU,1,0\nSM,10,1,1\nQS\n');
    expect(take()).toBe('250,0\n\r'); // CU,1,0: no OK after anything
    send('R\nQE\n'); // R restores OK replies (and answers with one)
    expect(take()).toBe('OK\r\n0,0\n\rOK\r\n');
    const doc = new EbbMachine({ clock, errorTermination: 'doc' });
    let out = '';
    doc.onOutput = (t) => (out += t);
    doc.feed('XX\r');
    expect(out).toBe("!8 Err: Unknown command 'XX:5858'\r\nOK\r\n");
    expect(m.status().fifo.depth).toBe(1);
  });
});
