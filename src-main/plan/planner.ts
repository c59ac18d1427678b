/**
 * Motion planner: a plan's polylines (mm) → a compact program of EBB moves, whose summed duration
 * is the plot-time estimate.
 *
 * Geometry. Every vertex is converted to absolute motor steps (AxiDraw: motor1 = (x + y)·k,
 * motor2 = (x − y)·k, k = 80 steps/mm at 1/16 microstepping) by rounding, and moves are emitted as
 * differences of those absolute positions, so rounding never accumulates: after any move the
 * carriage is exactly at round(target · k). Splitting a segment into acceleration phases rounds the
 * split points the same way (absolute along the segment), so the phases sum to the segment exactly.
 *
 * Kinematics. Pen down, each path is one move from rest to rest through its vertices: the speed at
 * a vertex is capped by the grbl junction-deviation rule (as the official AxiDraw software and saxi
 * do), a backward then a forward pass over v² gives the fastest speeds that respect every cap and
 * the acceleration, and each segment becomes an exact trapezoid (or triangle) of 1–3
 * constant-acceleration blocks — one `LM` each, long ones cut at `maxMoveS`. Pen up, the hop to
 * the next path is a straight rest-to-rest trapezoid at the pen-up profile. `constSpeed` draws
 * every segment at one speed.
 *
 * Minimum move time. The EBB cannot execute LM blocks shorter than ~3–4 ms back to back (fw 2.7–3.0)
 * without starving, so no block is shorter than `minMoveS`: (1) vertices closer than what the pen
 * covers in `minMoveS` at full speed are dropped while every dropped vertex stays within
 * `mergeToleranceMm` of the chord that replaces it; (2) a segment that is still short is slowed to
 * length / minMoveS; (3) an acceleration phase shorter than `minMoveS` takes over just enough of
 * the neighbouring phase of the same segment, as one constant-acceleration block between the outer
 * speeds (never harder acceleration, never faster), or merges with it whole when the rest would be
 * short. The drawn line therefore stays within `mergeToleranceMm` + half a motor step per motor
 * (≤ 0.0089 mm at 80 steps/mm) of every input vertex; on the large fixtures all this costs < 0.6 %
 * of plot time (bench/planner.ts).
 *
 * Durations are the ideal ones; plotter/lm.ts encodes each as an LM of whole 40 µs ticks, within 20 µs of them.
 */
import { DEFAULT_JUNCTION_DEVIATION_MM, layerProfile, type MotionProfile } from './motion';
import type { LayerCodes, Polyline } from '../svg/types';

/** AxiDraw steps per mm at 1/16 microstepping (2032 steps/inch, docs/ebb-protocol.md "Geometry and units"). */
export const STEPS_PER_MM = 80;
/** Per-motor step rate limit, steps/s (axidraw_conf.py max_step_rate 24.995 steps/ms). */
export const MAX_STEP_RATE = 24995;
/** Shortest LM block the EBB sustains back to back (4 ms on fw 3.0, 3–4 ms on 2.7–2.8.1). */
export const DEFAULT_MIN_MOVE_S = 0.004;
/** Long cruises are cut so a pause or checkpoint is never more than this far away. */
export const DEFAULT_MAX_MOVE_S = 0.5;
/** How far a dropped (merged) vertex may lie from the chord that replaces it, mm. */
export const DEFAULT_MERGE_TOLERANCE_MM = 0.02;

export const MoveKind = { Draw: 0, Travel: 1, PenUp: 2, PenDown: 3, Pause: 4, Dwell: 5 } as const;
export type MoveKind = (typeof MoveKind)[keyof typeof MoveKind];

/** A layer's AxiDraw codes: `+S`/`+H` re-profile its moves (layerProfile), `+D` waits before it. */
export interface MotionLayer extends Partial<LayerCodes> {
  paths: readonly Polyline[];
  /** Emit a `Pause` move before the layer (a `!` layer or a pen change). */
  pauseBefore?: boolean;
}

