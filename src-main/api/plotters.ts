/**
 * plotters.list: every plotter config.yaml names and what it does now. The plotters of this
 * process's queue run say it themselves; the others as `vfab list devices` finds them (journals,
 * owner files, another runner's status file), in the runner's words (queue/events.ts PlotterState).
 */
import type { CameraClient } from '../camera/client';
import { configuredCameraClient } from '../camera/settings';
import type { Engine } from '../engine';
import { configuredPlotters, plotterFor, type PlotterSpec } from '../plotters/plotters';
import { deviceStatuses, type DeviceStatus } from '../plotters/status';
import type { PlotterState } from '../plotters/state';
import type { PlotterView } from '../queue/runner';
import type { CameraViewer, PlotterInfo } from './contract';

/** A `vfab list devices` row as a runner state. */
export function stateOfStatus(d: DeviceStatus): PlotterState {
  const job = d.job ?? '';
  switch (d.state) {
    case 'idle':
      return { kind: 'idle' };
    case 'plotting':
      return { kind: 'plotting', job, resumed: false, fraction: 0 };
    case 'waiting for paper':
      return {
        kind: 'waiting_paper',
        next: job,
        how: d.detail?.includes('page delay') ? 'page_delay' : 'person',
        since: '',
      };
    case 'paused':
      // A pen change or layer pause (runner.ts words its reason so) goes on with one click.
      return {
        kind: 'holding',
        job,
        state: 'PAUSED',
        why: `paused (${d.detail ?? 'paused'}): ${/^(pen change|pause) before layer /.test(d.detail ?? '') ? 'Continue' : 'Recover…'} on its row resumes it`,
      };
    case 'interrupted':
      return {
        kind: 'holding',
        job,
        state: 'PLOTTING',
        why: `interrupted (${d.detail ?? 'crash'}): Recover… on its row continues it`,
      };
    case 'in use':
      return {
        kind: 'offline',
        reason: `in use by ${d.detail ?? 'another program'}${d.job ? `, plotting job ${d.job}` : ''}`,
      };
    case 'offline':
      return { kind: 'offline', reason: d.detail ?? 'not found' };
  }
}

/** Set in its own `devices:` entry: a view of that plotter alone. */
export function hasOwnCamera(engine: Engine, p: PlotterSpec): boolean {
  const own = engine.config.devices.find((d) => d.name === p.name)?.camera;
  return own?.url !== undefined && p.camera.enabled && p.camera.mode !== 'disabled';
}

/** The client of plotter `plotter`'s own camera (the settings' camera when none is named), or why there is none. */
export function cameraClientFor(engine: Engine, plotter?: string): CameraClient | string {
  if (plotter === undefined) return configuredCameraClient(engine.config.camera, engine.logger);
  const p = configuredPlotters(engine.config).find((x) => x.name === plotter);
  if (!p || !hasOwnCamera(engine, p))
    return `plotter '${plotter}' has no camera of its own in config.yaml`;
  return configuredCameraClient(p.camera, engine.logger);
}

export async function listPlotters(
  engine: Engine,
  run: PlotterView[] | undefined,
  cameraOf: (plotter: string) => CameraViewer,
): Promise<PlotterInfo[]> {
  const specs = configuredPlotters(engine.config);
  const inRun = new Map((run ?? []).map((v) => [v.plotter.name, v]));
  const statuses = specs.some((p) => !inRun.has(p.name)) ? await deviceStatuses(engine) : [];
  const listed = specs.map((p): PlotterInfo => {
    const view = inRun.get(p.name);
    const found = statuses.find((d) => d.name === p.name);
    const state: PlotterState = view?.state ?? (found ? stateOfStatus(found) : { kind: 'idle' });
    return {
      name: p.name,
      port: p.port,
      model: p.model,
      paper: p.sheet?.spec ?? null,
      speed: p.speed,
      configured: p.configured,
      state,
      inRun: view !== undefined,
      camera: hasOwnCamera(engine, p) ? cameraOf(p.name) : null,
    };
  });
  // A run on a port or `virtual` named outright: its plotters are not in config.yaml.
  const adHoc = (run ?? []).filter((v) => !specs.some((p) => p.name === v.plotter.name));
  return [
    ...listed,
    ...adHoc.map((v) => ({
      ...v.plotter,
      speed: plotterFor(engine.config, v.plotter.name).speed,
      configured: false,
      state: v.state,
      inRun: true,
      camera: null,
    })),
  ];
}
