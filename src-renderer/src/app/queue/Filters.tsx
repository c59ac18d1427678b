import { JOB_STATES } from '../../../../src-main/shared/job-states';
import type { IndexedJob } from '../../../../src-main/jobs/store';
import { useJobs, type Filter } from '../store/jobs';

function counts(jobs: readonly IndexedJob[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const j of jobs) m.set(j.state, (m.get(j.state) ?? 0) + 1);
  return m;
}

export function Filters({ jobs }: { jobs: readonly IndexedJob[] }) {
  const filter = useJobs((s) => s.filter);
  const setFilter = useJobs((s) => s.setFilter);
  const n = counts(jobs);
  const options: Filter[] = ['ALL', ...JOB_STATES.filter((s) => n.has(s) || s === filter)];
  return (
    <div className="filters" role="group" aria-label="Show jobs in state">
      {options.map((f) => (
        <button
          key={f}
          type="button"
          className="chip"
          aria-pressed={filter === f}
          onClick={() => setFilter(f)}
        >
          {f === 'ALL' ? 'All' : f.toLowerCase()}{' '}
          <span className="chip-count">{f === 'ALL' ? jobs.length : (n.get(f) ?? 0)}</span>
        </button>
      ))}
    </div>
  );
}
