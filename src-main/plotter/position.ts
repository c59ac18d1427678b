/**
 * Where a plot's carriage stands before anything moves: known from the step counters while the
 * motors hold it, from the record of where vfab left it (carriage.ts), or from the user. A plot
 * that cannot know it sends nothing (docs/recovery.md, "Where the carriage is").
 */
import { VfabError } from '../errors';
import type { PlotHistory } from '../jobs/checkpoint';
import type { PLOTTER_TRAVEL } from '../plan/paper';
import {
  carriageLostMessage,
  countersBeyondMessage,
  leftAway,
  lostWhy,
  motorsHold,
  readCarriage,
  writeCarriage,
} from './carriage';
import type { Ebb, EbbCapabilities } from './ebb';
import { positionProblem } from './travel';

/** The plotter lost its position (motor power or a reset) and nobody confirmed it is at home. */
export class PositionUnknownError extends VfabError {
  constructor(
    readonly jobId: string,
    why: string,
    /** The whole message, when the record of where vfab left the carriage (carriage.ts) says it. */
    message?: string,
  ) {
    super(
      'INVALID_STATE',
      message ??
        `Job '${jobId}': ${why}, so the carriage position is unknown. Move the carriage by hand to the home corner ` +
          `(where it was when the plot started), then resume with the carriage-at-home confirmation (vfab resume ${jobId} --carriage-at-home).`,
    );
  }
}

export interface PlotCarriageOptions {
  ebb: Ebb;
  caps: EbbCapabilities;
  jobId: string;
  /** As the user knows it: the plotter's name, else its port. */
  plotterName: string;
  stepsPerMm: number;
  model: keyof typeof PLOTTER_TRAVEL;
  /** Where vfab records this plotter's carriage; absent: nothing is recorded. */
  carriageFile?: string;
  /** The user confirmed the carriage is at home. */
  carriageAtHome?: boolean;
}

export class PlotCarriage {
  constructor(private readonly o: PlotCarriageOptions) {}

  /**
   * Before a plot from home: where the carriage stands is known, from the counters while the
   * motors hold it, or because it was left at home (or confirmed there); else nothing moves.
   */
  async known(): Promise<void> {
    const { ebb, caps, jobId, plotterName } = this.o;
    if (!caps.stepCounters) return; // the pre-flight refuses such firmware
    if (await motorsHold(ebb, caps)) return this.countersInTravel('plot');
    const record =
      this.o.carriageFile && !this.o.carriageAtHome ? readCarriage(this.o.carriageFile) : undefined;
    if (!leftAway(record, caps)) return;
    const why = lostWhy(caps);
    throw new PositionUnknownError(
      jobId,
      why,
      carriageLostMessage(
        plotterName,
        record,
        why,
        this.o.stepsPerMm,
        `vfab plot ${jobId} --carriage-at-home (or vfab home ${plotterName} --carriage-at-home)`,
      ),
    );
  }

  /** Moves from the counters' position are sent only when it is inside the model's travel. */
  async countersInTravel(verb: 'plot' | 'resume'): Promise<void> {
    const here = await this.o.ebb.querySteps();
    const beyond = positionProblem([here.motor1, here.motor2], this.o.stepsPerMm, this.o.model);
    if (beyond)
      throw new PositionUnknownError(
        this.o.jobId,
        beyond,
        countersBeyondMessage(
          this.o.plotterName,
          beyond,
          `vfab ${verb} ${this.o.jobId} --carriage-at-home`,
        ),
      );
  }

  /**
   * Is the step counters' idea of the carriage position void since the plot stopped? Says why, or
   * null. `stoppedAt` is where the last checkpoint left it, `start` the program's origin.
   */
  async lost(
    history: PlotHistory | undefined,
    stoppedAt: readonly [number, number],
    start: readonly [number, number],
  ): Promise<string | null> {
    const { ebb, caps } = this.o;
    if (history?.powerLost) return "the plotter's motor power was cut during the plot";
    if (caps.qe) {
      const en = await ebb.queryMotorEnable();
      if (en.motor1 !== 16 || en.motor2 !== 16)
        return 'the plotter was switched off or reset since (its motors are not engaged)';
      return null;
    }
    // Before QE (2.8.0): zeroed counters away from the start can only mean a reset.
    const here = await ebb.querySteps();
    if (
      here.motor1 === 0 &&
      here.motor2 === 0 &&
      (stoppedAt[0] !== start[0] || stoppedAt[1] !== start[1])
    )
      return 'the plotter was reset since (its step counters are zero)';
    return null;
  }

  /** Records that this job's plot has the carriage away from home (`steps`: where it stopped). */
  leftAt(steps?: [number, number]): void {
    if (this.o.carriageFile)
      writeCarriage(this.o.carriageFile, {
        where: 'away',
        job: this.o.jobId,
        ...(steps ? { steps } : {}),
      });
  }

  /** Records that the carriage was driven home. */
  cameHome(): void {
    if (this.o.carriageFile) writeCarriage(this.o.carriageFile, { where: 'home' });
  }
}
