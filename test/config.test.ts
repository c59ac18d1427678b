import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import YAML from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  defaultConfig,
  loadConfig,
  parseConfig,
  updateConfigFile,
  type ConfigWarning,
  type VfabConfig,
} from '../src-main/config/config';
import { renderConfigTemplate } from '../src-main/config/template';
import { UNREAD_KEYS } from '../src-main/config/unread';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-config-'));
  file = path.join(dir, 'config.yaml');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The ConfigError `fn` throws; fails the test when it throws anything else or nothing. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

/** Every key set to something other than its default (checked below), to prove values survive. */
const NON_DEFAULT: VfabConfig = {
  workspace: '/plots/workspace',
  devices: [
    {
      name: 'a3',
      port: 'virtual',
      model: 'V3/A3',
      paper: 'A3 landscape',
      speed: 20,
      pen_pos_down: 30,
      camera: { url: 'http://10.0.0.6:8081/' },
    },
  ],
  camera: {
    mode: 'device',
    url: 'http://10.0.0.5:8081/',
    device: '/dev/video2',
    enabled: false,
    timelapse_fps: 4,
    test_access: false,
    motion_service: 'motion-eye',
    snapshot_interval_s: 2.5,
  },
  database: { url: 'sqlite:////tmp/other.db', echo: true },
  device: {
    preferred: 'virtual',
    port: '/dev/ttyACM1',
    model: 'SE/A3',
    pause_ink_swatch: false,
    pen_pos_up: 70,
    pen_pos_down: 35.5,
    speed_pendown: 110,
    speed_penup: 1,
    accel: 100,
    pen_rate_raise: 1,
    pen_rate_lower: 100,
    pen_delay_up: 150,
    pen_delay_down: -20,
    const_speed: true,
    cornering: 25,
    units: 'mm',
    penlift: 3,
    remote_detection_host: 'plotter-pi.local',
    detection_timeout: 12,
  },
  vpype: { preset: 'hq', presets_file: '/etc/vfab/presets.yaml' },
  plot: { pen_change: 'ignore', min_gap_mm: 0.5 },
  pens: { '1': '0.3 black fineliner', '2': 'red' },
  optimization: {
    default_level: 'best',
    tolerance_mm: 0.02,
    levels: { fast: { description: 'Quick', vpype_preset: 'fast', digest_default: 1 } },
    digest_levels: { '2': { description: 'High', enabled: true, compression: 'high' } },
    default_digest: 2,
    file_types: { '.plob': { mode: 'plob', auto_pristine: true, skip_optimization: true } },
    interactive_mode: true,
    fallback_preset: 'fast',
  },
  paper: {
    default_size: 'A3',
    default_margin_mm: 15,
    default_orientation: 'landscape',
    auto_rotate: false,
    require_one_per_session: true,
    track_usage: false,
    auto_detect_size: true,
  },
  hooks: {
    COMPLETED: [{ command: 'notify-send "vfab" "{job_id} done"' }],
    FAILED: [{ webhook: 'http://h/x' }],
  },
  recovery: {
    interrupt_grace_minutes: 30,
    auto_detect_enabled: false,
    max_resume_attempts: 7,
    stuck_after_s: 600,
  },
  backups: { auto: true, interval_hours: 6, keep: 3, dir: '/var/backups/vfab' },
  physical_setup: {
    require_confirmation: true,
    show_guidance: false,
    auto_detect_paper: true,
    auto_detect_pen: true,
    paper_alignment_tolerance: 0.5,
    pen_force_check: false,
    device_connection_check: false,
    skip_on_resume: true,
    timeout_seconds: 90,
  },
  websocket: {
    enabled: true,
    host: '0.0.0.0',
    port: 9000,
    max_connections: 4,
    heartbeat_interval: 10,
    authentication: true,
    api_key: 's3cret',
    channels: ['jobs'],
  },
  notify: {
    webhook_url: 'https://hooks.example.com/vfab?token=abc',
    events: ['failed', 'interrupted'],
    timeout_s: 2.5,
  },
  logging: {
    enabled: false,
    level: 'DEBUG',
    format: 'plain',
    output: 'file',
    log_file: '/var/log/vfab.log',
    max_file_size: 2048,
    backup_count: 0,
    console_show_timestamp: true,
    console_show_level: false,
    console_rich_tracebacks: false,
    include_job_id: false,
    include_device_info: false,
    include_session_id: false,
    buffer_size: 0,
    flush_interval: 0.5,
  },
};

