import { useEffect } from 'react';
import { checkPassed, checkText } from '../device/checkText';
import { DeviceSelect } from '../device/DeviceSelect';
import { useDevice } from '../store/device';

interface Props {
  needsHome: boolean;
  atHome: boolean;
  onAtHome(v: boolean): void;
  /** Whether the plotter passed its check (motion may start once this and the home confirmation hold). */
  onReady(ok: boolean): void;
}

/** Before anything moves: which plotter, that it answers with the pen up, and where its carriage is. */
export function Preflight({ needsHome, atHome, onAtHome, onReady }: Props) {
  const device = useDevice((s) => s.device);
  const check = useDevice((s) => s.check);
  const runCheck = useDevice((s) => s.runCheck);
  // Asked afresh on every visit and for every plotter chosen here.
  useEffect(() => void runCheck(), [device, runCheck]);
  useEffect(() => onReady(checkPassed(check)), [check, onReady]);

  return (
    <div className="preflight">
      <h3>Before the plotter moves</h3>
      <DeviceSelect />
      <p
        className={`check check-${check.state}`}
        data-testid="preflight-check"
        data-state={check.state}
        role="status"
      >
        {checkText(check)}
      </p>
      {check.state === 'failed' ? (
        <button type="button" className="btn" onClick={() => void runCheck()}>
          Check again
        </button>
      ) : null}
      {needsHome ? (
        <>
          <p>
            The plotter may have lost its position. Switch it off or release the motors, push the
            carriage by hand to the home corner (where it was when the plot started), then confirm.
          </p>
          <label className="confirm">
            <input
              type="checkbox"
              data-testid="carriage-at-home"
              checked={atHome}
              onChange={(e) => onAtHome(e.target.checked)}
            />
            The carriage is at the home corner
          </label>
        </>
      ) : (
        <p>
          Check the paper has not moved. The pen travels up to the checkpoint, and goes on from
          there.
        </p>
      )}
    </div>
  );
}
