import { useEffect } from 'react';
import { plural } from '../format';
import { useDevice } from '../store/device';
import { usePlotters } from '../store/plotters';
import { checkSummary, checkText } from './checkText';
import { DeviceSelect } from './DeviceSelect';
import { namedPlotters } from './named';

/**
 * The plotter: which one, whether it answers (firmware, motor power, pen raised), and its motors
 * released for moving the carriage by hand. vfab holds the port only while it plots, so "Connect"
 * asks and lets go again.
 */
export function DeviceBar() {
  const { devices, error, refresh, check, runCheck, release } = useDevice();
  useEffect(() => void refresh(), [refresh]);
  const named = namedPlotters(usePlotters((s) => s.plotters));
  const busy = check.state === 'checking';
  const found = devices
    ? `${devices.detected.length || 'No'} ${devices.model} on USB`
    : 'Looking for plotters…';
  return (
    <div className="device-bar">
      <DeviceSelect />
      <span
        className="device-note"
        data-testid="device-note"
        data-state={check.state}
        title={check.state === 'idle' ? undefined : checkText(check)}
      >
        {check.state !== 'idle'
          ? checkSummary(check)
          : error
            ? `Cannot list plotters: ${error}`
            : named.length
              ? `${plural(named.length, 'plotter')} configured${devices?.detected.length ? ` · ${devices.detected.length} on USB` : ''}`
              : found}
      </span>
      <button
        type="button"
        className="btn btn-quiet"
        disabled={busy}
        onClick={() => void runCheck()}
        title="Ask the plotter for its firmware and motor power, and raise its pen"
      >
        Connect
      </button>
      <button
        type="button"
        className="btn btn-quiet"
        disabled={busy}
        onClick={() => void release()}
        aria-label="Release motors"
        title="Motors off, to push the carriage home by hand"
      >
        Release
      </button>
      <button
        type="button"
        className="btn btn-quiet"
        aria-label="Rescan"
        title="Look again for plotters on USB"
        onClick={() => void refresh()}
      >
        ⟳
      </button>
    </div>
  );
}