/** Without the warnings about keys vfab accepts but does not read (their own tests are below). */
const implemented = <T extends { warnings: ConfigWarning[] }>(r: T): T => ({
  ...r,
  warnings: r.warnings.filter((w) => !UNREAD_KEYS.includes(w.key)),
});

type Section = Exclude<keyof VfabConfig, 'workspace'>;
const SECTIONS = Object.keys(defaultConfig()) as Section[];

/** `{camera: {url: x}}` -> `{'camera.url': x}`, stopping at groups kept as written. */
function dottedValues(config: VfabConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { workspace: config.workspace };
  for (const s of SECTIONS) {
    if (Array.isArray(config[s])) out[s] = config[s];
    else for (const [k, v] of Object.entries(config[s])) out[`${s}.${k}`] = v;
  }
  return out;
}

describe('defaults', () => {
  it('gives every key its default', () => {
    const c = defaultConfig();
    expect(c.workspace).toBeUndefined();
    expect(c.camera).toMatchObject({
      mode: 'ip',
      url: 'http://127.0.0.1:8881/stream.mjpeg',
      device: null,
      enabled: true,
    });
    expect(c.device).toMatchObject({
      preferred: 'axidraw:auto',
      port: null,
      model: 'V3/A4',
      pen_pos_up: 60,
      pen_pos_down: 40,
      speed_pendown: 25,
      speed_penup: 75,
      accel: 75,
      pen_rate_raise: 75,
      pen_rate_lower: 50,
      units: 'inches',
      penlift: 1,
      detection_timeout: 5,
    });
    expect(c.optimization).toEqual({
      default_level: 'default',
      tolerance_mm: 0.05,
      default_digest: 1,
      interactive_mode: false,
    });
    expect(c.hooks).toEqual({});
    // AxiDraw's min_gap default: 0.008 in.
    expect(c.plot).toEqual({ pen_change: 'auto', min_gap_mm: 0.2032 });
    expect(c.recovery).toEqual({
      interrupt_grace_minutes: 5,
      auto_detect_enabled: true,
      max_resume_attempts: 3,
      stuck_after_s: 120,
    });
    expect(c.websocket).toMatchObject({
      enabled: false,
      host: '127.0.0.1',
      port: 8765,
      authentication: false,
      channels: ['jobs', 'devices', 'system'],
    });
    expect(c.logging).toMatchObject({
      level: 'INFO',
      max_file_size: 10485760,
      backup_count: 5,
      output: 'both',
    });
    expect(c.notify).toEqual({
      webhook_url: null,
      events: ['completed', 'failed', 'interrupted', 'waiting_for_paper'],
      timeout_s: 5,
    });
  });

  it('returns a fresh object each time', () => {
    const a = defaultConfig();
    a.websocket.channels.push('mutated');
    a.device.speed_pendown = 99;
    expect(defaultConfig().websocket.channels).toEqual(['jobs', 'devices', 'system']);
    expect(defaultConfig().device.speed_pendown).toBe(25);
  });

  it.each([
    ['an empty file', ''],
    ['only comments', '# nothing here yet\n\n   # still nothing\n'],
    [
      'sections whose keys are all commented out',
      'workspace:\ncamera:\n  # url: x\ndevice:\nhooks:\nlogging:\n  log_file:\n',
    ],
  ])('reads %s as the defaults', (_, text) => {
    expect(parseConfig(text, file)).toEqual({ config: defaultConfig(), warnings: [] });
  });

  it('reads a hook state with its entries commented out as no hooks', () => {
    expect(parseConfig('hooks:\n  QUEUED:\n  # - command: beep\n', file).config.hooks).toEqual({
      QUEUED: [],
    });
  });

  it('loads a missing file as the defaults', () => {
    expect(loadConfig(path.join(dir, 'nope.yaml'))).toEqual({
      config: defaultConfig(),
      warnings: [],
      exists: false,
    });
  });
});

