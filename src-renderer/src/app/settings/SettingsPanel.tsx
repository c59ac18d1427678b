import { useEffect } from 'react';
import { useSettings } from '../store/settings';
import { CAMERA_FIELDS, PAPER_FIELDS, PLOTTER_FIELDS } from './fields';
import { SettingsForm } from './SettingsForm';

const GROUPS = [
  { title: 'Plotter', fields: PLOTTER_FIELDS },
  { title: 'Paper and planning', fields: PAPER_FIELDS },
  { title: 'Camera', fields: CAMERA_FIELDS },
];

export function SettingsPanel() {
  const { open, load, toggle } = useSettings();
  useEffect(() => {
    if (!open) return;
    void load();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && toggle();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open, load, toggle]);
  if (!open) return null;
  return (
    <aside className="detail" aria-label="Settings" data-testid="settings">
      <header className="detail-head">
        <h2>Settings</h2>
        <button type="button" className="btn btn-quiet" aria-label="Close settings" onClick={toggle}>
          ×
        </button>
      </header>
      <p className="muted">Written to config.yaml; new plots and plans use them. Camera changes apply when vfab next starts.</p>
      <SettingsForm groups={GROUPS} submitLabel="Save settings" />
    </aside>
  );
}
