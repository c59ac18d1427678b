/**
 * The typed API's contract: every payload is checked before the engine sees it. Refusals are
 * INVALID_INPUT naming the method and the field; the engine is never touched (a trap engine
 * throws on any access).
 */
import { describe, expect, it, vi } from 'vitest';
import { ApiError, MAX_UPLOAD_BASE64, METHODS, parseParams } from '../src-main/api/contract';
import { EVENT_NAMES, METHOD_NAMES } from '../src-main/shared/api-names';
import { createThrottle } from '../src-main/util/throttle';
import { createApiService } from '../src-main/api/service';
import type { Engine } from '../src-main/engine';

const ALL_METHODS = [
  'system.info',
  'jobs.list',
  'jobs.get',
  'jobs.add',
  'jobs.plan',
  'jobs.queue',
  'jobs.remove',
  'jobs.restart',
  'plot.start',
  'plot.pause',
  'plot.resume',
  'plot.abort',
  'recovery.scan',
  'devices.list',
  'camera.status',
  'settings.get',
  'settings.set',
  'logs.tail',
  'backup.export',
  'backup.import',
  'backup.preview',
  'jobs.preview',
  'jobs.thumbnail',
  'jobs.snapshots',
  'jobs.snapshot',
  'jobs.markDone',
  'jobs.reorder',
  'camera.snapshot',
  'camera.viewer',
  'backup.list',
  'backup.run',
  'devices.check',
  'devices.release',
  'devices.pen',
  'devices.home',
  'camera.test',
  'plotters.list',
  'plotters.paperChanged',
  'plotters.ready',
  'plotters.confirmReady',
  'devices.status',
  'queue.start',
  'queue.stop',
  'queue.status',
  'queue.preview',
];

function refusal(method: string, params: unknown): ApiError {
  try {
    parseParams(method, params);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('INVALID_INPUT');
    return err as ApiError;
  }
  throw new Error(`${method} ${JSON.stringify(params)?.slice(0, 200)} was accepted`);
}

