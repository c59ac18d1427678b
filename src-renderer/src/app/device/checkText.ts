import type { DeviceCheck } from '../store/device';

/** The plotter's answer in a sentence. */
export function checkText(c: DeviceCheck): string {
  switch (c.state) {
    case 'idle':
      return 'Not asked yet.';
    case 'checking':
      return 'Asking the plotter…';
    case 'failed':
      return c.error;
    case 'released':
      return c.port === 'virtual'
        ? 'The virtual plotter has no motors to release.'
        : `Motors of ${c.port} released: the carriage moves by hand; its position is lost.`;
    case 'ok': {
      const r = c.report;
      if (r.virtual) return 'Virtual plotter: it starts with the plot.';
      const power =
        r.motorPower === false
          ? ' Its motors have no power: switch it on.'
          : r.motorPower
            ? ' Motors powered.'
            : '';
      const held = r.motorsEngaged === false ? ' Motors off: the carriage moves freely.' : '';
      return `${r.nickname ? `${r.nickname} on ` : ''}${r.port} answers (firmware ${r.firmware}); pen raised.${power}${held}`;
    }
  }
}

/** Motion may start: the plotter answered and its motor supply is not known to be off. */
export const checkPassed = (c: DeviceCheck) => c.state === 'ok' && c.report.motorPower !== false;

/** The plotter said its motors are not holding the carriage: where it is, only the user knows. */
export const carriageLoose = (c: DeviceCheck) =>
  c.state === 'ok' && c.report.motorsEngaged === false;

/** The same, short enough for the header bar (the full sentence is its tooltip). */
export function checkSummary(c: DeviceCheck): string {
  if (c.state === 'ok') {
    if (c.report.virtual) return 'Virtual plotter';
    const version = /\d+\.\d+\.\d+/.exec(c.report.firmware)?.[0] ?? c.report.firmware;
    const power =
      c.report.motorPower === false
        ? ' · no motor power'
        : c.report.motorPower
          ? ' · motors on'
          : '';
    return `Connected · fw ${version} · pen up${power}`;
  }
  if (c.state === 'failed') return `Not connected: ${c.error}`;
  if (c.state === 'released') return c.port === 'virtual' ? 'Virtual plotter' : 'Motors released';
  return checkText(c);
}
