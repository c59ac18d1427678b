import { useState } from 'react';
import type { IndexedJob } from '../../../../src-main/jobs/store';
import type { PauseStep } from '../../../../src-main/recovery/classify';
import { api, errorText } from '../../client';
import { pauseStepText } from '../queue/pauseStep';
import { useJobAction } from '../queue/useJobAction';
import { plotTarget, useDevice } from '../store/device';
import { useJobs } from '../store/jobs';

/**
 * A plot waiting at a pen change or layer pause, as the step it is: which pen goes in, the pen
 * lowered and raised to set the new one at the right height, and one Continue. The wizard is a
 * link away for what a pause rarely needs (strokes drawn again, carriage home after a release).
 */
export function PenStep({ job, step }: { job: IndexedJob; step: PauseStep }) {
  const condition = useJobs((s) => s.conditions[job.id]);
  const busy = useJobs((s) => s.busy[job.id]);
  const run = useJobAction(job);
  const [pen, setPen] = useState<{ busy?: boolean; said?: string; error?: string }>({});

  async function move(position: 'up' | 'down') {
    const { device, speed } = useDevice.getState();
    const { device: target } = plotTarget(device, speed);
    setPen({ busy: true });
    try {
      const r = await api.call('devices.pen', { position, ...(target ? { device: target } : {}) });
      setPen({
        said: r.virtual
          ? 'The virtual plotter has no pen to move.'
          : `Pen ${position} on ${r.port}.`,
      });
    } catch (err) {
      setPen({ error: errorText(err) });
    }
  }

  return (
    <section className="pen-step" aria-labelledby="pen-step-title" data-testid="pen-step">
      <h3 id="pen-step-title">{step.kind === 'pen_change' ? 'Pen change' : 'Layer pause'}</h3>
      <p className="pen-step-text">{pauseStepText(condition)}</p>
      <div className="pen-step-actions">
        <button type="button" className="btn" disabled={pen.busy} onClick={() => void move('down')}>
          Pen down
        </button>
        <button type="button" className="btn" disabled={pen.busy} onClick={() => void move('up')}>
          Pen up
        </button>
        <button
          type="button"
          className="btn btn-primary btn-continue"
          disabled={busy !== undefined}
          onClick={() => void run('continue')}
        >
          {busy === 'continue' ? 'Continue…' : 'Continue'}
        </button>
        <button type="button" className="btn btn-quiet" onClick={() => void run('recover')}>
          Other ways to resume…
        </button>
      </div>
      {pen.said ? <p role="status">{pen.said}</p> : null}
      {pen.error ? (
        <p className="row-error" role="alert">
          {pen.error}
        </p>
      ) : null}
    </section>
  );
}
