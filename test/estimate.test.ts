import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../src-main/config/config';
import { estimatePaths } from '../src-main/plan/estimate';

/** Closed form of one trapezoid (accelerate from vIn, cruise at vMax if reached, decelerate to vOut): the reference. */
function trapezoidSeconds(
  length: number,
  vIn: number,
  vOut: number,
  vMax: number,
  accel: number,
): number {
  if (length <= 0) return 0;
  const peak2 = accel * length + (vIn * vIn + vOut * vOut) / 2;
  if (peak2 <= vMax * vMax) return Math.max(0, (2 * Math.sqrt(peak2) - vIn - vOut) / accel);
  const ramps = (2 * vMax * vMax - vIn * vIn - vOut * vOut) / (2 * accel);
  return (2 * vMax - vIn - vOut) / accel + (length - ramps) / vMax;
}
import { motionProfile, servoTravelMs } from '../src-main/plan/motion';
import type { Polyline } from '../src-main/svg/types';
import { profile, straight } from './helpers/motion';

const P = (...xy: number[]): Polyline => Float64Array.from(xy);

/** Round numbers so closed forms are easy to read; no pen-lift time unless a test adds it. */

describe('estimatePaths', () => {
  it('times a straight line by the closed forms, long and short', () => {
    for (const L of [100, 2.5, 1, 0.3]) {
      const e = estimatePaths([P(0, 0, L, 0)], profile);
      expect(e.penDownS).toBeCloseTo(straight(L, 50, 1000), 9);
      expect(e.travelS).toBe(0);
      expect(e.penDownMm).toBeCloseTo(L, 12);
    }
    // Collinear vertices do not slow the pen down.
    expect(estimatePaths([P(0, 0, 10, 0, 30, 0, 100, 0)], profile).penDownS).toBeCloseTo(
      straight(100, 50, 1000),
      9,
    );
  });

  it('times pen-up travel with the pen-up profile', () => {
    const e = estimatePaths([P(30, 40, 31, 40)], profile);
    expect(e.travelMm).toBe(50);
    expect(e.travelS).toBeCloseTo(straight(50, 200, 1500), 9);
    expect(e.end).toEqual([31, 40]);
  });

  it('slows down at corners: a square costs more than its sides at full speed, less than four stops', () => {
    const side = 20;
    const square = estimatePaths([P(0, 0, side, 0, side, side, 0, side, 0, 0)], profile).penDownS;
    // Junction speed of a 90° corner: sqrt(a·δ·s/(1−s)) with s = sin 45°.
    const s = Math.SQRT1_2;
    const vj = Math.sqrt((1000 * 0.05 * s) / (1 - s));
    expect(vj).toBeLessThan(50);
    expect(square).toBeGreaterThan((4 * side) / 50 + 1e-3);
    expect(square).toBeGreaterThan(4 * trapezoidSeconds(side, vj, vj, 50, 1000) - 1e-9);
    expect(square).toBeLessThan(4 * straight(side, 50, 1000));
    // A full reversal stops the pen: same as two separate strokes.
    const back = estimatePaths([P(0, 0, side, 0, 0, 0)], profile).penDownS;
    expect(back).toBeCloseTo(2 * straight(side, 50, 1000), 9);
  });

  it('charges a raise and a lower per path', () => {
    const lifted = { ...profile, penRaiseS: 0.2, penLowerS: 0.1 };
    const one = estimatePaths([P(0, 0, 10, 0, 20, 0)], lifted);
    const two = estimatePaths([P(0, 0, 10, 0), P(10, 0, 20, 0)], lifted);
    expect(one.lifts).toBe(1);
    expect(two.lifts).toBe(2);
    expect(two.penLiftS).toBeCloseTo(0.6, 12);
    expect(two.seconds).toBeGreaterThan(one.seconds);
    expect(one.seconds).toBeCloseTo(one.penDownS + one.travelS + one.penLiftS, 12);
  });

  it('uses distance / speed at constant speed', () => {
    const e = estimatePaths([P(0, 0, 10, 0, 10, 10)], { ...profile, constSpeed: true });
    expect(e.penDownS).toBeCloseTo(20 / 50, 12);
  });

  it('is monotone in speed and acceleration', () => {
    const polyline = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 })), {
        minLength: 2,
        maxLength: 8,
      })
      .map((pts) => Float64Array.from(pts.flat()));
    fc.assert(
      fc.property(
        fc.array(polyline, { minLength: 1, maxLength: 5 }),
        fc.double({ min: 1, max: 3, noNaN: true }),
        (paths, k) => {
          const base = estimatePaths(paths, profile).seconds;
          const faster = estimatePaths(paths, {
            ...profile,
            penDownSpeedMmS: 50 * k,
            penUpSpeedMmS: 200 * k,
          }).seconds;
          const snappier = estimatePaths(paths, {
            ...profile,
            accelMmS2: 1000 * k,
            penUpAccelMmS2: 1500 * k,
          }).seconds;
          expect(faster).toBeLessThanOrEqual(base + 1e-9);
          expect(snappier).toBeLessThanOrEqual(base + 1e-9);
        },
      ),
    );
  });

  it('handles an empty layer', () => {
    expect(estimatePaths([], profile, [5, 6])).toEqual({
      seconds: 0,
      penDownS: 0,
      travelS: 0,
      penLiftS: 0,
      lifts: 0,
      penDownMm: 0,
      travelMm: 0,
      end: [5, 6],
    });
  });
});

