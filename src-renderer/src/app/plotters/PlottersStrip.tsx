import { usePlotters } from '../store/plotters';
import { PlotterCard } from './PlotterCard';
import { QueueControls } from './QueueControls';

/** Every plotter config.yaml names, one card each, side by side (scrolling sideways when they do not fit), under the queue runner's controls. */
export function PlottersStrip() {
  const plotters = usePlotters((s) => s.plotters);
  const loaded = usePlotters((s) => s.loaded);
  const error = usePlotters((s) => s.error);
  return (
    <section className="plotters" aria-labelledby="plotters-title" data-testid="plotters">
      <div className="plotters-head">
        <h2 id="plotters-title">Plotters</h2>
        <QueueControls />
      </div>
      {error ? (
        <p className="error-state" role="alert">
          Cannot list the plotters: {error}
        </p>
      ) : null}
      {loaded ? (
        // Focusable so the keyboard can scroll it when the cards do not fit.
        <ul className="plotter-strip" aria-label="Plotters" tabIndex={0}>
          {plotters.map((p) => (
            <li key={p.name}>
              <PlotterCard plotter={p} />
            </li>
          ))}
        </ul>
      ) : error ? null : (
        <p className="muted plotter-strip-loading">Looking for plotters…</p>
      )}
    </section>
  );
}
