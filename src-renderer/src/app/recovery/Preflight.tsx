import { useCallback, useEffect, useState } from 'react';
import type { Results } from '../../../../src-main/api/contract';
import { api, errorText } from '../../client';
import { DeviceSelect } from '../device/DeviceSelect';
import { plotTarget, useDevice } from '../store/device';

interface Props {
  needsHome: boolean;
  atHome: boolean;
  onAtHome(v: boolean): void;
  /** Whether the plotter passed its check (motion may start once this and the home confirmation hold). */
  onReady(ok: boolean): void;
}

type Check = { state: 'checking' } | { state: 'ok'; report: Results['devices.check'] } | { state: 'failed'; error: string };

function checkText(c: Check): string {
  if (c.state === 'checking') return 'Asking the plotter…';
  if (c.state === 'failed') return c.error;
  const r = c.report;
  if (r.virtual) return 'Virtual plotter: it starts with the plot.';
  const power = r.motorPower === false ? ' Its motors have no power: switch it on.' : r.motorPower ? ' Motors powered.' : '';
  return `${r.nickname ? `${r.nickname} on ` : ''}${r.port} answers (firmware ${r.firmware}); pen raised.${power}`;
}

/** Before anything moves: which plotter, that it answers with the pen up, and where its carriage is. */
export function Preflight({ needsHome, atHome, onAtHome, onReady }: Props) {
  const device = useDevice((s) => s.device);
  const speed = useDevice((s) => s.speed);
  const [check, setCheck] = useState<Check>({ state: 'checking' });
  const run = useCallback(() => {
    let live = true;
    setCheck({ state: 'checking' });
    const { device: target } = plotTarget(device, speed);
    api.call('devices.check', target ? { device: target } : {}).then(
      (report) => live && setCheck({ state: 'ok', report }),
      (err: unknown) => live && setCheck({ state: 'failed', error: errorText(err) }),
    );
    return () => void (live = false);
  }, [device, speed]);
  useEffect(run, [run]);
  useEffect(() => onReady(check.state === 'ok' && check.report.motorPower !== false), [check, onReady]);

  return (
    <div className="preflight">
      <h3>Before the plotter moves</h3>
      <DeviceSelect />
      <p className={`check check-${check.state}`} data-testid="preflight-check" data-state={check.state} role="status">
        {checkText(check)}
      </p>
      {check.state === 'failed' ? (
        <button type="button" className="btn" onClick={run}>
          Check again
        </button>
      ) : null}
      {needsHome ? (
        <>
          <p>The plotter may have lost its position. Switch it off or release the motors, push the carriage by hand to the home corner (where it was when the plot started), then confirm.</p>
          <label className="confirm">
            <input type="checkbox" data-testid="carriage-at-home" checked={atHome} onChange={(e) => onAtHome(e.target.checked)} />
            The carriage is at the home corner
          </label>
        </>
      ) : (
        <p>Check the paper has not moved. The pen travels up to the checkpoint, and goes on from there.</p>
      )}
    </div>
  );
}
