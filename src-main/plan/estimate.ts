/**
 * Plot-time estimate for a layer's ordered paths: the duration of the motion program the plotter
 * will run (src-main/plan/planner.ts), so the estimate and the plot agree by construction —
 * trapezoidal speed with junction-deviation cornering, pen-up travel at its own profile, one
 * raise and one lower per path, steps rounded and moves no shorter than the EBB can execute —
 * at the layer's own `+S`/`+H` profile, with its `+D` wait.
 */
import { MoveKind, mmToSteps, planMotion } from './planner';
import type { MotionProfile } from './motion';
import type { LayerCodes, Polyline } from '../svg/types';

export interface LayerEstimate {
  seconds: number;
  penDownS: number;
  travelS: number;
  penLiftS: number;
  /** The layer's `+D` wait; absent when it has none (and in plans made before layer codes). */
  delayS?: number;
  lifts: number;
  penDownMm: number;
  travelMm: number;
}

export function estimatePaths(
  paths: readonly Polyline[],
  profile: MotionProfile,
  start: readonly [number, number] = [0, 0],
  codes: Partial<LayerCodes> = {},
): LayerEstimate & { end: [number, number] } {
  const program = planMotion([{ paths, ...codes }], profile, {
    start: mmToSteps(start[0], start[1]),
  });
  let penDownS = 0,
    travelS = 0,
    penLiftS = 0,
    delayS = 0;
  for (let i = 0; i < program.length; i++) {
    const kind = program.kind[i]!,
      t = program.duration[i]!;
    if (kind === MoveKind.Draw) penDownS += t;
    else if (kind === MoveKind.Travel) travelS += t;
    else if (kind === MoveKind.Dwell) delayS += t;
    else penLiftS += t;
  }
  // Distances are the drawing's own (before step rounding and merging), as the summary reports them.
  let [x, y] = start;
  let penDownMm = 0,
    travelMm = 0,
    lifts = 0;
  for (const path of paths) {
    if (path.length < 4) continue;
    travelMm += Math.hypot(path[0]! - x, path[1]! - y);
    for (let i = 2; i + 1 < path.length; i += 2)
      penDownMm += Math.hypot(path[i]! - path[i - 2]!, path[i + 1]! - path[i - 1]!);
    lifts++;
    x = path[path.length - 2]!;
    y = path[path.length - 1]!;
  }
  return {
    seconds: penDownS + travelS + penLiftS + delayS,
    penDownS,
    travelS,
    penLiftS,
    ...(delayS > 0 && { delayS }),
    lifts,
    penDownMm,
    travelMm,
    end: [x, y],
  };
}
