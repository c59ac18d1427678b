/**
 * config.yaml: one zod schema with a default for every key, so a missing or partial file always
 * yields a complete config. Key names are the original tool's, so an existing file carries over.
 * Errors name the file, the dotted key, its line, what was found and what is expected.
 */
import { AXIDRAW_MODEL_NUMBER, AXIDRAW_MODELS, type AxiDrawModel } from '../plan/models';
import { VfabError } from '../errors';
import fs from 'node:fs';
import path from 'node:path';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic';
import { isSheet, SHEET_MESSAGE } from '../plan/sheet';
import { CORNERING, MAX_CORNERING, MIN_CORNERING } from '../plan/cornering';
import { MAX_MIN_GAP_MM, MIN_GAP_MM } from '../plan/min-gap';
import { DOCUMENT_PAPER, isPaperSetting } from '../plan/paper';
import { renderConfigTemplate, setConfigValue, YAML_OUTPUT } from './template';
import { UNREAD_KEYS } from './unread';

// ---------------------------------------------------------------------------------------------
// Field builders: each carries the one sentence an error message needs ("must be ...").

type Range = { min?: number; max?: number };

function rangeText({ min, max }: Range): string {
  if (min !== undefined && max !== undefined) return ` between ${min} and ${max}`;
  if (min !== undefined) return ` of at least ${min}`;
  return '';
}

function number(def: number, range: Range = {}, integer = false) {
  const message = `must be ${integer ? 'a whole number' : 'a number'}${rangeText(range)}`;
  let schema = z.number({ error: message });
  if (integer) schema = schema.int(message);
  if (range.min !== undefined) schema = schema.min(range.min, message);
  if (range.max !== undefined) schema = schema.max(range.max, message);
  return schema.default(def);
}

const whole = (def: number, range: Range = {}) => number(def, range, true);

/** The original tool read config.yaml with PyYAML (YAML 1.1), where yes/no/on/off are booleans. */
const PYYAML_BOOLEANS = new Map([
  ['yes', true],
  ['no', false],
  ['on', true],
  ['off', false],
]);

const boolean = z.preprocess(
  (v) => (typeof v === 'string' ? (PYYAML_BOOLEANS.get(v.toLowerCase()) ?? v) : v),
  z.boolean({ error: 'must be true or false' }),
);

const bool = (def: boolean) => boolean.default(def);
const text = (def: string) => z.string({ error: 'must be text' }).default(def);
/** `key:` with nothing after it is null in YAML; for an optional setting that means "not set". */
const optionalText = () =>
  z.preprocess((v) => v ?? undefined, z.string({ error: 'must be text' }).optional());
const PAPER_MESSAGE =
  "must be 'document' (the SVG's own page), a paper name (A4, A3, Letter, …) or a size such as 210x297mm";
const paperSetting = (def: string) =>
  z.string({ error: PAPER_MESSAGE }).refine(isPaperSetting, PAPER_MESSAGE).default(def);
const nullableText = () => z.string({ error: 'must be text or null' }).nullable().default(null);

/** One of a fixed set of words, matched in any case and stored in its canonical spelling. */
function choice<const T extends string>(
  values: readonly T[],
  def: T,
  aliases: Record<string, T> = {},
) {
  const lookup = new Map<string, T>([
    ...values.map((v): [string, T] => [v.toLowerCase(), v]),
    ...Object.entries(aliases).map(([alias, v]): [string, T] => [alias.toLowerCase(), v]),
  ]);
  const message = `must be one of ${values.join(', ')}`;
  // Typed as ZodType<T> so .default() accepts `def`: zod's transform output is Awaited<T>, which
  // TypeScript cannot reduce for a generic T.
  const schema: z.ZodType<T> = z.unknown().transform((v, ctx): T => {
    const hit = typeof v === 'string' ? lookup.get(v.trim().toLowerCase()) : undefined;
    if (hit !== undefined) return hit;
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  });
  return schema.default(def);
}