describe('round trips', () => {
  it('the fixture really differs from the defaults in every key', () => {
    const def = defaultConfig();
    for (const s of SECTIONS) {
      for (const [k, v] of Object.entries(NON_DEFAULT[s])) {
        expect(v, `${s}.${k}`).not.toEqual((def[s] as Record<string, unknown>)[k]);
      }
    }
  });

  it.each(SECTIONS)('section %s survives being written as YAML and read back', (section) => {
    const text = YAML.stringify({ [section]: NON_DEFAULT[section] });
    expect(implemented(parseConfig(text, file))).toEqual({
      config: { ...defaultConfig(), [section]: NON_DEFAULT[section] },
      warnings: [],
    });
  });

  it('the whole config survives a YAML dump and load', () => {
    fs.writeFileSync(file, YAML.stringify(NON_DEFAULT));
    expect(implemented(loadConfig(file))).toEqual({
      config: NON_DEFAULT,
      warnings: [],
      exists: true,
    });
  });
});

// Modelled on the original tool's shipped config.yaml.
const ORIGINAL = `# vfab Configuration File
workspace: ./workspace

camera:
  mode: ip
  url: ""
  device: null
  enabled: false
  timelapse_fps: 1
  test_access: true
  motion_service: motion

database:
  url: null
  echo: false

device:
  preferred: "axidraw:auto"
  pause_ink_swatch: true
  port: null
  model: 2
  pen_pos_up: 60
  pen_pos_down: 40
  speed_pendown: 25
  speed_penup: 75
  units: "inches"
  penlift: 3
  remote_detection_host: null
  detection_timeout: 5

vpype:
  preset: default
  presets_file: vpype-presets.yaml

optimization:
  levels:
    fast:
      description: "Fast optimization - minimal processing"
      vpype_preset: "fast"
      digest_default: 1
    default:
      description: "Default optimization - balanced"
      vpype_preset: "default"
      digest_default: 1
    hq:
      description: "High quality optimization"
      vpype_preset: "hq"
      digest_default: 2
  digest_levels:
    0:
      description: "No digest"
      enabled: false
    1:
      description: "Standard digest"
      enabled: true
      compression: "standard"
    2:
      description: "High compression digest"
      enabled: true
      compression: "high"
  file_types:
    .plob:
      mode: "plob"
      auto_pristine: true
      skip_optimization: true
    .svg:
      mode: "normal"
  default_level: hq
  default_digest: 1
  interactive_mode: false
  fallback_preset: "default"

paper:
  default_size: "A4"
  default_margin_mm: 10.0
  default_orientation: "portrait"
  require_one_per_session: true
  track_usage: true
  auto_detect_size: false

hooks:
  NEW:
    - command: "echo 'Job {job_id} created'"
  ANALYZED:
    - command: "echo 'Job {job_id} analyzed'"
  OPTIMIZED:
    - command: "echo 'Job {job_id} optimized'"
  READY:
    - command: "echo 'Job {job_id} ready'"
  QUEUED:
    - command: "notify-send 'vfab' 'Job {job_id} queued'"
  ARMED:
    - command: "echo 'Job {job_id} armed'"
  PLOTTING:
    - command: "notify-send 'vfab' 'Job {job_id} started plotting'"
      type: system
  PAUSED:
    - command: "notify-send 'vfab' 'Job {job_id} paused'"
  COMPLETED:
    - command: "notify-send 'vfab' 'Job {job_id} completed'"
    - webhook: "http://localhost:9000/done"
  ABORTED:
    - command: "notify-send 'vfab' 'Job {job_id} aborted'"
  FAILED:
    - command: "notify-send 'vfab' 'Job {job_id} failed: {error}'"

recovery:
  interrupt_grace_minutes: 5
  auto_detect_enabled: true
  max_resume_attempts: 3

physical_setup:
  require_confirmation: true
  show_guidance: true
  auto_detect_paper: false
  auto_detect_pen: false
  paper_alignment_tolerance: 2.0
  pen_force_check: true
  device_connection_check: true
  skip_on_resume: false
  timeout_seconds: 30

websocket:
  enabled: true
  host: "localhost"
  port: 8765
  max_connections: 100
  heartbeat_interval: 30
  authenticate: true
  api_key: null
  channels: ["jobs", "devices", "system"]

logging:
  enabled: true
  level: "INFO"
  format: "rich"
  output: "both"
  max_file_size: 10485760
  backup_count: 5
  console_show_timestamp: false
  console_show_level: true
  console_rich_tracebacks: true
  include_job_id: true
  include_device_info: true
  include_session_id: true
  buffer_size: 1024
  flush_interval: 5
`;

