/**
 * The queue runner's pure parts: plotters from config.yaml (`devices:`), the sheet loaded on each,
 * which plotter may take which job and which will, a job's target, the sheet rules, and the paper
 * wait (PRG button, a face's confirmation, the page delay).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, parseConfig } from '../src-main/config/config';
import type { Ebb } from '../src-main/plotter/ebb';
import {
  DEFAULT_PLOTTER,
  configuredPlotters,
  plotterFor,
  plottersNamed,
} from '../src-main/plotters/plotters';
import { lastPlotterMark, markIsPlotter } from '../src-main/plotters/holders';
import { parseSheet, sheetHolds, sheetMatches } from '../src-main/plan/sheet';
import {
  assignQueue,
  eligibility,
  type PlotterFacts,
  type QueuedJob,
} from '../src-main/queue/eligibility';
import { waitForPaper } from '../src-main/queue/paper-wait';
import { afterJob, armedSheetMetadata, beforeNewJob } from '../src-main/queue/sheets';
import { targetLabel, targetOf } from '../src-main/queue/target';
import type { JournalEntry } from '../src-main/jobs/journal';

const FILE = '/home/me/.config/vfab/config.yaml';

function configError(text: string): ConfigError {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('devices: in config.yaml', () => {
  it('lists plotters with their own settings over the device section', () => {
    const { config, warnings } = parseConfig(
      [
        'device:',
        '  pen_pos_down: 40',
        '  speed_pendown: 30',
        'camera:',
        '  url: http://127.0.0.1:8881/stream.mjpeg',
        'devices:',
        '  - name: left',
        '    port: /dev/ttyACM0',
        '    paper: A4',
        '  - name: big',
        '    model: V3/A3',
        '    paper: A3 landscape',
        '    pen_pos_down: 33',
        '    speed: 20',
        '    camera: {url: http://127.0.0.1:8882/stream.mjpeg}',
      ].join('\n'),
      FILE,
    );
    expect(warnings).toEqual([]);
    const [left, big] = configuredPlotters(config);
    expect(left).toMatchObject({
      name: 'left',
      port: '/dev/ttyACM0',
      model: 'V3/A4',
      speed: 1,
      configured: true,
    });
    expect(left!.device).toMatchObject({
      pen_pos_down: 40,
      speed_pendown: 30,
      port: '/dev/ttyACM0',
    });
    expect(left!.sheet).toMatchObject({ widthMm: 210, heightMm: 297, turnable: true });
    // No port: the name is the AxiDraw nickname it is found by.
    expect(big).toMatchObject({ name: 'big', port: 'big', model: 'V3/A3', speed: 20 });
    expect(big!.device).toMatchObject({ pen_pos_down: 33, speed_pendown: 30, model: 'V3/A3' });
    expect(big!.sheet).toMatchObject({ widthMm: 420, heightMm: 297, turnable: false });
    expect(big!.camera.url).toBe('http://127.0.0.1:8882/stream.mjpeg');
    expect(left!.camera.url).toBe('http://127.0.0.1:8881/stream.mjpeg');
  });

  it('without devices:, the device section is one plotter named default', () => {
    const config = parseConfig('device:\n  port: /dev/ttyUSB3\n  model: 2\n', FILE).config;
    expect(configuredPlotters(config)).toEqual([
      expect.objectContaining({
        name: DEFAULT_PLOTTER,
        port: '/dev/ttyUSB3',
        model: 'V3/A3',
        sheet: null,
        configured: false,
      }),
    ]);
    expect(configuredPlotters(defaultConfig())[0]).toMatchObject({ name: 'default', port: null });
  });

  it('refuses duplicate names, naming the key and line', () => {
    const err = configError(
      'devices:\n  - name: a4\n    port: virtual\n  - name: a4\n    port: /dev/ttyACM1\n',
    );
    expect(err.key).toBe('devices.1.name');
    expect(err.line).toBe(4);
    expect(err.message).toContain(
      `${FILE}:4: devices.1.name must be unique: devices.0 is named 'a4' too`,
    );
  });

  it('refuses unknown keys (a misspelt pen setting would plot with the wrong pen), suggesting the right one', () => {
    const err = configError('devices:\n  - name: a4\n    pen_pos_dwn: 30\n');
    expect(err.key).toBe('devices.0.pen_pos_dwn');
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/is not a plotter setting; did you mean 'pen_pos_down'\?/);
    expect(configError('devices:\n  - name: a4\n    preferred: axidraw:auto\n').key).toBe(
      'devices.0.preferred',
    );
  });

  it('refuses a bad paper, name, model or speed, and a list that is not one', () => {
    expect(configError('devices:\n  - name: a4\n    paper: B9\n').message).toMatch(
      /:3: devices\.0\.paper must be a paper name .* \(found "B9"\)/,
    );
    expect(configError('devices:\n  - name: a4\n    paper: 210x297 landscape\n').key).toBe(
      'devices.0.paper',
    );
    expect(configError('devices:\n  - name: my plotter\n').key).toBe('devices.0.name');
    expect(configError('devices:\n  - port: virtual\n').key).toBe('devices.0.name');
    expect(configError('devices:\n  - name: a\n    model: V9\n').message).toContain(
      'must be an AxiDraw model',
    );
    expect(configError('devices:\n  - name: a\n    speed: 0\n').key).toBe('devices.0.speed');
    expect(configError('devices:\n  name: a\n').message).toContain(
      'devices must be a list of plotters',
    );
  });
});

describe('choosing a plotter', () => {
  const config = parseConfig(
    'devices:\n  - name: left\n    port: /dev/ttyACM0\n  - name: right\n    port: Rightie\n',
    FILE,
  ).config;

  it('by name, by a configured port or nickname, else the port itself; nothing: the first', () => {
    expect(plotterFor(config, 'right').name).toBe('right');
    expect(plotterFor(config, '/dev/ttyACM0').name).toBe('left');
    expect(plotterFor(config, 'rightie').name).toBe('right');
    expect(plotterFor(config, '/dev/ttyUSB9')).toMatchObject({
      name: '/dev/ttyUSB9',
      port: '/dev/ttyUSB9',
      configured: false,
    });
    expect(plotterFor(config, undefined).name).toBe('left');
  });

  it('--device NAME… names plotters of the config, or ports; an unknown name is refused listing them', () => {
    expect(plottersNamed(config, []).map((p) => p.name)).toEqual(['left', 'right']);
    expect(plottersNamed(config, ['right', 'virtual']).map((p) => p.name)).toEqual([
      'right',
      'virtual',
    ]);
    expect(() => plottersNamed(config, ['lefty'])).toThrow(
      /No plotter named 'lefty'\. Plotters in config\.yaml: left, right/,
    );
  });

  it('a journal names the plotter; a name the config no longer has, or an old journal, is matched by port', () => {
    const [left, right] = configuredPlotters(config);
    const names = ['left', 'right'];
    expect(markIsPlotter({ plotter: 'left', port: '/dev/ttyACM0' }, left!, names)).toBe(true);
    expect(markIsPlotter({ plotter: 'left', port: '/dev/ttyACM0' }, right!, names)).toBe(false);
    expect(markIsPlotter({ plotter: 'gone', port: '/dev/ttyACM0' }, left!, names)).toBe(true);
    expect(markIsPlotter({ device: 'Rightie' }, right!, names)).toBe(true);
    expect(
      markIsPlotter({ device: 'Rightie', port: '/dev/ttyACM4' }, left!, names, '/dev/ttyACM4'),
    ).toBe(true);
  });

  it('where a job plots is the last ARMED or PLOTTING entry naming it, since it was last queued', () => {
    const sc = (to: string, metadata: Record<string, unknown> = {}) =>
      ({
        type: 'state_change',
        from_state: 'X',
        to_state: to,
        reason: '',
        metadata,
        timestamp: '',
        seq: 0,
      }) as unknown as JournalEntry;
    expect(
      lastPlotterMark([
        sc('QUEUED'),
        sc('ARMED', { plotter: 'a', port: '/dev/x' }),
        sc('PLOTTING', { plotter: 'a', port: '/dev/x', device: 'x' }),
      ]),
    ).toEqual({ plotter: 'a', port: '/dev/x', device: 'x' });
    expect(
      lastPlotterMark([
        sc('ARMED', { plotter: 'a' }),
        sc('PLOTTING', { plotter: 'a' }),
        sc('COMPLETED'),
        sc('QUEUED'),
      ]),
    ).toBeUndefined();
    expect(lastPlotterMark([sc('QUEUED'), sc('ARMED', { plotter: 'b' })])).toEqual({
      plotter: 'b',
    });
  });
});

describe('the sheet loaded', () => {
  it('a paper name fits either way round; with an orientation or as W×H, one way only; within 1 mm', () => {
    const a4 = parseSheet('A4');
    expect(sheetMatches(a4, 297, 210)).toBe(true);
    expect(sheetMatches(a4, 210, 297)).toBe(true);
    expect(sheetMatches(a4, 210.9, 296.2)).toBe(true);
    expect(sheetMatches(a4, 212, 297)).toBe(false);
    expect(sheetMatches(a4, 297, 420)).toBe(false);
    const landscape = parseSheet('a4 landscape');
    expect(sheetMatches(landscape, 297, 210)).toBe(true);
    expect(sheetMatches(landscape, 210, 297)).toBe(false);
    const written = parseSheet('8.5x11in');
    expect(sheetMatches(written, 215.9, 279.4)).toBe(true);
    expect(sheetMatches(written, 279.4, 215.9)).toBe(false);
    expect(() => parseSheet('A4 sideways')).toThrow(/Unknown paper/);
  });

  it("holds a smaller page in its corner: either way round for a paper name, one way for 'A4 landscape' or W×H", () => {
    expect(sheetHolds(parseSheet('A4'), 100, 100)).toBe(true);
    expect(sheetHolds(parseSheet('A4'), 280, 200)).toBe(true);
    expect(sheetHolds(parseSheet('A4'), 200, 280)).toBe(true);
    expect(sheetHolds(parseSheet('A4'), 210.9, 297.9)).toBe(true);
    expect(sheetHolds(parseSheet('A4'), 279.4, 215.9)).toBe(false);
    expect(sheetHolds(parseSheet('A4 landscape'), 200, 280)).toBe(false);
    expect(sheetHolds(parseSheet('297x210mm'), 280, 200)).toBe(true);
    expect(sheetHolds(parseSheet('297x210mm'), 200, 280)).toBe(false);
  });
});

const a4Plotter: PlotterFacts = { name: 'a4', model: 'V3/A4', sheet: parseSheet('A4') };
const a3Plotter: PlotterFacts = { name: 'a3', model: 'V3/A3', sheet: parseSheet('A3') };
const anyPlotter: PlotterFacts = { name: 'any', model: 'V3/A4', sheet: null };

function job(id: string, over: Partial<QueuedJob> = {}): QueuedJob {
  return {
    id,
    target: 'any',
    sheet: { widthMm: 297, heightMm: 210, label: 'A4 landscape', customPage: false },
    bounds: { minX: 10, minY: 10, maxX: 100, maxY: 80 },
    estimateS: 60,
    ...over,
  };
}
const a3Job = (id: string) =>
  job(id, {
    sheet: { widthMm: 420, heightMm: 297, label: 'A3 landscape', customPage: false },
    bounds: { minX: 10, minY: 10, maxX: 400, maxY: 280 },
  });

describe('eligibility', () => {
  it('the sheet must be the one loaded, the drawing within the travel, the target this plotter', () => {
    expect(eligibility(job('j'), a4Plotter)).toEqual({ ok: true });
    expect(eligibility(job('j'), a3Plotter)).toEqual({
      ok: false,
      reason: 'loaded with A3, the job is planned for A4 landscape (297 × 210 mm)',
    });
    expect(eligibility(a3Job('big'), a3Plotter)).toEqual({ ok: true });
    // Any sheet loaded, but the carriage does not reach that far.
    expect(eligibility(a3Job('big'), anyPlotter)).toEqual({
      ok: false,
      reason: 'the drawing reaches 400 × 280 mm, an V3/A4 travels 300 × 218 mm',
    });
    expect(eligibility(job('j', { target: { plotter: 'a3' } }), a4Plotter)).toEqual({
      ok: false,
      reason: 'queued for plotter a3',
    });
    expect(eligibility(job('j', { target: { plotter: 'any' } }), anyPlotter)).toEqual({ ok: true });
    expect(eligibility(job('j', { target: { model: 'V3/A3' } }), a4Plotter).ok).toBe(false);
    expect(eligibility(job('j', { problem: 'its plan cannot be read' }), anyPlotter)).toEqual({
      ok: false,
      reason: 'its plan cannot be read',
    });
  });

  it("a job on its document's own custom page goes on any loaded sheet that page fits on; a sheet chosen by size needs that sheet", () => {
    const card = job('card', {
      sheet: { widthMm: 100, heightMm: 100, label: '100 × 100 mm', customPage: true },
    });
    expect(eligibility(card, a4Plotter)).toEqual({ ok: true });
    expect(
      eligibility(
        job('asked', {
          sheet: { widthMm: 100, heightMm: 100, label: '100 × 100 mm', customPage: false },
        }),
        a4Plotter,
      ).ok,
    ).toBe(false);
    const wide = job('wide', {
      sheet: { widthMm: 320, heightMm: 200, label: '320 × 200 mm', customPage: true },
    });
    expect(eligibility(wide, a3Plotter)).toEqual({ ok: true });
    expect(eligibility(wide, a4Plotter)).toEqual({
      ok: false,
      reason: "loaded with A4, the job's page, 320 × 200 mm, is larger",
    });
  });
});

describe('assignQueue', () => {
  it('each job in queue order to the eligible plotter free soonest; none: why', () => {
    const slots = [
      { plotter: a4Plotter, freeInS: 0 },
      { plotter: a3Plotter, freeInS: 30 },
      { plotter: anyPlotter, freeInS: null, why: 'holds PAUSED job p' },
    ];
    const got = assignQueue(
      [
        job('j1'),
        a3Job('big'),
        job('j2'),
        job('j3', { target: { plotter: 'any' } }),
        job('wide', {
          sheet: { widthMm: 594, heightMm: 420, label: 'A2 landscape', customPage: false },
        }),
      ],
      slots,
    );
    expect(got).toEqual([
      { job: 'j1', plotter: 'a4', startsInS: 0 },
      { job: 'big', plotter: 'a3', startsInS: 30 },
      { job: 'j2', plotter: 'a4', startsInS: 60 },
      {
        job: 'j3',
        plotter: null,
        reason:
          'no plotter can take it (a4: queued for plotter any; a3: queued for plotter any; any: holds PAUSED job p)',
      },
      {
        job: 'wide',
        plotter: null,
        reason: expect.stringMatching(
          /^no plotter can take it \(a4: loaded with A4, the job is planned for A2 landscape .*; any: holds PAUSED job p\)$/,
        ),
      },
    ]);
  });

  it('with one plotter, the reason is its own', () => {
    expect(assignQueue([a3Job('big')], [{ plotter: a4Plotter, freeInS: 0 }])[0]!.reason).toBe(
      'a4: loaded with A4, the job is planned for A3 landscape (420 × 297 mm)',
    );
  });
});

describe("a job's target", () => {
  it('is read from its QUEUED entry; anything else is any', () => {
    expect(targetOf({ metadata: { target: { plotter: 'a3' } } })).toEqual({ plotter: 'a3' });
    expect(targetOf({ metadata: { target: { model: 'V3/A3' } } })).toEqual({ model: 'V3/A3' });
    expect(targetOf({ metadata: { target: 'any' } })).toBe('any');
    expect(targetOf({ metadata: {} })).toBe('any');
    expect(targetOf({ metadata: { target: { model: 'V9' } } })).toBe('any');
    expect(targetLabel({ model: 'V3/A3' })).toBe('any V3/A3');
  });
});

describe('sheets', () => {
  it('only a fresh sheet takes a new job; a job that reached PLOTTING uses it; a failed pre-flight does not', () => {
    expect(beforeNewJob('unknown')).toBe('change_paper');
    expect(beforeNewJob('used')).toBe('change_paper');
    expect(beforeNewJob('fresh')).toBe('plot');
    expect(afterJob('fresh', true)).toBe('used');
    expect(afterJob('fresh', false)).toBe('fresh');
    expect(armedSheetMetadata('button')).toEqual({
      sheet: 'changed',
      paper_confirmed_by: 'button',
    });
    expect(armedSheetMetadata('page_delay')).toEqual({
      sheet: 'page_delay',
      paper_confirmed_by: 'page_delay',
    });
  });
});

/** A board whose PRG button latch is `presses` (read and cleared by QB, as the EBB does). */
function buttonBoard(pressedAt: number[]) {
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    ebb: { queryButton: async () => pressedAt.includes(reads++) } as unknown as Ebb,
  };
}

