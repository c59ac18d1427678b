import { useDetail } from '../store/detail';
import { useJobs } from '../store/jobs';
import { useUploads, type Upload } from '../store/uploads';

const STATUS_TEXT: Record<Upload['status'], string> = {
  reading: 'Reading…',
  adding: 'Adding and planning…',
  added: 'Added',
  error: 'Not added',
};

/** One line per dropped file: where it got, or plainly why not. */
export function Uploads() {
  const { uploads, dismiss, clearFinished } = useUploads();
  const jobs = useJobs((s) => s.jobs);
  const showDetail = useDetail((s) => s.show);
  if (!uploads.length) return null;
  // Read and analyzed, but not fitted to the paper: other plan settings can still make it plot.
  const replannable = (id: string | undefined) =>
    id !== undefined && jobs.some((j) => j.id === id && j.state === 'ANALYZED');
  return (
    <section className="uploads" aria-label="Dropped files">
      <header className="uploads-head">
        <h2>Dropped files</h2>
        <button type="button" className="btn" onClick={clearFinished}>
          Clear finished
        </button>
      </header>
      <ul>
        {uploads.map((u) => (
          <li
            key={u.key}
            className={`upload upload-${u.status}`}
            data-testid="upload"
            data-status={u.status}
          >
            <span className="upload-name">{u.name}</span>
            {/* A file that does not plan (does not fit, nothing to draw) is still kept as a FAILED job to re-plan. */}
            <span className="upload-status">
              {u.status === 'error' && u.jobId
                ? 'Added, but it cannot be planned'
                : STATUS_TEXT[u.status]}
            </span>
            {u.message ? (
              <span
                className={u.status === 'error' ? 'upload-error' : 'upload-message'}
                role={u.status === 'error' ? 'alert' : undefined}
              >
                {u.status === 'added' && u.jobId ? `${u.jobId}: ${u.message}` : u.message}
              </span>
            ) : null}
            {u.status === 'error' && replannable(u.jobId) ? (
              <button type="button" className="btn" onClick={() => showDetail(u.jobId!, 'plan')}>
                Plan…
              </button>
            ) : null}
            {u.status === 'added' || u.status === 'error' ? (
              <button
                type="button"
                className="btn btn-quiet"
                aria-label={`Dismiss ${u.name}`}
                onClick={() => dismiss(u.key)}
              >
                ×
              </button>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
