import { useEffect } from 'react';
import type { CameraInfo } from '../../../../src-main/api/contract';
import { Panel } from '../Panel';
import { useCamera } from '../store/camera';
import { LiveView } from './LiveView';
import { SnapshotButton } from './SnapshotButton';

function statusText(info: CameraInfo | undefined): string {
  if (!info) return 'Asking vfab…';
  if (!info.enabled)
    return `Camera off${info.reason ? `: ${info.reason}` : ''}. Plotting works without it.`;
  const size = info.width && info.height ? `, ${info.width}×${info.height}` : '';
  const rate = info.fps ? `, ${info.fps.toFixed(1)} fps` : '';
  if (info.state === 'streaming') return `Live${size}${rate}`;
  const doing =
    info.state === 'connecting'
      ? 'Connecting'
      : info.state === 'idle'
        ? 'Idle until someone watches'
        : 'Waiting for the camera';
  return `${doing}${info.lastError ? `: ${info.lastError}` : ''}`;
}

export function CameraPanel() {
  const { info, viewer, error, open, refresh, toggle } = useCamera();
  // Then camera.status events keep it current (they come when the state or the whole-fps rate changes).
  useEffect(() => {
    if (open) void refresh();
  }, [open, refresh]);
  if (!open) return null;
  return (
    <Panel title="Camera" className="camera-panel" testId="camera" onClose={toggle}>
      <p data-testid="camera-status">
        {error ? `Cannot ask for the camera: ${error}` : statusText(info)}
      </p>
      {/* Watching is what wakes an idle camera client, so the view is shown whatever the state. */}
      {info?.enabled ? (
        <>
          <LiveView viewer={viewer} />
          <SnapshotButton />
        </>
      ) : null}
    </Panel>
  );
}
