/** camera.*: the camera's state, a picture now (kept with a job when one is named), a test of an address. */
import fs from 'node:fs';
import path from 'node:path';
import { probeCamera } from '../../camera/check';
import { sharedCameraClient } from '../../camera/client';
import { writeFileAtomicAsync } from '../../camera/file';
import { cameraSource } from '../../camera/settings';
import { snapshotFile } from '../../camera/snapshots';
import { redactUrl } from '../../camera/stream';
import { VfabError } from '../../errors';
import { cameraInfo, withoutAddress } from '../camera-status';
import { snapshotsDir, type HandlersFor, type ServiceParts } from './context';

/** How long camera.snapshot waits for a frame when none is fresh (the camera may be connecting). */
const SNAPSHOT_WAIT_MS = 3_000;
const FRESH_FRAME_MS = 1_000;

export function cameraHandlers({ engine, opts }: ServiceParts): HandlersFor<'camera'> {
  return {
    'camera.status': async (p) => {
      const info = cameraInfo(engine, opts.camera);
      if (!p.probe || !info.enabled) return info;
      const { url, ...probe } = await probeCamera(engine.config.camera.url, {
        timeoutMs: 5000,
        service: engine.config.camera.motion_service,
      });
      return { ...info, probe: { ...probe, error: withoutAddress(probe.error, url) } };
    },

    'camera.snapshot': async (p) => {
      const dir = p.id === undefined ? undefined : snapshotsDir(engine, p.id);
      const source = cameraSource(engine.config.camera);
      if (!source.enabled)
        throw new VfabError(
          'INVALID_STATE',
          `The camera is off (${source.reason}); turn it on in Settings.`,
        );
      const client =
        opts.camera === undefined
          ? sharedCameraClient(source.url, engine.logger, source.service)
          : opts.camera;
      if (!client)
        throw new VfabError(
          'INVALID_STATE',
          'This vfab process has no camera connection; restart it with the camera on.',
        );
      const release = client.acquire();
      let frame;
      try {
        frame = client.latest();
        if (!frame || Date.now() - frame.at > FRESH_FRAME_MS)
          frame = await client.nextFrame(SNAPSHOT_WAIT_MS);
      } finally {
        release();
      }
      if (!frame) {
        const why = withoutAddress(client.status().lastError, client.url);
        throw new VfabError(
          'INVALID_STATE',
          `No picture from the camera within ${SNAPSHOT_WAIT_MS / 1000} s${why ? ` (${why})` : ''}: check it with 'vfab check camera'.`,
        );
      }
      let savedAs: string | null = null;
      if (dir && p.id !== undefined) {
        const file = snapshotFile(dir, new Date(frame.at), 'manual');
        await fs.promises.mkdir(dir, { recursive: true });
        await writeFileAtomicAsync(file, frame.jpeg);
        savedAs = path.basename(file);
        engine.logger.info(`camera snapshot ${savedAs}`, p.id);
      }
      return {
        mime: 'image/jpeg',
        base64: frame.jpeg.toString('base64'),
        takenAt: new Date(frame.at).toISOString(),
        width: frame.width,
        height: frame.height,
        savedAs,
      };
    },

    'camera.test': async (p) => {
      const configured = engine.config.camera.url;
      const url = p.url === redactUrl(configured) ? configured : p.url;
      const {
        url: _shown,
        frame,
        ...probe
      } = await probeCamera(url, {
        timeoutMs: 5000,
        sampleMs: 1500,
        service: engine.config.camera.motion_service,
        keepFrame: true,
      });
      return {
        ...probe,
        ...(frame
          ? {
              picture: {
                mime: 'image/jpeg' as const,
                base64: frame.toString('base64'),
                takenAt: new Date().toISOString(),
              },
            }
          : {}),
      };
    },

    'camera.viewer': () =>
      opts.cameraViewer?.() ?? { streamUrl: null, reason: 'this window has no live view relay' },
  };
}
