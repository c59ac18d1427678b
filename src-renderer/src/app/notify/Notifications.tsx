import type { OutcomeKind } from '../../../../src-main/config/config';
import type { PlotOutcome } from '../../../../src-main/notify/outcome';
import { duration } from '../format';
import { Panel } from '../Panel';
import { useNotifications } from '../store/notifications';

const TITLE: Record<OutcomeKind, string> = {
  completed: 'Completed',
  failed: 'Failed',
  interrupted: 'Interrupted',
  waiting_for_paper: 'Waiting for paper',
};

function what(o: PlotOutcome): string {
  const on = o.plotter ? ` on ${o.plotter}` : '';
  if (o.kind === 'waiting_for_paper')
    return `${o.plotter ?? 'A plotter'} waits for a fresh sheet${o.job ? ` for job ${o.job}` : ''}`;
  return `Job ${o.job ?? '?'}${on}${o.duration_s !== null ? ` after ${duration(o.duration_s)}` : ''}`;
}

/** The header's way to the list; the count is what arrived since the list was last open. */
export function NotificationsToggle() {
  const open = useNotifications((s) => s.open);
  const unread = useNotifications((s) => s.unread);
  const toggle = useNotifications((s) => s.toggle);
  return (
    <button
      type="button"
      className="btn"
      aria-pressed={open}
      onClick={toggle}
      aria-label={unread ? `Notifications, ${unread} unread` : 'Notifications'}
      data-testid="notifications-toggle"
    >
      Notifications
      {unread ? (
        <span className="count-badge" data-testid="unread" aria-hidden="true">
          {unread}
        </span>
      ) : null}
    </button>
  );
}

/** How plots ended and which plotters wait for paper, newest first. */
export function NotificationsPanel() {
  const open = useNotifications((s) => s.open);
  const entries = useNotifications((s) => s.entries);
  const toggle = useNotifications((s) => s.toggle);
  if (!open) return null;
  return (
    <Panel title="Notifications" className="notify-panel" testId="notifications" onClose={toggle}>
      {entries.length ? (
        <ol className="notify-list">
          {entries.map((o, i) => (
            <li
              key={`${o.at}-${o.kind}-${o.job}-${i}`}
              className={`notify notify-${o.kind}`}
              data-testid="notification"
              data-kind={o.kind}
              data-job={o.job ?? ''}
            >
              <span className="notify-title">{TITLE[o.kind]}</span>
              <time dateTime={o.at}>{new Date(o.at).toLocaleTimeString()}</time>
              <span className="notify-what">{what(o)}</span>
              {o.reason && o.kind !== 'waiting_for_paper' ? (
                <span className="notify-reason">{o.reason}</span>
              ) : null}
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted">
          Nothing yet. Finished, failed and interrupted plots, and plotters waiting for paper, show
          here.
        </p>
      )}
    </Panel>
  );
}
