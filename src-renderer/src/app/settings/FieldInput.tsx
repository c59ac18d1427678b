import { useId } from 'react';
import { CameraTest } from './CameraTest';
import type { Field, Value } from './fields';

export function FieldInput({
  field,
  value,
  onChange,
}: {
  field: Field;
  value: Value;
  onChange(v: Value): void;
}) {
  const id = useId();
  const input = (() => {
    switch (field.kind) {
      case 'choice':
        return (
          <select id={id} value={String(value ?? '')} onChange={(e) => onChange(e.target.value)}>
            {field.options.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        );
      case 'number':
        return (
          <span>
            <input
              id={id}
              type="number"
              className="narrow"
              min={field.min}
              max={field.max}
              step={field.step}
              value={typeof value === 'number' ? value : ''}
              onChange={(e) =>
                onChange(Number.isFinite(e.target.valueAsNumber) ? e.target.valueAsNumber : null)
              }
            />
            {field.unit}
          </span>
        );
      case 'text':
        return (
          <input
            id={id}
            type="text"
            value={String(value ?? '')}
            placeholder={field.placeholder}
            onChange={(e) => onChange(field.nullable && !e.target.value ? null : e.target.value)}
          />
        );
      case 'bool':
        return (
          <input
            id={id}
            type="checkbox"
            checked={value === true}
            onChange={(e) => onChange(e.target.checked)}
          />
        );
    }
  })();
  return (
    <div className="field">
      <label htmlFor={id}>{field.label}</label>
      {input}
      {field.kind === 'text' && field.test === 'camera' ? (
        <CameraTest url={typeof value === 'string' ? value : ''} />
      ) : null}
    </div>
  );
}