/** A group of settings; a section whose keys are all commented out (null in YAML) means "all defaults". */
function section<S extends z.ZodRawShape>(shape: S) {
  return z.preprocess(
    (v) => v ?? {},
    z.object(shape, { error: 'must be a group of "key: value" settings' }),
  );
}

/** Settings kept as written and not checked key by key (the original's per-level tables). */
const passthrough = () =>
  z.preprocess(
    (v) => v ?? undefined,
    z
      .record(z.string(), z.unknown(), { error: 'must be a group of "key: value" settings' })
      .optional(),
  );

/** What a plot's end (or a plotter waiting for paper) can tell: notify.events lists some of them. */
export const OUTCOME_KINDS = ['completed', 'failed', 'interrupted', 'waiting_for_paper'] as const;
export type OutcomeKind = (typeof OUTCOME_KINDS)[number];

const MODEL_MESSAGE = `must be an AxiDraw model: ${AXIDRAW_MODELS.join(', ')}, or its number 1-6`;

/** The original stored the AxiDraw number; names are clearer, and model 1 also covers V2 and SE/A4. */
const axidrawModel = z
  .unknown()
  .transform((v, ctx): AxiDrawModel => {
    const key = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
    const hit =
      typeof v === 'number'
        ? AXIDRAW_MODELS.find((m) => AXIDRAW_MODEL_NUMBER[m] === v)
        : key === 'v2' || key === 'se/a4'
          ? 'V3/A4'
          : AXIDRAW_MODELS.find((m) => m.toLowerCase() === key);
    if (hit !== undefined) return hit;
    ctx.addIssue({ code: 'custom', message: MODEL_MESSAGE });
    return z.NEVER;
  })
  .default('V3/A4');

// ---------------------------------------------------------------------------------------------
// The schema

const cameraShape = {
  mode: choice(['ip', 'device', 'disabled'], 'ip'),
  url: text('http://127.0.0.1:8881/stream.mjpeg'),
  device: nullableText(),
  enabled: bool(true),
  timelapse_fps: number(1, { min: 0 }),
  test_access: bool(true),
  motion_service: text('motion'),
  snapshot_interval_s: number(10, { min: 0 }),
};

const deviceShape = {
  preferred: text('axidraw:auto'),
  port: nullableText(),
  model: axidrawModel,
  pause_ink_swatch: bool(true),
  pen_pos_up: number(60, { min: 0, max: 100 }),
  pen_pos_down: number(40, { min: 0, max: 100 }),
  speed_pendown: number(25, { min: 1, max: 110 }),
  speed_penup: number(75, { min: 1, max: 110 }),
  accel: number(75, { min: 1, max: 100 }),
  pen_rate_raise: number(75, { min: 1, max: 100 }),
  pen_rate_lower: number(50, { min: 1, max: 100 }),
  pen_delay_up: whole(0, { min: -500, max: 500 }),
  pen_delay_down: whole(0, { min: -500, max: 500 }),
  const_speed: bool(false),
  cornering: number(CORNERING, { min: MIN_CORNERING, max: MAX_CORNERING }),
  units: choice(['inches', 'mm', 'cm'], 'inches'),
  penlift: whole(1, { min: 1, max: 3 }),
  remote_detection_host: nullableText(),
  detection_timeout: number(5, { min: 0 }),
};

// ---------------------------------------------------------------------------------------------
// Plotters (`devices:`): each a name, a port, a model, the sheet loaded, and any device key that
// differs from the `device:` section. Set keys only: what is unset comes from `device:` and `camera:`.

type Optional<S extends z.ZodRawShape> = {
  [K in keyof S]: S[K] extends z.ZodDefault<infer T> ? z.ZodOptional<T> : z.ZodOptional<S[K]>;
};

