/**
 * The plotters config.yaml names: each entry of `devices:` (a name, a port, a model, the sheet
 * loaded, settings that differ from `device:`), or, without `devices:`, the `device:` section as
 * one plotter named `default`. A command line's `--device` picks one by name, or names a port,
 * an AxiDraw nickname or `virtual` outright (then with the `device:` section's settings).
 */
import type { VfabConfig } from '../config/config';
import type { AxiDrawModel } from '../plan/models';
import { VfabError } from '../errors';
import { VIRTUAL_DEVICE } from '../plotter/devices';
import { parseSheet, type Sheet } from '../plan/sheet';

/** The `device:` section's plotter when there is no `devices:` list. */
export const DEFAULT_PLOTTER = 'default';

export interface PlotterSpec {
  name: string;
  /** A port path, an AxiDraw nickname, `virtual`, or null: the first AxiDraw on USB. */
  port: string | null;
  model: AxiDrawModel;
  /** The sheet loaded; null: any (the artist loads what each job needs). */
  sheet: Sheet | null;
  /** The `device:` section with this plotter's own settings over it. */
  device: VfabConfig['device'];
  camera: VfabConfig['camera'];
  /** How many times faster than real time it runs (a virtual plotter's `--speed`); 1 for hardware. */
  speed: number;
  /** Listed in `devices:` (false: the `device:` section, or a port named on the command line). */
  configured: boolean;
}

type PlotterEntry = VfabConfig['devices'][number];

function fromEntry(config: VfabConfig, e: PlotterEntry): PlotterSpec {
  const { name, paper, camera, speed, port, ...deviceKeys } = e;
  const set = Object.fromEntries(Object.entries(deviceKeys).filter(([, v]) => v !== undefined));
  // A plotter with no port is found by its name: the AxiDraw nickname (set with the EBB's ST).
  const device = { ...config.device, ...set, port: port ?? name };
  return {
    name,
    port: device.port,
    model: device.model,
    sheet: paper === undefined ? null : parseSheet(paper),
    device,
    camera: {
      ...config.camera,
      ...Object.fromEntries(Object.entries(camera ?? {}).filter(([, v]) => v !== undefined)),
    },
    speed: speed ?? 1,
    configured: true,
  };
}

/** A plotter for a port the config does not list: the `device:` section's settings. */
function adHoc(config: VfabConfig, name: string, port: string | null): PlotterSpec {
  return {
    name,
    port,
    model: config.device.model,
    sheet: null,
    device: { ...config.device, port },
    camera: config.camera,
    speed: 1,
    configured: false,
  };
}

/** Every plotter the config names, in its order. */
export function configuredPlotters(config: VfabConfig): PlotterSpec[] {
  if (config.devices.length === 0) return [adHoc(config, DEFAULT_PLOTTER, config.device.port)];
  return config.devices.map((e) => fromEntry(config, e));
}

const samePort = (a: string | null, b: string) =>
  a !== null && (a === b || (!a.includes('/') && a.toLowerCase() === b.toLowerCase()));

/**
 * The plotter a request means: a plotter's name, a configured plotter's port or nickname, or
 * else the port, nickname or `virtual` itself. Nothing: the first plotter of the config.
 */
export function plotterFor(config: VfabConfig, request: string | null | undefined): PlotterSpec {
  const all = configuredPlotters(config);
  const wanted = request?.trim();
  if (!wanted) return all[0]!;
  const hit =
    all.find((p) => p.name === wanted) ??
    all.find((p) => p.configured && p.port !== VIRTUAL_DEVICE && samePort(p.port, wanted));
  return hit ?? adHoc(config, wanted, wanted);
}

/** Plotters by name for `--device NAME…`; a name that is none of them is an error listing them. */
export function plottersNamed(config: VfabConfig, names: readonly string[]): PlotterSpec[] {
  const all = configuredPlotters(config);
  if (!names.length) return all;
  return names.map((n) => {
    const hit = all.find((p) => p.name === n);
    if (hit) return hit;
    if (n.toLowerCase() === VIRTUAL_DEVICE || n.includes('/') || n.includes('\\'))
      return plotterFor(config, n);
    throw new VfabError(
      'NOT_FOUND',
      `No plotter named '${n}'. Plotters in config.yaml: ${all.map((p) => p.name).join(', ')} (vfab list devices).`,
    );
  });
}
