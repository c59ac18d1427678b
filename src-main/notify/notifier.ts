/**
 * Telling people how plots end: every outcome gets a line in the vfab log; the kinds listed in
 * `notify.events` also go to the `notify.webhook_url` hook and to the listeners (the desktop app's
 * notifications). One per process, like the camera connection: the plot session and the queue
 * runner call `notifyOutcome`, the shell listens with `onPlotOutcome`, and a process about to end
 * awaits `settleNotifications`.
 *
 * Never throws and never waits: the hook is fired and forgotten, at most MAX_IN_FLIGHT at once
 * (more are dropped with a warning), each bounded by `notify.timeout_s`. Failures are WARNINGs
 * naming the hook's host only.
 */
import os from 'node:os';
import type { VfabConfig } from '../config/config';
import type { Logger } from '../log';
import { VERSION } from '../version';
import { outcomeLogLine, type PlotOutcome } from './outcome';
import { postJson, webhookHost, webhookPayload } from './webhook';

/** Hooks in flight at once; a receiver this far behind is not keeping up, and a plot must not wait for it. */
export const MAX_IN_FLIGHT = 8;

export type OutcomeListener = (o: PlotOutcome) => void;

const listeners = new Set<OutcomeListener>();
const inFlight = new Set<Promise<void>>();

/** Hears every outcome `notify.events` lists; returns the unsubscribe. */
export function onPlotOutcome(listener: OutcomeListener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/** Logs the outcome, then tells the hook and the listeners when `notify.events` lists its kind. */
export function notifyOutcome(
  ctx: { config: Pick<VfabConfig, 'notify'>; logger: Logger },
  outcome: PlotOutcome,
): void {
  const { logger } = ctx;
  const job = outcome.job ?? undefined;
  const line = outcomeLogLine(outcome);
  ({ INFO: logger.info, WARNING: logger.warning, ERROR: logger.error })[line.level](
    line.message,
    job,
  );
  const { webhook_url: url, events, timeout_s: timeoutS } = ctx.config.notify;
  if (!events.includes(outcome.kind)) return;
  for (const l of [...listeners]) {
    try {
      l(outcome);
    } catch (err) {
      logger.warning(
        `notify: a listener failed on ${outcome.kind}: ${(err as Error)?.message ?? String(err)}`,
        job,
      );
    }
  }
  if (url === null) return;
  const host = webhookHost(url);
  if (inFlight.size >= MAX_IN_FLIGHT) {
    logger.warning(
      `notify: ${inFlight.size} hooks to ${host} are still waiting for an answer; this ${outcome.kind} was not sent`,
      job,
    );
    return;
  }
  const sent = postJson(url, webhookPayload(outcome, { version: VERSION, host: os.hostname() }), {
    timeoutMs: timeoutS * 1000,
    userAgent: `vfab/${VERSION}`,
  }).then(
    () => logger.debug(`notify: ${outcome.kind} sent to the hook at ${host}`, job),
    (err: unknown) =>
      logger.warning(
        `notify: the hook at ${host} did not take ${outcome.kind}: ${(err as Error)?.message ?? String(err)}; plotting is not affected`,
        job,
      ),
  );
  inFlight.add(sent);
  void sent.finally(() => inFlight.delete(sent));
}

/** Resolves once every hook in flight has answered or timed out (each within `notify.timeout_s`). */
export async function settleNotifications(): Promise<void> {
  await Promise.all([...inFlight]);
}
