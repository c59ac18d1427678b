/** Shared by the estimate and planner tests: a simple motion profile and the closed forms they check against. */
import type { MotionProfile } from '../../src-main/plan/motion';

export const profile: MotionProfile = {
  penDownSpeedMmS: 50,
  penUpSpeedMmS: 200,
  accelMmS2: 1000,
  penUpAccelMmS2: 1500,
  corneringMm: 0.05,
  penRaiseS: 0,
  penLowerS: 0,
  constSpeed: false,
};

/** Rest-to-rest straight move: cruise when it is long enough to reach v, else a triangle. */
export const straight = (L: number, v: number, a: number) =>
  L >= (v * v) / a ? L / v + v / a : 2 * Math.sqrt(L / a);
