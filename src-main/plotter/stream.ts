/**
 * The in-flight window of a plot: motion commands written ahead of the board, their
 * acknowledgements, and which moves are known to have physically run (docs/recovery.md,
 * invariant 4; the rule is in runner.ts's file comment).
 */
import { EbbError, type Ebb } from './ebb';
import { waitIdle } from './travel';

/** Most unacknowledged motion commands on the wire (see runner.ts's file comment). */
export const WINDOW = 16;
export const WINDOW_MIN = 2;
/**
 * Plotter ms of motion the unacknowledged commands should hold when they are short: what covers
 * a host hiccup (GC, a journal fsync, a busy CPU) at real speed. Kept in plotter time so a fast
 * virtual plotter has the same in-flight window, hence the same re-inking after a crash.
 */
export const WINDOW_MS = 50;
/** The motion FIFO depth used (the EBB's boot default; not changed with CU,4). */
export const FIFO_DEPTH = 1;

export class MotionStream {
  /** Program move index of each command sent, or −1 for commands the runner adds (travel, pen). */
  private readonly sent: number[] = [];
  /** Highest send number known to be physically done. */
  private doneSeq = -1;
  private unacked = 0;
  private unackedMs = 0;
  private failedSeq = -1;
  private waiters: (() => void)[] = [];
  /** The first command that failed; later acknowledgements confirm nothing. */
  failure: Error | null = null;

  constructor(
    private readonly ebb: Ebb,
    /** How many times faster than planned the plotter runs: its replies come that much sooner. */
    private readonly speedFactor: number,
    /** The move confirmed before anything is sent (the checkpoint resumed from, or −1). */
    private readonly from: number,
  ) {}

  /** Writes a command for `move` (−1: not a program move) holding `motionMs` of plotter motion. */
  send(cmd: string, move: number, motionMs: number): void {
    const seq = this.sent.length;
    this.sent.push(move);
    this.unacked++;
    this.unackedMs += motionMs;
    const settled = () => {
      this.unacked--;
      this.unackedMs -= motionMs;
    };
    this.ebb.command(cmd, 'ok', { motionMs: motionMs / this.speedFactor }).then(
      () => {
        settled();
        if (this.failure === null) this.setDone(seq - (FIFO_DEPTH + 1));
        this.wake();
      },
      (err: Error) => {
        settled();
        if (this.failure === null) {
          this.failure = err;
          this.failedSeq = seq;
        }
        this.wake();
      },
    );
  }

  /** A move that sends nothing (a layer pause) and is passed once the board has drained. */
  passed(move: number): void {
    this.sent.push(move);
    this.setDone(this.sent.length - 1);
  }

  /** The last program move known to have run. */
  confirmedMove(): number {
    return this.moveThrough(this.doneSeq);
  }

  /**
   * The last move a reply to an immediate query sent now proves run, once that reply is in and no
   * command failed: the board parses the query only after taking every command written before it
   * into the FIFO, so all but the last FIFO_DEPTH + 1 of those had finished when it answered.
   */
  doneWhenAnswered(): number {
    return this.moveThrough(Math.max(this.doneSeq, this.sent.length - 1 - (FIFO_DEPTH + 1)));
  }

  /** Until the window has room for one more command; false when a command failed meanwhile. */
  async room(): Promise<boolean> {
    while (this.full() && this.failure === null) await this.nextAck();
    return this.failure === null;
  }

  /** Until every command sent is acknowledged (failures or not). */
  async acknowledged(): Promise<void> {
    while (this.unacked > 0) await this.nextAck();
  }

  /** Until every command sent is acknowledged; throws the first failure. */
  async acknowledgedOk(): Promise<void> {
    while (this.unacked > 0 && this.failure === null) await this.nextAck();
    if (this.failure) throw this.failure;
  }

  /** Every command sent has run: acknowledged, then the board idle. Throws the first failure. */
  async drain(): Promise<void> {
    await this.acknowledgedOk();
    const before = this.sent.length - 1;
    await waitIdle(this.ebb);
    this.setDone(before);
  }

  /** Acknowledged and idle, whatever failed: what ran is then known. */
  async settle(): Promise<void> {
    await this.acknowledged();
    await waitIdle(this.ebb);
  }

  /** After a rejected command and a settled board: everything sent before it ran. */
  confirmBeforeFailure(): void {
    if (this.failedSeq >= 0) this.setDone(this.failedSeq - 1);
  }

  /** The link is gone (closed or silent), as opposed to the board refusing a command. */
  static linkLost(err: unknown): boolean {
    return err instanceof EbbError && (err.kind === 'closed' || err.kind === 'timeout');
  }

  /** The last program move among the commands sent up to number `seq` (the resume point if none). */
  private moveThrough(seq: number): number {
    for (let s = Math.min(seq, this.sent.length - 1); s >= 0; s--)
      if (this.sent[s]! >= 0) return Math.max(this.from, this.sent[s]!);
    return this.from;
  }

  private full(): boolean {
    return this.unacked >= WINDOW || (this.unacked >= WINDOW_MIN && this.unackedMs >= WINDOW_MS);
  }

  private nextAck(): Promise<void> {
    return new Promise<void>((r) => this.waiters.push(r));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  private setDone(seq: number): void {
    if (seq > this.doneSeq) this.doneSeq = seq;
  }
}
