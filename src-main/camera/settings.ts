/**
 * Which camera the config asks for. `mode: device` still reads `camera.url`: vfab does not open
 * video devices itself; Motion captures `camera.device` and serves it as a stream.
 */
import type { VfabConfig } from '../config/config';
import { sharedCameraClient, type CameraClient, type CameraLogger } from './client';

export type CameraSource =
  { enabled: true; url: string; service: string } | { enabled: false; reason: string };

export function cameraSource(camera: VfabConfig['camera']): CameraSource {
  if (!camera.enabled) return { enabled: false, reason: 'camera.enabled is false in config.yaml' };
  if (camera.mode === 'disabled')
    return { enabled: false, reason: 'camera.mode is disabled in config.yaml' };
  return { enabled: true, url: camera.url, service: camera.motion_service };
}

/** The process's client for the camera the config names now, or why there is none. */
export function configuredCameraClient(
  camera: VfabConfig['camera'],
  logger?: CameraLogger,
): CameraClient | string {
  const source = cameraSource(camera);
  return source.enabled ? sharedCameraClient(source.url, logger, source.service) : source.reason;
}
