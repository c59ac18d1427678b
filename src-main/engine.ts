/**
 * The composition root: builds config, logging, the index and the job service from the
 * environment. The Electron shell, `vfab serve` and the CLI all start here, so they see the
 * same files (docs/architecture.md "One engine, three faces"). No Electron imports.
 */
import { loadConfig, type ConfigWarning, type VfabConfig } from './config/config';
import { applyConfigPaths, resolvePaths, type VfabPaths } from './config/paths';
import { JobService } from './jobs/lifecycle';
import { reconcile, type ReconcileReport } from './jobs/reconcile';
import { Store, type SetAside, type StoreOpenResult } from './jobs/store';
import { createLogger, createStderrLogger, type Logger } from './log';
import { probeReadOnly, readOnlyAfter, type ReadOnlyMode } from './read-only';

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
  /** Set when this process cannot write the data folder or the index: it only reads. */
  readOnly?: ReadOnlyMode;
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

interface OpenedIndex {
  opened: StoreOpenResult;
  report: ReconcileReport;
}

/** The index on disk, brought in line with the journals. */
function openIndex(paths: VfabPaths, logger: Logger, nativeBinding?: string): OpenedIndex {
  const opened = Store.open(paths.dbFile, { nativeBinding });
  try {
    if (opened.setAside) {
      logger.error(
        `database ${paths.dbFile} was unusable (${opened.setAside.reason}); kept as ${opened.setAside.path}, rebuilding from the journals`,
      );
    }
    const report = reconcile({ store: opened.store, jobsDir: paths.jobsDir, logger });
    if (opened.created)
      logger.info(
        `index built from ${report.indexed} journals in ${report.durationMs.toFixed(0)} ms`,
      );
    return { opened, report };
  } catch (err) {
    opened.store.close();
    throw err;
  }
}

/** Read-only mode's index: a copy in memory, brought in line with the journals without writing anything. */
function openIndexInMemory(paths: VfabPaths, logger: Logger, nativeBinding?: string): OpenedIndex {
  const opened = Store.openInMemory(paths.dbFile, { nativeBinding });
  return {
    opened,
    report: reconcile({ store: opened.store, jobsDir: paths.jobsDir, logger, readOnly: true }),
  };
}

export function openEngine(opts: EngineOptions = {}): Engine {
  const base = resolvePaths(opts.env);
  const loaded = loadConfig(base.configFile);
  const paths = applyConfigPaths(base, loaded.config, opts.env);
  let readOnly = probeReadOnly(paths);
  const fileLogger = () =>
    createLogger({
      file: paths.logFile,
      level: loaded.config.logging.level,
      maxBytes: loaded.config.logging.max_file_size,
      backups: loaded.config.logging.backup_count,
    });
  // A data folder that cannot be written cannot take the log either; a bad vfab.db alone can.
  let logger =
    readOnly?.part === 'workspace' ? createStderrLogger({ file: paths.logFile }) : fileLogger();
  for (const w of loaded.warnings) logger.warning(`config: ${w.message}`);

  let index: OpenedIndex | undefined;
  if (!readOnly) {
    try {
      index = openIndex(paths, logger, opts.nativeBinding);
    } catch (err) {
      readOnly = readOnlyAfter(err, paths);
      if (!readOnly) throw err;
      logger = createStderrLogger({ file: paths.logFile });
    }
  }
  index ??= openIndexInMemory(paths, logger, opts.nativeBinding);
  const { store } = index.opened;

  return {
    paths,
    config: loaded.config,
    configWarnings: loaded.warnings,
    configExists: loaded.exists,
    logger,
    store,
    jobs: new JobService(store, paths.jobsDir, logger, readOnly),
    startup: {
      databaseCreated: index.opened.created,
      databaseSetAside: index.opened.setAside,
      reconcile: index.report,
      readOnly,
    },
    close: () => store.close(),
  };
}
