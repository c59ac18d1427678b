/**
 * The camera as the UI may know it: state, rate and size, never its address or credentials
 * (docs/architecture.md "Camera"); and a watcher that turns changes of that state into camera.status events.
 */
import { sharedCameraClient, type CameraClient } from '../camera/client';
import { cameraSource } from '../camera/settings';
import { withoutAddress } from '../camera/address';
import type { Engine } from '../engine';
import type { CameraInfo } from './contract';
import type { EventHub } from './events';

export { withoutAddress };

/** `client`: the process's camera client; undefined picks the shared one for config camera.url. */
export function cameraInfo(engine: Engine, client: CameraClient | null | undefined): CameraInfo {
  const source = cameraSource(engine.config.camera);
  if (!source.enabled) return { enabled: false, reason: source.reason };
  const camera =
    client === undefined ? sharedCameraClient(source.url, engine.logger, source.service) : client;
  if (!camera) return { enabled: false, reason: 'this process has no camera client' };
  const { url, connects: _c, badParts: _b, ...status } = camera.status();
  return { enabled: true, ...status, lastError: withoutAddress(status.lastError, url) };
}

/** Emits camera.status when what the UI shows would change; looks only while someone listens. */
export function watchCamera(hub: EventHub, info: () => CameraInfo, everyMs: number): () => void {
  let last = '';
  const timer = setInterval(() => {
    if (!hub.size()) return;
    const now = info();
    // The rate to a whole frame a second: what the panel shows, without an event per jitter.
    const key = JSON.stringify([
      now.enabled,
      now.state,
      now.lastError,
      now.width,
      now.height,
      Math.round(now.fps ?? 0),
    ]);
    if (key === last) return;
    last = key;
    hub.emit('camera.status', now);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
