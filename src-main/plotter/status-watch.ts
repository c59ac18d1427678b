/**
 * The board's status read while a plot streams: the pause button and, where QC exists, the motor
 * supply. A checkpoint then names only moves known to have run with power.
 */
import type { Ebb, EbbCapabilities } from './ebb';
import type { MotionStream } from './stream';

export interface StatusEvents {
  pausePressed(): void;
  powerLost(): void;
}

export class StatusWatch {
  /** Highest confirmed move known to have run with motor power (QC read after it finished). */
  powerOkMove: number;
  private pending: Promise<void> | null = null;
  private lastAt = Date.now();

  constructor(
    private readonly ebb: Ebb,
    private readonly caps: EbbCapabilities,
    private readonly stream: MotionStream,
    private readonly everyMs: number,
    from: number,
    private readonly on: StatusEvents,
  ) {
    this.powerOkMove = from;
  }

  /** Moves a checkpoint may name: confirmed, and (where QC exists) drawn while the motors had power. */
  safeMove(): number {
    const confirmed = this.stream.confirmedMove();
    return this.caps.qc ? Math.min(confirmed, this.powerOkMove) : confirmed;
  }

  /** Reads QC; records what is known drawn with power, or reports the loss. */
  async readPower(): Promise<boolean> {
    // Only moves that ended before the board read the supply count: those confirmed now, and
    // those the commands written ahead of QC prove finished (stream.ts). Acks that arrive after
    // the reply may confirm moves run after the supply failed.
    const confirmed = this.stream.confirmedMove();
    const proven = this.stream.doneWhenAnswered();
    const power = await this.ebb.queryPower();
    // A failed command breaks the rule the proof rests on: then only what was confirmed counts.
    const ran = this.stream.failure ? confirmed : proven;
    if (power.motorPower) this.powerOkMove = Math.max(this.powerOkMove, ran);
    else this.on.powerLost();
    return power.motorPower;
  }

  /** Before a pause or completion is journaled: were the motors powered all along? */
  async powered(): Promise<boolean> {
    return !this.caps.qc || (await this.readPower());
  }

  /** Starts a status read when one is due and none is under way. */
  poll(): void {
    if (this.pending || Date.now() - this.lastAt < this.everyMs) return;
    this.lastAt = Date.now();
    // Both queries travel together behind the queued motion: one round trip, not two.
    const button = this.ebb.queryButton().then((pressed) => {
      if (pressed) this.on.pausePressed();
    });
    this.pending = Promise.all([button, this.caps.qc ? this.readPower() : null])
      .then(() => {})
      .catch(() => {}) // the motion command ahead of it reports the failure
      .finally(() => (this.pending = null));
  }
}