describe("the original tool's config.yaml", () => {
  it('loads with no warnings and means the same thing', () => {
    const { config, warnings } = implemented(parseConfig(ORIGINAL, file));
    expect(warnings).toEqual([]);
    expect(config.device.model).toBe('V3/A3');
    expect(config.device.penlift).toBe(3);
    expect(config.optimization.default_level).toBe('best');
    expect(config.optimization.fallback_preset).toBe('default');
    expect(config.optimization.levels).toMatchObject({
      hq: { vpype_preset: 'hq', digest_default: 2 },
    });
    expect(config.optimization.digest_levels).toMatchObject({
      '0': { enabled: false },
      '2': { compression: 'high' },
    });
    expect(config.optimization.file_types).toMatchObject({ '.plob': { mode: 'plob' } });
    expect(Object.keys(config.hooks)).toHaveLength(11);
    expect(config.hooks.PLOTTING).toEqual([
      { command: "notify-send 'vfab' 'Job {job_id} started plotting'", type: 'system' },
    ]);
    expect(config.hooks.COMPLETED).toHaveLength(2);
    expect(config.camera).toMatchObject({ enabled: false, url: '' });
    expect(config.workspace).toBe('./workspace');
    expect(config.websocket).toMatchObject({
      enabled: true,
      host: 'localhost',
      authentication: true,
    });
    expect(config.websocket).not.toHaveProperty('authenticate');
    expect(config.recovery.stuck_after_s).toBe(120);
  });

  it.each([
    [1, 'V3/A4'],
    [2, 'V3/A3'],
    [3, 'V3 XLX'],
    [4, 'MiniKit'],
    [5, 'SE/A1'],
    [6, 'SE/A2'],
    ['se/a3', 'SE/A3'],
    ['SE/A4', 'V3/A4'],
    ['minikit', 'MiniKit'],
  ])('reads device.model %j as %s', (model, name) => {
    expect(parseConfig(YAML.stringify({ device: { model } }), file).config.device.model).toBe(name);
  });

  it('reads PyYAML booleans (yes/no/on/off) as the original did', () => {
    const { config } = parseConfig('camera:\n  enabled: no\ndevice:\n  const_speed: On\n', file);
    expect(config.camera.enabled).toBe(false);
    expect(config.device.const_speed).toBe(true);
  });

  it.each([
    ['info', 'INFO'],
    ['Warning', 'WARNING'],
    ['warn', 'WARNING'],
    ['critical', 'CRITICAL'],
  ])('accepts logging.level %s in any case', (level, expected) => {
    expect(parseConfig(`logging:\n  level: ${level}\n`, file).config.logging.level).toBe(expected);
  });
});

