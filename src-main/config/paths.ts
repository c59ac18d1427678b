/**
 * Where vfab keeps its files (docs/architecture.md "Where data lives"). The app, `vfab serve` and the CLI all
 * resolve paths here, so a terminal sees exactly what the window shows.
 */
import os from 'node:os';
import path from 'node:path';
import type { VfabConfig } from './config';

export interface VfabPaths {
  configFile: string;
  configDir: string;
  dataDir: string;
  dbFile: string;
  workspaceDir: string;
  jobsDir: string;
  logsDir: string;
  logFile: string;
}

/** The XDG spec says relative or empty values are invalid and must be ignored. */
function xdgDir(value: string | undefined, fallback: string): string {
  return value && path.isAbsolute(value) ? value : fallback;
}

function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME || os.homedir();
}

/** `$XDG_DATA_HOME`, or ~/.local/share when it is unset or invalid. */
export function xdgDataHome(env: NodeJS.ProcessEnv): string {
  return xdgDir(env.XDG_DATA_HOME, path.join(homeOf(env), '.local', 'share'));
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env): VfabPaths {
  const home = homeOf(env);
  const configFile = env.VFAB_CONFIG
    ? path.resolve(env.VFAB_CONFIG)
    : path.join(xdgDir(env.XDG_CONFIG_HOME, path.join(home, '.config')), 'vfab', 'config.yaml');
  const dataDir = env.VFAB_DATA_DIR
    ? path.resolve(env.VFAB_DATA_DIR)
    : path.join(xdgDataHome(env), 'vfab');
  const workspaceDir = path.join(dataDir, 'workspace');
  const logFile = path.join(dataDir, 'logs', 'vfab.log');
  return {
    configFile,
    configDir: path.dirname(configFile),
    dataDir,
    dbFile: path.join(dataDir, 'vfab.db'),
    workspaceDir,
    jobsDir: path.join(workspaceDir, 'jobs'),
    logsDir: path.dirname(logFile),
    logFile,
  };
}

/**
 * A path written in config.yaml: `~` is the user's home, and a relative path is relative to the
 * folder holding config.yaml, not the working directory (the original resolved against the
 * working directory, so cron jobs and terminals disagreed about where data was).
 */
export function resolveConfigPath(
  value: string,
  paths: VfabPaths,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const expanded =
    value === '~' || value.startsWith('~/') ? path.join(homeOf(env), value.slice(1)) : value;
  return path.resolve(paths.configDir, expanded);
}

/** Apply the config keys that move folders: `workspace` and `logging.log_file`. */
export function applyConfigPaths(
  paths: VfabPaths,
  config: Pick<VfabConfig, 'workspace' | 'logging'>,
  env: NodeJS.ProcessEnv = process.env,
): VfabPaths {
  const out = { ...paths };
  if (config.workspace) {
    out.workspaceDir = resolveConfigPath(config.workspace, paths, env);
    out.jobsDir = path.join(out.workspaceDir, 'jobs');
  }
  if (config.logging.log_file) {
    out.logFile = resolveConfigPath(config.logging.log_file, paths, env);
    out.logsDir = path.dirname(out.logFile);
  }
  return out;
}
