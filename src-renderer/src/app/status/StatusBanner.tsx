import { useEffect, useState } from 'react';
import { useCamera } from '../store/camera';
import { useConnection } from '../store/connection';
import { useLinks } from '../store/links';

/** Seconds since `from`, ticking while shown: "lost 12 s ago" must not freeze like the rest of the page. */
function useSecondsSince(from: number | undefined): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (from === undefined) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [from]);
  return from === undefined ? 0 : Math.max(0, Math.round((now - from) / 1000));
}

function ServerLine() {
  const { state, lostAt } = useConnection();
  const since = useSecondsSince(lostAt);
  if (state === 'lost') {
    return (
      <p className="status-line status-bad" data-testid="status-banner" data-kind="server">
        <strong>Lost the connection to vfab</strong> {since} s ago. What the page shows is how
        things were then; trying to reconnect…
      </p>
    );
  }
  if (state === 'refused') {
    return (
      <p className="status-line status-bad" data-testid="status-banner" data-kind="server">
        <strong>vfab was restarted with a new token.</strong> Open the URL it printed to continue.
      </p>
    );
  }
  return null;
}

function PlotterLines() {
  const lost = useLinks((s) => s.lost);
  return (
    <>
      {lost.map((l) => (
        <p
          key={l.plotter}
          className="status-line status-bad"
          data-testid="status-banner"
          data-kind="plotter"
          data-plotter={l.plotter}
        >
          <strong>Plotter {l.plotter} lost:</strong> {l.reason}.
          {l.job
            ? ` Job ${l.job} stopped with the pen up; it can be resumed once the plotter is back.`
            : ''}
        </p>
      ))}
    </>
  );
}

function CameraLine() {
  const info = useCamera((s) => s.info);
  // 'waiting': the camera went away and the client is retrying; its own words say why.
  if (!info?.enabled || info.state !== 'waiting' || !info.lastError) return null;
  return (
    <p className="status-line status-warn" data-testid="status-banner" data-kind="camera">
      <strong>Camera lost:</strong> {info.lastError}. Plots go on without pictures; it reconnects by
      itself.
    </p>
  );
}

/** The one place that says a link is gone: the server, a plotter or the camera. */
export function StatusBanner() {
  return (
    <div className="status-banner" role="alert" aria-live="assertive">
      <ServerLine />
      <PlotterLines />
      <CameraLine />
    </div>
  );
}