/** Malformed requests, each with the field its refusal must name. */
const MALFORMED: [string, unknown, RegExp][] = [
  ['jobs.get', { id: 42 }, /jobs\.get: id /],
  ['jobs.get', {}, /jobs\.get: id /],
  ['jobs.get', { id: 'a', extra: 1 }, /jobs\.get: extra is not a parameter/],
  ['jobs.get', { id: 'x'.repeat(10_000) }, /jobs\.get: id /],
  ['jobs.get', { id: '../etc' }, /jobs\.get: id /],
  ['jobs.get', { id: 'a\0b' }, /jobs\.get: id /],
  ['jobs.get', 'a string', /jobs\.get: \(params\)/],
  ['system.info', { verbose: true }, /system\.info: verbose is not a parameter/],
  ['jobs.list', { states: ['PLOTTING', 'SLEEPING'] }, /jobs\.list: states\.1 /],
  ['jobs.add', { source: { path: 'relative/file.svg' } }, /jobs\.add: source/],
  ['jobs.add', { source: { path: '/tmp/../etc/passwd' } }, /jobs\.add: source/],
  ['jobs.add', { source: { path: '/tmp/a\0.svg' } }, /jobs\.add: source/],
  ['jobs.add', { source: { path: '/' + 'a'.repeat(5000) } }, /jobs\.add: source/],
  ['jobs.add', { source: { name: '../x.svg', base64: 'PHN2Zy8+' } }, /jobs\.add: source/],
  ['jobs.add', { source: { name: 'x.svg', base64: 'not base64!' } }, /jobs\.add: source/],
  [
    'jobs.add',
    { source: { path: '/tmp/a.svg' }, optimization: 'ultra' },
    /jobs\.add: optimization /,
  ],
  ['jobs.plan', { id: 'a', margin: -1 }, /jobs\.plan: margin /],
  ['jobs.plan', { id: 'a', paper: 'A'.repeat(1000) }, /jobs\.plan: paper /],
  ['jobs.plan', { id: 'a', minGap: 6 }, /jobs\.plan: minGap /],
  ['jobs.plan', { id: 'a', cornering: 0 }, /jobs\.plan: cornering /],
  ['jobs.thumbnail', { id: '../other/plan' }, /jobs\.thumbnail: id /],
  ['jobs.thumbnail', { id: 'a', size: 64 }, /jobs\.thumbnail: size is not a parameter/],
  ['plot.start', { id: 'a', speed: '50' }, /plot\.start: speed /],
  ['plot.start', { id: 'a', speed: -1 }, /plot\.start: speed /],
  ['plot.start', { id: 'a', device: 'd'.repeat(300) }, /plot\.start: device /],
  ['plot.resume', { id: 'a', backUpStrokes: 1.5 }, /plot\.resume: backUpStrokes /],
  ['devices.pen', {}, /devices\.pen: position /],
  ['devices.pen', { position: 'sideways' }, /devices\.pen: position /],
  ['settings.set', { values: {} }, /settings\.set: values /],
  ['settings.set', { values: { 'Device.Port': 'x' } }, /settings\.set: values/],
  [
    'settings.set',
    { values: { 'paper.default_size': 'x'.repeat(5000) } },
    /settings\.set: values\.paper\.default_size /,
  ],
  [
    'settings.set',
    { values: { 'paper.default_size': { nested: true } } },
    /settings\.set: values\.paper\.default_size /,
  ],
  ['logs.tail', { lines: 1e9 }, /logs\.tail: lines /],
  [
    'backup.export',
    { name: 'b.tar.gz', output: '/tmp/b.tar.gz' },
    /backup\.export: output is not a parameter/,
  ],
  [
    'backup.export',
    { name: '/etc/passwd' },
    /backup\.export: name must be a file name like my-backup\.tar\.gz/,
  ],
  ['backup.export', { name: 'sub/x.tar.gz' }, /backup\.export: name must be a file name/],
  ['backup.export', { name: '..x.tar.gz' }, /backup\.export: name must be a file name/],
  ['backup.export', { name: 'a..b.tar.gz' }, /backup\.export: name must not contain '\.\.'/],
  ['backup.export', { name: 'backup.zip' }, /backup\.export: name must be a file name/],
  [
    'backup.import',
    { archive: '/tmp/x/../../etc/shadow' },
    /backup\.import: archive must not contain '\.\.'/,
  ],
  [
    'backup.preview',
    { archive: '/tmp/b\0.tar.gz' },
    /backup\.preview: archive must not contain NUL/,
  ],
  ['plotters.list', { all: true }, /plotters\.list: all is not a parameter/],
  ['plotters.paperChanged', { plotter: 5 }, /plotters\.paperChanged: plotter /],
  [
    'plotters.paperChanged',
    { plotter: 'left\0' },
    /plotters\.paperChanged: plotter must not contain NUL/,
  ],
  ['plotters.paperChanged', { plotter: '' }, /plotters\.paperChanged: plotter /],
  ['queue.start', { plotters: [] }, /queue\.start: plotters /],
  ['queue.start', { plotters: ['x'.repeat(300)] }, /queue\.start: plotters\.0 /],
  ['queue.start', { pageDelayS: 5 }, /queue\.start: pageDelayS goes with unattended: true/],
  ['queue.start', { unattended: true, pageDelayS: -1 }, /queue\.start: pageDelayS /],
  ['queue.start', { unattended: 'yes' }, /queue\.start: unattended /],
  ['queue.start', { speed: '20' }, /queue\.start: speed /],
  ['queue.start', { every: true }, /queue\.start: every is not a parameter/],
  ['queue.stop', {}, /queue\.stop: mode /],
  ['queue.stop', { mode: 'now' }, /queue\.stop: mode /],
  ['queue.status', { verbose: 1 }, /queue\.status: verbose is not a parameter/],
  ['queue.preview', { plotter: 'a' }, /queue\.preview: plotter is not a parameter/],
];

