/**
 * Is the camera there, and what does it send? One connection, no retries, bounded in time even
 * on an endless stream: used by `vfab check camera` and `vfab check self`.
 *
 *   const probe = await probeCamera(url, { timeoutMs: 5000 });
 *   // { ok: true, url, fps: 29.9, width: 1280, height: 720, frames: 61 }
 *   // { ok: false, url, frames: 0, error: 'Camera at http://… refused the connection: is Motion running? …' }
 *
 * It watches for up to `timeoutMs`, and stops early once it has seen frames for `sampleMs`
 * (default 2 s), enough to measure the rate. `ok` means at least one complete JPEG arrived.
 */
import { openMjpegStream, redactUrl, type CameraError } from './stream';

export interface CameraProbe {
  ok: boolean;
  url: string;
  fps?: number;
  width?: number;
  height?: number;
  frames: number;
  error?: string;
  /** The last frame seen, with `keepFrame` (the app's camera test shows it). */
  frame?: Buffer;
}

export interface ProbeOptions {
  timeoutMs: number;
  /** Stop this long after the first frame. Default 2000 ms (at least two frames at Motion's idle 1 fps). */
  sampleMs?: number;
  /** config camera.motion_service, for hints. */
  service?: string;
  keepFrame?: boolean;
}

export function probeCamera(url: string, opts: ProbeOptions): Promise<CameraProbe> {
  const timeoutMs = Math.max(1, opts.timeoutMs);
  const sampleMs = opts.sampleMs ?? 2_000;
  const shown = redactUrl(url);
  return new Promise((resolve) => {
    let frames = 0;
    let first: number | undefined;
    let last: number | undefined;
    let width: number | undefined;
    let height: number | undefined;
    let jpeg: Buffer | undefined;
    let badPart: CameraError | undefined;
    let settled = false;

    const settle = (err: CameraError | undefined, timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      handle.close();
      const fps =
        first !== undefined && last !== undefined && last > first
          ? ((frames - 1) * 1000) / (last - first)
          : undefined;
      const probe: CameraProbe = { ok: frames > 0, url: shown, frames };
      if (fps !== undefined) probe.fps = Math.round(fps * 10) / 10;
      if (width !== undefined) probe.width = width;
      if (height !== undefined) probe.height = height;
      if (jpeg) probe.frame = jpeg;
      if (frames === 0) {
        probe.error =
          err?.message ??
          badPart?.message ??
          (timedOut
            ? `Camera at ${shown} sent no complete frame within ${(timeoutMs / 1000).toFixed(1)} s: check that Motion is capturing (systemctl status ${opts.service ?? 'motion'}) or raise --timeout`
            : `Camera at ${shown} closed the stream before the first frame`);
      }
      resolve(probe);
    };

    const handle = openMjpegStream(
      url,
      {
        onFrame: (frame) => {
          frames++;
          first ??= frame.at;
          last = frame.at;
          width = frame.width;
          height = frame.height;
          if (opts.keepFrame) jpeg = frame.jpeg;
          if (frame.at - first >= sampleMs) settle(undefined, false);
        },
        onBadPart: (err) => {
          badPart ??= err;
        },
        onClose: (err) => settle(err, false),
      },
      // The probe's own deadline bounds it; the idle timeout only has to be no shorter.
      { idleTimeoutMs: timeoutMs + 1_000, service: opts.service },
    );
    // Ref'd on purpose: the stream's socket is not, and `vfab check camera` must live until the answer.
    const deadline = setTimeout(() => settle(undefined, true), timeoutMs);
  });
}
