import { useEffect, useRef } from 'react';
import type { CameraViewer } from '../../../../src-main/api/contract';

interface Labels {
  /** What the picture shows, for screen readers. */
  alt?: string;
  testId?: string;
}

function LiveImage({
  src,
  alt = 'Live view of the plotter',
  testId = 'camera-live',
}: { src: string } & Labels) {
  const img = useRef<HTMLImageElement>(null);
  // Chromium keeps an MJPEG connection open after the element goes unless its src is cleared.
  useEffect(() => {
    const el = img.current;
    return () => {
      if (el) el.src = '';
    };
  }, []);
  return (
    <img ref={img} className="live" src={src} alt={alt} draggable={false} data-testid={testId} />
  );
}

export function LiveView({ viewer, ...labels }: { viewer: CameraViewer | undefined } & Labels) {
  if (!viewer) return null;
  if (!viewer.streamUrl)
    return <p className="muted">No live view here{viewer.reason ? `: ${viewer.reason}` : ''}.</p>;
  // A new address is a new element, so the old one's connection is closed.
  return <LiveImage key={viewer.streamUrl} src={viewer.streamUrl} {...labels} />;
}
