/**
 * What each plotter of the config is doing, for `vfab list devices`: plotting a job (a live owner
 * plots on it), waiting for paper (a live queue runner says so), holding a paused or interrupted
 * job (its sheet holds that job), in use by another process, offline (port missing, nickname not
 * found), or idle. Journals and owner files decide; a runner's status file only adds what it waits for.
 */
import fs from 'node:fs';
import type { Engine } from '../engine';
import { CAUSE_TEXT } from '../recovery/classify';
import { deviceOwnerFile, readOwner } from '../jobs/owner';
import { probeNickname, resolveDevice, VIRTUAL_DEVICE } from '../plotter/devices';
import { readRunnerStatuses } from './status-file';
import { holdersOf, sheetHolders } from './holders';
import { configuredPlotters, type PlotterSpec } from './plotters';

export type DeviceStateKind =
  'idle' | 'plotting' | 'paused' | 'interrupted' | 'waiting for paper' | 'in use' | 'offline';

export interface DeviceStatus {
  name: string;
  port: string | null;
  model: string;
  paper: string | null;
  state: DeviceStateKind;
  job: string | null;
  /** Why (offline), who (in use), what the job waits for (paused, interrupted). */
  detail: string | null;
  /** The port path the plotter was found on, when it was looked for. */
  found: string | null;
}

/** Where the plotter is now: a path, `virtual`, or why it cannot be found. Never opens a port another vfab holds. */
async function locate(
  engine: Engine,
  p: PlotterSpec,
): Promise<{ path: string } | { offline: string }> {
  if (p.port?.toLowerCase() === VIRTUAL_DEVICE) return { path: VIRTUAL_DEVICE };
  const busy = (path: string) => {
    const o = readOwner(deviceOwnerFile(engine.paths.dataDir, path));
    return o !== undefined && o.liveness !== 'dead';
  };
  try {
    const target = await resolveDevice(p.port, {
      probeNickname: (path) => (busy(path) ? Promise.resolve(null) : probeNickname(path)),
    });
    if (target.kind === 'virtual') return { path: VIRTUAL_DEVICE };
    if (!fs.existsSync(target.path)) return { offline: `${target.path} is missing` };
    return { path: target.path };
  } catch (err) {
    return { offline: (err as Error).message };
  }
}

export async function deviceStatuses(engine: Engine): Promise<DeviceStatus[]> {
  const plotters = configuredPlotters(engine.config);
  const names = plotters.map((p) => p.name);
  const holders = sheetHolders(engine.store, {
    jobsDir: engine.paths.jobsDir,
    stuckAfterS: engine.config.recovery.stuck_after_s,
  });
  const runners = readRunnerStatuses(engine.paths.dataDir);
  return Promise.all(
    plotters.map(async (p): Promise<DeviceStatus> => {
      const where = await locate(engine, p);
      const found = 'path' in where ? where.path : null;
      const base = {
        name: p.name,
        port: p.port,
        model: p.model,
        paper: p.sheet?.spec ?? null,
        found,
      };
      const held = holdersOf(holders, p, names, found ?? undefined);
      const live = held.find((h) => h.kind !== 'interrupted');
      if (live)
        return {
          ...base,
          state: 'plotting',
          job: live.id,
          detail: `pid ${live.owner?.owner.pid ?? '?'}${live.kind === 'stuck' ? `, no progress for ${live.silentS} s` : ''}`,
        };
      const told = runners.map((r) => ({ pid: r.pid, s: r.plotters[p.name] })).find((r) => r.s);
      if (told?.s?.kind === 'waiting_paper')
        return {
          ...base,
          state: 'waiting for paper',
          job: told.s.next,
          detail: `queue runner pid ${told.pid}${told.s.how === 'page_delay' ? ', page delay' : ''}`,
        };
      if (told?.s?.kind === 'plotting')
        return {
          ...base,
          state: 'plotting',
          job: told.s.job,
          detail: `queue runner pid ${told.pid}`,
        };
      const waiting = held.find((h) => h.kind === 'interrupted');
      if (waiting) {
        const paused = waiting.cause === 'paused';
        return {
          ...base,
          state: paused ? 'paused' : 'interrupted',
          job: waiting.id,
          detail: paused ? (waiting.detail ?? 'paused') : CAUSE_TEXT[waiting.cause ?? 'crash'],
        };
      }
      if (found && found !== VIRTUAL_DEVICE) {
        const o = readOwner(deviceOwnerFile(engine.paths.dataDir, found));
        if (o && o.liveness !== 'dead')
          return {
            ...base,
            state: 'in use',
            job: o.owner.job || null,
            detail: `vfab pid ${o.owner.pid} on ${o.owner.host}`,
          };
      }
      if ('offline' in where)
        return { ...base, state: 'offline', job: null, detail: where.offline };
      return { ...base, state: 'idle', job: null, detail: null };
    }),
  );
}
