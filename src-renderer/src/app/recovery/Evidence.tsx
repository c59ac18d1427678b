import { useEffect } from 'react';
import type { JobCondition } from '../../../../src-main/recovery/classify';
import { LiveView } from '../camera/LiveView';
import { DrawingView } from '../drawing/DrawingView';
import { backUpPoint } from '../drawing/geometry';
import { useDoneIndex, useDrawing } from '../drawing/hooks';
import { usePicture, useSnapshotList } from '../snapshots/pictures';
import { useCamera } from '../store/camera';

/** What is on paper and what remains, from the plan and the checkpoint. */
export function PaperState({
  condition,
  plannedAt,
  backUp = 0,
}: {
  condition: JobCondition;
  plannedAt: string | null;
  backUp?: number;
}) {
  const { drawing, error } = useDrawing(condition.id, plannedAt);
  const done = useDoneIndex(condition.id, drawing, condition.checkpoint);
  if (plannedAt === null) return <p className="muted">The job has no plan to draw.</p>;
  if (error) return <p className="row-error">Cannot show the drawing: {error}</p>;
  if (!drawing) return <p className="muted">Drawing the plan…</p>;
  const share = drawing.points ? Math.round(((done + 1) / drawing.points) * 100) : 0;
  const from = backUpPoint(drawing, done, backUp);
  return (
    <figure className="evidence">
      <DrawingView
        drawing={drawing}
        done={done}
        redrawFrom={backUp ? from : undefined}
        label={`${condition.id}: ${share}% of the drawing is on paper`}
      />
      <figcaption>
        On paper (ink) and still to draw (grey): {share}% done
        {backUp ? (
          <span className="redraw-note">
            ; drawn again on resume (orange): the last{' '}
            {backUp === 1 ? 'stroke' : `${backUp} strokes`}
          </span>
        ) : null}
      </figcaption>
    </figure>
  );
}

/** The camera's last view of the paper before the plot stopped (latest.jpg is refreshed while plotting). */
export function LastFrame({ id }: { id: string }) {
  const { list } = useSnapshotList(id);
  const latest = list?.find((s) => s.kind === 'latest');
  const { src, error } = usePicture(id, latest?.name);
  const when = latest ? new Date(latest.takenAt).toLocaleString() : undefined;
  return (
    <figure className="evidence" data-testid="last-frame">
      {src ? (
        <img className="live" src={src} alt={`The paper as the camera last saw it, ${when}`} />
      ) : (
        <div className="thumb-empty">
          {list && !latest ? 'No camera picture of this plot' : (error ?? 'Loading…')}
        </div>
      )}
      <figcaption>{when ? `Last camera frame, ${when}` : 'Last camera frame'}</figcaption>
    </figure>
  );
}

/** The paper now, to compare with the last frame: has it moved, is the pen where it stopped? */
export function LiveFrame() {
  const info = useCamera((s) => s.info);
  const viewer = useCamera((s) => s.viewer);
  const refresh = useCamera((s) => s.refresh);
  useEffect(() => void refresh(), [refresh]);
  return (
    <figure className="evidence" data-testid="live-frame">
      {info?.enabled ? (
        <LiveView viewer={viewer} />
      ) : (
        <div className="thumb-empty">
          {info ? `Camera off${info.reason ? `: ${info.reason}` : ''}` : 'Asking vfab…'}
        </div>
      )}
      <figcaption>Live view</figcaption>
    </figure>
  );
}
