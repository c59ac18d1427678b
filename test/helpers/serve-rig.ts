/**
 * Per test: a sandbox with its queue rig (standalone virtual plotters, vfab processes) and the
 * `vfab serve` processes and API sockets the test opens, all ended after it, whatever happened.
 */
import { afterEach, beforeEach } from 'vitest';
import { openApiSocket, wsUrl, type ApiSocket } from './api-socket';
import { sandbox, type Sandbox } from './cli';
import { createQueueRig, type QueueRig } from './queue-rig';
import { startServe, type ServeProcess } from './serve-process';

export interface ServeRig {
  readonly sb: Sandbox;
  readonly rig: QueueRig;
  /** `vfab serve` on a free port, and an API socket to it. */
  serve(): Promise<{ served: ServeProcess; api: ApiSocket }>;
  /** Ends these after the test, before the plotters stop (last added, first ended). */
  onEnd(...stop: (() => unknown)[]): void;
}

export function useServeRig(): ServeRig {
  let sb: Sandbox;
  let rig: QueueRig & { stop(): Promise<void> };
  const stops: (() => unknown)[] = [];
  beforeEach(() => {
    sb = sandbox();
    rig = createQueueRig(sb);
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await rig.stop();
    sb.cleanup();
  });
  return {
    get sb() {
      return sb;
    },
    get rig() {
      return rig;
    },
    async serve() {
      const served = await startServe(sb);
      stops.push(() => served.kill());
      const api = await openApiSocket(wsUrl(served.origin, served.token), served.origin);
      stops.push(() => api.close());
      return { served, api };
    },
    onEnd: (...stop) => void stops.push(...stop),
  };
}
