/**
 * Desktop notifications for the plot events a user at another window wants to hear about:
 * done, paused, failed, interrupted. Start/resume/pen-change stay in the window.
 */
import { Notification } from './electron';
import type { EventPayloads } from '../api/contract';
import type { ApiService } from '../api/service';

type PlotEventPayload = EventPayloads['plot.event'];

/** The title and body for a plot event, or null when it does not warrant a notification. */
export function plotNotification(p: PlotEventPayload): { title: string; body: string } | null {
  const detail = p.error ? ` ${p.error}` : '';
  switch (p.event) {
    case 'complete':
      return { title: 'Plot complete', body: `Job ${p.id} is finished.` };
    case 'pause':
      return { title: 'Plot paused', body: `Job ${p.id} is paused; Resume continues from the last stroke.${detail}` };
    case 'fail':
      return { title: 'Plot failed', body: `Job ${p.id} stopped on an error.${detail}` };
    case 'interrupt':
      return { title: 'Plot interrupted', body: `Job ${p.id} was interrupted; it stays resumable.${detail}` };
    default:
      return null;
  }
}

/** Shows a notification for each such event; returns the unsubscribe. */
export function notifyPlotEvents(service: ApiService): () => void {
  return service.onEvent((name, payload) => {
    if (name !== 'plot.event' || !Notification.isSupported()) return;
    const note = plotNotification(payload as PlotEventPayload);
    if (note) new Notification({ title: note.title, body: note.body }).show();
  });
}
