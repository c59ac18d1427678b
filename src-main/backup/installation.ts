/**
 * Where the installation's files are, found without opening the engine: export and import must
 * work when the database is damaged, and a refused import must not so much as touch it.
 */
import { ConfigError, loadConfig, type VfabConfig } from '../config/config';
import { applyConfigPaths, resolvePaths, type VfabPaths } from '../config/paths';

export interface Installation {
  paths: VfabPaths;
  config: VfabConfig | undefined;
  /** Set when config.yaml could not be read: the default folders are used. */
  configProblem?: string;
}

export function findInstallation(env: NodeJS.ProcessEnv = process.env): Installation {
  const base = resolvePaths(env);
  try {
    const { config } = loadConfig(base.configFile);
    return { paths: applyConfigPaths(base, config, env), config };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { paths: base, config: undefined, configProblem: err.message };
  }
}
