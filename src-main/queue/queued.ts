/**
 * The queue as the runner and the listing see it: QUEUED jobs, first to plot first, each with its
 * target (from the journal) and what eligibility needs of its plan. Both are read once per stay in
 * the queue and plan file, so a runner asking every second reads almost nothing.
 */
import fs from 'node:fs';
import { summarizeJournal } from '../jobs/journal';
import { queueOrder } from '../shared/job-states';
import type { Store } from '../jobs/store';
import { jobFiles } from '../jobs/workspace';
import { readPlan } from '../plan/plan-file';
import { planFacts, type PlanFacts, type QueuedJob } from './eligibility';
import { targetOf, type JobTarget } from './target';

const NO_FACTS: PlanFacts = {
  sheet: { widthMm: 0, heightMm: 0, label: '?', customPage: false },
  bounds: null,
  estimateS: 0,
};

export class QueueReader {
  private readonly plans = new Map<string, { key: string; facts: PlanFacts; problem?: string }>();
  private readonly targets = new Map<string, { seq: number; target: JobTarget }>();

  constructor(
    private readonly store: Store,
    private readonly jobsDir: string,
  ) {}

  read(): QueuedJob[] {
    const queued = this.store
      .all()
      .filter((j) => j.state === 'QUEUED')
      .sort(queueOrder);
    const ids = new Set(queued.map((j) => j.id));
    for (const id of [...this.plans.keys()]) if (!ids.has(id)) this.plans.delete(id);
    for (const id of [...this.targets.keys()]) if (!ids.has(id)) this.targets.delete(id);
    return queued.map((j) => {
      const plan = this.plan(j.id);
      return {
        id: j.id,
        target: this.target(j.id, j.last_seq),
        ...plan.facts,
        ...(plan.problem ? { problem: plan.problem } : {}),
      };
    });
  }

  /** The target of a job's current stay in the queue. */
  target(id: string, seq: number): JobTarget {
    const hit = this.targets.get(id);
    if (hit && hit.seq === seq) return hit.target;
    const last = summarizeJournal(jobFiles(this.jobsDir, id).journal).lastStateChange;
    const target =
      last?.type === 'state_change' && last.to_state === 'QUEUED' ? targetOf(last) : 'any';
    this.targets.set(id, { seq, target });
    return target;
  }

  private plan(id: string): { facts: PlanFacts; problem?: string } {
    const file = jobFiles(this.jobsDir, id).plan;
    let key: string;
    try {
      const st = fs.statSync(file);
      key = `${st.mtimeMs}:${st.size}`;
    } catch {
      return { facts: NO_FACTS, problem: `it has no plan (vfab plan ${id})` };
    }
    const hit = this.plans.get(id);
    if (hit && hit.key === key) return hit;
    let entry: { key: string; facts: PlanFacts; problem?: string };
    try {
      entry = { key, facts: planFacts(readPlan(file)) };
    } catch (err) {
      entry = {
        key,
        facts: NO_FACTS,
        problem: `its plan cannot be read: ${(err as Error).message}`,
      };
    }
    this.plans.set(id, entry);
    return entry;
  }
}
