import { useEffect } from 'react';
import { useDevice } from '../store/device';
import { checkSummary, checkText } from './checkText';
import { DeviceSelect } from './DeviceSelect';

/**
 * The plotter: which one, whether it answers (firmware, motor power, pen raised), and its motors
 * released for moving the carriage by hand. vfab holds the port only while it plots, so "Connect"
 * asks and lets go again.
 */
export function DeviceBar() {
  const { devices, error, refresh, check, runCheck, release } = useDevice();
  useEffect(() => void refresh(), [refresh]);
  const busy = check.state === 'checking';
  return (
    <div className="device-bar">
      <DeviceSelect />
      <span className="device-note" data-testid="device-note" data-state={check.state} title={check.state === 'idle' ? undefined : checkText(check)}>
        {check.state !== 'idle'
          ? checkSummary(check)
          : error
            ? `Cannot list plotters: ${error}`
            : devices
              ? `${devices.detected.length || 'No'} ${devices.model} connected`
              : 'Looking for plotters…'}
      </span>
      <button type="button" className="btn btn-quiet" disabled={busy} onClick={() => void runCheck()} title="Ask the plotter for its firmware and motor power, and raise its pen">
        Connect
      </button>
      <button type="button" className="btn btn-quiet" disabled={busy} onClick={() => void release()} aria-label="Release motors" title="Motors off, to push the carriage home by hand">
        Release
      </button>
      <button type="button" className="btn btn-quiet" aria-label="Rescan" title="Look again for plotters on USB" onClick={() => void refresh()}>
        ⟳
      </button>
    </div>
  );
}