function optionalShape<S extends z.ZodRawShape>(shape: S): Optional<S> {
  return Object.fromEntries(
    Object.entries(shape).map(([k, v]) => {
      const field = v as z.ZodType;
      return [
        k,
        (field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : field).optional(),
      ];
    }),
  ) as unknown as Optional<S>;
}

export const PLOTTER_NAME = /^[A-Za-z0-9._-]+$/;
const NAME_MESSAGE = 'must be a plotter name of letters, digits, ".", "_" or "-"';

const { preferred: _preferred, ...plotterDeviceShape } = deviceShape;

const plotterShape = {
  name: z.string({ error: NAME_MESSAGE }).regex(PLOTTER_NAME, NAME_MESSAGE),
  ...optionalShape(plotterDeviceShape),
  port: z
    .string({ error: "must be a serial port path, an AxiDraw nickname or 'virtual'" })
    .optional(),
  paper: z
    .string({ error: SHEET_MESSAGE })
    .refine((v) => isSheet(v), SHEET_MESSAGE)
    .optional(),
  camera: z
    .object(optionalShape(cameraShape), {
      error: 'must be a group of camera settings, e.g. "url: ..."',
    })
    .optional(),
  speed: z
    .number({ error: 'must be a number greater than 0' })
    .positive('must be a number greater than 0')
    .optional(),
};

/** Unknown keys in a plotter are refused, not ignored: a misspelt pen setting would plot with the wrong pen height. */
const plotterEntry = z.preprocess(
  (v, ctx) => {
    if (isRecord(v)) {
      for (const key of Object.keys(v).filter((k) => !(k in plotterShape))) {
        const near = Object.keys(plotterShape)
          .map((k) => ({ k, d: editDistance(k, key) }))
          .filter((c) => c.d <= Math.max(1, Math.floor(key.length / 3)))
          .sort((a, b) => a.d - b.d)[0]?.k;
        ctx.addIssue({
          code: 'custom',
          continue: true,
          path: [key],
          input: v[key],
          message: `is not a plotter setting${near ? `; did you mean '${near}'?` : ''}`,
        });
      }
    }
    return v;
  },
  z.object(plotterShape, { error: 'must be a plotter: "- name: ..." with its settings under it' }),
);

const plotterList = z.preprocess(
  (v) => v ?? [],
  z
    .array(plotterEntry, { error: 'must be a list of plotters, each starting with "- name: ..."' })
    .superRefine((list, ctx) => {
      list.forEach((p, i) => {
        const first = list.findIndex((q) => q.name === p.name);
        if (first < i)
          ctx.addIssue({
            code: 'custom',
            path: [i, 'name'],
            input: p.name,
            message: `must be unique: devices.${first} is named '${p.name}' too`,
          });
      });
    }),
);

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;

const hookList = z.preprocess(
  (v) => v ?? [],
  z.array(z.looseObject({}, { error: 'must be a hook like "command: ..."' }), {
    error: 'must be a list of hooks, each a line like "- command: ..."',
  }),
);

const webhookUrl = z
  .string({ error: 'must be an http:// or https:// URL, or null' })
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), {
    error: 'must be an http:// or https:// URL, or null',
  })
  .nullable()
  .default(null);

