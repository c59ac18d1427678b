import { useEffect, useMemo, useState } from 'react';
import { useJobs, visibleJobs } from '../store/jobs';
import { AddFilesButton } from '../drop/AddFilesButton';
import { DropHint, FirstSteps } from '../drop/DropHint';
import { JOB_DRAG_TYPE } from './DragHandle';
import { Filters } from './Filters';
import { QueueRow } from './QueueRow';
import { QueueSummary } from './QueueSummary';
import { VirtualList, type DropTarget } from './VirtualList';

/** app.css puts a row on two lines below this width. */
const NARROW = '(max-width: 78rem)';

function useRowHeight(): number {
  const [narrow, setNarrow] = useState(() => window.matchMedia(NARROW).matches);
  useEffect(() => {
    const query = window.matchMedia(NARROW);
    const change = () => setNarrow(query.matches);
    query.addEventListener('change', change);
    return () => query.removeEventListener('change', change);
  }, []);
  return narrow ? 100 : 76;
}

/** What each column of the rows below holds; for the eye only: each cell says what it is to a screen reader. */
function ColumnHeads({ movable }: { movable: boolean }) {
  return (
    <div
      className={movable ? 'queue-columns queue-columns-movable' : 'queue-columns'}
      aria-hidden="true"
      data-testid="queue-columns"
    >
      <span className="col-state">State</span>
      <span className="col-drawing">Drawing</span>
      <span className="col-paper">Paper</span>
      <span className="col-layers">Layers</span>
      <span className="col-time">Time</span>
      <span className="col-ink">Ink</span>
      <span className="col-where">Plotter</span>
      <span className="col-actions">Actions</span>
    </div>
  );
}

export function Queue() {
  // Field by field: progress events several times a second must not re-render the list.
  const jobs = useJobs((s) => s.jobs);
  const loaded = useJobs((s) => s.loaded);
  const error = useJobs((s) => s.error);
  const filter = useJobs((s) => s.filter);
  const reorder = useJobs((s) => s.reorder);
  const moved = useJobs((s) => s.moved);
  const rowHeight = useRowHeight();
  // Newest first: what was just dropped is what the artist looks for.
  const sorted = useMemo(
    () =>
      [...jobs].sort((a, b) =>
        a.created_at < b.created_at
          ? 1
          : a.created_at > b.created_at
            ? -1
            : a.id.localeCompare(b.id),
      ),
    [jobs],
  );
  const shown = useMemo(() => visibleJobs(sorted, filter), [sorted, filter]);
  // Only the queued view is the queue in plotting order, so only there can a row be moved.
  const movable = filter === 'QUEUED';

  const drop = useMemo<DropTarget | undefined>(
    () =>
      movable
        ? {
            accepts: (types) => types.includes(JOB_DRAG_TYPE),
            onDrop(slot, data) {
              const id = data.getData(JOB_DRAG_TYPE);
              const before = shown[slot]?.id ?? null;
              // Dropped where it already is.
              if (!id || before === id || shown[slot - 1]?.id === id) return;
              void reorder(id, before);
            },
          }
        : undefined,
    [movable, shown, reorder],
  );

  return (
    <section className="queue" aria-label="Jobs">
      <div className="queue-head">
        <AddFilesButton />
        {jobs.length ? <Filters jobs={jobs} /> : null}
      </div>
      <QueueSummary jobs={jobs} />
      {movable && shown.length > 1 ? (
        <p className="queue-hint muted">
          The top job plots first. Drag a row by its handle to change the plot order, or press Alt+↑
          / Alt+↓ on the handle.
        </p>
      ) : null}
      <p className="visually-hidden" role="status">
        {moved
          ? `${jobs.find((j) => j.id === moved.id)?.source_name ?? moved.id} is now number ${moved.place} of ${moved.of} in the queue.`
          : ''}
      </p>
      {error ? (
        <p className="error-state" role="alert">
          Cannot load the jobs: {error}
        </p>
      ) : null}
      {!loaded ? (
        <p className="empty-state">Loading jobs…</p>
      ) : jobs.length === 0 ? (
        <FirstSteps />
      ) : shown.length === 0 ? (
        <p className="empty-state">No {filter.toLowerCase()} jobs.</p>
      ) : (
        <>
          <ColumnHeads movable={movable} />
          <VirtualList
            items={shown}
            rowHeight={rowHeight}
            itemKey={(j) => j.id}
            renderRow={(j) => <QueueRow job={j} movable={movable} />}
            label="Jobs"
            drop={drop}
          />
        </>
      )}
      {loaded && jobs.length ? <DropHint /> : null}
    </section>
  );
}
