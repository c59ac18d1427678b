import { useEffect } from 'react';
import { ACTIVE_STATES, TERMINAL_STATES } from '../../../src-main/shared/job-states';
import { api } from '../client';
import { CameraPanel } from './camera/CameraPanel';
import { ConfirmDialog } from './confirm/ConfirmDialog';
import { JobDetail } from './detail/JobDetail';
import { NowPlotting } from './now/NowPlotting';
import { NotificationsPanel, NotificationsToggle } from './notify/Notifications';
import { PlottersStrip } from './plotters/PlottersStrip';
import { DeviceBar } from './device/DeviceBar';
import { DropZone } from './drop/DropZone';
import { Uploads } from './drop/Uploads';
import { Queue } from './queue/Queue';
import { RecoveryWizard } from './recovery/RecoveryWizard';
import { useCamera } from './store/camera';
import { useDetail } from './store/detail';
import { FirstRun } from './settings/FirstRun';
import { SettingsPanel } from './settings/SettingsPanel';
import { useJobs } from './store/jobs';
import { useNotifications } from './store/notifications';
import { usePlotters } from './store/plotters';
import { useSettings } from './store/settings';
import { useRecovery } from './store/recovery';
import { useSystem } from './store/system';
import { useConnection } from './store/connection';
import { useLinks } from './store/links';
import { ReadyDialog } from './ready/ReadyDialog';
import { StatusBanner } from './status/StatusBanner';

/** States a job enters when a plot starts, pauses or ends. */
const PLOT_STATES = new Set<string>([...ACTIVE_STATES, ...TERMINAL_STATES]);

/** Everything the page shows, asked anew: at start, and when the server is back after a loss. */
function refreshAll() {
  void useSystem.getState().refresh();
  void useJobs.getState().refresh();
  void usePlotters.getState().refresh();
  void useLinks.getState().refresh();
  void useCamera.getState().refresh();
  // A failed scan has the same cause as a failed job list, which the queue already shows.
  useRecovery
    .getState()
    .scanAtStart()
    .catch(() => undefined);
}

function useLiveData() {
  useEffect(() => {
    const jobs = useJobs.getState();
    const system = useSystem.getState();
    const plotters = usePlotters.getState();
    refreshAll();
    let wasLost = false;
    const offConnection = useConnection.subscribe(({ state }) => {
      // Events sent while the socket was down are gone: what they would have said is asked again.
      if (state === 'open' && wasLost) refreshAll();
      wasLost = state === 'lost' || (wasLost && state !== 'open');
    });
    const off = [
      offConnection,
      api.on('job.changed', (e) => {
        void jobs.refresh();
        // Counts and the queue's assignments change with every transition, wherever it was caused;
        // what a plotter does only when a plot starts or ends (listing them may ask each plotter its name).
        void system.refresh();
        void (PLOT_STATES.has(e.state) ? plotters.refresh() : plotters.refreshPreview());
      }),
      api.on('job.removed', (e) => {
        jobs.onRemoved(e);
        void system.refresh();
        void plotters.refreshPreview();
      }),
      api.on('plot.progress', jobs.onProgress),
      api.on('plot.event', (e) => {
        jobs.onPlotEvent(e);
        // A plot that stopped on its own (cable, power, crash of the link) is recovered, not left for someone to notice.
        if (e.event === 'interrupt')
          useRecovery
            .getState()
            .openInterrupted(e.id)
            .catch(() => undefined);
      }),
      api.on('device.status', useLinks.getState().onStatus),
      api.on('camera.status', useCamera.getState().onStatus),
      api.on('queue.event', plotters.onQueueEvent),
      api.on('notify.outcome', useNotifications.getState().onOutcome),
    ];
    return () => off.forEach((f) => f());
  }, []);
}

function SettingsToggle() {
  const open = useSettings((s) => s.open);
  const toggle = useSettings((s) => s.toggle);
  const closeDetail = useDetail((s) => s.close);
  return (
    <button
      type="button"
      className="btn"
      aria-pressed={open}
      onClick={() => {
        // Settings and a job's detail share the right-hand side of the window.
        if (!open) closeDetail();
        toggle();
      }}
    >
      Settings
    </button>
  );
}

function CameraToggle() {
  const open = useCamera((s) => s.open);
  const toggle = useCamera((s) => s.toggle);
  return (
    <button type="button" className="btn" aria-pressed={open} onClick={toggle}>
      Camera
    </button>
  );
}

function Header() {
  const { info, error } = useSystem();
  const total = useJobs((s) => s.jobs.length);
  const loaded = useJobs((s) => s.loaded);
  return (
    <header className="app-head">
      <h1>vfab</h1>
      {error ? (
        <p className="row-error" role="alert">
          Cannot reach vfab: {error}
        </p>
      ) : info ? (
        <>
          <span className="muted" data-testid="version">
            vfab {info.version}
          </span>
          <span className="muted" data-testid="jobs">
            {/* system.info counts the index; after a remove (no event) the list's count is the fresher one. */}
            {loaded ? total : info.jobs.total}{' '}
            {(loaded ? total : info.jobs.total) === 1 ? 'job' : 'jobs'}
          </span>
        </>
      ) : (
        <span className="muted">Connecting…</span>
      )}
      <DeviceBar />
      <NotificationsToggle />
      <CameraToggle />
      <SettingsToggle />
    </header>
  );
}

export function App() {
  useLiveData();
  // Nothing that needs the server can be pressed while it is gone (the fieldset disables every control inside).
  const lost = useConnection((s) => s.state === 'lost' || s.state === 'refused');
  return (
    <div className="app" data-server={lost ? 'lost' : 'up'}>
      <StatusBanner />
      <fieldset className="app-live" disabled={lost}>
        <Header />
        <main className="app-main">
          <div className="app-column">
            <FirstRun />
            <Uploads />
            <PlottersStrip />
            <Queue />
          </div>
          <JobDetail />
        </main>
        <CameraPanel />
        <NotificationsPanel />
        <SettingsPanel />
        <NowPlotting />
        <DropZone />
        <RecoveryWizard />
        <ConfirmDialog />
        <ReadyDialog />
      </fieldset>
    </div>
  );
}
