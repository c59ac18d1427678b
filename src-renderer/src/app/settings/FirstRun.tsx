import { useEffect } from 'react';
import { useSettings } from '../store/settings';
import { useSystem } from '../store/system';
import { CAMERA_FIELDS, PAPER_FIELDS, PLOTTER_FIELDS } from './fields';
import { SettingsForm } from './SettingsForm';

const GROUPS = [
  { title: 'Your plotter', fields: PLOTTER_FIELDS.slice(0, 2) },
  { title: 'Your paper', fields: PAPER_FIELDS.slice(0, 2) },
  { title: 'Camera', fields: CAMERA_FIELDS },
];

/** Shown until config.yaml exists: the few answers vfab needs before the first plot. */
export function FirstRun() {
  const exists = useSystem((s) => s.info?.config.exists);
  const refreshSystem = useSystem((s) => s.refresh);
  const load = useSettings((s) => s.load);
  useEffect(() => {
    if (exists === false) void load();
  }, [exists, load]);
  if (exists !== false) return null;
  return (
    <section className="first-run" aria-labelledby="first-run-title" data-testid="first-run">
      <h2 id="first-run-title">Welcome to vfab</h2>
      <p>
        There is no config.yaml yet. Tell vfab about your plotter and paper; everything else has
        sensible defaults and can be changed later in Settings.
      </p>
      <SettingsForm
        groups={GROUPS}
        submitLabel="Save and start"
        onSaved={() => void refreshSystem()}
      />
    </section>
  );
}
