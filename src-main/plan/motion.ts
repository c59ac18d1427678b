/**
 * The AxiDraw's motion limits as set by config.yaml's `device` section, in mm and seconds.
 *
 * These follow the official AxiDraw software (axidraw_conf.py and its pen-lift timing) as best
 * known here: the speed percentages scale the high-resolution XY limit of 8.6979 in/s at 110 %,
 * acceleration scales 40 in/s² (pen down) and 60 in/s² (pen up) at 100 %, and the pen times are
 * AxiDraw software's servo model (`servoTravelMs`, the delay the runner sends with each `SP`) plus
 * `pen_delay_up`/`pen_delay_down`, so the planned durations are what the plotter runs. The model
 * only changes the travel limits, not these, so it is not read here.
 */
import { CORNERING, corneringMm } from './cornering';
import type { LayerCodes } from '../svg/types';

export interface MotionProfile {
  penDownSpeedMmS: number;
  penUpSpeedMmS: number;
  accelMmS2: number;
  penUpAccelMmS2: number;
  /** Junction deviation (mm) of the cornering model: larger means faster through corners. */
  corneringMm?: number;
  penRaiseS: number;
  penLowerS: number;
  /** Pen-down moves at constant speed, without acceleration (the AxiDraw `const_speed` option). */
  constSpeed: boolean;
  /** The pen settings the servo times came from, so a layer's `+H` can re-time them; absent: `+H` keeps the times. */
  pen?: PenSettings;
}

/** config.yaml's pen settings, percent and ms. */
export interface PenSettings {
  upPct: number;
  downPct: number;
  raiseRatePct: number;
  lowerRatePct: number;
  delayUpMs: number;
  delayDownMs: number;
}

const MM_PER_IN = 25.4;
/** axidraw_conf.py speed_lim_xy_hr: XY speed limit at the default (high) resolution, in/s. */
const SPEED_LIMIT_IN_S = 8.6979;
/** Speed settings run 1–110 %; 110 % is the limit. */
const SPEED_FULL_PERCENT = 110;
/** axidraw_conf.py accel_rate / accel_rate_pu, in/s² at accel 100 %. */
const ACCEL_IN_S2 = 40;
const ACCEL_PEN_UP_IN_S2 = 60;
/** Junction deviation, mm, at AxiDraw's default cornering. */
export const DEFAULT_JUNCTION_DEVIATION_MM = corneringMm(CORNERING);

/** Time of a full 0–100 % pen sweep at 100 % rate, per the AxiDraw software. */
export const SERVO_FULL_SWEEP_MS = 200;

/**
 * Pen travel time in ms for a height change of `deltaPct` at `ratePct` speed, the AxiDraw
 * software's model (docs/ebb-protocol.md "Pen servo"): `((2.69·Δ + 45)^4 + (200·Δ/rate)^4)^(1/4)`, 0 below Δ 0.9 %.
 * The first term is the servo's own speed limit, the second the commanded sweep rate.
 */
export function servoTravelMs(deltaPct: number, ratePct: number): number {
  const delta = Math.abs(deltaPct);
  if (delta < 0.9) return 0;
  const mechanical = 2.69 * delta + 45;
  const commanded = (SERVO_FULL_SWEEP_MS * delta) / ratePct;
  // Truncated: this reproduces the reference's default timings (raise 130 ms, lower 146 ms).
  return Math.trunc((mechanical ** 4 + commanded ** 4) ** 0.25);
}

/** Seconds the runner holds motion for a pen move: the EBB driver's servo model plus the configured delay. */
function servoSeconds(travelPercent: number, ratePercent: number, delayMs: number): number {
  return Math.max(0, servoTravelMs(travelPercent, ratePercent) + delayMs) / 1000;
}

/** Top XY speed in mm/s for a speed setting in percent (config `speed_pendown`, a layer's `+S`). */
function speedMmS(percent: number): number {
  return (SPEED_LIMIT_IN_S * MM_PER_IN * percent) / SPEED_FULL_PERCENT;
}

function penTimes(pen: PenSettings): Pick<MotionProfile, 'penRaiseS' | 'penLowerS'> {
  const travel = Math.abs(pen.upPct - pen.downPct);
  return {
    penRaiseS: servoSeconds(travel, pen.raiseRatePct, pen.delayUpMs),
    penLowerS: servoSeconds(travel, pen.lowerRatePct, pen.delayDownMs),
  };
}

/** The motion settings of config.yaml's `device` section (or a plotter's), by their AxiDraw names. */
export interface DeviceMotionSettings {
  speed_pendown: number;
  speed_penup: number;
  accel: number;
  const_speed: boolean;
  cornering: number;
  pen_pos_up: number;
  pen_pos_down: number;
  pen_rate_raise: number;
  pen_rate_lower: number;
  pen_delay_up: number;
  pen_delay_down: number;
}

/**
 * The profile of config.yaml's `device` section (or a plotter's); `cornering` is a plan's own
 * (`--cornering`, plan.json settings), which wins over the device's.
 */
export function motionProfile(
  device: DeviceMotionSettings,
  cornering = device.cornering,
): MotionProfile {
  return { ...deviceProfile(device), corneringMm: corneringMm(cornering) };
}

/** A profile with the plan's cornering, when the plan recorded one (see motionProfile). */
export function planProfile(profile: MotionProfile, cornering: number | undefined): MotionProfile {
  return cornering === undefined ? profile : { ...profile, corneringMm: corneringMm(cornering) };
}

function deviceProfile(device: DeviceMotionSettings): MotionProfile {
  const pen: PenSettings = {
    upPct: device.pen_pos_up,
    downPct: device.pen_pos_down,
    raiseRatePct: device.pen_rate_raise,
    lowerRatePct: device.pen_rate_lower,
    delayUpMs: device.pen_delay_up,
    delayDownMs: device.pen_delay_down,
  };
  return {
    penDownSpeedMmS: speedMmS(device.speed_pendown),
    penUpSpeedMmS: speedMmS(device.speed_penup),
    accelMmS2: (ACCEL_IN_S2 * MM_PER_IN * device.accel) / 100,
    penUpAccelMmS2: (ACCEL_PEN_UP_IN_S2 * MM_PER_IN * device.accel) / 100,
    ...penTimes(pen),
    constSpeed: device.const_speed,
    pen,
  };
}

/**
 * The profile a layer plots with: its `+S` replaces the pen-down speed and its `+H` the pen-down
 * height (so the pen's travel, hence its times), as AxiDraw's layer codes override speed_pendown
 * and pen_pos_down for that layer only.
 */
export function layerProfile(base: MotionProfile, codes: Partial<LayerCodes>): MotionProfile {
  const speed = codes.speedPct ?? null,
    height = codes.heightPct ?? null;
  if (speed === null && height === null) return base;
  const pen = height !== null && base.pen ? { ...base.pen, downPct: height } : base.pen;
  return {
    ...base,
    ...(speed !== null && { penDownSpeedMmS: speedMmS(speed) }),
    ...(pen && pen !== base.pen && { ...penTimes(pen), pen }),
  };
}