export interface PlanMotionOptions {
  /** Carriage position in motor steps (motor1, motor2) when the program starts; default (0, 0). */
  start?: readonly [number, number];
  stepsPerMm?: number;
  minMoveS?: number;
  maxMoveS?: number;
  mergeToleranceMm?: number;
  /** End with a pen-up travel back to `start` (a plot ends at home; a layer's estimate does not). */
  returnHome?: boolean;
}

/**
 * Struct of arrays, one entry per move (29 bytes each). Moves of kind Draw/Travel are
 * constant-acceleration blocks: `steps1`/`steps2` motor deltas over `duration` seconds, the path
 * speed going linearly from `v0` to `v1` (mm/s). PenUp/PenDown last `duration` (the servo time);
 * Pause has duration 0; Dwell is a wait with the pen up (a layer's `+D`), cut like a long move. `source` is the global index of the input point the move ends at (or, for a
 * block ending inside a segment, the last vertex passed); −1 before anything: completing move k means
 * the drawing is done up to `sourceOf(program, k)`.
 */
export interface MotionProgram {
  length: number;
  kind: Uint8Array;
  steps1: Int32Array;
  steps2: Int32Array;
  duration: Float64Array;
  v0: Float32Array;
  v1: Float32Array;
  source: Int32Array;
  /** Global index of each path's first point, over all layers in order, plus the total. */
  pathStart: Int32Array;
  /** Index (into the paths over all layers) of each layer's first path, plus the total. */
  layerStart: Int32Array;
  start: [number, number];
  /** Motor position after the last move: start + Σ deltas. */
  end: [number, number];
  stepsPerMm: number;
}

export function mmToSteps(x: number, y: number, k = STEPS_PER_MM): [number, number] {
  // `+ 0` turns a rounded −0 into 0, so positions compare equal however they were reached.
  return [Math.round((x + y) * k) + 0, Math.round((x - y) * k) + 0];
}

export function stepsToMm(s1: number, s2: number, k = STEPS_PER_MM): [number, number] {
  return [(s1 + s2) / (2 * k), (s1 - s2) / (2 * k)];
}

/** How far move k carries the pen, in mm (CoreXY: the motors' steps are the diagonals). */
export function moveLengthMm(p: MotionProgram, k: number): number {
  const s1 = p.steps1[k]!,
    s2 = p.steps2[k]!;
  return Math.hypot(s1 + s2, s1 - s2) / (2 * p.stepsPerMm);
}

function grown<T extends Uint8Array | Int32Array | Float64Array | Float32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** Appends moves, doubling the columns as needed; `finish` trims them to size. */
class ProgramBuilder {
  n = 0;
  kind = new Uint8Array(1024);
  steps1 = new Int32Array(1024);
  steps2 = new Int32Array(1024);
  duration = new Float64Array(1024);
  v0 = new Float32Array(1024);
  v1 = new Float32Array(1024);
  source = new Int32Array(1024);

  push(
    kind: MoveKind,
    d1: number,
    d2: number,
    t: number,
    v0: number,
    v1: number,
    source: number,
  ): void {
    if (this.n === this.kind.length) this.grow();
    const i = this.n++;
    this.kind[i] = kind;
    this.steps1[i] = d1;
    this.steps2[i] = d2;
    this.duration[i] = t;
    this.v0[i] = v0;
    this.v1[i] = v1;
    this.source[i] = source;
  }

  private grow(): void {
    const size = this.kind.length * 2;
    this.kind = grown(this.kind, new Uint8Array(size));
    this.steps1 = grown(this.steps1, new Int32Array(size));
    this.steps2 = grown(this.steps2, new Int32Array(size));
    this.duration = grown(this.duration, new Float64Array(size));
    this.v0 = grown(this.v0, new Float32Array(size));
    this.v1 = grown(this.v1, new Float32Array(size));
    this.source = grown(this.source, new Int32Array(size));
  }
}

