import {
  AXIDRAW_MODELS,
  MAX_CORNERING,
  MAX_MIN_GAP_MM,
  MIN_CORNERING,
} from '../../../../src-main/shared/axidraw';

/** The settings the app edits: the ones a plotter artist changes, by their dotted config.yaml keys. */
export type Field =
  | { key: string; label: string; kind: 'choice'; options: readonly string[] }
  | {
      key: string;
      label: string;
      kind: 'number';
      min: number;
      max: number;
      /** 'any': a value such as AxiDraw's 0.2032 mm must not fail the form's step check. */ step:
        number | 'any';
      unit?: string;
    }
  | {
      key: string;
      label: string;
      kind: 'text';
      placeholder?: string;
      nullable?: boolean;
      /** A button that tries the value: a camera URL. */ test?: 'camera';
    }
  | { key: string; label: string; kind: 'bool' };

export const CORNERING_RANGE = { min: MIN_CORNERING, max: MAX_CORNERING };

export const PLOTTER_FIELDS: readonly Field[] = [
  { key: 'device.model', label: 'AxiDraw model', kind: 'choice', options: AXIDRAW_MODELS },
  {
    key: 'device.port',
    label: "Serial port (empty: find it; 'virtual': the simulator)",
    kind: 'text',
    placeholder: '/dev/ttyACM0',
    nullable: true,
  },
  {
    key: 'device.pen_pos_up',
    label: 'Pen up height',
    kind: 'number',
    min: 0,
    max: 100,
    step: 1,
    unit: '%',
  },
  {
    key: 'device.pen_pos_down',
    label: 'Pen down height',
    kind: 'number',
    min: 0,
    max: 100,
    step: 1,
    unit: '%',
  },
  {
    key: 'device.speed_pendown',
    label: 'Drawing speed',
    kind: 'number',
    min: 1,
    max: 110,
    step: 1,
    unit: '%',
  },
  {
    key: 'device.speed_penup',
    label: 'Travel speed',
    kind: 'number',
    min: 1,
    max: 110,
    step: 1,
    unit: '%',
  },
  {
    key: 'device.cornering',
    label: 'Cornering (AxiDraw factor: higher takes corners faster and rounder)',
    kind: 'number',
    ...CORNERING_RANGE,
    step: 1,
  },
];

export const PAPER_FIELDS: readonly Field[] = [
  {
    key: 'paper.default_size',
    label: "Paper (document: each SVG's own page)",
    kind: 'text',
    placeholder: 'document',
  },
  {
    key: 'paper.default_orientation',
    label: 'Orientation',
    kind: 'choice',
    options: ['auto', 'portrait', 'landscape'],
  },
  {
    key: 'paper.default_margin_mm',
    label: 'Margin',
    kind: 'number',
    min: 0,
    max: 200,
    step: 1,
    unit: 'mm',
  },
  {
    key: 'paper.auto_rotate',
    label: 'Auto-rotate: turn portrait drawings 90° (and any that fit only turned)',
    kind: 'bool',
  },
  {
    key: 'optimization.default_level',
    label: 'Optimisation',
    kind: 'choice',
    options: ['fast', 'default', 'best'],
  },
  {
    key: 'plot.min_gap_mm',
    label: 'Join gaps shorter than (min_gap: drawn pen-down, one lift fewer)',
    kind: 'number',
    min: 0,
    max: MAX_MIN_GAP_MM,
    step: 'any',
    unit: 'mm',
  },
];

export const CAMERA_FIELDS: readonly Field[] = [
  { key: 'camera.enabled', label: 'Use a camera', kind: 'bool' },
  {
    key: 'camera.url',
    label: 'Stream URL (Motion)',
    kind: 'text',
    placeholder: 'http://127.0.0.1:8881/stream.mjpeg',
    test: 'camera',
  },
];

export const BACKUP_FIELDS: readonly Field[] = [
  { key: 'backups.auto', label: 'Back up automatically', kind: 'bool' },
  {
    key: 'backups.interval_hours',
    label: 'Every',
    kind: 'number',
    min: 0.1,
    max: 8760,
    step: 0.1,
    unit: 'h',
  },
  { key: 'backups.keep', label: 'Keep the newest', kind: 'number', min: 1, max: 1000, step: 1 },
  {
    key: 'backups.dir',
    label: 'Folder (empty: the data folder)',
    kind: 'text',
    placeholder: '~/vfab-backups',
    nullable: true,
  },
];

export type Value = string | number | boolean | null;

/** A dotted key's value in the nested config. */
export function valueAt(config: unknown, key: string): Value {
  let v: unknown = config;
  for (const part of key.split('.'))
    v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null;
}
