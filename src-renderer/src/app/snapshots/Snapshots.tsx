import type { SnapshotInfo } from '../../../../src-main/camera/snapshots';
import { usePicture, useSnapshotList } from './pictures';

const SHOWN = 6;

function Thumb({ id, s }: { id: string; s: SnapshotInfo }) {
  const { src, error } = usePicture(id, s.name);
  const when = new Date(s.takenAt).toLocaleString();
  return (
    <figure className="thumb" data-testid="snapshot" data-kind={s.kind}>
      {src ? (
        <img src={src} alt={`Camera picture at ${s.kind}, ${when}`} />
      ) : (
        <div className="thumb-empty">{error ?? 'Loading…'}</div>
      )}
      <figcaption>
        {s.kind === 'latest' ? 'last view' : s.kind.replace('_', ' ')} · {when}
      </figcaption>
    </figure>
  );
}

/** The camera's pictures of this job: the newest few, the rolling last view first. */
export function Snapshots({ id, refresh }: { id: string; refresh?: unknown }) {
  const { list, error } = useSnapshotList(id, refresh);
  if (error) return <p className="row-error">Cannot list the pictures: {error}</p>;
  if (!list) return <p className="muted">Loading pictures…</p>;
  if (!list.length)
    return (
      <p className="muted">
        No camera pictures: they are taken while a plot runs with the camera on.
      </p>
    );
  const newest = [...list].reverse().slice(0, SHOWN);
  return (
    <div className="thumbs">
      {newest.map((s) => (
        <Thumb key={s.name + s.takenAt} id={id} s={s} />
      ))}
      {list.length > SHOWN ? (
        <p className="muted">{list.length - SHOWN} older pictures are in the job folder.</p>
      ) : null}
    </div>
  );
}
