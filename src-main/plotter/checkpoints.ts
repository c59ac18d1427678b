/**
 * The checkpoint policy (docs/recovery.md, invariant 4): a few a second, each naming only moves
 * known to have run, each journaled before the plot goes on.
 */
import type { Checkpoint } from '../jobs/checkpoint';
import type { JobService } from '../jobs/lifecycle';
import type { ProgramTable } from './program-table';

export class Checkpoints {
  private lastAt = 0;

  constructor(
    private readonly jobs: JobService,
    private readonly id: string,
    private readonly table: ProgramTable,
    /** Wall-clock period between checkpoints. */
    private readonly everyMs: number,
    /** The last one journaled (a resume's starting point), if any. */
    public last: Checkpoint | undefined,
  ) {}

  /** Journals one at `move` when it is beyond the last and due (or `force`d); the latest one. */
  at(move: number, force: boolean): Checkpoint | undefined {
    if (this.last && this.last.move >= move) return this.last;
    if (!force && Date.now() - this.lastAt < this.everyMs) return this.last;
    const cp = this.table.checkpointOf(move);
    this.jobs.checkpoint(this.id, cp);
    this.last = cp;
    this.lastAt = Date.now();
    return cp;
  }
}
