import { useId } from 'react';
import { useDevice } from '../store/device';
import { usePlotters } from '../store/plotters';
import { namedPlotters } from './named';

/** The plotter to draw on, and for the virtual one its speed; shared by the device bar and the recovery pre-flight. */
export function DeviceSelect() {
  const { devices, device, speed, choose, setSpeed } = useDevice();
  const id = useId();
  const named = namedPlotters(usePlotters((s) => s.plotters));
  const ports = new Set(named.map((p) => p.port));
  const detected = (devices?.detected ?? []).filter(
    (d) => d.path !== devices?.configured && !ports.has(d.path),
  );
  return (
    <div className="device-select">
      <label htmlFor={`${id}-device`}>Plotter</label>
      <select
        id={`${id}-device`}
        data-testid="device"
        value={device}
        onChange={(e) => choose(e.target.value)}
      >
        <option value="">
          {named.length
            ? `First plotter (${named[0]!.name})`
            : devices?.configured
              ? `Configured (${devices.configured})`
              : 'Configured or first found'}
        </option>
        {named.map((p) => (
          <option key={p.name} value={p.name}>
            {`${p.name} (${p.port ?? 'first found'})`}
          </option>
        ))}
        {detected.map((d) => (
          <option key={d.path} value={d.path}>
            {d.nickname ? `${d.nickname} (${d.path})` : d.path}
          </option>
        ))}
        <option value="virtual">Virtual plotter (dry run)</option>
      </select>
      {device === 'virtual' ? (
        <>
          <label htmlFor={`${id}-speed`}>Speed ×</label>
          <input
            id={`${id}-speed`}
            data-testid="speed"
            type="number"
            min={1}
            max={1000}
            step={1}
            value={speed}
            onChange={(e) => setSpeed(e.target.valueAsNumber)}
          />
        </>
      ) : null}
    </div>
  );
}
