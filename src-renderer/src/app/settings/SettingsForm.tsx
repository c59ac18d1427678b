import { useState, type FormEvent } from 'react';
import { useSettings } from '../store/settings';
import { FieldInput } from './FieldInput';
import { valueAt, type Field, type Value } from './fields';

interface Props {
  groups: { title: string; fields: readonly Field[] }[];
  submitLabel: string;
  onSaved?(): void;
}

/** Edits the given fields; saves only what was changed. */
export function SettingsForm({ groups, submitLabel, onSaved }: Props) {
  const { settings, error, save } = useSettings();
  const [changed, setChanged] = useState<Record<string, Value>>({});
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!settings)
    return (
      <p className="muted">{error ? `Cannot read the settings: ${error}` : 'Loading settings…'}</p>
    );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    // settings.set needs at least one key; saving nothing changed still creates the file on first run.
    const values = Object.keys(changed).length
      ? changed
      : { 'device.model': valueAt(settings.config, 'device.model') };
    const ok = await save(values);
    setBusy(false);
    setSaved(ok);
    if (ok) {
      setChanged({});
      onSaved?.();
    }
  };

  return (
    <form className="settings-form" onSubmit={(e) => void submit(e)}>
      {groups.map((g) => (
        <fieldset key={g.title}>
          <legend>{g.title}</legend>
          {g.fields.map((f) => (
            <FieldInput
              key={f.key}
              field={f}
              value={f.key in changed ? changed[f.key]! : valueAt(settings.config, f.key)}
              onChange={(v) => {
                setSaved(false);
                setChanged((c) => ({ ...c, [f.key]: v }));
              }}
            />
          ))}
        </fieldset>
      ))}
      {error ? (
        <p className="row-error" role="alert">
          {error}
        </p>
      ) : null}
      {settings.warnings.map((w) => (
        <p key={w} className="row-note">
          {w}
        </p>
      ))}
      <div className="dialog-actions">
        {saved ? <span role="status">Saved to {settings.file}</span> : null}
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
