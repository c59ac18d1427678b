/**
 * An imported config.yaml never decides where this computer's files are, what it listens on or what
 * it runs. Its settings come back, but every key that names a place on disk, a device, the served
 * address, a command or where plot news is posted is replaced by the current installation's value: otherwise an archive could
 * move the workspace onto any folder (renaming it aside and unpacking its files there), append the
 * log to any file, point the plotter at any device, or open `vfab serve` to the network.
 */
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';
import type { VfabConfig } from '../config/config';
import { setConfigValue, YAML_OUTPUT } from '../config/template';

/** Config keys that belong to this computer (some unused by vfab today, kept local all the same). */
export const LOCAL_KEYS = [
  'workspace',
  'logging.log_file',
  'backups.dir',
  // The serial port vfab opens and writes plotter commands to.
  'device.port',
  // The video device Motion captures.
  'camera.device',
  'vpype.presets_file',
  // Kept for older files; a database URL can name a file.
  'database.url',
  // Where `vfab serve` listens: an archive must not move it from loopback to the network.
  'websocket.host',
  'websocket.port',
  // Commands to run on state changes.
  'hooks',
  // Where job names and states are posted: an archive must not send them elsewhere.
  'notify.webhook_url',
] as const;

export interface KeptSetting {
  key: (typeof LOCAL_KEYS)[number];
  /** What the archive's config said (null: not set). */
  archive: unknown;
  /** What this installation keeps (null: not set). */
  kept: unknown;
}

/** A config as written and as loaded (defaults filled in). */
export interface ConfigSource {
  /** undefined: there is no file, or it does not load (so its defaults are in use). */
  text: string | undefined;
  config: VfabConfig;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function valueAt(root: unknown, key: string): unknown {
  let node = root;
  for (const seg of key.split('.')) node = isRecord(node) ? node[seg] : undefined;
  // `key:` with nothing after it and a missing key both leave the setting unset.
  return node ?? null;
}

function plain(text: string | undefined): unknown {
  if (text === undefined) return {};
  try {
    return parseDocument(text).toJS() ?? {};
  } catch {
    return {};
  }
}

/**
 * The archive's config text with every local key that differs (as loaded) from the current one set
 * as the current file has it, or deleted where it leaves the key unset; comments and all other
 * settings kept. Also returns what was replaced: an archive made here comes back byte for byte.
 */
export function localizeConfig(
  archive: ConfigSource & { text: string },
  current: ConfigSource,
): { text: string; kept: KeptSetting[] } {
  const doc = parseDocument(archive.text);
  const written = plain(current.text);
  const kept: KeptSetting[] = [];
  for (const key of LOCAL_KEYS) {
    const theirs = valueAt(archive.config, key);
    const mine = valueAt(current.config, key);
    if (isDeepStrictEqual(theirs, mine)) continue;
    const asWritten = valueAt(written, key);
    setConfigValue(doc, key, asWritten === null ? undefined : asWritten);
    kept.push({ key, archive: theirs, kept: mine });
  }
  return { text: kept.length ? doc.toString(YAML_OUTPUT) : archive.text, kept };
}

/** One line for a person: what the archive said and what stays. */
export function describeKept(k: KeptSetting): string {
  const show = (v: unknown) =>
    v === null ? 'unset' : `'${typeof v === 'string' ? v : JSON.stringify(v)}'`;
  return `config ${k.key}: this installation's ${show(k.kept)} was kept; the archive's ${show(k.archive)} was not used (an archive never decides this computer's paths, devices, served address or commands)`;
}