export const configSchema = z.object({
  workspace: optionalText(),
  camera: section(cameraShape),
  database: section({
    url: nullableText(),
    echo: bool(false),
  }),
  device: section(deviceShape),
  devices: plotterList,
  vpype: section({
    preset: text('default'),
    presets_file: text('vpype-presets.yaml'),
  }),
  optimization: section({
    default_level: choice(['fast', 'default', 'best'], 'default', { hq: 'best' }),
    tolerance_mm: number(0.05, { min: 0.001, max: 5 }),
    levels: passthrough(),
    digest_levels: passthrough(),
    default_digest: whole(1, { min: 0, max: 2 }),
    file_types: passthrough(),
    interactive_mode: bool(false),
    fallback_preset: optionalText(),
  }),
  paper: section({
    default_size: paperSetting(DOCUMENT_PAPER),
    default_margin_mm: number(10, { min: 0 }),
    default_orientation: choice(['auto', 'portrait', 'landscape'], 'auto'),
    auto_rotate: bool(true),
    /** Off unless set: vfab never asked before these were read, and a plot that suddenly waits for a yes would break scripts. */
    require_one_per_session: bool(false),
    track_usage: bool(true),
    auto_detect_size: bool(false),
  }),
  plot: section({
    /** When a change of layer number stops for a pen swap (plan/pens.ts); `!` layers always pause. */
    pen_change: choice(['auto', 'pause', 'ignore'], 'auto'),
    /** AxiDraw's min_gap: pen-up hops shorter than this are drawn pen-down (plan/optimize.ts). */
    min_gap_mm: number(MIN_GAP_MM, { min: 0, max: MAX_MIN_GAP_MM }),
  }),
  /** Layer number → the pen that draws it ("0.3 black fineliner"): named in the pause prompt, compared by pen_change auto. */
  pens: z.preprocess(
    (v) => v ?? {},
    z.record(
      z.string().regex(/^\d+$/, { error: 'must be a layer number' }),
      z.union([z.string().trim().min(1), z.number()]).transform(String),
      { error: 'must be a group of "layer number: pen", e.g. 1: 0.3 black fineliner' },
    ),
  ),
  hooks: z.preprocess(
    (v) => v ?? {},
    z.record(z.string(), hookList, {
      error: 'must be a group of state names, each with a list of hooks',
    }),
  ),
  recovery: section({
    interrupt_grace_minutes: number(5, { min: 0 }),
    auto_detect_enabled: bool(true),
    max_resume_attempts: whole(3, { min: 0 }),
    stuck_after_s: number(120, { min: 1 }),
  }),
  backups: section({
    auto: bool(false),
    interval_hours: number(24, { min: 0.1 }),
    keep: whole(7, { min: 1 }),
    dir: optionalText(),
  }),
  physical_setup: section({
    require_confirmation: bool(false),
    show_guidance: bool(true),
    auto_detect_paper: bool(false),
    auto_detect_pen: bool(false),
    paper_alignment_tolerance: number(2, { min: 0 }),
    pen_force_check: bool(true),
    device_connection_check: bool(true),
    skip_on_resume: bool(false),
    timeout_seconds: number(30, { min: 0 }),
  }),
  websocket: section({
    enabled: bool(false),
    host: text('127.0.0.1'),
    port: whole(8765, { min: 1, max: 65535 }),
    max_connections: whole(100, { min: 1 }),
    heartbeat_interval: number(30, { min: 1 }),
    authentication: bool(false),
    // The original's shipped config and docs spell it `authenticate`; either one turns auth on.
    authenticate: boolean.optional(),
    api_key: nullableText(),
    channels: z
      .array(z.string(), { error: 'must be a list of channel names' })
      .default(() => ['jobs', 'devices', 'system']),
  }).transform(({ authenticate, ...ws }) => ({
    ...ws,
    authentication: ws.authentication || authenticate === true,
  })),
  notify: section({
    webhook_url: webhookUrl,
    events: z
      .array(z.enum(OUTCOME_KINDS, { error: `must be one of ${OUTCOME_KINDS.join(', ')}` }), {
        error: 'must be a list of events',
      })
      .default(() => [...OUTCOME_KINDS]),
    timeout_s: number(5, { min: 0.1, max: 30 }),
  }),
  logging: section({
    enabled: bool(true),
    level: choice(LOG_LEVELS, 'INFO', { warn: 'WARNING', fatal: 'CRITICAL' }),
    format: text('rich'),
    output: choice(['console', 'file', 'both'], 'both'),
    log_file: optionalText(),
    max_file_size: whole(10_485_760, { min: 1024 }),
    backup_count: whole(5, { min: 0 }),
    console_show_timestamp: bool(false),
    console_show_level: bool(true),
    console_rich_tracebacks: bool(true),
    include_job_id: bool(true),
    include_device_info: bool(true),
    include_session_id: bool(true),
    buffer_size: whole(1024, { min: 0 }),
    flush_interval: number(5, { min: 0 }),
  }),
});

