import type { PlotterInfo } from '../../../../src-main/api/contract';
import { LiveView } from '../camera/LiveView';
import { ProgressBar } from '../queue/ProgressBar';
import { useDetail } from '../store/detail';
import { useJobs } from '../store/jobs';
import { usePlotters } from '../store/plotters';

/** A job's id as a way into its detail. */
function JobLink({ id }: { id: string }) {
  const show = useDetail((s) => s.show);
  return (
    <button type="button" className="link job-link" onClick={() => show(id)} title="Show details">
      {id}
    </button>
  );
}

function Plotting({
  plotter,
  job,
  fraction,
}: {
  plotter: PlotterInfo;
  job: string;
  fraction: number;
}) {
  const progress = useJobs((s) => s.progress[job]);
  return (
    <>
      <p className="plotter-state">
        <strong>Plotting</strong> <JobLink id={job} />
      </p>
      {/* The ETA is plotter time at speed 1. */}
      <ProgressBar
        fraction={progress?.fraction ?? fraction}
        etaS={progress ? progress.etaS / plotter.speed : undefined}
        label={`${plotter.name} progress`}
      />
    </>
  );
}

function WaitingForPaper({
  plotter,
  next,
  byPerson,
}: {
  plotter: PlotterInfo;
  next: string;
  byPerson: boolean;
}) {
  const busy = usePlotters((s) => s.paperBusy[plotter.name] === true);
  const paperChanged = usePlotters((s) => s.paperChanged);
  return (
    <>
      <p className="plotter-state">
        <strong>{byPerson ? 'Waiting for paper' : 'Page delay'}</strong>{' '}
        <span className="plotter-next">
          <span className="muted">before</span> <JobLink id={next} />
        </span>
      </p>
      {byPerson ? (
        plotter.inRun ? (
          <p className="plotter-action">
            <button
              type="button"
              className="btn btn-primary"
              disabled={busy}
              onClick={() => void paperChanged(plotter.name)}
              aria-label={`Paper changed on ${plotter.name}`}
              title="A fresh sheet is loaded: plot the next job (the plotter's PRG button does the same)"
              data-testid="paper-changed"
            >
              {busy ? 'Paper changed…' : 'Paper changed'}
            </button>
            <span className="muted plotter-hint">or press its PRG button</span>
          </p>
        ) : (
          <p className="muted">
            Another vfab runs its queue: confirm there, or press its PRG button.
          </p>
        )
      ) : null}
    </>
  );
}

function StateView({ plotter }: { plotter: PlotterInfo }) {
  const s = plotter.state;
  switch (s.kind) {
    case 'idle':
      return (
        <p className="plotter-state">
          <strong>Idle</strong>
        </p>
      );
    case 'connecting':
      return (
        <p className="plotter-state">
          <strong>Connecting…</strong>
        </p>
      );
    case 'plotting':
      return <Plotting plotter={plotter} job={s.job} fraction={s.fraction} />;
    case 'waiting_paper':
      return <WaitingForPaper plotter={plotter} next={s.next} byPerson={s.how === 'person'} />;
    case 'holding':
      return (
        <>
          <p className="plotter-state">
            <strong>Holding {s.state === 'PAUSED' ? 'paused' : 'interrupted'} job</strong>{' '}
            <JobLink id={s.job} />
          </p>
          <p className="plotter-why" title={s.why}>
            {s.why}
          </p>
        </>
      );
    case 'offline':
      return (
        <>
          <p className="plotter-state">
            <strong>Offline</strong>
          </p>
          <p className="plotter-why" title={s.reason}>
            {s.reason}
          </p>
        </>
      );
  }
}

/** One plotter: what it is, what is loaded, what it does now, and its own camera's view when it has one. */
export function PlotterCard({ plotter }: { plotter: PlotterInfo }) {
  return (
    <article
      className={`plotter-card plotter-${plotter.state.kind}`}
      aria-labelledby={`plotter-${plotter.name}`}
      data-testid="plotter"
      data-plotter={plotter.name}
      data-state={plotter.state.kind}
    >
      <header className="plotter-head">
        <h3 id={`plotter-${plotter.name}`}>{plotter.name}</h3>
        <span className="muted">
          {plotter.model} · {plotter.paper ? `${plotter.paper} loaded` : 'any paper'}
        </span>
      </header>
      <StateView plotter={plotter} />
      {plotter.camera ? (
        <LiveView
          viewer={plotter.camera}
          alt={`Live view of plotter ${plotter.name}`}
          testId="plotter-camera"
        />
      ) : null}
    </article>
  );
}
