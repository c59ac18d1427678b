import { useEffect, useRef } from 'react';
import type { CameraInfo } from '../../../../src-main/api/contract';
import { useCamera } from '../store/camera';
import { relayStreamUrl } from './relay';

function statusText(info: CameraInfo | undefined): string {
  if (!info) return 'Asking vfab…';
  if (!info.enabled) return `Camera off${info.reason ? `: ${info.reason}` : ''}. Plotting works without it.`;
  const size = info.width && info.height ? `, ${info.width}×${info.height}` : '';
  const rate = info.fps ? `, ${info.fps.toFixed(1)} fps` : '';
  if (info.state === 'streaming') return `Live${size}${rate}`;
  const doing = info.state === 'connecting' ? 'Connecting' : info.state === 'idle' ? 'Idle until someone watches' : 'Waiting for the camera';
  return `${doing}${info.lastError ? `: ${info.lastError}` : ''}`;
}

function LiveView({ src }: { src: string }) {
  const img = useRef<HTMLImageElement>(null);
  // Chromium keeps an MJPEG connection open after the element goes unless its src is cleared.
  useEffect(() => {
    const el = img.current;
    return () => {
      if (el) el.src = '';
    };
  }, []);
  return <img ref={img} className="live" src={src} alt="Live view of the plotter" data-testid="camera-live" />;
}

export function CameraPanel() {
  const { info, error, open, refresh, toggle } = useCamera();
  useEffect(() => {
    if (open) void refresh();
  }, [open, refresh]);
  if (!open) return null;
  const src = relayStreamUrl();
  return (
    <section className="camera-panel" aria-label="Camera" data-testid="camera">
      <header className="detail-head">
        <h2>Camera</h2>
        <button type="button" className="btn btn-quiet" aria-label="Close camera" onClick={toggle}>
          ×
        </button>
      </header>
      <p data-testid="camera-status">{error ? `Cannot ask for the camera: ${error}` : statusText(info)}</p>
      {/* Watching is what wakes an idle camera client, so the view is shown whatever the state. */}
      {info?.enabled ? src ? <LiveView src={src} /> : <p className="muted">The live view is shown in the browser (vfab serve); the desktop window cannot show it yet.</p> : null}
    </section>
  );
}