describe('waitForPaper', () => {
  const never = new Promise<never>(() => {});

  it('clears the button latch first: a press from before the wait is no paper change', async () => {
    const board = buttonBoard([0, 3]);
    await expect(
      waitForPaper({
        ebb: board.ebb,
        confirmed: never,
        signal: new AbortController().signal,
        pollMs: 1,
      }),
    ).resolves.toBe('button');
    expect(board.reads).toBe(4);
  });

  it("ends on a face's confirmation, or null when called off", async () => {
    const board = buttonBoard([]);
    await expect(
      waitForPaper({
        ebb: board.ebb,
        confirmed: Promise.resolve('enter'),
        signal: new AbortController().signal,
        pollMs: 1,
      }),
    ).resolves.toBe('enter');
    const ctl = new AbortController();
    const waiting = waitForPaper({
      ebb: board.ebb,
      confirmed: never,
      signal: ctl.signal,
      pollMs: 5,
    });
    ctl.abort();
    await expect(waiting).resolves.toBeNull();
  });

  it('unattended: the page delay alone, without touching the plotter', async () => {
    await expect(
      waitForPaper({
        pageDelayMs: 0,
        confirmed: never,
        signal: new AbortController().signal,
        pollMs: 1,
      }),
    ).resolves.toBe('page_delay');
    const ctl = new AbortController();
    const waiting = waitForPaper({
      pageDelayMs: 60_000,
      confirmed: never,
      signal: ctl.signal,
      pollMs: 1,
    });
    ctl.abort();
    await expect(waiting).resolves.toBeNull();
  });
});
