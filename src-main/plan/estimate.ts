/**
 * Plot-time estimate for a layer's ordered paths under a trapezoidal velocity model.
 *
 * Pen down, each polyline is one move through its vertices: the speed at a vertex is capped by a
 * junction speed that falls with the turn angle (the grbl/Marlin junction-deviation rule), it is 0
 * at the path's ends, and accelerating and braking are limited to `accelMmS2`. A backward then a
 * forward pass over the vertices gives the fastest speeds that respect all of these, so each
 * segment is an exact trapezoid (or triangle) and the whole is O(points). Pen up, each move to
 * the next path is one straight trapezoid from and to rest. Every path costs one lower and one
 * raise of the pen.
 */
import { DEFAULT_JUNCTION_DEVIATION_MM, type MotionProfile } from './motion';
import type { Polyline } from './types';

export interface LayerEstimate {
  seconds: number;
  penDownS: number;
  travelS: number;
  penLiftS: number;
  lifts: number;
  penDownMm: number;
  travelMm: number;
}

/**
 * Seconds to cover `length` starting at speed `vIn` and ending at `vOut` (both reachable from each
 * other within the length), accelerating and braking at `accel`, never faster than `vMax`.
 */
export function trapezoidSeconds(length: number, vIn: number, vOut: number, vMax: number, accel: number): number {
  if (length <= 0) return 0;
  const peak2 = accel * length + (vIn * vIn + vOut * vOut) / 2;
  if (peak2 <= vMax * vMax) return Math.max(0, (2 * Math.sqrt(peak2) - vIn - vOut) / accel);
  const ramps = (2 * vMax * vMax - vIn * vIn - vOut * vOut) / (2 * accel);
  return (2 * vMax - vIn - vOut) / accel + (length - ramps) / vMax;
}

/** Reused between calls: per-segment lengths and per-vertex squared speeds of one polyline. */
let lengths = new Float64Array(1024);
let speeds2 = new Float64Array(1025);

/** Seconds to draw one polyline pen-down, from rest to rest. */
function polylineSeconds(path: Polyline, vMax: number, accel: number, deviation: number): number {
  const n = path.length >> 1;
  if (n > lengths.length) {
    lengths = new Float64Array(n * 2);
    speeds2 = new Float64Array(n * 2 + 1);
  }
  // Segments of zero length have no direction: skip them, keeping the previous direction.
  let m = 0, ux = 0, uy = 0;
  const vMax2 = vMax * vMax;
  speeds2[0] = 0;
  for (let i = 1; i < n; i++) {
    const dx = path[2 * i]! - path[2 * i - 2]!, dy = path[2 * i + 1]! - path[2 * i - 1]!;
    const len = Math.hypot(dx, dy);
    if (len === 0) continue;
    const wx = dx / len, wy = dy / len;
    if (m > 0) speeds2[m] = junctionSpeed2(ux * wx + uy * wy, accel, deviation, vMax2);
    lengths[m++] = len;
    ux = wx;
    uy = wy;
  }
  speeds2[m] = 0;
  for (let k = m - 1; k >= 0; k--) speeds2[k] = Math.min(speeds2[k]!, speeds2[k + 1]! + 2 * accel * lengths[k]!);
  for (let k = 0; k < m; k++) speeds2[k + 1] = Math.min(speeds2[k + 1]!, speeds2[k]! + 2 * accel * lengths[k]!);
  let t = 0;
  for (let k = 0; k < m; k++) t += trapezoidSeconds(lengths[k]!, Math.sqrt(speeds2[k]!), Math.sqrt(speeds2[k + 1]!), vMax, accel);
  return t;
}

/**
 * Squared speed allowed through a vertex whose incoming and outgoing directions have dot product
 * `cos`: v² = a·δ·s/(1−s) with s = sin(θ/2), θ the angle between the two segments (180° straight).
 */
function junctionSpeed2(cos: number, accel: number, deviation: number, vMax2: number): number {
  const s = Math.sqrt(Math.max(0, 0.5 * (1 + cos)));
  if (s >= 1 - 1e-9) return vMax2;
  return Math.min(vMax2, (accel * deviation * s) / (1 - s));
}

export function estimatePaths(
  paths: readonly Polyline[],
  profile: MotionProfile,
  start: readonly [number, number] = [0, 0],
): LayerEstimate & { end: [number, number] } {
  const deviation = profile.corneringMmS ?? DEFAULT_JUNCTION_DEVIATION_MM;
  let [x, y] = start;
  let penDownS = 0, travelS = 0, penDownMm = 0, travelMm = 0, lifts = 0;
  for (const path of paths) {
    if (path.length < 4) continue;
    const hop = Math.hypot(path[0]! - x, path[1]! - y);
    travelMm += hop;
    travelS += trapezoidSeconds(hop, 0, 0, profile.penUpSpeedMmS, profile.penUpAccelMmS2);
    let length = 0;
    for (let i = 2; i + 1 < path.length; i += 2) length += Math.hypot(path[i]! - path[i - 2]!, path[i + 1]! - path[i - 1]!);
    penDownMm += length;
    penDownS += profile.constSpeed
      ? length / profile.penDownSpeedMmS
      : polylineSeconds(path, profile.penDownSpeedMmS, profile.accelMmS2, deviation);
    lifts++;
    x = path[path.length - 2]!;
    y = path[path.length - 1]!;
  }
  const penLiftS = lifts * (profile.penRaiseS + profile.penLowerS);
  return { seconds: penDownS + travelS + penLiftS, penDownS, travelS, penLiftS, lifts, penDownMm, travelMm, end: [x, y] };
}