/** Per-path scratch, reused between calls: kept vertices (motor steps, source index), per-segment data. */
let keep1 = new Int32Array(1024);
let keep2 = new Int32Array(1024);
let keepSrc = new Int32Array(1024);
let segLen = new Float64Array(1024);
let segCap = new Float64Array(1024);
let vertex2 = new Float64Array(1024);
/** Up to three phases of one segment: distance, start speed, end speed; `phN` of them. */
const phD = new Float64Array(3),
  phA = new Float64Array(3),
  phB = new Float64Array(3);
let phN = 0;

function phase(d: number, va: number, vb: number): void {
  if (d > EPS_MM) {
    phD[phN] = d;
    phA[phN] = va;
    phB[phN] = vb;
    phN++;
  }
}

function phaseSeconds(i: number): number {
  return (2 * phD[i]!) / (phA[i]! + phB[i]!);
}

function ensureScratch(n: number): void {
  if (n <= keep1.length) return;
  const size = Math.max(n, keep1.length * 2);
  keep1 = new Int32Array(size);
  keep2 = new Int32Array(size);
  keepSrc = new Int32Array(size);
  segLen = new Float64Array(size);
  segCap = new Float64Array(size);
  vertex2 = new Float64Array(size);
}

/** A dropped vertex may be this many points from the anchor at most, bounding the merge work per point. */
const MAX_MERGE_WINDOW = 64;
/** Phases shorter than this (mm) are float noise from the trapezoid arithmetic. */
const EPS_MM = 1e-9;

interface Limits {
  k: number;
  minMoveS: number;
  maxMoveS: number;
}

/**
 * Emits one straight segment of `d1`, `d2` motor steps and length `len` mm, entering at `vIn` and
 * leaving at `vOut` (mm/s), never faster than `vCap`, accelerating at most at `accel` (Infinity:
 * constant speed). Blocks end at `srcEnd` for the last and `srcStart` for the others.
 */
/** A pen-up hop: rest to rest at the pen-up profile. */
function emitTravel(
  b: ProgramBuilder,
  d1: number,
  d2: number,
  profile: MotionProfile,
  lim: Limits,
  srcStart: number,
  srcEnd: number,
): void {
  const len = segmentLength(d1, d2, lim.k);
  emitSegment(
    b,
    MoveKind.Travel,
    d1,
    d2,
    len,
    0,
    0,
    segmentCap(profile.penUpSpeedMmS, d1, d2, len, lim),
    profile.penUpAccelMmS2,
    lim,
    srcStart,
    srcEnd,
  );
}

