import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { JobInfo, Params, SettingsInfo } from '../../../../src-main/api/contract';
import type { PlanSettings } from '../../../../src-main/plan/plan-file';
import { api, errorText } from '../../client';
import { FieldInput } from '../settings/FieldInput';
import { MAX_MIN_GAP_MM } from '../../../../src-main/shared/axidraw';
import { CORNERING_RANGE, type Field, type Value } from '../settings/fields';
import { useSettings } from '../store/settings';

/** The options of `vfab plan`, by their API names. */
const FIELDS: readonly Field[] = [
  {
    key: 'paper',
    label: "Paper (document: the SVG's own page; a name such as A4; or 210x297mm)",
    kind: 'text',
    placeholder: 'document',
  },
  {
    key: 'orientation',
    label: 'Orientation',
    kind: 'choice',
    options: ['auto', 'portrait', 'landscape'],
  },
  {
    key: 'fit',
    label: 'Fit (none: where it is drawn; center; scale: shrink into the margins)',
    kind: 'choice',
    options: ['none', 'center', 'scale'],
  },
  {
    key: 'margin',
    label: 'Margin for scale',
    kind: 'number',
    min: 0,
    max: 200,
    step: 1,
    unit: 'mm',
  },
  {
    key: 'autoRotate',
    label: 'Auto-rotate: turn portrait drawings 90° (and any that fit only turned)',
    kind: 'bool',
  },
  {
    key: 'optimization',
    label: 'Path ordering',
    kind: 'choice',
    options: ['fast', 'default', 'best'],
  },
  {
    key: 'minGap',
    label: 'Join gaps shorter than (min_gap: drawn pen-down, one lift fewer)',
    kind: 'number',
    min: 0,
    max: MAX_MIN_GAP_MM,
    step: 'any',
    unit: 'mm',
  },
  {
    key: 'cornering',
    label:
      "Cornering (AxiDraw factor: higher takes corners faster and rounder; empty: the plotter's own)",
    kind: 'number',
    ...CORNERING_RANGE,
    step: 1,
  },
];

type Values = Record<string, Value>;

/** What the form starts from: the job's last plan, else the defaults in Settings. */
function initialValues(
  plan: PlanSettings | undefined,
  config: SettingsInfo['config'] | undefined,
): Values | undefined {
  // A plan without minGapMm joined nothing; one without cornering follows its plotter's setting.
  const joins = {
    minGap: plan ? (plan.minGapMm ?? 0) : (config?.plot.min_gap_mm ?? null),
    cornering: plan?.cornering ?? null,
  };
  if (plan)
    return {
      paper: plan.paper,
      orientation: plan.orientation ?? 'auto',
      fit: plan.fit,
      margin: plan.marginMm,
      autoRotate: plan.autoRotate ?? false,
      optimization: plan.preset,
      ...joins,
    };
  if (!config) return undefined;
  const p = config.paper;
  const level = config.optimization.default_level;
  return {
    paper: p.default_size,
    orientation: p.default_orientation,
    fit: 'none',
    margin: p.default_margin_mm,
    autoRotate: p.auto_rotate,
    optimization: level,
    ...joins,
  };
}

function planParams(id: string, v: Values): Params<'jobs.plan'> {
  return {
    id,
    ...(typeof v.paper === 'string' && v.paper.trim() && { paper: v.paper.trim() }),
    ...((v.orientation === 'portrait' || v.orientation === 'landscape') && {
      orientation: v.orientation,
    }),
    ...((v.fit === 'none' || v.fit === 'center' || v.fit === 'scale') && { fit: v.fit }),
    ...(typeof v.margin === 'number' && { margin: v.margin }),
    ...(typeof v.autoRotate === 'boolean' && { autoRotate: v.autoRotate }),
    ...((v.optimization === 'fast' ||
      v.optimization === 'default' ||
      v.optimization === 'best') && { optimization: v.optimization }),
    ...(typeof v.minGap === 'number' && { minGap: v.minGap }),
    ...(typeof v.cornering === 'number' && { cornering: v.cornering }),
  };
}

/**
 * Plans the job again with another paper, fit or turn: how a drawing that "does not fit" is made
 * to fit from the app. Open by itself while the job has no plan, or when the row's "Plan…" opened
 * the detail.
 */
export function PlanForm({ info, focus }: { info: JobInfo; focus: boolean }) {
  const { settings, load } = useSettings();
  const [values, setValues] = useState<Values>();
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ error?: string; done?: string }>({});
  const box = useRef<HTMLDetailsElement>(null);
  const planSettings = info.plan?.settings;

  useEffect(() => {
    if (!planSettings && !settings) void load();
  }, [planSettings, settings, load]);
  useEffect(() => {
    setValues((v) => v ?? initialValues(planSettings, settings?.config));
  }, [planSettings, settings]);
  const ready = values !== undefined;
  useEffect(() => {
    // Opened to plan: the keyboard goes straight to the first setting, once the form is there.
    if (focus && ready) box.current?.querySelector<HTMLElement>('input, select')?.focus();
  }, [focus, ready]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!values) return;
    setBusy(true);
    setOutcome({});
    try {
      const r = await api.call('jobs.plan', planParams(info.id, values));
      // The stats above show the new plan itself.
      setOutcome(
        r.error
          ? { error: r.error }
          : {
              done: `Planned: ${r.state}${r.summary && r.summary.scale !== 1 ? `, scaled ×${r.summary.scale.toFixed(2)}` : ''}.`,
            },
      );
    } catch (err) {
      setOutcome({ error: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <details className="plan-form" open={focus || !info.plan} ref={box} data-testid="plan-form">
      <summary>Plan settings</summary>
      {!values ? (
        <p className="muted">Loading settings…</p>
      ) : (
        <form className="settings-form" onSubmit={(e) => void submit(e)}>
          {FIELDS.map((f) => (
            <FieldInput
              key={f.key}
              field={f}
              value={values[f.key] ?? null}
              onChange={(v) => setValues((old) => ({ ...old, [f.key]: v }))}
            />
          ))}
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Planning…' : info.plan ? 'Plan again' : 'Plan'}
          </button>
          {outcome.error ? (
            <p className="row-error" role="alert">
              {outcome.error}
            </p>
          ) : outcome.done ? (
            <p className="row-note" role="status">
              {outcome.done}
            </p>
          ) : null}
        </form>
      )}
    </details>
  );
}