export type VfabConfig = z.infer<typeof configSchema>;

export function defaultConfig(): VfabConfig {
  return configSchema.parse({});
}

// ---------------------------------------------------------------------------------------------
// Errors and warnings

export interface ConfigWarning {
  key: string;
  line?: number;
  message: string;
}

export class ConfigError extends VfabError {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly key: string | undefined,
    readonly line: number | undefined,
    message: string,
  ) {
    super('CONFIG', message);
  }
}

type KeyPath = readonly PropertyKey[];

const dotted = (p: KeyPath) => p.map(String).join('.');
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function valueAt(root: unknown, p: KeyPath): unknown {
  let node = root;
  for (const seg of p)
    node =
      isRecord(node) || Array.isArray(node)
        ? (node as Record<PropertyKey, unknown>)[seg]
        : undefined;
  return node;
}

/** What the user wrote, short enough for one line of an error message. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function defaultHint(p: KeyPath): string {
  const def = valueAt(defaultConfig(), p);
  if (def === undefined) return 'Fix the value or delete the line.';
  if (def === null) return 'Fix the value or delete the line to leave it unset.';
  if (isRecord(def)) return 'Fix it or delete the section to use the defaults.';
  return `Fix the value or delete the line to use the default (${typeof def === 'string' ? def : JSON.stringify(def)}).`;
}

/** A parsed YAML document that can tell which line a key path is on. */
interface Located {
  doc: Document;
  /** 1-based line of the key at `p` (of the whole document for []), undefined when it is not in the file. */
  lineOf(p: KeyPath): number | undefined;
}

function readYaml(text: string, file: string): Located {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const { line, col } = counter.linePos(syntax.pos[0]);
    throw new ConfigError(
      file,
      undefined,
      line,
      `${file}:${line}:${col}: not valid YAML: ${syntax.message}.`,
    );
  }
  const lineOf = (p: KeyPath): number | undefined => {
    let node: unknown = doc.contents;
    let start = isNode(node) ? node.range?.[0] : undefined;
    for (const seg of p) {
      if (isMap(node)) {
        const pair = node.items.find(
          (it) => String(isScalar(it.key) ? it.key.value : it.key) === String(seg),
        );
        start = isNode(pair?.key) ? pair.key.range?.[0] : undefined;
        node = pair?.value;
      } else {
        node = isSeq(node) ? node.items[Number(seg)] : undefined;
        start = isNode(node) ? node.range?.[0] : undefined;
      }
      if (start === undefined) return undefined;
    }
    return start === undefined ? undefined : counter.linePos(start).line;
  };
  return { doc, lineOf };
}

/** The object or record under a field's wrappers (default, optional, preprocess, transform), if any. */
function groupOf(schema: z.ZodType): z.ZodObject | z.ZodRecord | undefined {
  if (schema instanceof z.ZodObject || schema instanceof z.ZodRecord) return schema;
  if (
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodNullable
  )
    return groupOf(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodPipe)
    return groupOf(schema.in as z.ZodType) ?? groupOf(schema.out as z.ZodType);
  return undefined;
}