function emitSegment(
  b: ProgramBuilder,
  kind: MoveKind,
  d1: number,
  d2: number,
  len: number,
  vIn: number,
  vOut: number,
  vCap: number,
  accel: number,
  lim: Limits,
  srcStart: number,
  srcEnd: number,
): void {
  phN = 0;
  if (accel === Infinity) {
    phase(len, vCap, vCap);
  } else {
    const peak2 = accel * len + (vIn * vIn + vOut * vOut) / 2;
    if (peak2 <= vCap * vCap) {
      const vp = Math.sqrt(peak2);
      const dA = Math.min(len, Math.max(0, (peak2 - vIn * vIn) / (2 * accel)));
      phase(dA, vIn, vp);
      phase(len - dA, vp, vOut);
    } else {
      const dA = Math.max(0, (vCap * vCap - vIn * vIn) / (2 * accel));
      const dD = Math.max(0, (vCap * vCap - vOut * vOut) / (2 * accel));
      phase(dA, vIn, vCap);
      phase(len - dA - dD, vCap, vCap);
      phase(dD, vCap, vOut);
    }
    if (phN === 0) phase(len, vIn, vOut);
    // Lengthen phases shorter than minMoveS. The speed along a segment rises then falls, so one
    // constant-acceleration block between the outer speeds of adjacent phases is never faster than
    // they were together, never accelerates harder, and never exceeds their speeds.
    let n = phN;
    while (n > 1) {
      let s = 0;
      for (let i = 1; i < n; i++) if (phaseSeconds(i) < phaseSeconds(s)) s = i;
      const ts = phaseSeconds(s);
      // (A femtosecond short is long enough: a steal fixes a phase for good, so this ends.)
      if (ts >= lim.minMoveS - 1e-15) break;
      const j =
        s === 0
          ? 1
          : s === n - 1
            ? s - 1
            : phaseSeconds(s - 1) > phaseSeconds(s + 1)
              ? s - 1
              : s + 1;
      const tj = phaseSeconds(j),
        tau = lim.minMoveS - ts;
      if (tj - tau >= lim.minMoveS) {
        // Take just the part of the neighbour next to it that makes the short phase minMoveS long.
        const va = phA[j]!,
          vb = phB[j]!;
        if (j > s) {
          const w = va + ((vb - va) * tau) / tj,
            d = ((va + w) / 2) * tau;
          phD[s] = phD[s]! + d;
          phB[s] = w;
          phD[j] = phD[j]! - d;
          phA[j] = w;
        } else {
          const w = vb - ((vb - va) * tau) / tj,
            d = ((w + vb) / 2) * tau;
          phD[s] = phD[s]! + d;
          phA[s] = w;
          phD[j] = phD[j]! - d;
          phB[j] = w;
        }
      } else {
        const f = Math.min(s, j);
        phD[f] = phD[f]! + phD[f + 1]!;
        phB[f] = phB[f + 1]!;
        for (let i = f + 1; i + 1 < n; i++) {
          phD[i] = phD[i + 1]!;
          phA[i] = phA[i + 1]!;
          phB[i] = phB[i + 1]!;
        }
        n--;
      }
    }
    phN = n;
    if (n === 1 && phA[0] === 0 && phB[0] === 0) {
      // From rest to rest, too short for two ramps at full acceleration: a symmetric triangle
      // with each half lasting minMoveS or more, as fast as the acceleration and the cap allow.
      const vp = Math.min(len / lim.minMoveS, Math.sqrt(accel * len), vCap);
      phN = 0;
      phase(len / 2, 0, vp);
      phase(len / 2, vp, 0);
    }
  }
  // Quantize the phase ends along the segment and emit; long blocks are cut into equal-time pieces.
  // A piece holding no whole step (or leaving none for the rest) runs together with the next: such a
  // block is a few steps long, so it is emitted at its mean speed, no faster than its pieces were.
  let done = 0,
    at1 = 0,
    at2 = 0;
  let carryT = 0,
    carryV = 0,
    carried = false;
  const n = phN;
  for (let i = 0; i < n; i++) {
    const d = phD[i]!,
      va = phA[i]!,
      vb = phB[i]!;
    const t = (2 * d) / (va + vb);
    const pieces = t > lim.maxMoveS ? Math.ceil(t / lim.maxMoveS) : 1;
    const dt = t / pieces;
    for (let p = 0; p < pieces; p++) {
      const u0 = va + ((vb - va) * p) / pieces,
        u1 = va + ((vb - va) * (p + 1)) / pieces;
      done += ((u0 + u1) / 2) * dt;
      const last = i === n - 1 && p === pieces - 1;
      const to1 = last ? d1 : Math.round((d1 * done) / len),
        to2 = last ? d2 : Math.round((d2 * done) / len);
      if (!last && ((to1 === at1 && to2 === at2) || (to1 === d1 && to2 === d2))) {
        carryT += dt;
        carryV = Math.max(carryV, u0, u1);
        carried = true;
        continue;
      }
      if (carried) {
        const tt = carryT + dt;
        const v = Math.min(
          segmentLength(to1 - at1, to2 - at2, lim.k) / tt,
          Math.max(carryV, u0, u1),
        );
        b.push(kind, to1 - at1, to2 - at2, tt, v, v, last ? srcEnd : srcStart);
        carryT = 0;
        carryV = 0;
        carried = false;
      } else {
        b.push(kind, to1 - at1, to2 - at2, dt, u0, u1, last ? srcEnd : srcStart);
      }
      at1 = to1;
      at2 = to2;
    }
  }
}

