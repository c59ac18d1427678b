/**
 * Whether each plotter is still there, as this server sees it: one source of truth every open tab
 * is told (event `device.status`, method `devices.status`), so two tabs never disagree and none
 * keeps saying "connected" after the cable was pulled. A plotter is lost when a plot on it was
 * interrupted by the link (the runner's reason, in words) or when its configured port disappears
 * while idle; it is back when a plot on it starts or its port reappears.
 */
import fs from 'node:fs';
import type { InterruptionReason } from '../jobs/checkpoint';
import { CAUSE_TEXT } from '../recovery/classify';
import type { DeviceLink } from './contract';
import type { EventHub } from './events';

/** Interruptions that say the plotter itself is gone or unwell (a signal says nothing about it). */
const LINK_REASONS: readonly InterruptionReason[] = [
  'device_lost',
  'device_error',
  'plotter_power_lost',
];

/** The plotter's trouble in words, never its protocol ("the EBB did not answer LM,…"). */
export function lostReason(reason: InterruptionReason): string | undefined {
  return LINK_REASONS.includes(reason) ? CAUSE_TEXT[reason] : undefined;
}

/** A port path that can vanish (a USB device node or a virtual plotter's link), not a nickname, `virtual` or auto-detect. */
const watchablePort = (port: string | null): port is string =>
  port !== null && port.startsWith('/');

export interface DeviceLinks {
  list(): DeviceLink[];
  /** A plot on `plotter` was interrupted for `reason`; true when that says the plotter is lost. */
  interrupted(plotter: string, job: string, reason: InterruptionReason): boolean;
  /** A plot on `plotter` started: it answers. */
  answered(plotter: string): void;
  stop(): void;
}

/** `ports()`: each plotter's configured port, asked at every look (Settings may change them). */
export function createDeviceLinks(
  hub: EventHub,
  ports: () => { plotter: string; port: string | null }[],
  everyMs: number,
): DeviceLinks {
  const lost = new Map<string, DeviceLink & { portGone: boolean }>();
  const tell = () => hub.emit('device.status', { plotters: list() });
  const list = (): DeviceLink[] => [...lost.values()].map(({ portGone: _p, ...l }) => l);
  const set = (plotter: string, link: (DeviceLink & { portGone: boolean }) | undefined) => {
    if (!link && !lost.has(plotter)) return;
    if (link) lost.set(plotter, link);
    else lost.delete(plotter);
    tell();
  };
  const timer = setInterval(() => {
    for (const { plotter, port } of ports()) {
      if (!watchablePort(port)) continue;
      const there = fs.existsSync(port);
      const was = lost.get(plotter);
      if (!there && !was?.portGone)
        set(plotter, {
          plotter,
          state: 'lost',
          reason:
            was?.reason ??
            `its USB port ${port} is gone (cable unplugged or plotter switched off?)`,
          job: was?.job ?? null,
          since: new Date().toISOString(),
          portGone: true,
        });
      else if (there && was?.portGone) set(plotter, undefined);
    }
  }, everyMs);
  timer.unref();
  return {
    list,
    interrupted(plotter, job, reason) {
      const words = lostReason(reason);
      if (!words) return false;
      set(plotter, {
        plotter,
        state: 'lost',
        reason: words,
        job,
        since: new Date().toISOString(),
        portGone: lost.get(plotter)?.portGone ?? false,
      });
      return true;
    },
    answered: (plotter) => set(plotter, undefined),
    stop: () => clearInterval(timer),
  };
}
