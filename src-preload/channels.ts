/**
 * The method and event names the preload lets through. A sandboxed preload can `require` only
 * `electron` and a few built-ins, so it cannot load src-main/api/contract.ts at run time (that
 * pulls in zod). The lists are written out here instead; the type checks below fail the build
 * when they drift from the contract, and test/shell-ipc.test.ts compares them at run time.
 */
import type { EventName, MethodName } from '../src-main/api/contract';

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
] as const satisfies readonly MethodName[];

export const EVENT_NAMES = [
  'job.changed',
  'job.removed',
  'plot.progress',
  'plot.event',
  'camera.status',
  'queue.event',
  'notify.outcome',
  'device.status',
] as const satisfies readonly EventName[];

// Compile-time completeness: a method or event added to the contract but not listed here is an error.
type Missing<All, Listed> = [Exclude<All, Listed>] extends [never]
  ? true
  : { missing: Exclude<All, Listed> };
export const methodsComplete: Missing<MethodName, (typeof METHOD_NAMES)[number]> = true;
export const eventsComplete: Missing<EventName, (typeof EVENT_NAMES)[number]> = true;

export const METHOD_CHANNEL_PREFIX = 'vfab:';
export const EVENT_CHANNEL = 'vfab:event';
