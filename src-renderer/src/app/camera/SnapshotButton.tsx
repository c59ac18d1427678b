import { dataUrl } from '../snapshots/pictures';
import { useCamera, type Snapshot } from '../store/camera';
import { useSystem } from '../store/system';

/** 2026-11-26T01:02:03.456Z → 20261126T010203Z: a file name every system accepts. */
const fileTime = (iso: string) => iso.replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');

function Taken({ shot }: { shot: Snapshot }) {
  const src = dataUrl(shot);
  const when = new Date(shot.takenAt).toLocaleTimeString();
  return (
    <figure className="snapshot" data-testid="camera-snapshot">
      {/* Not draggable: a dragged image carries a file, and the window would take it for an SVG to add. */}
      <img src={src} alt={`Camera snapshot at ${when}`} draggable={false} />
      <figcaption>
        <time dateTime={shot.takenAt}>{when}</time>
        {shot.savedAs ? (
          <span>
            Saved to job {shot.job} as {shot.savedAs}
          </span>
        ) : (
          <a href={src} download={`vfab-snapshot-${fileTime(shot.takenAt)}.jpg`}>
            Save…
          </a>
        )}
      </figcaption>
    </figure>
  );
}

/** A picture of the paper now; while exactly one plot runs here it also goes into that job's snapshots. */
export function SnapshotButton() {
  const { snapshot, snapshotError, taking, takeSnapshot } = useCamera();
  const plotting = useSystem((s) => s.info?.plotting);
  const job = plotting?.length === 1 ? plotting[0] : undefined;
  return (
    <div className="snapshot-area">
      <div className="snapshot-take">
        {/* aria-disabled, not disabled: a disabled button drops the keyboard focus. */}
        <button
          type="button"
          className="btn"
          aria-disabled={taking}
          onClick={() => taking || void takeSnapshot(job)}
        >
          {taking ? 'Taking snapshot…' : 'Take snapshot'}
        </button>
        {job ? <span className="muted">Kept with {job}, which is plotting.</span> : null}
      </div>
      {snapshotError ? (
        <p className="row-error" role="alert">
          Cannot take a snapshot: {snapshotError}
        </p>
      ) : null}
      {snapshot ? <Taken shot={snapshot} /> : null}
    </div>
  );
}