describe('errors name the file, key and line', () => {
  it('a wrong type', () => {
    const text = [
      '# plotter',
      'camera:',
      '  enabled: true',
      '',
      'device:',
      '  # drawing speed',
      '  speed_pendown: fast',
      '  accel: 50',
      '',
    ].join('\n');
    const err = configError(() => parseConfig(text, file));
    expect(err.file).toBe(file);
    expect(err.key).toBe('device.speed_pendown');
    expect(err.line).toBe(7);
    expect(err.message).toBe(
      `${file}:7: device.speed_pendown must be a number between 1 and 110 (found "fast"). Fix the value or delete the line to use the default (25).`,
    );
  });

  it.each([
    ['device:\n  pen_pos_up: 150\n', 'device.pen_pos_up', 2, 'between 0 and 100 (found 150)'],
    ['device:\n  speed_penup: 0\n', 'device.speed_penup', 2, 'between 1 and 110 (found 0)'],
    ['device:\n  penlift: 4\n', 'device.penlift', 2, 'whole number between 1 and 3'],
    ['device:\n  model: 7\n', 'device.model', 2, 'AxiDraw model'],
    ['device:\n  units: furlongs\n', 'device.units', 2, 'one of inches, mm, cm (found "furlongs")'],
    ['\n\nwebsocket:\n  port: 70000\n', 'websocket.port', 4, 'between 1 and 65535'],
    [
      'logging:\n  level: verbose\n',
      'logging.level',
      2,
      'one of DEBUG, INFO, WARNING, ERROR, CRITICAL',
    ],
    [
      'optimization:\n  default_level: ultra\n',
      'optimization.default_level',
      2,
      'one of fast, default, best',
    ],
    ['camera:\n  url: 5\n', 'camera.url', 2, 'must be text (found 5)'],
    ['camera: on\n', 'camera', 1, 'must be a group'],
    ['hooks:\n  QUEUED: echo hi\n', 'hooks.QUEUED', 2, 'must be a list of hooks'],
    ['hooks:\n  QUEUED:\n    - echo hi\n', 'hooks.QUEUED.0', 3, 'must be a hook'],
    [
      'notify:\n  webhook_url: ftp://example.com/x\n',
      'notify.webhook_url',
      2,
      'must be an http:// or https:// URL, or null (found "ftp://example.com/x")',
    ],
    [
      'notify:\n  webhook_url: example.com/hook\n',
      'notify.webhook_url',
      2,
      'must be an http:// or https:// URL',
    ],
    [
      'notify:\n  webhook_url: 8080\n',
      'notify.webhook_url',
      2,
      'must be an http:// or https:// URL',
    ],
    [
      'notify:\n  events: [completed, done]\n',
      'notify.events.1',
      2,
      'must be one of completed, failed, interrupted, waiting_for_paper (found "done")',
    ],
    ['notify:\n  events: completed\n', 'notify.events', 2, 'must be a list of events'],
    ['notify:\n  timeout_s: 0\n', 'notify.timeout_s', 2, 'between 0.1 and 30'],
    ['notify:\n  timeout_s: 120\n', 'notify.timeout_s', 2, 'between 0.1 and 30'],
    [
      'plot:\n  min_gap_mm: 6\n',
      'plot.min_gap_mm',
      2,
      'must be a number between 0 and 5 (found 6)',
    ],
    [
      'plot:\n  min_gap_mm: -0.1\n',
      'plot.min_gap_mm',
      2,
      'must be a number between 0 and 5 (found -0.1)',
    ],
    [
      'plot:\n  min_gap_mm: wide\n',
      'plot.min_gap_mm',
      2,
      'must be a number between 0 and 5 (found "wide")',
    ],
  ])('out of range or mistyped: %j', (text, key, line, fragment) => {
    const err = configError(() => parseConfig(text, file));
    expect(err.key).toBe(key);
    expect(err.line).toBe(line);
    expect(err.message).toContain(`${file}:${line}: ${key} `);
    expect(err.message).toContain(fragment);
  });

  it('reports every bad value, the first one in the file first', () => {
    const err = configError(() =>
      parseConfig('paper:\n  default_margin_mm: -1\ndevice:\n  accel: 0\n', file),
    );
    expect(err.key).toBe('paper.default_margin_mm');
    expect(err.message.split('\n')).toHaveLength(2);
    expect(err.message.split('\n')[1]).toMatch(/:4: device\.accel /);
  });

  it('invalid YAML, with line and column', () => {
    const err = configError(() =>
      parseConfig('device:\n  port: "/dev/ttyACM0\n  model: 2\n', file),
    );
    expect(err.line).toBeGreaterThanOrEqual(2);
    expect(err.message).toMatch(
      new RegExp(
        `^${file.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}:${err.line}:\\d+: not valid YAML`,
      ),
    );
    const tab = configError(() => parseConfig('device:\n  accel: 5\n\tpenlift: 2\n', file));
    expect(tab.line).toBe(3);
  });

  it('a duplicate key', () => {
    expect(configError(() => parseConfig('device:\n  accel: 5\n  accel: 6\n', file)).line).toBe(3);
  });

  it('a top level that is not a mapping', () => {
    for (const text of ['- a\n- b\n', 'just words\n', '42\n']) {
      expect(configError(() => parseConfig(text, file)).message).toContain(
        'the top level must be sections',
      );
    }
  });

  it('never throws anything but ConfigError, whatever the input', () => {
    const check = (text: string) => {
      try {
        parseConfig(text, file);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
      }
    };
    fc.assert(fc.property(fc.string(), check), { numRuns: 300 });
    fc.assert(
      fc.property(fc.anything(), (v) =>
        check(YAML.stringify({ device: v, hooks: v, logging: { level: v } })),
      ),
      { numRuns: 300 },
    );
    check('a: &a [*a, *a]\nb: *a\n');
    check('x: &x\n  - *x\n');
  });

  it('an alias bomb ("billion laughs") is refused, not expanded', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(', ')}]`,
      );
    }
    expect(configError(() => parseConfig(levels.join('\n'), file)).message).toContain(
      'cannot be read as YAML',
    );
  });

  it('a file that cannot be read', () => {
    const err = configError(() => loadConfig(dir));
    expect(err.file).toBe(dir);
    expect(err.message).toContain('cannot be read');
  });
});

describe('unknown keys', () => {
  it('are ignored with a warning naming the key, its line and the likely intent', () => {
    const text = 'device:\n  accel: 50\n\n  sped_pendown: 30\nspeed_penup: 20\nplotter:\n  x: 1\n';
    const { config, warnings } = parseConfig(text, file);
    expect(config.device.speed_pendown).toBe(25);
    expect(warnings).toEqual([
      {
        key: 'device.sped_pendown',
        line: 4,
        message:
          "unknown key 'device.sped_pendown' (line 4) ignored; did you mean 'device.speed_pendown'?",
      },
      {
        key: 'speed_penup',
        line: 5,
        message: "unknown key 'speed_penup' (line 5) ignored; did you mean 'device.speed_penup'?",
      },
      { key: 'plotter', line: 6, message: "unknown key 'plotter' (line 6) ignored" },
    ]);
  });

  it('are not reported inside groups kept as written', () => {
    const text =
      'hooks:\n  WHATEVER:\n    - anything: 1\noptimization:\n  levels:\n    custom: {a: 1}\n';
    expect(implemented(parseConfig(text, file)).warnings).toEqual([]);
  });
});

describe('keys accepted but not read', () => {
  it('are named with their line when set to something else than their default', () => {
    const text =
      'physical_setup:\n  pen_force_check: false\n  show_guidance: true\nlogging:\n  buffer_size: 0\n';
    expect(parseConfig(text, file).warnings).toEqual([
      {
        key: 'physical_setup.pen_force_check',
        line: 2,
        message:
          "'physical_setup.pen_force_check' (line 2) is accepted but not implemented: vfab ignores it",
      },
      {
        key: 'logging.buffer_size',
        line: 5,
        message: "'logging.buffer_size' (line 5) is accepted but not implemented: vfab ignores it",
      },
    ]);
  });

  it('leave out the ready-to-plot keys, which vfab now reads', () => {
    expect(UNREAD_KEYS).not.toContain('physical_setup.require_confirmation');
    expect(UNREAD_KEYS).not.toContain('paper.require_one_per_session');
    expect(
      parseConfig(
        'physical_setup:\n  require_confirmation: true\npaper:\n  require_one_per_session: true\n',
        file,
      ).warnings,
    ).toEqual([]);
  });
});

describe('template', () => {
  it('parses back to exactly the defaults, with no warnings', () => {
    expect(parseConfig(renderConfigTemplate(), file)).toEqual({
      config: defaultConfig(),
      warnings: [],
    });
  });

  it('writes every key out with its default, each under a comment', () => {
    const text = renderConfigTemplate();
    expect(YAML.parse(text)).toEqual(defaultConfig());
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (/^ {2}\w+:/.test(line)) expect(lines[i - 1], line).toMatch(/^\s*#/);
    });
    expect(text).toContain('AxiDraw "speed_pendown"');
  });

  it('carries given values, every section included', () => {
    const text = renderConfigTemplate(dottedValues(NON_DEFAULT));
    expect(implemented(parseConfig(text, file))).toEqual({ config: NON_DEFAULT, warnings: [] });
    expect(text).toContain('# Top speed while drawing');
  });
});

const USER_FILE = `# my plotter setup
camera:
  url: http://192.168.1.20:8081/   # the pi in the corner
  enabled: true

device:
  # slow for fineliners
  speed_pendown: 20
  model: 2

hooks:
  COMPLETED:
    - command: "notify-send done"
`;

describe('updateConfigFile', () => {
  it('changes values in place, keeping comments and unrelated keys', () => {
    fs.writeFileSync(file, USER_FILE);
    updateConfigFile(file, {
      'camera.url': 'http://127.0.0.1:8881/stream.mjpeg',
      'device.accel': 60,
      'paper.default_size': 'A3',
    });
    const text = fs.readFileSync(file, 'utf8');
    for (const comment of ['# my plotter setup', '# the pi in the corner', '# slow for fineliners'])
      expect(text).toContain(comment);
    expect(text).toContain('url: http://127.0.0.1:8881/stream.mjpeg # the pi in the corner');
    const { config, warnings } = loadConfig(file);
    expect(warnings).toEqual([]);
    expect(config.camera.url).toBe('http://127.0.0.1:8881/stream.mjpeg');
    expect(config.device).toMatchObject({ speed_pendown: 20, model: 'V3/A3', accel: 60 });
    expect(config.paper.default_size).toBe('A3');
    expect(config.hooks.COMPLETED).toEqual([{ command: 'notify-send done' }]);
  });

  it('changes only the edited line of a file made from the template', () => {
    fs.writeFileSync(file, renderConfigTemplate());
    updateConfigFile(file, { 'device.speed_pendown': 30 });
    const before = renderConfigTemplate().split('\n');
    const after = fs.readFileSync(file, 'utf8').split('\n');
    expect(after).toHaveLength(before.length);
    expect(after.filter((line, i) => line !== before[i])).toEqual(['  speed_pendown: 30']);
  });

  it('deletes a key given as undefined, so its default applies', () => {
    fs.writeFileSync(file, USER_FILE);
    updateConfigFile(file, { 'device.speed_pendown': undefined });
    expect(fs.readFileSync(file, 'utf8')).not.toContain('speed_pendown');
    expect(loadConfig(file).config.device.speed_pendown).toBe(25);
  });

  it('fills a section whose keys are all commented out, and sets lists', () => {
    fs.writeFileSync(file, 'camera:\n  # url: x\nhooks: {}\n');
    updateConfigFile(file, { 'camera.url': 'http://cam/', 'hooks.PAUSED': [{ command: 'beep' }] });
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('# url: x');
    expect(text).toContain('- command: beep');
    expect(loadConfig(file).config).toMatchObject({
      camera: { url: 'http://cam/' },
      hooks: { PAUSED: [{ command: 'beep' }] },
    });
  });

  it.each([
    [
      { 'device.speed_pendown': 'fast' },
      'device.speed_pendown',
      'must be a number between 1 and 110 (found "fast") at line 8',
    ],
    [{ 'device.model': 9 }, 'device.model', 'AxiDraw model'],
    [
      { 'device.sped_pendown': 30 },
      'device.sped_pendown',
      "unknown key 'device.sped_pendown'; did you mean 'device.speed_pendown'?",
    ],
    [{ 'camera.url.host': 'x' }, 'camera.url.host', "unknown key 'camera.url.host'"],
    [{ 'hooks.COMPLETED': 'beep' }, 'hooks.COMPLETED', 'must be a list of hooks'],
  ])('refuses %j and leaves the file byte for byte as it was', (values, key, fragment) => {
    fs.writeFileSync(file, USER_FILE);
    const before = fs.readFileSync(file);
    const err = configError(() => updateConfigFile(file, values));
    expect(err.key).toBe(key);
    expect(err.message).toContain(`${file} was not changed: `);
    expect(err.message).toContain(fragment);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('refuses to edit a file that is not valid YAML', () => {
    fs.writeFileSync(file, 'device: [\n');
    expect(configError(() => updateConfigFile(file, { 'device.accel': 5 })).message).toContain(
      'not valid YAML',
    );
    expect(fs.readFileSync(file, 'utf8')).toBe('device: [\n');
  });

  it('refuses to write under a key that holds a plain value', () => {
    fs.writeFileSync(file, 'camera: 5\n');
    const err = configError(() => updateConfigFile(file, { 'camera.url': 'x' }));
    expect(err.message).toContain('cannot set camera.url');
    expect(fs.readFileSync(file, 'utf8')).toBe('camera: 5\n');
  });

  it('creates a missing file (and folder) from the template, private to the user', () => {
    const nested = path.join(dir, 'new', 'config.yaml');
    updateConfigFile(nested, { 'device.port': '/dev/ttyUSB0' });
    const text = fs.readFileSync(nested, 'utf8');
    expect(text).toContain('# Top speed while drawing');
    expect(loadConfig(nested)).toEqual({
      config: { ...defaultConfig(), device: { ...defaultConfig().device, port: '/dev/ttyUSB0' } },
      warnings: [],
      exists: true,
    });
    if (process.platform !== 'win32') expect(fs.statSync(nested).mode & 0o777).toBe(0o600);
  });

  it.skipIf(process.platform === 'win32')('keeps the permissions of an existing file', () => {
    fs.writeFileSync(file, USER_FILE, { mode: 0o640 });
    fs.chmodSync(file, 0o640);
    updateConfigFile(file, { 'device.accel': 10 });
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
  });
});
