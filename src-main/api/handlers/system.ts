/** system.*, settings.* and logs.*: what vfab is, where it keeps things, its config and its log. */
import fs from 'node:fs';
import { redactUrl } from '../../camera/stream';
import { loadConfig, updateConfigFile, type VfabConfig } from '../../config/config';
import type { Engine } from '../../engine';
import { JOB_STATES, type JobState } from '../../jobs/states';
import { redactWebhookUrl } from '../../notify/webhook';
import { VERSION } from '../../version';
import type { SettingsInfo } from '../contract';
import type { HandlersFor, ServiceParts } from './context';

function maskSecrets(config: VfabConfig): VfabConfig {
  return {
    ...config,
    camera: { ...config.camera, url: redactUrl(config.camera.url) },
    websocket: {
      ...config.websocket,
      api_key: config.websocket.api_key === null ? null : '********',
    },
    notify: { ...config.notify, webhook_url: redactWebhookUrl(config.notify.webhook_url) },
  };
}

function tailLines(file: string, count: number): string[] {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    // Log lines are short: 512 bytes a line on average is plenty, and bounds the read.
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, count * 512 + 1);
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, size - length);
    const lines = buf.toString('utf8').split('\n').filter(Boolean);
    if (length < size) lines.shift();
    return lines.slice(-count);
  } finally {
    fs.closeSync(fd);
  }
}

function settingsInfo(engine: Engine): SettingsInfo {
  return {
    file: engine.paths.configFile,
    exists: engine.configExists,
    config: maskSecrets(engine.config),
    warnings: engine.configWarnings.map((w) => w.message),
  };
}

export function systemHandlers({
  engine,
  plotting,
}: ServiceParts): HandlersFor<'system'> & HandlersFor<'settings'> & HandlersFor<'logs'> {
  return {
    'system.info': () => {
      const counts = engine.store.countsByState();
      return {
        version: VERSION,
        node: process.versions.node,
        platform: `${process.platform}-${process.arch}`,
        paths: {
          configFile: engine.paths.configFile,
          dataDir: engine.paths.dataDir,
          workspaceDir: engine.paths.workspaceDir,
          logFile: engine.paths.logFile,
        },
        config: {
          exists: engine.configExists,
          warnings: engine.configWarnings.map((w) => w.message),
        },
        jobs: {
          total: Object.values(counts).reduce((a, b) => a + b, 0),
          byState: Object.fromEntries(JOB_STATES.map((s) => [s, counts[s] ?? 0])) as Record<
            JobState,
            number
          >,
        },
        plotting: plotting(),
      };
    },

    'settings.get': () => settingsInfo(engine),

    'settings.set': (p) => {
      updateConfigFile(
        engine.paths.configFile,
        Object.fromEntries(Object.entries(p.values).map(([k, v]) => [k, v ?? undefined])),
      );
      const loaded = loadConfig(engine.paths.configFile);
      // Every face holds this one engine: the new values apply to what it does next.
      Object.assign(engine, {
        config: loaded.config,
        configWarnings: loaded.warnings,
        configExists: loaded.exists,
      });
      return settingsInfo(engine);
    },

    'logs.tail': (p) => ({
      file: engine.paths.logFile,
      lines: tailLines(engine.paths.logFile, p.lines ?? 200),
    }),
  };
}
