import { useEffect, useRef, useState } from 'react';
import type { JobInfo } from '../../../../src-main/api/contract';
import { api, errorText } from '../../client';
import { duration, millimetres, plural } from '../format';
import { ProgressBar } from '../queue/ProgressBar';
import { StateBadge } from '../queue/StateBadge';
import { useDetail } from '../store/detail';
import { useJobs } from '../store/jobs';
import { DrawingView } from '../drawing/DrawingView';
import { useDoneIndex, useDrawing } from '../drawing/hooks';
import { Snapshots } from '../snapshots/Snapshots';
import { JobActions } from './JobActions';
import { PenStep } from './PenStep';
import { PlanForm } from './PlanForm';
import { Timeline } from './Timeline';

/** Progress and time left while this job plots, as big as the state: what is read from across the room. */
function LiveProgress({ id }: { id: string }) {
  const progress = useJobs((s) => s.progress[id]);
  const speed = useJobs((s) => s.speeds[id] ?? 1);
  return progress ? (
    <ProgressBar
      fraction={progress.fraction}
      etaS={progress.etaS / speed}
      label={`${id} progress`}
    />
  ) : null;
}

/** The drawing from the plan, with the part on paper drawn over it as the plot goes. */
function Preview({ id, plannedAt }: { id: string; plannedAt: string }) {
  const { drawing, error } = useDrawing(id, plannedAt);
  const done = useDoneIndex(id, drawing);
  const [travel, setTravel] = useState(false);
  if (error) return <p className="row-error">Cannot show the drawing: {error}</p>;
  if (!drawing) return <p className="muted">Drawing the plan…</p>;
  return (
    <>
      <DrawingView
        drawing={drawing}
        done={done}
        travel={travel}
        label={`${id}: the drawing, ${done + 1} of ${drawing.points} points on paper`}
      />
      <div className="drawing-legend">
        <span className="key key-done">on paper</span>
        <span className="key key-left">remaining</span>
        <label>
          <input type="checkbox" checked={travel} onChange={(e) => setTravel(e.target.checked)} />{' '}
          Show pen-up travel
        </label>
      </div>
    </>
  );
}

function Stats({ info }: { info: JobInfo }) {
  const s = info.plan?.summary;
  if (!s)
    return (
      <p className="muted">Not planned yet: plan the job to see its paper, layers and estimate.</p>
    );
  return (
    <dl className="facts" data-testid="stats">
      <dt>Paper</dt>
      <dd>
        {/* A document's own custom page is already named by its size ("200 × 150 mm"). */}
        {/^\d/.test(s.paper)
          ? s.paper
          : `${s.paper} (${Math.round(s.paperWidthMm)} × ${Math.round(s.paperHeightMm)} mm)`}
        , scale {s.scale.toFixed(2)}
        {s.rotated && (
          <span className="muted">
            {' '}
            · drawing turned 90°: its top is at the left edge of the sheet
          </span>
        )}
      </dd>
      <dt>Estimate</dt>
      <dd>{duration(s.estimateS)}</dd>
      <dt>Drawing</dt>
      <dd>
        {plural(s.layerCount, 'layer')}, {plural(s.pathCount, 'path')}, {millimetres(s.penDownMm)}{' '}
        of ink
      </dd>
      <dt>Travel</dt>
      <dd>
        {millimetres(s.travelMm)} (unoptimised {millimetres(s.travelBeforeMm)}),{' '}
        {plural(s.lifts, 'pen lift')}
      </dd>
    </dl>
  );
}

/** A layer's AxiDraw codes in words ("speed 75 %, pen 40 %, wait 500 ms first"); empty when it has none. */
function layerSettings(l: {
  speedPct?: number | null;
  heightPct?: number | null;
  delayMs?: number | null;
}): string {
  return [
    l.speedPct != null && `speed ${l.speedPct} %`,
    l.heightPct != null && `pen ${l.heightPct} %`,
    l.delayMs != null && `wait ${l.delayMs} ms first`,
  ]
    .filter(Boolean)
    .join(', ');
}

function Layers({ info }: { info: JobInfo }) {
  const layers = info.plan?.layers ?? [];
  if (!layers.length) return null;
  return (
    <table className="layers">
      <thead>
        <tr>
          <th scope="col">Layer</th>
          <th scope="col">Pen</th>
          <th scope="col">Stops before</th>
          <th
            scope="col"
            title="AxiDraw layer codes in the layer name: +S pen-down speed, +H pen-down height, +D delay before the layer"
          >
            Layer settings
          </th>
          <th scope="col">Ink</th>
          <th scope="col">Time</th>
        </tr>
      </thead>
      <tbody>
        {layers.map((l, i) => (
          <tr key={i}>
            <td>{l.name}</td>
            <td>{l.pen ?? '—'}</td>
            <td>
              {l.pause === 'pen_change' ? 'pen change' : l.pause === 'layer_pause' ? 'pause' : '—'}
            </td>
            <td>{layerSettings(l) || '—'}</td>
            <td>{millimetres(l.estimate.penDownMm)}</td>
            <td>{duration(l.estimate.seconds)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One job in full: what the plan says and everything its journal has recorded. */
export function JobDetail() {
  const { id, planning, close } = useDetail();
  const job = useJobs((s) => (id ? s.jobs.find((j) => j.id === id) : undefined));
  const state = job?.state;
  const step = useJobs((s) => (id && state === 'PAUSED' ? s.conditions[id]?.step : undefined));
  const [info, setInfo] = useState<JobInfo>();
  const [error, setError] = useState<string>();
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (!id) return;
    let live = true;
    api.call('jobs.get', { id }).then(
      (i) => live && (setInfo(i), setError(undefined)),
      (err: unknown) => live && setError(errorText(err)),
    );
    return () => void (live = false);
  }, [id, state]);
  useEffect(() => heading.current?.focus(), [id]);
  useEffect(() => {
    if (!id) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [id, close]);

  if (!id) return null;
  return (
    <aside className="detail" aria-labelledby="detail-title" data-testid="detail">
      <header className="detail-head">
        <h2 id="detail-title" ref={heading} tabIndex={-1}>
          {info?.meta?.source_name ?? id}
        </h2>
        <button type="button" className="btn btn-quiet" onClick={close} aria-label="Close details">
          ×
        </button>
      </header>
      {error ? (
        <p className="row-error" role="alert">
          {error}
        </p>
      ) : !info || info.id !== id ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <p className="big-state">
            {info.state ? <StateBadge state={info.state} /> : 'unreadable journal'}
          </p>
          {job ? <JobActions job={job} except={step ? 'continue' : undefined} /> : null}
          {job && step ? <PenStep job={job} step={step} /> : null}
          {state === 'PLOTTING' || state === 'ARMED' || state === 'PAUSED' ? (
            <LiveProgress id={id} />
          ) : null}
          {info.plan ? <Preview id={id} plannedAt={info.plan.createdAt} /> : null}
          <Stats info={info} />
          {state === 'NEW' || state === 'ANALYZED' || state === 'READY' ? (
            <PlanForm key={id} info={info} focus={planning} />
          ) : null}
          <Layers info={info} />
          <h3>Camera</h3>
          <Snapshots id={id} refresh={state} />
          <h3>Journal</h3>
          {info.journal.problems.length ? (
            <p className="row-error">
              {info.journal.problems.length} damaged journal lines were skipped.
            </p>
          ) : null}
          <Timeline history={info.journal.history} />
        </>
      )}
    </aside>
  );
}
