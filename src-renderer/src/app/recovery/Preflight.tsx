import { DeviceSelect } from '../device/DeviceSelect';

interface Props {
  needsHome: boolean;
  atHome: boolean;
  onAtHome(v: boolean): void;
}

/** Before anything moves: which plotter, and where its carriage is. */
export function Preflight({ needsHome, atHome, onAtHome }: Props) {
  return (
    <div className="preflight">
      <h3>Before the plotter moves</h3>
      <DeviceSelect />
      {needsHome ? (
        <>
          <p>The plotter may have lost its position. Switch it off or release the motors, push the carriage by hand to the home corner (where it was when the plot started), then confirm.</p>
          <label className="confirm">
            <input type="checkbox" data-testid="carriage-at-home" checked={atHome} onChange={(e) => onAtHome(e.target.checked)} />
            The carriage is at the home corner
          </label>
        </>
      ) : (
        <p>Check the paper has not moved. The pen lifts, travels back to the checkpoint, and goes on.</p>
      )}
    </div>
  );
}
