/**
 * The composition root: builds config, logging, the index and the job service from the
 * environment. The Electron shell, `vfab serve` and the CLI all start here, so they see the
 * same files (DESIGN.md "One engine, three faces"). No Electron imports.
 */
import fs from 'node:fs';
import { loadConfig, type ConfigWarning, type VfabConfig } from './config/config';
import { applyConfigPaths, resolvePaths, type VfabPaths } from './config/paths';
import { JobService } from './jobs/lifecycle';
import { reconcile, type ReconcileReport } from './jobs/reconcile';
import { Store, type SetAside } from './jobs/store';
import { createLogger, type Logger } from './log';

export interface EngineOptions {
  env?: NodeJS.ProcessEnv;
  /** The Electron shell passes its Electron-ABI better-sqlite3 build here. */
  nativeBinding?: string;
}

export interface StartupReport {
  /** No database existed: the index was built from the journals. */
  databaseCreated: boolean;
  /** An unusable database was renamed aside and rebuilt. */
  databaseSetAside?: SetAside;
  reconcile: ReconcileReport;
}

export interface Engine {
  paths: VfabPaths;
  config: VfabConfig;
  configWarnings: ConfigWarning[];
  configExists: boolean;
  logger: Logger;
  store: Store;
  jobs: JobService;
  startup: StartupReport;
  close(): void;
}

export function openEngine(opts: EngineOptions = {}): Engine {
  const base = resolvePaths(opts.env);
  const loaded = loadConfig(base.configFile);
  const paths = applyConfigPaths(base, loaded.config, opts.env);
  const logger = createLogger({
    file: paths.logFile,
    level: loaded.config.logging.level,
    maxBytes: loaded.config.logging.max_file_size,
    backups: loaded.config.logging.backup_count,
  });
  for (const w of loaded.warnings) logger.warning(`config: ${w.message}`);
  fs.mkdirSync(paths.jobsDir, { recursive: true });

  const opened = Store.open(paths.dbFile, { nativeBinding: opts.nativeBinding });
  if (opened.setAside) {
    logger.error(`database ${paths.dbFile} was unusable (${opened.setAside.reason}); kept as ${opened.setAside.path}, rebuilding from the journals`);
  }
  const report = reconcile({ store: opened.store, jobsDir: paths.jobsDir, logger });
  if (opened.created) logger.info(`index built from ${report.indexed} journals in ${report.durationMs.toFixed(0)} ms`);

  return {
    paths,
    config: loaded.config,
    configWarnings: loaded.warnings,
    configExists: loaded.exists,
    logger,
    store: opened.store,
    jobs: new JobService(opened.store, paths.jobsDir, logger),
    startup: { databaseCreated: opened.created, databaseSetAside: opened.setAside, reconcile: report },
    close: () => opened.store.close(),
  };
}
