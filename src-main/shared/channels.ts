/**
 * The typed API's method and event names and the IPC channels that carry them. The contract
 * (api/contract.ts) gives each name its parameters and results and must cover exactly these; the
 * sandboxed preload, which can load neither zod nor the contract, lets only these through.
 */

export const METHOD_NAMES = [
  'system.info',
  'jobs.list',
  'jobs.get',
  'jobs.add',
  'jobs.plan',
  'jobs.queue',
  'jobs.remove',
  'jobs.restart',
  'jobs.preview',
  'jobs.thumbnail',
  'jobs.snapshots',
  'jobs.snapshot',
  'jobs.markDone',
  'jobs.reorder',
  'plot.start',
  'plot.pause',
  'plot.resume',
  'plot.abort',
  'recovery.scan',
  'devices.list',
  'devices.check',
  'devices.release',
  'devices.pen',
  'devices.status',
  'devices.home',
  'camera.status',
  'camera.snapshot',
  'camera.viewer',
  'camera.test',
  'settings.get',
  'settings.set',
  'logs.tail',
  'backup.export',
  'backup.import',
  'backup.preview',
  'backup.list',
  'backup.run',
  'plotters.list',
  'plotters.paperChanged',
  'plotters.ready',
  'plotters.confirmReady',
  'queue.start',
  'queue.stop',
  'queue.status',
  'queue.preview',
] as const;

export type MethodName = (typeof METHOD_NAMES)[number];

export const EVENT_NAMES = [
  'job.changed',
  'job.removed',
  'plot.progress',
  'plot.event',
  'camera.status',
  'queue.event',
  'notify.outcome',
  'device.status',
] as const;

export type EventName = (typeof EVENT_NAMES)[number];

/** `ipcRenderer.invoke('vfab:<method>')` calls a method. */
export const METHOD_CHANNEL_PREFIX = 'vfab:';
/** Every event reaches the renderer on this one channel, named in its payload. */
export const EVENT_CHANNEL = 'vfab:event';
