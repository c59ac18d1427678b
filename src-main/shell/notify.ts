/**
 * Desktop notifications for what a user at another window wants to hear about: how a plot ended
 * and a plotter waiting for paper (the notifier's outcomes, notify/notifier.ts, one per event and
 * only the kinds `notify.events` lists), and a plot that paused. Start/resume/pen-change stay in
 * the window.
 */
import { Notification } from './electron';
import type { EventPayloads } from '../api/contract';
import type { ApiService } from '../api/service';
import { onPlotOutcome } from '../notify/notifier';
import type { PlotOutcome } from '../notify/outcome';

type PlotEventPayload = EventPayloads['plot.event'];
type Note = { title: string; body: string };

export function outcomeNotification(o: PlotOutcome): Note {
  const job = o.job ? `Job ${o.job}` : 'The plot';
  const on = o.plotter ? ` on ${o.plotter}` : '';
  const detail = o.reason ? ` ${o.reason}` : '';
  switch (o.kind) {
    case 'completed':
      return { title: 'Plot complete', body: `${job} is finished${on}.` };
    case 'failed':
      return { title: 'Plot failed', body: `${job} stopped on an error${on}.${detail}` };
    case 'interrupted':
      return {
        title: 'Plot interrupted',
        body: `${job} was interrupted${on}; it stays resumable.${detail}`,
      };
    case 'waiting_for_paper':
      return {
        title: 'Waiting for paper',
        body: `Plotter ${o.plotter ?? ''} waits for a fresh sheet${o.job ? ` for job ${o.job}` : ''}.`,
      };
  }
}

/** The title and body for a plot event, or null when it does not warrant a notification (endings come as outcomes). */
export function plotNotification(p: PlotEventPayload): Note | null {
  if (p.event !== 'pause') return null;
  return {
    title: 'Plot paused',
    body: `Job ${p.id} is paused; Resume continues from the last stroke.${p.error ? ` ${p.error}` : ''}`,
  };
}

function show(note: Note | null): void {
  if (note && Notification.isSupported())
    new Notification({ title: note.title, body: note.body }).show();
}

/** Shows a notification for each outcome and pause; returns the unsubscribe. */
export function notifyPlotEvents(service: ApiService): () => void {
  const offEvents = service.onEvent((name, payload) => {
    if (name === 'plot.event') show(plotNotification(payload as PlotEventPayload));
  });
  const offOutcomes = onPlotOutcome((o) => show(outcomeNotification(o)));
  return () => {
    offEvents();
    offOutcomes();
  };
}
