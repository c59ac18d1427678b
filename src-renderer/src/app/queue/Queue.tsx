import { useMemo } from 'react';
import { useJobs, visibleJobs } from '../store/jobs';
import { AddFilesButton } from '../drop/AddFilesButton';
import { Filters } from './Filters';
import { QueueRow } from './QueueRow';
import { VirtualList } from './VirtualList';

const ROW_HEIGHT = 76;

export function Queue() {
  // Field by field: progress events several times a second must not re-render the list.
  const jobs = useJobs((s) => s.jobs);
  const loaded = useJobs((s) => s.loaded);
  const error = useJobs((s) => s.error);
  const filter = useJobs((s) => s.filter);
  // Newest first: what was just dropped is what the artist looks for.
  const sorted = useMemo(() => [...jobs].sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.id.localeCompare(b.id))), [jobs]);
  const shown = useMemo(() => visibleJobs(sorted, filter), [sorted, filter]);

  return (
    <section className="queue" aria-label="Jobs">
      <div className="queue-head">
        <AddFilesButton />
        {jobs.length ? <Filters jobs={jobs} /> : null}
      </div>
      {error ? (
        <p className="error-state" role="alert">
          Cannot load the jobs: {error}
        </p>
      ) : null}
      {!loaded ? (
        <p className="empty-state">Loading jobs…</p>
      ) : jobs.length === 0 ? (
        <div className="empty-state">
          <p className="empty-title">No jobs yet</p>
          <p>Drop SVG files anywhere on this window, or use “Add SVG files…”.</p>
        </div>
      ) : shown.length === 0 ? (
        <p className="empty-state">No {filter.toLowerCase()} jobs.</p>
      ) : (
        <VirtualList items={shown} rowHeight={ROW_HEIGHT} itemKey={(j) => j.id} renderRow={(j) => <QueueRow job={j} />} label="Jobs" />
      )}
    </section>
  );
}