/** Segment speed cap: the profile's, the motors' step rate, and at most `len` per `minMoveS`. */
function segmentCap(vMax: number, d1: number, d2: number, len: number, lim: Limits): number {
  return Math.min(
    vMax,
    (MAX_STEP_RATE * len) / Math.max(Math.abs(d1), Math.abs(d2)),
    len / lim.minMoveS,
  );
}

function segmentLength(d1: number, d2: number, k: number): number {
  return Math.hypot(d1 + d2, d1 - d2) / (2 * k);
}

/** Distance from (px, py) to the segment (ax, ay)–(bx, by). */
function distToSegment(
  px: number,
  py: number,
  ax: number,
  ay: number,
  bx: number,
  by: number,
): number {
  const ex = bx - ax,
    ey = by - ay;
  const l2 = ex * ex + ey * ey;
  const t = l2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * ex + (py - ay) * ey) / l2)) : 0;
  return Math.hypot(px - ax - t * ex, py - ay - t * ey);
}

/** Whether every point strictly between `a` and `j` of `path` lies within `tol` of the chord a–j. */
function chordHolds(path: Polyline, a: number, j: number, tol: number): boolean {
  const ax = path[2 * a]!,
    ay = path[2 * a + 1]!,
    bx = path[2 * j]!,
    by = path[2 * j + 1]!;
  for (let i = a + 1; i < j; i++)
    if (distToSegment(path[2 * i]!, path[2 * i + 1]!, ax, ay, bx, by) > tol) return false;
  return true;
}

/**
 * Chooses the vertices of `path` to draw through, into keep1/keep2 (absolute motor steps) and
 * keepSrc (global point index); returns how many. Consecutive kept vertices differ by at least a step.
 */
function keptVertices(
  path: Polyline,
  first: number,
  k: number,
  minLen: number,
  tol: number,
): number {
  const n = path.length >> 1;
  ensureScratch(n);
  let m = 0,
    anchor = 0;
  keep1[0] = Math.round((path[0]! + path[1]!) * k);
  keep2[0] = Math.round((path[0]! - path[1]!) * k);
  keepSrc[0] = first;
  m = 1;
  for (let i = 1; i < n; i++) {
    const x = path[2 * i]!,
      y = path[2 * i + 1]!;
    const q1 = Math.round((x + y) * k),
      q2 = Math.round((x - y) * k);
    const d1 = q1 - keep1[m - 1]!,
      d2 = q2 - keep2[m - 1]!;
    if (d1 === 0 && d2 === 0) continue;
    // Keep the vertex when the segment to it is long enough, it ends the path, or dropping it
    // would move some dropped vertex too far from the chord to the next one.
    if (
      i === n - 1 ||
      segmentLength(d1, d2, k) >= minLen ||
      i + 1 - anchor > MAX_MERGE_WINDOW ||
      !chordHolds(path, anchor, i + 1, tol)
    ) {
      keep1[m] = q1;
      keep2[m] = q2;
      keepSrc[m] = first + i;
      m++;
      anchor = i;
    }
  }
  // A last point on the same step as the last kept vertex is reached with it.
  keepSrc[m - 1] = first + n - 1;
  return m;
}

/** Squared speed allowed through a vertex whose segments' unit directions have dot product `cos` (grbl). */
function junctionSpeed2(cos: number, accel: number, deviation: number): number {
  const s = Math.sqrt(Math.max(0, 0.5 * (1 + cos)));
  if (s >= 1 - 1e-9) return Infinity;
  return (accel * deviation * s) / (1 - s);
}

