/**
 * The commented config.yaml that `vfab setup` writes, and the in-place editing that keeps a
 * user's comments when vfab changes a value. The template spells out every default so the file
 * documents itself; test/config.test.ts proves it parses back to exactly `defaultConfig()`.
 */
import { isMap, isScalar, parseDocument, YAMLMap, type Document } from 'yaml';

const TEMPLATE = `# vfab configuration. Plain YAML: "key: value", two-space indents, "#" starts a comment.
# Every key is optional: delete a line to use its default. The values below are the defaults.
# Key names match the original vfab tool, so an older config.yaml carries over unchanged.
# Paths may start with ~ (your home folder); relative paths are relative to this file's folder.

# Folder for job files. Unset: <data folder>/workspace, e.g. ~/.local/share/vfab/workspace.
# workspace: ~/plots/vfab-workspace

camera:
  # Where pictures come from: ip (an MJPEG stream URL, e.g. from Motion), device or disabled.
  mode: ip
  # MJPEG stream address, used when mode is ip.
  url: http://127.0.0.1:8881/stream.mjpeg
  # Local video device, used when mode is device, e.g. /dev/video0. null: none.
  device: null
  # false: no camera. vfab works fully without one and says so.
  enabled: true
  # Timelapse frame rate, frames per second.
  timelapse_fps: 1
  # Check that the camera answers before a plot starts.
  test_access: true
  # Name of the system service that serves the stream.
  motion_service: motion
  # Time between snapshots while a job plots, seconds.
  snapshot_interval_s: 10

database:
  # Kept so older files load; vfab keeps its SQLite index at <data folder>/vfab.db.
  url: null
  # Log every database statement (for debugging).
  echo: false

device:
  # Plotter to use: axidraw:auto picks the first AxiDraw on USB.
  preferred: axidraw:auto
  # Serial port or AxiDraw name, e.g. /dev/ttyACM0. null: find the plotter automatically.
  port: null
  # AxiDraw model (AxiDraw option "model"): V3/A4 (1, also V2 and SE/A4), V3/A3 (2), SE/A3 (2),
  # V3 XLX (3), MiniKit (4), SE/A1 (5), SE/A2 (6). The number works too.
  model: V3/A4
  # Pause for an ink swatch before plotting with a new pen.
  pause_ink_swatch: true
  # Pen height when raised, percent of the servo's travel, 0-100 (AxiDraw "pen_pos_up").
  pen_pos_up: 60
  # Pen height when lowered, percent of the servo's travel, 0-100 (AxiDraw "pen_pos_down").
  pen_pos_down: 40
  # Top speed while drawing, percent of the plotter's maximum, 1-110 (AxiDraw "speed_pendown").
  speed_pendown: 25
  # Top speed while moving with the pen up, percent, 1-110 (AxiDraw "speed_penup").
  speed_penup: 75
  # Acceleration, percent of the maximum, 1-100 (AxiDraw "accel").
  accel: 75
  # How fast the pen rises, percent, 1-100 (AxiDraw "pen_rate_raise").
  pen_rate_raise: 75
  # How fast the pen lowers, percent, 1-100 (AxiDraw "pen_rate_lower").
  pen_rate_lower: 50
  # Extra wait after raising the pen, milliseconds, -500 to 500 (AxiDraw "pen_delay_up").
  pen_delay_up: 0
  # Extra wait after lowering the pen, milliseconds, -500 to 500 (AxiDraw "pen_delay_down").
  pen_delay_down: 0
  # true: draw at constant speed, without acceleration (AxiDraw "const_speed").
  const_speed: false
  # How fast the pen goes through corners, 1-100 (AxiDraw "cornering"; 10 = a junction deviation
  # of 0.002 in, 0.05 mm). Higher is faster and rounds corners more.
  cornering: 10
  # Units for manual moves and positions: inches, mm or cm (AxiDraw "units").
  units: inches
  # Pen-lift hardware: 1 the model's default, 2 standard servo, 3 brushless servo (AxiDraw "penlift").
  penlift: 1
  # Look for the plotter on this host over ssh. null: on this computer.
  remote_detection_host: null
  # Time to wait while looking for a plotter, seconds.
  detection_timeout: 5

# Several plotters, each by name, for the queue runner (vfab queue run) and --device NAME.
# Without a list, the device section above is one plotter, named "default". Each plotter:
#   name   a word you type (letters, digits, . _ -), unique
#   port   a serial port path, an AxiDraw nickname (set with the EBB's ST command) or virtual;
#          unset: the name is the nickname
#   model  as device.model; paper: the sheet loaded (A4 either way round, "A4 landscape" one way,
#          or 297x210mm): only jobs planned for that sheet go to this plotter. Unset: any sheet.
#   speed  a virtual plotter's speed factor (vfab virtual-plotter --speed); camera: settings over
#          the camera section; and any device setting (pen_pos_down, speed_pendown, ...) over device.
# devices:
#   - name: left
#     port: /dev/ttyACM0
#     model: V3/A4
#     paper: A4
#   - name: big
#     model: V3/A3
#     paper: A3 landscape
#     pen_pos_down: 35
#     camera: {url: http://127.0.0.1:8882/stream.mjpeg}
devices: []

vpype:
  # vpype preset used to optimize drawings: a name from presets_file.
  preset: default
  # File of vpype presets. A bare file name is looked up next to this config file.
  presets_file: vpype-presets.yaml

optimization:
  # Optimization for new jobs: fast, default or best ("hq" from the original tool means best).
  default_level: default
  # Curves become straight segments deviating at most this much from the true curve, mm.
  tolerance_mm: 0.05
  # Plot digest for new jobs: 0 off, 1 standard, 2 high compression.
  default_digest: 1
  # Ask before optimizing each job.
  interactive_mode: false
  # vpype preset to use when the chosen one is missing.
  # fallback_preset: default
  # Per-level and per-file-type settings from the original tool are kept as written, e.g.:
  # levels:
  #   fast: {description: Quick, vpype_preset: fast, digest_default: 1}
  # digest_levels:
  #   1: {description: Standard, enabled: true, compression: standard}
  # file_types:
  #   .svg: {mode: normal}

paper:
  # Paper for new jobs: document (the SVG's own page when it is given in in, mm, cm, pt…: a Letter
  # document plots on Letter; a drawing in px or % only plots on A4), or a paper for every job, e.g.
  # A4, A3, Letter, 210x297mm.
  default_size: document
  # Blank border around the drawing, millimetres.
  default_margin_mm: 10
  # auto (landscape when the drawing is wider than tall), portrait or landscape.
  default_orientation: auto
  # AxiDraw's auto_rotate: turn a portrait document 90° (its top to the left) so its sheet lies
  # landscape along the plotter's long axis; a landscape drawing is turned only when only that fits
  # the plotter's reach, or then needs less scaling. false: always upright.
  auto_rotate: true
  # One plot per sheet: after each plot, load new paper and confirm it (vfab plot --confirm-ready,
  # or the app asks) before the next one.
  require_one_per_session: false
  # Count the paper used in the statistics.
  track_usage: true
  # Kept from the original tool and not read: default_size: document takes the SVG's page size.
  auto_detect_size: false

plot:
  # When to stop for a pen swap between numbered layers ("1-black", "2-red"): auto (only when the
  # layers' colours or the pens mapped below differ), pause (at every change of layer number) or
  # ignore (never). A layer named with "!" ("!3 red") always pauses first.
  pen_change: auto
  # AxiDraw's min_gap: a pen-up hop shorter than this between two strokes of a layer is drawn
  # pen-down instead, saving a lift. The default, 0.2032 mm (0.008 in, AxiDraw's), is narrower than
  # most pen lines. 0: never; at most 5.
  min_gap_mm: 0.2032

# The pen each layer number is drawn with, named in the pause prompt ("load pen 2 (red)"); with
# pen_change auto, layers mapped to different pens pause between them. Example:
#   1: 0.3 black fineliner
#   2: red
pens: {}

# Commands for job state changes, in the original tool's format: one list per state name
# (NEW, QUEUED, PLOTTING, COMPLETED, ...), with {job_id} standing for the job. Example:
#   COMPLETED:
#     - command: notify-send "vfab" "Job {job_id} finished"
hooks: {}

recovery:
  # A job left plotting counts as interrupted after this many minutes without progress.
  interrupt_grace_minutes: 5
  # Look for interrupted jobs at startup.
  auto_detect_enabled: true
  # Resumes allowed for one job before it must be restarted.
  max_resume_attempts: 3
  # A plotting job with no progress for this long is listed as stuck, seconds.
  stuck_after_s: 120

backups:
  # Export everything (config, database, jobs) on a schedule, as 'vfab system export' does.
  # The app does it while it runs; for cron or a systemd timer: vfab system backup --if-due
  auto: false
  # Make a new archive when the newest one is older than this, hours.
  interval_hours: 24
  # Archives kept; older ones in the folder are deleted (only vfab-backup-*.tar.gz files).
  keep: 7
  # Folder for the archives. Unset: <data folder>/backups, e.g. ~/.local/share/vfab/backups.
  # dir: ~/vfab-backups

physical_setup:
  # Ask "paper loaded and pen 1 in?" before the first plot of a session (each vfab serve start)
  # and after every paper change (vfab plot --confirm-ready, or the app asks).
  require_confirmation: false
  # Show the setup steps before plotting.
  show_guidance: true
  # Detect the paper with the camera.
  auto_detect_paper: false
  # Detect the pen with the camera.
  auto_detect_pen: false
  # Allowed paper misalignment, millimetres.
  paper_alignment_tolerance: 2
  # Check that the pen reaches the paper before plotting.
  pen_force_check: true
  # Check that the plotter is connected before plotting.
  device_connection_check: true
  # Skip these checks when resuming a job.
  skip_on_resume: false
  # Time to wait for a confirmation, seconds.
  timeout_seconds: 30

websocket:
  # Serve the live API over WebSocket.
  enabled: false
  # Address to listen on. 127.0.0.1: this computer only.
  host: 127.0.0.1
  # TCP port.
  port: 8765
  # Most clients connected at once.
  max_connections: 100
  # Time between keep-alive pings, seconds.
  heartbeat_interval: 30
  # Require api_key from clients ("authenticate" is accepted as the same key).
  authentication: false
  # Key clients must send when authentication is on. null: none.
  api_key: null
  # Event channels offered to clients.
  channels: [jobs, devices, system]

notify:
  # POST a JSON message (event, job, state, plotter, duration_s, snapshot, reason) to this
  # http:// or https:// address when a plot ends or a plotter waits for paper. null: no hook.
  # The log gets a line for each event either way; a hook that fails is logged, never fatal.
  webhook_url: null
  # Which events go to the hook and the app's desktop notifications.
  events: [completed, failed, interrupted, waiting_for_paper]
  # Longest wait for the hook's answer, seconds (0.1-30).
  timeout_s: 5

logging:
  # false: write no log.
  enabled: true
  # Least important messages kept: DEBUG, INFO, WARNING, ERROR or CRITICAL.
  level: INFO
  # Console style.
  format: rich
  # Where messages go: console, file or both.
  output: both
  # Log file. Unset: <data folder>/logs/vfab.log.
  # log_file: ~/vfab.log
  # Start a new log file past this size, bytes (10485760 = 10 MiB).
  max_file_size: 10485760
  # Old log files kept: vfab.log.1 (newest) to vfab.log.N.
  backup_count: 5
  # Show the time on console messages.
  console_show_timestamp: false
  # Show the level on console messages.
  console_show_level: true
  # Show full error traces on the console.
  console_rich_tracebacks: true
  # Name the job in messages.
  include_job_id: true
  # Name the plotter in messages.
  include_device_info: true
  # Name the session in messages.
  include_session_id: true
  # Console messages held before writing.
  buffer_size: 1024
  # Time between console flushes, seconds.
  flush_interval: 5
`;

