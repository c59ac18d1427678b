import { useEffect } from 'react';
import { Panel } from '../Panel';
import { useSettings } from '../store/settings';
import { Backups } from './Backups';
import { BACKUP_FIELDS, CAMERA_FIELDS, PAPER_FIELDS, PLOTTER_FIELDS } from './fields';
import { SettingsForm } from './SettingsForm';

const GROUPS = [
  { title: 'Plotter', fields: PLOTTER_FIELDS },
  { title: 'Paper and planning', fields: PAPER_FIELDS },
  { title: 'Camera', fields: CAMERA_FIELDS },
  { title: 'Backups', fields: BACKUP_FIELDS },
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
    <Panel title="Settings" className="detail" testId="settings" onClose={toggle}>
      <p className="muted">
        Written to config.yaml; new plots and plans use them; camera changes apply at once.
      </p>
      <SettingsForm groups={GROUPS} submitLabel="Save settings" />
      <Backups />
    </Panel>
  );
}