/** Emits the pen-down moves of one path through its `m` kept vertices. */
function drawPath(
  b: ProgramBuilder,
  m: number,
  profile: MotionProfile,
  deviation: number,
  lim: Limits,
): void {
  const k = lim.k,
    vMax = profile.penDownSpeedMmS;
  const accel = profile.constSpeed ? Infinity : profile.accelMmS2;
  let px = 0,
    py = 0;
  for (let s = 0; s + 1 < m; s++) {
    const d1 = keep1[s + 1]! - keep1[s]!,
      d2 = keep2[s + 1]! - keep2[s]!;
    const len = segmentLength(d1, d2, k);
    segLen[s] = len;
    segCap[s] = segmentCap(vMax, d1, d2, len, lim);
    // Unit direction in mm: x = (d1 + d2)/2k, y = (d1 − d2)/2k.
    const ux = (d1 + d2) / (2 * k * len),
      uy = (d1 - d2) / (2 * k * len);
    if (s > 0) {
      const cap = Math.min(segCap[s - 1]!, segCap[s]!);
      vertex2[s] = Math.min(
        cap * cap,
        junctionSpeed2(px * ux + py * uy, profile.accelMmS2, deviation),
      );
    }
    px = ux;
    py = uy;
  }
  if (accel === Infinity) {
    for (let s = 0; s + 1 < m; s++) {
      emitSegment(
        b,
        MoveKind.Draw,
        keep1[s + 1]! - keep1[s]!,
        keep2[s + 1]! - keep2[s]!,
        segLen[s]!,
        segCap[s]!,
        segCap[s]!,
        segCap[s]!,
        accel,
        lim,
        keepSrc[s]!,
        keepSrc[s + 1]!,
      );
    }
    return;
  }
  vertex2[0] = 0;
  vertex2[m - 1] = 0;
  for (let s = m - 2; s >= 0; s--)
    vertex2[s] = Math.min(vertex2[s]!, vertex2[s + 1]! + 2 * accel * segLen[s]!);
  for (let s = 0; s + 1 < m; s++)
    vertex2[s + 1] = Math.min(vertex2[s + 1]!, vertex2[s]! + 2 * accel * segLen[s]!);
  for (let s = 0; s + 1 < m; s++) {
    emitSegment(
      b,
      MoveKind.Draw,
      keep1[s + 1]! - keep1[s]!,
      keep2[s + 1]! - keep2[s]!,
      segLen[s]!,
      Math.sqrt(vertex2[s]!),
      Math.sqrt(vertex2[s + 1]!),
      segCap[s]!,
      accel,
      lim,
      keepSrc[s]!,
      keepSrc[s + 1]!,
    );
  }
}

/**
 * Plans `layers` in order: per path a pen-up travel to its start, pen down, the path, pen up; a
 * Pause before each `pauseBefore` layer, then its `+D` wait; each layer at its own profile; with `returnHome`, the travel back to the start. The pen is assumed up at the start. Paths of fewer than
 * two points draw nothing (but keep their place in the source indices).
 */