describe('the contract', () => {
  it('lists every method the UI needs, and the eight event streams', () => {
    expect(Object.keys(METHODS).sort()).toEqual([...ALL_METHODS].sort());
    // The preload and the renderer know the methods by the shared list: it must be the contract's.
    expect(Object.keys(METHODS)).toEqual([...METHOD_NAMES]);
    expect(EVENT_NAMES).toEqual([
      'job.changed',
      'job.removed',
      'plot.progress',
      'plot.event',
      'camera.status',
      'queue.event',
      'notify.outcome',
      'device.status',
    ]);
  });

  it('accepts well-formed requests and fills nothing in', () => {
    expect(parseParams('jobs.get', { id: 'drawing-1.v2' })).toEqual({
      method: 'jobs.get',
      params: { id: 'drawing-1.v2' },
    });
    expect(parseParams('system.info', undefined).params).toEqual({});
    expect(
      parseParams('jobs.add', {
        source: { name: 'My drawing.svg', base64: 'PHN2Zy8+' },
        plan: false,
      }).params,
    ).toEqual({ source: { name: 'My drawing.svg', base64: 'PHN2Zy8+' }, plan: false });
    expect(parseParams('plot.start', { id: 'a', device: 'virtual', speed: 50 }).params).toEqual({
      id: 'a',
      device: 'virtual',
      speed: 50,
    });
    expect(
      parseParams('queue.start', { plotters: ['left', 'right'], unattended: true, pageDelayS: 0 })
        .params,
    ).toEqual({ plotters: ['left', 'right'], unattended: true, pageDelayS: 0 });
    expect(parseParams('queue.start', {}).params).toEqual({});
    expect(parseParams('plotters.paperChanged', { plotter: 'left' }).params).toEqual({
      plotter: 'left',
    });
    expect(
      parseParams<'settings.set'>('settings.set', {
        values: { 'device.port': null, 'paper.default_size': 'A3', 'device.pen_pos_up': 70 },
      }).params.values,
    ).toHaveProperty('device.port', null);
  });

  it.each(MALFORMED)(
    '%s %j is refused with INVALID_INPUT naming the field',
    (method, params, message) => {
      expect(refusal(method, params).message).toMatch(message);
    },
  );

  it('refuses unknown methods, naming the ones there are', () => {
    expect(refusal('jobs.drop', {}).message).toMatch(
      /Unknown method 'jobs\.drop'\. Methods: system\.info, jobs\.list/,
    );
    expect(refusal('x'.repeat(100_000), {}).message.length).toBeLessThan(1000);
    expect(refusal('__proto__', {}).message).toMatch(/Unknown method/);
    expect(refusal('constructor', {}).message).toMatch(/Unknown method/);
  });

  it('refuses a dropped file above the size cap before decoding it', () => {
    const huge = 'A'.repeat(MAX_UPLOAD_BASE64 + 4);
    expect(refusal('jobs.add', { source: { name: 'big.svg', base64: huge } }).message).toMatch(
      /jobs\.add: source/,
    );
  });

  it('the service refuses malformed calls without touching the engine', async () => {
    const touched: PropertyKey[] = [];
    const trap = new Proxy({} as Engine, {
      get(_t, key) {
        touched.push(key);
        throw new Error(`the engine was reached (${String(key)})`);
      },
    });
    const service = createApiService(trap, { camera: null });
    for (const [method, params] of MALFORMED) {
      await expect(service.call(method, params)).rejects.toMatchObject({
        name: 'ApiError',
        code: 'INVALID_INPUT',
      });
    }
    await expect(service.call('jobs.drop', {})).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(touched).toEqual([]);
    await service.close();
  });
});

describe('progress throttle', () => {
  it('delivers at most one value per interval per key, and the last one on flush', async () => {
    vi.useFakeTimers();
    try {
      const got: [string, number][] = [];
      const t = createThrottle<number>(100, (k, v) => got.push([k, v]));
      for (let i = 0; i < 50; i++) {
        t.push('a', i);
        t.push('b', i);
        vi.advanceTimersByTime(10);
      }
      // 500 ms of pushes every 10 ms: the first at once, then one per 100 ms.
      expect(got.filter(([k]) => k === 'a').length).toBeLessThanOrEqual(6);
      t.end('a');
      expect(got.filter(([k]) => k === 'a').at(-1)).toEqual(['a', 49]);
      const before = got.length;
      vi.advanceTimersByTime(500);
      expect(got.slice(before).filter(([k]) => k === 'a')).toEqual([]);
      vi.advanceTimersByTime(200);
      expect(got.filter(([k]) => k === 'b').at(-1)).toEqual(['b', 49]);
    } finally {
      vi.useRealTimers();
    }
  });
});
