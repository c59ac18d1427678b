/** Resume from rest: the rest of an interrupted stroke is re-planned from zero speed, exact in the original program. */
import { describe, expect, it } from 'vitest';
import { layerProfile } from '../src-main/plan/motion';
import {
  MoveKind,
  plotProgram,
  type MotionLayer,
  type MotionProgram,
} from '../src-main/plan/planner';
import { restOfStroke } from '../src-main/plan/resume';
import { lmParameters } from '../src-main/plotter/lm';
import { profile } from './helpers/motion';

/** A zigzag of long strokes: most moves end at speed inside a stroke. */
const zigzag = (y0: number) =>
  Float64Array.from([0, y0, 60, y0 + 5, 0, y0 + 10, 60, y0 + 15, 10, y0 + 40]);
const layers: MotionLayer[] = [
  { paths: [zigzag(0)] },
  { speedPct: 30, heightPct: 40, paths: [zigzag(50), zigzag(100)] },
];

function positions(p: MotionProgram): [number, number][] {
  let a = p.start[0],
    b = p.start[1];
  return Array.from(
    { length: p.length },
    (_, k) => [(a += p.steps1[k]!), (b += p.steps2[k]!)] as [number, number],
  );
}

/** Draw moves ending at speed inside a stroke of layer 1 (the +S one). */
function midStroke(p: MotionProgram): number[] {
  const out: number[] = [];
  for (let k = 0; k + 1 < p.length; k++)
    if (p.kind[k] === MoveKind.Draw && p.kind[k + 1] === MoveKind.Draw && p.v1[k]! > 1) out.push(k);
  return out;
}

describe('restOfStroke', () => {
  const p = plotProgram(layers, profile);
  const pos = positions(p);
  const lp = layerProfile(profile, layers[1]!);
  const froms = midStroke(p).filter((k) => p.source[k]! >= 5);

  it('starts at rest where the carriage stands, ends at rest at the stroke end, within the layer profile', () => {
    expect(froms.length).toBeGreaterThan(10);
    for (const from of froms) {
      expect(p.v0[from + 1]).toBeGreaterThan(1); // what a plain resume would enter at
      const rest = restOfStroke(p, from, layers[1]!, profile)!;
      const q = rest.program;
      expect(q.start).toEqual(pos[from]);
      expect(q.kind[rest.first - 1]).toBe(MoveKind.PenDown);
      expect(q.kind[rest.first + rest.count]).toBe(MoveKind.PenUp);
      for (let r = rest.first; r < rest.first + rest.count; r++) {
        expect(q.kind[r]).toBe(MoveKind.Draw);
        expect(q.v1[r]).toBeLessThanOrEqual(lp.penDownSpeedMmS + 1e-6);
      }
      expect(q.v0[rest.first]).toBe(0);
      const lm = lmParameters(q, rest.first);
      expect([lm[0], lm[3]]).toEqual([0, 0]);
      expect(q.v1[rest.first + rest.count - 1]).toBe(0);
      expect(p.kind[rest.next]).toBe(MoveKind.PenUp);
      expect(q.end).toEqual(pos[rest.next - 1]);
    }
  });

  it('keeps the original global point indices and maps each move to an original move it has reached', () => {
    for (const from of froms) {
      const rest = restOfStroke(p, from, layers[1]!, profile)!;
      const q = rest.program,
        at = positions(q);
      const stroke = new Set(
        Array.from({ length: rest.next - from }, (_, i) => p.source[from + i]!),
      );
      const reached = new Set([String(pos[from])]);
      let last = -1;
      for (let i = 0; i < rest.count; i++) {
        const r = rest.first + i;
        expect(stroke.has(q.source[r]!), `source ${q.source[r]}`).toBe(true);
        expect(q.source[r]).toBeGreaterThanOrEqual(last);
        last = q.source[r]!;
        reached.add(String(at[r]));
        const m = rest.move[i]!;
        expect(m).toBeGreaterThanOrEqual(from);
        expect(m).toBeLessThan(rest.next);
        // A checkpoint naming m is exact: the carriage has been where move m ends, drawn up to its source.
        expect(reached.has(String(pos[m])), `move ${m}`).toBe(true);
        expect(p.source[m]).toBe(q.source[r]);
      }
      expect(rest.move[rest.count - 1]).toBe(rest.next - 1);
      expect(q.source[rest.first + rest.count - 1]).toBe(p.source[rest.next - 1]);
    }
  });

  it('spliced into the program (original up to the checkpoint, the rest of the stroke, the original after it), ends where the original did', () => {
    for (const from of froms) {
      const rest = restOfStroke(p, from, layers[1]!, profile)!;
      let a = pos[from]![0],
        b = pos[from]![1];
      for (let r = rest.first; r < rest.first + rest.count; r++)
        [a, b] = [a + rest.program.steps1[r]!, b + rest.program.steps2[r]!];
      for (let k = rest.next; k < p.length; k++) [a, b] = [a + p.steps1[k]!, b + p.steps2[k]!];
      expect([a, b]).toEqual(p.end);
    }
  });

  it('a second interruption inside the re-planned stroke resumes from its mapped move, again from rest', () => {
    const from = froms[0]!;
    const first = restOfStroke(p, from, layers[1]!, profile)!;
    const again = first.move.find((m) => m > from && p.kind[m + 1] === MoveKind.Draw)!;
    const second = restOfStroke(p, again, layers[1]!, profile)!;
    expect(second.program.v0[second.first]).toBe(0);
    expect(second.next).toBe(first.next);
    expect(second.program.end).toEqual(first.program.end);
  });

  it('draws along the planned line, also where the planner merged close vertices of a curve', () => {
    // Bends of 10° every 0.3 mm: merging any of them moves the line by more than a step.
    const arc = Float64Array.from(
      Array.from({ length: 200 }, (_, i) => [
        100 + 1.72 * Math.cos(i / 5.73),
        100 + 1.72 * Math.sin(i / 5.73),
      ]).flat(),
    );
    const c = plotProgram([{ paths: [arc] }], profile);
    const at = positions(c);
    const near = (q: [number, number], lo: number, hi: number) => {
      for (let k = lo; k < hi; k++) {
        const [a1, a2] = at[k]!,
          [b1, b2] = at[k + 1]!;
        const u1 = b1 - a1,
          u2 = b2 - a2,
          l2 = u1 * u1 + u2 * u2;
        const t = Math.max(0, Math.min(1, ((q[0] - a1) * u1 + (q[1] - a2) * u2) / l2));
        if (Math.hypot(q[0] - a1 - t * u1, q[1] - a2 - t * u2) <= 1) return true;
      }
      return false;
    };
    const froms = midStroke(c);
    expect(froms.length).toBeGreaterThan(10);
    for (const from of froms) {
      const rest = restOfStroke(c, from, {}, profile)!;
      const q = positions(rest.program);
      for (let r = rest.first; r < rest.first + rest.count; r++)
        expect(near(q[r]!, from, rest.next - 1), `move ${r} after ${from}`).toBe(true);
    }
  });

  it('is nothing to do at a stroke boundary or before any move', () => {
    const penDown = Array.from(p.kind).indexOf(MoveKind.PenDown);
    expect(restOfStroke(p, -1, layers[0]!, profile)).toBeUndefined();
    expect(restOfStroke(p, penDown, layers[0]!, profile)).toBeUndefined();
    const lastDraw = Array.from(p.kind).indexOf(MoveKind.PenUp) - 1;
    expect(restOfStroke(p, lastDraw, layers[0]!, profile)).toBeUndefined();
  });
});