describe('motionProfile', () => {
  it('follows the AxiDraw defaults', () => {
    const device = defaultConfig().device;
    const m = motionProfile(device);
    expect(m.penDownSpeedMmS).toBeCloseTo((8.6979 * 25.4 * 25) / 110, 9);
    expect(m.penUpSpeedMmS).toBeCloseTo((8.6979 * 25.4 * 75) / 110, 9);
    expect(m.accelMmS2).toBeCloseTo(40 * 25.4 * 0.75, 9);
    expect(m.penUpAccelMmS2).toBeCloseTo(60 * 25.4 * 0.75, 9);
    expect(m.penRaiseS).toBeGreaterThan(0.05);
    expect(m.penRaiseS).toBeLessThan(m.penLowerS); // raising is the faster rate by default
    expect(m.constSpeed).toBe(false);
  });

  it('takes longer at lower speed settings and slower pen rates', () => {
    const device = defaultConfig().device;
    const paths = [P(0, 0, 100, 0, 100, 50), P(150, 80, 10, 10)];
    const t = (d: typeof device) => estimatePaths(paths, motionProfile(d)).seconds;
    expect(t({ ...device, speed_pendown: 10 })).toBeGreaterThan(t(device));
    expect(t({ ...device, speed_penup: 30 })).toBeGreaterThan(t(device));
    expect(t({ ...device, accel: 20 })).toBeGreaterThan(t(device));
    expect(t({ ...device, pen_rate_raise: 10 })).toBeGreaterThan(t(device));
    expect(t({ ...device, pen_delay_down: 200 })).toBeCloseTo(t(device) + 0.4, 9);
  });

  it('times the pen by its travel, as the AxiDraw formula does: a shorter lift is faster', () => {
    const device = defaultConfig().device;
    const paths = [P(0, 0, 100, 0), P(150, 80, 10, 10)];
    const t = (d: typeof device) => estimatePaths(paths, motionProfile(d)).seconds;
    const short = { ...device, pen_pos_up: device.pen_pos_down + 5 };
    expect(t(short)).toBeLessThan(t(device));
    // Two lifts and two landings: each shorter by the formula's difference for the two travels.
    const saved = (r: number) =>
      servoTravelMs(device.pen_pos_up - device.pen_pos_down, r) - servoTravelMs(5, r);
    expect(t(device) - t(short)).toBeCloseTo(
      (2 * (saved(device.pen_rate_raise) + saved(device.pen_rate_lower))) / 1000,
      9,
    );
  });
});
