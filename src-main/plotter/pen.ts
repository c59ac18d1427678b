/**
 * The pen during a plot: its servo height and raise/lower times follow the layer it draws (a
 * layer's +H and +S codes), and it is lowered only through the motion stream, in order.
 */
import type { MotionProfile } from '../plan/motion';
import { layerProfile } from '../plan/motion';
import type { Plan } from '../plan/plan-file';
import { sourceOf, type MotionProgram } from '../plan/planner';
import { servoPosition, type Ebb } from './ebb';
import type { MotionStream } from './stream';

const penUpCmdOf = (profile: MotionProfile) =>
  `SP,1,${Math.max(1, Math.round(profile.penRaiseS * 1000))}`;

export class PenControl {
  /** The pen is down, or a command lowering it was sent. */
  down = false;
  /** The profile of the layer the pen last went down in: it is raised with that layer's time. */
  private profile: MotionProfile;
  /** The pen-down height SC,5 holds: the pre-flight set config's, a layer's +H changes it. */
  private servoDownPct: number;
  private readonly layerProfiles: MotionProfile[];

  constructor(
    private readonly ebb: Ebb,
    private readonly stream: MotionStream,
    private readonly program: MotionProgram,
    private readonly layers: Plan['layers'],
    private readonly base: MotionProfile,
    /** config.yaml's pen_pos_down: what the pre-flight set, and what a plot leaves set. */
    private readonly defaultDownPct: number,
  ) {
    this.profile = base;
    this.servoDownPct = defaultDownPct;
    this.layerProfiles = layers.map((l) => layerProfile(base, l));
  }

  /** Before the pen goes down for move k: the servo and the raise time are those of k's layer. */
  async readyFor(k: number): Promise<void> {
    const layer = sourceOf(this.program, k)?.layer;
    this.profile = layer === undefined ? this.base : this.layerProfiles[layer]!;
    await this.servoDown(
      (layer === undefined ? null : this.layers[layer]!.heightPct) ?? this.defaultDownPct,
    );
  }

  /** Puts config's pen-down height back, as the next plot's pre-flight expects it. */
  restore(): Promise<void> {
    return this.servoDown(this.defaultDownPct);
  }

  /** Queues the pen lowering (call `readyFor` first). */
  lower(): void {
    const ms = Math.round(this.profile.penLowerS * 1000);
    this.stream.send(`SP,0,${Math.max(1, ms)}`, -1, ms);
    this.down = true;
  }

  /** Queues the pen lift behind the motion sent. */
  raise(): void {
    this.stream.send(penUpCmdOf(this.profile), -1, this.raiseMs);
    this.down = false;
  }

  /** Lifts the pen at once, outside the stream (after an emergency stop). */
  async raiseNow(): Promise<void> {
    await this.ebb.command(penUpCmdOf(this.profile), 'ok', { motionMs: this.raiseMs });
  }

  private get raiseMs(): number {
    return this.profile.penRaiseS * 1000;
  }

  private async servoDown(pct: number): Promise<void> {
    if (pct === this.servoDownPct) return;
    // Only with the queue empty: a pen-down still queued must not take the new height.
    await this.stream.drain();
    await this.ebb.command(`SC,5,${servoPosition(pct)}`, 'ok');
    this.servoDownPct = pct;
  }
}