/** Child schemas of a group vfab checks key by key; undefined for single values and for groups kept as written (hooks). */
function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const group = groupOf(schema);
  return group instanceof z.ZodObject && !group.def.catchall
    ? (group.shape as Record<string, z.ZodType>)
    : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        prev[j]! + 1,
        row[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** Every key the schema knows, as paths, to suggest where a misplaced key belongs. */
function knownPaths(schema: z.ZodType, prefix: string[] = []): string[][] {
  return Object.entries(shapeOf(schema) ?? {}).flatMap(([k, child]) => [
    [...prefix, k],
    ...knownPaths(child, [...prefix, k]),
  ]);
}

/** A near-miss among the siblings ("sped_pendown"), else the same name in another section. */
function suggest(p: readonly string[]): string | undefined {
  const name = p[p.length - 1]!;
  const parent = dotted(p.slice(0, -1));
  const all = knownPaths(configSchema);
  const siblings = all.filter((k) => dotted(k.slice(0, -1)) === parent);
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: { key: string[]; distance: number } | undefined;
  for (const key of siblings) {
    const distance = editDistance(name.toLowerCase(), key[key.length - 1]!.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { key, distance };
  }
  const elsewhere = all.find((k) => k[k.length - 1] === name);
  const hit = best?.key ?? elsewhere;
  return hit && dotted(hit);
}

function unknownKeys(
  raw: Record<string, unknown>,
  schema: z.ZodType,
  prefix: string[],
  at: Located,
): ConfigWarning[] {
  const shape = shapeOf(schema);
  if (!shape) return [];
  return Object.entries(raw).flatMap(([k, v]): ConfigWarning[] => {
    const p = [...prefix, k];
    const child = shape[k];
    if (child) return isRecord(v) ? unknownKeys(v, child, p, at) : [];
    const key = dotted(p);
    const line = at.lineOf(p);
    const hint = suggest(p);
    const message = `unknown key '${key}'${line ? ` (line ${line})` : ''} ignored${hint ? `; did you mean '${hint}'?` : ''}`;
    return [{ key, line, message }];
  });
}

/** Keys set to something other than their default that vfab accepts but never reads. */
function unreadKeys(
  raw: Record<string, unknown>,
  config: VfabConfig,
  at: Located,
): ConfigWarning[] {
  const defaults = defaultConfig();
  return UNREAD_KEYS.flatMap((key): ConfigWarning[] => {
    const p = key.split('.');
    if (
      valueAt(raw, p) === undefined ||
      JSON.stringify(valueAt(config, p)) === JSON.stringify(valueAt(defaults, p))
    )
      return [];
    const line = at.lineOf(p);
    return [
      {
        key,
        line,
        message: `'${key}'${line ? ` (line ${line})` : ''} is accepted but not implemented: vfab ignores it`,
      },
    ];
  });
}

interface Problem {
  path: KeyPath;
  key: string;
  line: number | undefined;
  /** "device.speed_pendown must be a number between 1 and 110 (found "fast")" */
  text: string;
}

function problemsIn(raw: unknown, at: Located, issues: z.ZodError['issues']): Problem[] {
  return issues
    .map((issue) => ({
      path: issue.path,
      key: dotted(issue.path),
      line: at.lineOf(issue.path),
      text: `${dotted(issue.path)} ${issue.message} (found ${describe(valueAt(raw, issue.path))})`,
    }))
    .sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}

type Checked =
  { ok: true; config: VfabConfig; warnings: ConfigWarning[] } | { ok: false; problems: Problem[] };

/** Parse and validate; YAML that cannot be read at all throws, bad values come back as problems. */
function check(text: string, file: string): Checked {
  const at = readYaml(text, file);
  let raw: unknown;
  try {
    // yaml refuses to expand "billion laughs" alias bombs and throws instead.
    raw = at.doc.toJS() ?? {};
  } catch (err) {
    throw new ConfigError(
      file,
      undefined,
      undefined,
      `${file}: cannot be read as YAML: ${(err as Error).message}.`,
    );
  }
  if (!isRecord(raw)) {
    throw new ConfigError(
      file,
      undefined,
      at.lineOf([]) ?? 1,
      `${file}: the top level must be sections like "device:" with settings under them (found ${describe(raw)}).`,
    );
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: problemsIn(raw, at, parsed.error.issues) };
  return {
    ok: true,
    config: parsed.data,
    warnings: [...unknownKeys(raw, configSchema, [], at), ...unreadKeys(raw, parsed.data, at)],
  };
}

// ---------------------------------------------------------------------------------------------
// Public API

export function parseConfig(
  text: string,
  file: string,
): { config: VfabConfig; warnings: ConfigWarning[] } {
  const result = check(text, file);
  if (result.ok) return { config: result.config, warnings: result.warnings };
  const messages = result.problems.map(
    (p) => `${file}${p.line ? `:${p.line}` : ''}: ${p.text}. ${defaultHint(p.path)}`,
  );
  const first = result.problems[0]!;
  throw new ConfigError(file, first.key, first.line, messages.join('\n'));
}

/** undefined when the file does not exist; any other read failure is a ConfigError. */
function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(
      file,
      undefined,
      undefined,
      `${file}: cannot be read: ${(err as Error).message}`,
    );
  }
}

