/**
 * The names the typed API answers to (api/contract.ts gives each its params and result), and the
 * channels that carry them. The sandboxed preload filters calls by these lists and the renderer
 * connects with them, so they live here, free of zod and of Node, where all three can load them.
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

/** Electron IPC: method `m` is invoked on `vfab:m`; every event goes to the window on one channel. */
export const METHOD_CHANNEL_PREFIX = 'vfab:';
export const EVENT_CHANNEL = 'vfab:event';

/** `vfab serve`'s WebSocket: the API's subprotocol, and the prefix of the one that carries the token. */
export const API_PROTOCOL = 'vfab';
export const TOKEN_PROTOCOL_PREFIX = 'vfab.token.';
