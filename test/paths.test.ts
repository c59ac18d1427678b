import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../src-main/config/config';
import { applyConfigPaths, resolveConfigPath, resolvePaths } from '../src-main/config/paths';

const HOME = path.resolve('/home/ada');

describe('resolvePaths', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('uses the XDG defaults under HOME when nothing is overridden', () => {
    expect(resolvePaths({ HOME })).toEqual({
      configFile: path.join(HOME, '.config', 'vfab', 'config.yaml'),
      configDir: path.join(HOME, '.config', 'vfab'),
      dataDir: path.join(HOME, '.local', 'share', 'vfab'),
      dbFile: path.join(HOME, '.local', 'share', 'vfab', 'vfab.db'),
      workspaceDir: path.join(HOME, '.local', 'share', 'vfab', 'workspace'),
      jobsDir: path.join(HOME, '.local', 'share', 'vfab', 'workspace', 'jobs'),
      logsDir: path.join(HOME, '.local', 'share', 'vfab', 'logs'),
      logFile: path.join(HOME, '.local', 'share', 'vfab', 'logs', 'vfab.log'),
    });
  });

  it('follows XDG_CONFIG_HOME and XDG_DATA_HOME', () => {
    const p = resolvePaths({
      HOME,
      XDG_CONFIG_HOME: path.resolve('/cfg'),
      XDG_DATA_HOME: path.resolve('/data'),
    });
    expect(p.configFile).toBe(path.resolve('/cfg/vfab/config.yaml'));
    expect(p.configDir).toBe(path.resolve('/cfg/vfab'));
    expect(p.dataDir).toBe(path.resolve('/data/vfab'));
    expect(p.dbFile).toBe(path.resolve('/data/vfab/vfab.db'));
    expect(p.jobsDir).toBe(path.resolve('/data/vfab/workspace/jobs'));
    expect(p.logFile).toBe(path.resolve('/data/vfab/logs/vfab.log'));
  });

  it('ignores relative or empty XDG variables, as the XDG spec requires', () => {
    const p = resolvePaths({ HOME, XDG_CONFIG_HOME: 'relative/cfg', XDG_DATA_HOME: '' });
    expect(p.configFile).toBe(path.join(HOME, '.config', 'vfab', 'config.yaml'));
    expect(p.dataDir).toBe(path.join(HOME, '.local', 'share', 'vfab'));
  });

  it('lets VFAB_CONFIG name the config file and VFAB_DATA_DIR the data folder, over XDG', () => {
    const p = resolvePaths({
      HOME,
      XDG_CONFIG_HOME: path.resolve('/cfg'),
      XDG_DATA_HOME: path.resolve('/data'),
      VFAB_CONFIG: path.resolve('/etc/plotter.yaml'),
      VFAB_DATA_DIR: path.resolve('/srv/vfab'),
    });
    expect(p.configFile).toBe(path.resolve('/etc/plotter.yaml'));
    expect(p.configDir).toBe(path.resolve('/etc'));
    expect(p.dataDir).toBe(path.resolve('/srv/vfab'));
    expect(p.dbFile).toBe(path.resolve('/srv/vfab/vfab.db'));
    expect(p.workspaceDir).toBe(path.resolve('/srv/vfab/workspace'));
    expect(p.jobsDir).toBe(path.resolve('/srv/vfab/workspace/jobs'));
    expect(p.logsDir).toBe(path.resolve('/srv/vfab/logs'));
    expect(p.logFile).toBe(path.resolve('/srv/vfab/logs/vfab.log'));
  });

  it('resolves relative overrides against the working directory', () => {
    const p = resolvePaths({ HOME, VFAB_CONFIG: 'conf/c.yaml', VFAB_DATA_DIR: 'data' });
    expect(p.configFile).toBe(path.join(process.cwd(), 'conf', 'c.yaml'));
    expect(p.dataDir).toBe(path.join(process.cwd(), 'data'));
    expect(path.isAbsolute(p.dbFile)).toBe(true);
  });

  it('falls back to the account home when HOME is unset, and reads process.env by default', () => {
    expect(resolvePaths({}).configFile).toBe(
      path.join(os.homedir(), '.config', 'vfab', 'config.yaml'),
    );
    vi.stubEnv('VFAB_DATA_DIR', path.resolve('/from/process/env'));
    expect(resolvePaths().dbFile).toBe(path.resolve('/from/process/env/vfab.db'));
  });
});

describe('config keys that move folders', () => {
  const base = resolvePaths({ HOME });

  it('changes nothing when workspace and log_file are unset', () => {
    expect(applyConfigPaths(base, defaultConfig(), { HOME })).toEqual(base);
  });

  it('moves the workspace (and its jobs) and the log file', () => {
    const config = { ...defaultConfig(), workspace: path.resolve('/plots/ws') };
    config.logging = { ...config.logging, log_file: path.resolve('/var/log/vfab/main.log') };
    const p = applyConfigPaths(base, config, { HOME });
    expect(p.workspaceDir).toBe(path.resolve('/plots/ws'));
    expect(p.jobsDir).toBe(path.resolve('/plots/ws/jobs'));
    expect(p.logFile).toBe(path.resolve('/var/log/vfab/main.log'));
    expect(p.logsDir).toBe(path.resolve('/var/log/vfab'));
    expect(p.dbFile).toBe(base.dbFile);
  });

  it('reads config paths relative to the config folder, with ~ as home', () => {
    expect(resolveConfigPath('ws', base, { HOME })).toBe(path.join(base.configDir, 'ws'));
    expect(resolveConfigPath('vpype-presets.yaml', base, { HOME })).toBe(
      path.join(HOME, '.config', 'vfab', 'vpype-presets.yaml'),
    );
    expect(resolveConfigPath('~/plots', base, { HOME })).toBe(path.join(HOME, 'plots'));
    expect(resolveConfigPath('~', base, { HOME })).toBe(HOME);
    expect(resolveConfigPath('~bob/x', base, { HOME })).toBe(
      path.join(base.configDir, '~bob', 'x'),
    );
  });
});