export function loadConfig(file: string): {
  config: VfabConfig;
  warnings: ConfigWarning[];
  exists: boolean;
} {
  const text = readIfExists(file);
  if (text === undefined) return { config: defaultConfig(), warnings: [], exists: false };
  return { ...parseConfig(text, file), exists: true };
}

/** A key vfab knows, or one inside a group kept as written (hooks, optimization.levels, ...). */
function checkKnown(file: string, key: string): void {
  let schema: z.ZodType = configSchema;
  const parts = key.split('.');
  for (const [i, part] of parts.entries()) {
    if (!groupOf(schema)) {
      const leaf = parts.slice(0, i).join('.');
      throw new ConfigError(
        file,
        key,
        undefined,
        `${file} was not changed: unknown key '${key}' ('${leaf}' is a single value)`,
      );
    }
    const shape = shapeOf(schema);
    if (!shape) return;
    const child = shape[part];
    if (!child) {
      const hint = suggest(parts.slice(0, i + 1));
      throw new ConfigError(
        file,
        key,
        undefined,
        `${file} was not changed: unknown key '${key}'${hint ? `; did you mean '${hint}'?` : ''}`,
      );
    }
    schema = child;
  }
}

/**
 * Change settings in place (dotted keys; `undefined` deletes a key so its default applies),
 * keeping comments and everything else. The result is validated before anything is written,
 * so a refused change leaves the file byte for byte as it was.
 */
export function updateConfigFile(file: string, values: Record<string, unknown>): void {
  for (const key of Object.keys(values)) checkKnown(file, key);
  const existing = readIfExists(file);
  let next: string;
  let before: Located | undefined;
  if (existing === undefined) {
    next = renderConfigTemplate(values);
  } else {
    before = readYaml(existing, file);
    const doc = before.doc.clone();
    for (const [key, value] of Object.entries(values)) {
      try {
        setConfigValue(doc, key, value);
      } catch (err) {
        const line = before.lineOf(key.split('.'));
        throw new ConfigError(
          file,
          key,
          line,
          `${file} was not changed: cannot set ${key}: ${(err as Error).message}`,
        );
      }
    }
    next = doc.toString(YAML_OUTPUT);
  }
  const result = check(next, file);
  if (!result.ok) {
    const first = result.problems[0]!;
    // Lines are reported as they are in the file on disk, which is what the user will open.
    const line = before?.lineOf(first.path);
    const others = result.problems.length > 1 ? ` (and ${result.problems.length - 1} more)` : '';
    throw new ConfigError(
      file,
      first.key,
      line,
      `${file} was not changed: ${first.text}${line ? ` at line ${line}` : ''}${others}.`,
    );
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // A new file may hold an API key or a camera password: private until the user says otherwise.
  const mode = existing === undefined ? 0o600 : fs.statSync(file).mode & 0o777;
  writeFileAtomic(file, next, mode);
}