/** Never fold long values (URLs, hook commands) onto several lines; write `[a, b]` as the template does. */
export const YAML_OUTPUT = { lineWidth: 0, flowCollectionPadding: false } as const;

/**
 * Set one dotted key (`camera.url`) in a parsed config document, keeping every comment.
 * `undefined` deletes the key, so the default applies again. Throws (yaml's Error) when a parent
 * of the key holds a plain value, e.g. `camera: 5`.
 */
export function setConfigValue(doc: Document, key: string, value: unknown): void {
  const path = key.split('.');
  if (value === undefined) {
    doc.deleteIn(path);
    return;
  }
  for (let i = 1; i < path.length; i++) {
    const parent = doc.getIn(path.slice(0, i), true);
    // A section whose keys are all commented out is null, and yaml cannot descend into it.
    if (isScalar(parent) && parent.value === null) {
      const section = new YAMLMap();
      section.commentBefore = parent.comment; // those commented-out keys live on the null
      doc.setIn(path.slice(0, i), section);
    }
    // Write into `hooks: {}` as a block, not as one long flow line.
    else if (isMap(parent) && parent.flow && parent.items.length === 0) parent.flow = false;
  }
  // Plain values keep the existing scalar node, and with it the comment on its line.
  doc.setIn(path, value !== null && typeof value === 'object' ? doc.createNode(value) : value);
}

/** The commented config.yaml with `values` (dotted keys) in place of the defaults. Values are not validated here. */
export function renderConfigTemplate(values: Record<string, unknown> = {}): string {
  const entries = Object.entries(values);
  if (entries.length === 0) return TEMPLATE;
  const doc = parseDocument(TEMPLATE);
  for (const [key, value] of entries) setConfigValue(doc, key, value);
  return doc.toString(YAML_OUTPUT);
}
