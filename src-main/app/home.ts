/**
 * `vfab home [plotter]` and the API's `devices.home`: the carriage goes home, pen up, from where
 * the step counters say it is, while the motors hold it; or a person confirms it is home after
 * pushing it there by hand. Either way the plotter's carriage record (carriage.ts) then says home,
 * so a job paused mid-sheet no longer stands in the way of another one.
 */
import type { Engine } from '../engine';
import { VfabError } from '../errors';
import { motionProfile } from '../plan/motion';
import { STEPS_PER_MM } from '../plan/planner';
import { plotterFor } from '../plotters/plotters';
import {
  carriageLostMessage,
  countersBeyondMessage,
  leftAway,
  lostWhy,
  mmText,
  motorsHold,
  readCarriage,
  stepsToMm,
  writeCarriage,
} from '../plotter/carriage';
import { servoPercent } from '../plotter/preflight';
import { homeRate, positionProblem, travelHome, waitIdle } from '../plotter/travel';
import { openPlotter } from './plot-session';

export interface HomeResult {
  plotter: string;
  port: string;
  /** 'travelled': driven home from `from`; 'at_home': it was there; 'confirmed': a person put it there (nothing moved). */
  how: 'travelled' | 'at_home' | 'confirmed';
  /** Where it stood, mm from home, when it travelled. */
  from: { x: number; y: number } | null;
}

export async function sendCarriageHome(
  engine: Engine,
  request: string | null | undefined,
  opts: { carriageAtHome?: boolean; speed?: number } = {},
): Promise<HomeResult> {
  const plotter = plotterFor(engine.config, request ?? null);
  const link = await openPlotter(
    engine,
    plotter,
    opts.speed && opts.speed > 0 ? { speed: opts.speed } : {},
  );
  try {
    const done = (how: HomeResult['how'], from: HomeResult['from'] = null): HomeResult => {
      if (link.carriageFile) writeCarriage(link.carriageFile, { where: 'home' });
      return { plotter: plotter.name, port: link.port, how, from };
    };
    // A virtual plotter of this process is born at home.
    if (!link.carriageFile) return done('at_home');
    const { ebb, capabilities: caps } = link.conn;
    if (!caps.stepCounters)
      throw new VfabError(
        'CONFIG',
        `Plotter '${plotter.name}': its EBB firmware lacks the QS step counters (2.4.3) vfab needs to find home: update the firmware.`,
      );
    if (!(await motorsHold(ebb, caps))) {
      const record = readCarriage(link.carriageFile);
      if (leftAway(record, caps) && !opts.carriageAtHome) {
        throw new VfabError(
          'INVALID_STATE',
          carriageLostMessage(
            plotter.name,
            record,
            lostWhy(caps),
            STEPS_PER_MM,
            `vfab home ${plotter.name} --carriage-at-home`,
          ),
        );
      }
      return done(opts.carriageAtHome ? 'confirmed' : 'at_home');
    }
    const here = await ebb.querySteps();
    const steps: [number, number] = [here.motor1, here.motor2];
    const beyond = positionProblem(steps, STEPS_PER_MM, plotter.device.model);
    if (beyond) {
      throw new VfabError(
        'INVALID_STATE',
        countersBeyondMessage(plotter.name, beyond, `vfab home ${plotter.name} --carriage-at-home`),
      );
    }
    await ebb.configureServo(servoPercent(plotter.device));
    await ebb.penUp(plotter.device.pen_delay_up);
    if (
      !(await travelHome(
        ebb,
        caps,
        homeRate(motionProfile(plotter.device), STEPS_PER_MM),
        link.plotter.speed,
      ))
    )
      return done('at_home');
    await waitIdle(ebb);
    return done('travelled', stepsToMm(steps, STEPS_PER_MM));
  } finally {
    await link.close();
  }
}

/** What `vfab home` prints. */
export function homeText(r: HomeResult): string {
  if (r.how === 'travelled')
    return `${r.plotter}: the carriage travelled home, pen up, from ${mmText(r.from!)}`;
  return r.how === 'confirmed'
    ? `${r.plotter}: the carriage is at home (confirmed)`
    : `${r.plotter}: the carriage is at home`;
}
