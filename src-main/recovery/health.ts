/**
 * `vfab check self`: everything a crash can leave broken, a line each with what to do. Each check
 * is independent and bounded in time; the worst result sets the exit status (Nagios-style:
 * 0 ok, 1 warnings, 2 failures), so cron and monitoring can act on it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { probeCamera } from '../camera/check';
import { cameraSource } from '../camera/settings';
import type { Engine } from '../engine';
import { validateJournal } from '../jobs/journal';
import { listJobIds, jobFiles } from '../jobs/workspace';
import { openEbb, resolveDevice } from '../plotter/devices';
import { storageProblem } from '../util/storage';
import { classifyJobs } from './classify';

export type Health = 'ok' | 'warn' | 'fail';

export interface HealthCheck {
  name: string;
  status: Health;
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

export const HEALTH_EXIT: Record<Health, number> = { ok: 0, warn: 1, fail: 2 };

const GIB = 1024 ** 3;
const DEVICE_TIMEOUT_MS = 4000;
const CAMERA_TIMEOUT_MS = 3000;

export async function checkSelf(
  engine: Engine,
  opts: { device?: string | null } = {},
): Promise<HealthCheck[]> {
  const checks: HealthCheck[] = [
    configCheck(engine),
    workspaceCheck(engine),
    diskCheck(engine),
    databaseCheck(engine),
    journalsCheck(engine),
    jobsCheck(engine),
  ];
  const [device, camera] = await Promise.all([
    deviceCheck(engine, opts.device ?? engine.config.device.port ?? null),
    cameraCheck(engine),
  ]);
  return [...checks, device, camera];
}

export function worst(checks: readonly HealthCheck[]): Health {
  return checks.some((c) => c.status === 'fail')
    ? 'fail'
    : checks.some((c) => c.status === 'warn')
      ? 'warn'
      : 'ok';
}

function configCheck(engine: Engine): HealthCheck {
  const file = engine.paths.configFile;
  if (!engine.configExists)
    return {
      name: 'config',
      status: 'warn',
      detail: `${file} does not exist; defaults in use`,
      fix: 'vfab setup',
    };
  if (engine.configWarnings.length) {
    return {
      name: 'config',
      status: 'warn',
      detail: `${file}: ${engine.configWarnings.map((w) => w.message).join('; ')}`,
      fix: `edit ${file} (the defaults are used for those keys)`,
    };
  }
  return { name: 'config', status: 'ok', detail: file };
}

function workspaceCheck(engine: Engine): HealthCheck {
  const readOnly = engine.startup.readOnly;
  if (readOnly?.part === 'workspace')
    return {
      name: 'workspace',
      status: 'fail',
      detail: `${readOnly.reason}: vfab only reads`,
      fix: readOnly.fix,
    };
  const dir = engine.paths.jobsDir;
  const probe = path.join(dir, `.check-self-${process.pid}`);
  try {
    fs.writeFileSync(probe, 'ok');
    fs.rmSync(probe);
    return { name: 'workspace', status: 'ok', detail: `${dir} is writable` };
  } catch (err) {
    fs.rmSync(probe, { force: true });
    const problem = storageProblem(err, dir);
    if (problem)
      return { name: 'workspace', status: 'fail', detail: problem.reason, fix: problem.fix };
    return {
      name: 'workspace',
      status: 'fail',
      detail: `${dir} is not writable: ${(err as Error).message}`,
      fix: `check the folder's owner and permissions (ls -ld ${dir})`,
    };
  }
}

function diskCheck(engine: Engine): HealthCheck {
  const dir = engine.paths.dataDir;
  const s = fs.statfsSync(dir);
  const free = s.bavail * s.bsize;
  const detail = `${(free / GIB).toFixed(1)} GiB free on ${dir}`;
  if (free < 0.1 * GIB)
    return {
      name: 'disk',
      status: 'fail',
      detail,
      fix: 'free space: journals and checkpoints cannot be written on a full disk (vfab cleanup --jobs --older-than 30d)',
    };
  if (free < GIB)
    return {
      name: 'disk',
      status: 'warn',
      detail,
      fix: 'free some space (vfab cleanup --jobs --older-than 30d; vfab cleanup --logs --older-than 7d)',
    };
  return { name: 'disk', status: 'ok', detail };
}

function databaseCheck(engine: Engine): HealthCheck {
  const file = engine.paths.dbFile;
  const readOnly = engine.startup.readOnly;
  if (readOnly?.part === 'database')
    return {
      name: 'database',
      status: 'fail',
      detail: `${readOnly.reason}; the index was built in memory from the journals`,
      fix: readOnly.fix,
    };
  if (readOnly)
    return {
      name: 'database',
      status: 'ok',
      detail: `${file} read into memory and brought in line with the journals (${engine.store.count()} jobs)`,
    };
  const aside = engine.startup.databaseSetAside;
  const result = engine.store.integrity();
  if (result !== 'ok')
    return {
      name: 'database',
      status: 'fail',
      detail: `${file}: ${result}`,
      fix: 'vfab system rebuild-db (the journals hold the truth)',
    };
  if (aside)
    return {
      name: 'database',
      status: 'warn',
      detail: `${file} was rebuilt at start; the damaged one is kept as ${aside.path}`,
      fix: `delete ${aside.path} once you no longer need it`,
    };
  return {
    name: 'database',
    status: 'ok',
    detail: `${file} (integrity ok, ${engine.store.count()} jobs indexed)`,
  };
}

function journalsCheck(engine: Engine): HealthCheck {
  const ids = listJobIds(engine.paths.jobsDir);
  const damaged: string[] = [];
  let warnings = 0;
  for (const id of ids) {
    const v = validateJournal(jobFiles(engine.paths.jobsDir, id).journal);
    if (!v.ok) damaged.push(id);
    else if (v.problems.length) warnings++;
  }
  if (damaged.length) {
    return {
      name: 'journals',
      status: 'fail',
      detail: `${damaged.length} of ${ids.length} damaged: ${damaged.slice(0, 5).join(', ')}${damaged.length > 5 ? ', …' : ''}`,
      fix: `vfab system journal repair ${damaged[0]} (keeps a backup)`,
    };
  }
  if (warnings)
    return {
      name: 'journals',
      status: 'warn',
      detail: `${ids.length} journals, ${warnings} with warnings`,
      fix: 'vfab system journal validate',
    };
  return { name: 'journals', status: 'ok', detail: `${ids.length} journals valid` };
}

function jobsCheck(engine: Engine): HealthCheck {
  const found = classifyJobs(engine.store, {
    jobsDir: engine.paths.jobsDir,
    stuckAfterS: engine.config.recovery.stuck_after_s,
  });
  const interrupted = found.filter((c) => c.kind === 'interrupted' && c.cause !== 'paused');
  const stuck = found.filter((c) => c.kind === 'stuck');
  if (stuck.length)
    return {
      name: 'jobs',
      status: 'warn',
      detail: `${stuck.length} stuck: ${stuck.map((c) => c.id).join(', ')}`,
      fix: 'vfab info queue --stuck (stop the process named there, then vfab resume)',
    };
  if (interrupted.length)
    return {
      name: 'jobs',
      status: 'warn',
      detail: `${interrupted.length} interrupted: ${interrupted.map((c) => c.id).join(', ')}`,
      fix: 'vfab resume (or vfab resume --dry-run first)',
    };
  return {
    name: 'jobs',
    status: 'ok',
    detail: `no interrupted or stuck plots (${found.filter((c) => c.kind === 'running').length} running)`,
  };
}

async function deviceCheck(engine: Engine, request: string | null): Promise<HealthCheck> {
  let target;
  try {
    target = await resolveDevice(request);
  } catch (err) {
    return {
      name: 'device',
      status: 'warn',
      detail: (err as Error).message,
      fix: 'connect and switch on the plotter, or set device.port in config.yaml',
    };
  }
  if (target.kind === 'virtual')
    return { name: 'device', status: 'ok', detail: 'virtual plotter (no hardware)' };
  const name = `${target.path}${target.nickname ? ` (${target.nickname})` : ''}`;
  try {
    const conn = await Promise.race([
      openEbb(target.path),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`no answer within ${DEVICE_TIMEOUT_MS / 1000} s`)),
          DEVICE_TIMEOUT_MS,
        ).unref(),
      ),
    ]);
    try {
      const power = conn.capabilities.qc ? await conn.ebb.queryPower() : undefined;
      if (power && !power.motorPower)
        return {
          name: 'device',
          status: 'warn',
          detail: `${name}: ${conn.version.raw}, but the motors have no power`,
          fix: "plug in and switch on the plotter's power supply",
        };
      return { name: 'device', status: 'ok', detail: `${name}: ${conn.version.raw}` };
    } finally {
      await conn.close();
    }
  } catch (err) {
    return {
      name: 'device',
      status: 'fail',
      detail: `${name}: ${(err as Error).message}`,
      fix: 'vfab check servo --reconnect; check the USB cable, or stop the program holding the port',
    };
  }
}

async function cameraCheck(engine: Engine): Promise<HealthCheck> {
  const source = cameraSource(engine.config.camera);
  if (!source.enabled)
    return { name: 'camera', status: 'ok', detail: `disabled (${source.reason})` };
  const probe = await probeCamera(source.url, {
    timeoutMs: CAMERA_TIMEOUT_MS,
    sampleMs: 1000,
    service: source.service,
  });
  if (!probe.ok)
    return {
      name: 'camera',
      status: 'warn',
      detail: probe.error ?? `no frames from ${probe.url}`,
      fix: `systemctl restart ${source.service}; or set camera.enabled: false in config.yaml`,
    };
  return {
    name: 'camera',
    status: 'ok',
    detail: `${probe.url}: ${probe.width ?? '?'}×${probe.height ?? '?'}${probe.fps ? `, ${probe.fps} fps` : ''}`,
  };
}