export function planMotion(
  layers: readonly MotionLayer[],
  profile: MotionProfile,
  options: PlanMotionOptions = {},
): MotionProgram {
  const k = options.stepsPerMm ?? STEPS_PER_MM;
  const lim: Limits = {
    k,
    minMoveS: options.minMoveS ?? DEFAULT_MIN_MOVE_S,
    maxMoveS: options.maxMoveS ?? DEFAULT_MAX_MOVE_S,
  };
  const tol = options.mergeToleranceMm ?? DEFAULT_MERGE_TOLERANCE_MM;
  const deviation = profile.corneringMm ?? DEFAULT_JUNCTION_DEVIATION_MM;
  const start: [number, number] = [options.start?.[0] ?? 0, options.start?.[1] ?? 0];
  const pathCount = layers.reduce((c, l) => c + l.paths.length, 0);
  const pathStart = new Int32Array(pathCount + 1);
  const layerStart = new Int32Array(layers.length + 1);
  const b = new ProgramBuilder();
  let [at1, at2] = start;
  let source = -1,
    point = 0,
    pathIndex = 0;
  for (let li = 0; li < layers.length; li++) {
    const layer = layers[li]!;
    const lp = layerProfile(profile, layer);
    const minLen = lp.penDownSpeedMmS * lim.minMoveS;
    layerStart[li] = pathIndex;
    if (layer.pauseBefore) b.push(MoveKind.Pause, 0, 0, 0, 0, 0, source);
    if (layer.delayMs) {
      // Whole milliseconds (what SM waits), in pieces no longer than a move so a pause is never far.
      const pieces = Math.ceil(layer.delayMs / 1000 / lim.maxMoveS);
      for (let i = 0; i < pieces; i++) {
        const ms =
          Math.round((layer.delayMs * (i + 1)) / pieces) - Math.round((layer.delayMs * i) / pieces);
        b.push(MoveKind.Dwell, 0, 0, ms / 1000, 0, 0, source);
      }
    }
    for (const path of layer.paths) {
      pathStart[pathIndex++] = point;
      const n = path.length >> 1;
      if (n >= 2) {
        const m = keptVertices(path, point, k, minLen, tol);
        const d1 = keep1[0]! - at1,
          d2 = keep2[0]! - at2;
        if (d1 !== 0 || d2 !== 0) emitTravel(b, d1, d2, lp, lim, source, point);
        b.push(MoveKind.PenDown, 0, 0, lp.penLowerS, 0, 0, point);
        drawPath(b, m, lp, deviation, lim);
        source = point + n - 1;
        b.push(MoveKind.PenUp, 0, 0, lp.penRaiseS, 0, 0, source);
        at1 = keep1[m - 1]!;
        at2 = keep2[m - 1]!;
      }
      point += n;
    }
  }
  if (options.returnHome && (at1 !== start[0] || at2 !== start[1])) {
    emitTravel(b, start[0] - at1, start[1] - at2, profile, lim, source, source);
    at1 = start[0];
    at2 = start[1];
  }
  layerStart[layers.length] = pathIndex;
  pathStart[pathCount] = point;
  const n = b.n;
  return {
    length: n,
    kind: b.kind.slice(0, n),
    steps1: b.steps1.slice(0, n),
    steps2: b.steps2.slice(0, n),
    duration: b.duration.slice(0, n),
    v0: b.v0.slice(0, n),
    v1: b.v1.slice(0, n),
    source: b.source.slice(0, n),
    pathStart,
    layerStart,
    start,
    end: [at1, at2],
    stepsPerMm: k,
  };
}

/** The program a plot runs: every layer in order, then home. Its duration is the job's estimate. */
export function plotProgram(layers: readonly MotionLayer[], profile: MotionProfile): MotionProgram {
  return planMotion(layers, profile, { returnHome: true });
}

/** Seconds to run moves [from, to) of the program: the plot-time estimate (and time remaining). */
export function programDuration(p: MotionProgram, from = 0, to = p.length): number {
  let t = 0;
  for (let i = from; i < to; i++) t += p.duration[i]!;
  return t;
}

/** Bytes held by the program's per-move columns and index tables. */
export function programBytes(p: MotionProgram): number {
  return (
    p.kind.byteLength +
    p.steps1.byteLength +
    p.steps2.byteLength +
    p.duration.byteLength +
    p.v0.byteLength +
    p.v1.byteLength +
    p.source.byteLength +
    p.pathStart.byteLength +
    p.layerStart.byteLength
  );
}

/** Last index i with a[i] ≤ v (a ascending, a[0] ≤ v). */
function floorIndex(a: Int32Array, v: number, hi: number): number {
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a[mid]! <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The (layer, path within the layer, point within the path) that move k ends at: once it has
 * completed, the drawing is done up to there. Undefined before any point (a leading pause).
 */
export function sourceOf(
  p: MotionProgram,
  k: number,
): { layer: number; path: number; point: number } | undefined {
  const g = p.source[k]!;
  if (g < 0) return undefined;
  // Empty paths share their start with the next one: the last path starting at or before g owns it.
  const path = floorIndex(p.pathStart, g, p.pathStart.length - 2);
  const layer = floorIndex(p.layerStart, path, p.layerStart.length - 2);
  return { layer, path: path - p.layerStart[layer]!, point: g - p.pathStart[path]! };
}
