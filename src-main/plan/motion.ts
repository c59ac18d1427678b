/**
 * The AxiDraw's motion limits as set by config.yaml's `device` section, in mm and seconds.
 *
 * These follow the official AxiDraw software (axidraw_conf.py and its pen-lift timing) as best
 * known here: the speed percentages scale the high-resolution XY limit of 8.6979 in/s at 110 %,
 * acceleration scales 40 in/s² (pen down) and 60 in/s² (pen up) at 100 %, and the pen times are
 * the EBB driver's servo model (`servoTravelMs`, the delay the runner sends with each `SP`) plus
 * `pen_delay_up`/`pen_delay_down`, so the planned durations are what the plotter runs. The model
 * only changes the travel limits, not these, so it is not read here.
 */
import type { VfabConfig } from '../config/config';
import { servoTravelMs } from '../plotter/ebb';

export interface MotionProfile {
  penDownSpeedMmS: number;
  penUpSpeedMmS: number;
  accelMmS2: number;
  penUpAccelMmS2: number;
  /** Junction deviation (mm) of the cornering model: larger means faster through corners. */
  corneringMmS?: number;
  penRaiseS: number;
  penLowerS: number;
  /** Pen-down moves at constant speed, without acceleration (the AxiDraw `const_speed` option). */
  constSpeed: boolean;
}

const MM_PER_IN = 25.4;
/** axidraw_conf.py speed_lim_xy_hr: XY speed limit at the default (high) resolution, in/s. */
const SPEED_LIMIT_IN_S = 8.6979;
/** Speed settings run 1–110 %; 110 % is the limit. */
const SPEED_FULL_PERCENT = 110;
/** axidraw_conf.py accel_rate / accel_rate_pu, in/s² at accel 100 %. */
const ACCEL_IN_S2 = 40;
const ACCEL_PEN_UP_IN_S2 = 60;
/**
 * Junction deviation, mm (the grbl/Marlin cornering parameter). The AxiDraw software uses its own
 * cornering factor; this value gives similar corner slow-downs at default speeds.
 */
export const DEFAULT_JUNCTION_DEVIATION_MM = 0.05;

/** Seconds the runner holds motion for a pen move: the EBB driver's servo model plus the configured delay. */
function servoSeconds(travelPercent: number, ratePercent: number, delayMs: number): number {
  return Math.max(0, servoTravelMs(travelPercent, ratePercent) + delayMs) / 1000;
}

export function motionProfile(device: VfabConfig['device']): MotionProfile {
  const speed = (percent: number) => (SPEED_LIMIT_IN_S * MM_PER_IN * percent) / SPEED_FULL_PERCENT;
  const travel = Math.abs(device.pen_pos_up - device.pen_pos_down);
  return {
    penDownSpeedMmS: speed(device.speed_pendown),
    penUpSpeedMmS: speed(device.speed_penup),
    accelMmS2: (ACCEL_IN_S2 * MM_PER_IN * device.accel) / 100,
    penUpAccelMmS2: (ACCEL_PEN_UP_IN_S2 * MM_PER_IN * device.accel) / 100,
    corneringMmS: DEFAULT_JUNCTION_DEVIATION_MM,
    penRaiseS: servoSeconds(travel, device.pen_rate_raise, device.pen_delay_up),
    penLowerS: servoSeconds(travel, device.pen_rate_lower, device.pen_delay_down),
    constSpeed: device.const_speed,
  };
}
