import type { QueueStatus } from '../../../../src-main/api/contract';
import { plural } from '../format';
import { usePlotters } from '../store/plotters';

function runningText(q: QueueStatus): string {
  if (q.stopping === 'finish') return 'Stopping: the jobs under way finish, nothing new starts…';
  if (q.stopping) return 'Stopping…';
  const o = q.options;
  return `Queue running${o?.unattended ? `, unattended (${o.pageDelayS} s between pages)` : ''}${o?.watch ? '; keeps running for jobs queued later' : ''}`;
}

function lastText(q: QueueStatus | undefined): string | undefined {
  const l = q?.last;
  if (!l) return undefined;
  const parts = [`${l.completed.length} completed`];
  if (l.paused.length) parts.push(`${l.paused.length} paused`);
  if (l.failed.length) parts.push(`${l.failed.length} failed`);
  if (l.interrupted.length) parts.push(`${l.interrupted.length} interrupted`);
  if (l.left.length) parts.push(`${plural(l.left.length, 'job')} left in the queue`);
  return `Last run: ${parts.join(', ')}.`;
}

/** Start queue (with the unattended page delay for rolls and feeders), or stop it: after the jobs under way, or now. */
export function QueueControls() {
  const queue = usePlotters((s) => s.queue);
  const choice = usePlotters((s) => s.choice);
  const busy = usePlotters((s) => s.queueBusy);
  const actionError = usePlotters((s) => s.actionError);
  const { start, stop, setChoice } = usePlotters.getState();
  const last = lastText(queue);
  return (
    <div
      className="queue-controls"
      role="group"
      aria-label="Queue runner"
      data-testid="queue-controls"
      data-running={queue?.running ? 'true' : 'false'}
    >
      {queue?.running ? (
        <>
          <span className="queue-run" role="status">
            {runningText(queue)}
          </span>
          <button
            type="button"
            className="btn"
            disabled={busy !== undefined || queue.stopping !== null}
            onClick={() => void stop('finish')}
            title="Start nothing new; the jobs under way finish"
          >
            {busy === 'finish' ? 'Stopping…' : 'Stop after current jobs'}
          </button>
          <button
            type="button"
            className="btn btn-abort"
            disabled={busy !== undefined}
            onClick={() => void stop('pause')}
            title="Pause every plot now, pen up; each plotter then holds its job"
          >
            {busy === 'pause' ? 'Pausing…' : 'Pause now'}
          </button>
        </>
      ) : (
        <>
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy !== undefined}
            onClick={() => void start()}
            data-testid="start-queue"
          >
            {busy === 'start' ? 'Starting…' : 'Start queue'}
          </button>
          <label
            className="inline-choice"
            title="A roll or sheet feeder changes the paper: nobody is waited for"
          >
            <input
              type="checkbox"
              checked={choice.unattended}
              onChange={(e) => setChoice({ unattended: e.currentTarget.checked })}
            />
            Unattended
          </label>
          {choice.unattended ? (
            <label className="inline-choice">
              Page delay
              <input
                type="number"
                className="narrow"
                min={0}
                max={3600}
                step={1}
                value={choice.pageDelayS}
                onChange={(e) => {
                  const v = e.currentTarget.valueAsNumber;
                  if (Number.isFinite(v) && v >= 0 && v <= 3600) setChoice({ pageDelayS: v });
                }}
              />
              s
            </label>
          ) : null}
          <label
            className="inline-choice"
            title="Keep running when the queue is done, and plot jobs queued later (until stopped)"
          >
            <input
              type="checkbox"
              checked={choice.watch}
              onChange={(e) => setChoice({ watch: e.currentTarget.checked })}
            />
            Keep running
          </label>
          {last ? (
            <span
              className="muted"
              role="status"
              title={queue?.last?.left.map((l) => `${l.job}: ${l.reason}`).join('\n') || undefined}
            >
              {last}
            </span>
          ) : null}
        </>
      )}
      {actionError ? (
        <p className="row-error" role="alert" title={actionError}>
          {actionError}
        </p>
      ) : null}
    </div>
  );
}
