import { useEffect } from 'react';
import { useDevice } from '../store/device';
import { DeviceSelect } from './DeviceSelect';

export function DeviceBar() {
  const { devices, error, refresh } = useDevice();
  useEffect(() => void refresh(), [refresh]);
  return (
    <div className="device-bar">
      <DeviceSelect />
      <span className="device-note">
        {error ? `Cannot list plotters: ${error}` : devices ? `${devices.detected.length || 'No'} ${devices.model} connected` : 'Looking for plotters…'}
      </span>
      <button type="button" className="btn btn-quiet" onClick={() => void refresh()}>
        Rescan
      </button>
    </div>
  );
}
