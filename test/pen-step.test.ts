/** A paused plot's step from its journal entry to the words the app shows; the Now-plotting bar's layer and start time. */
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../src-main/jobs/journal';
import { pauseStepOf } from '../src-main/recovery/classify';
import { layerText, plotStartedAt } from '../src-renderer/src/app/now/nowText';
import { pauseStepText } from '../src-renderer/src/app/queue/pauseStep';

const PEN_CHANGE = {
  checkpoint: { move: 12 },
  kind: 'pen_change',
  layer: 1,
  layers: 3,
  pen: 2,
  load: 'load pen 2 (2-black)',
};

describe('the pause step', () => {
  it('is read from the PAUSED entry the runner writes, and said as the layer of the plan and the pen to load', () => {
    const step = pauseStepOf(PEN_CHANGE);
    expect(step).toEqual({
      kind: 'pen_change',
      layer: 1,
      layers: 3,
      pen: 2,
      load: 'load pen 2 (2-black)',
    });
    expect(
      pauseStepText({ id: 'a', state: 'PAUSED', kind: 'interrupted', cause: 'paused', step }),
    ).toBe('Layer 2 of 3 · load pen 2 (2-black)');
    expect(
      pauseStepText({ id: 'a', state: 'PAUSED', kind: 'interrupted', cause: 'paused' }),
    ).toBeUndefined();
  });

  it('is none for a pause-button pause or an entry that does not hold a whole step (a journal edited by hand)', () => {
    expect(pauseStepOf({ checkpoint: { move: 3 } })).toBeUndefined();
    expect(pauseStepOf({ ...PEN_CHANGE, layer: 3 })).toBeUndefined();
    expect(pauseStepOf({ ...PEN_CHANGE, layer: -1 })).toBeUndefined();
    expect(pauseStepOf({ ...PEN_CHANGE, pen: 'two' })).toBeUndefined();
    expect(pauseStepOf({ ...PEN_CHANGE, load: undefined })).toBeUndefined();
    expect(pauseStepOf({ ...PEN_CHANGE, kind: 'coffee' })).toBeUndefined();
    expect(pauseStepOf(undefined)).toBeUndefined();
    expect(
      pauseStepOf({
        ...PEN_CHANGE,
        kind: 'layer_pause',
        pen: null,
        load: 'get ready for layer notes',
      }),
    ).toMatchObject({ pen: null });
  });
});

describe('the Now-plotting bar', () => {
  it('names the layer with its pen, or its name alone when it has no number', () => {
    const layers = [
      { name: '1-black', pen: 1 },
      { name: '#ff0000', pen: null },
    ];
    expect(layerText(layers, 0)).toBe('Layer 1 of 2 · pen 1 (1-black)');
    expect(layerText(layers, 1)).toBe('Layer 2 of 2 · #ff0000');
    expect(layerText(layers, null)).toBeUndefined();
    expect(layerText(layers, 2)).toBeUndefined();
  });

  it('counts elapsed time from the last start from READY or QUEUED, through pauses and resumes', () => {
    const at = (to: string, from: string | null, timestamp?: string) =>
      ({
        type: 'state_change',
        from_state: from,
        to_state: to,
        reason: '',
        metadata: {},
        ...(timestamp && { timestamp }),
      }) as JournalEntry;
    const history = [
      at('READY', 'OPTIMIZED', '2026-12-04T10:00:00.000Z'),
      at('ARMED', 'READY', '2026-12-04T10:01:00.000Z'),
      at('PLOTTING', 'ARMED', '2026-12-04T10:01:01.000Z'),
      at('PAUSED', 'PLOTTING', '2026-12-04T10:05:00.000Z'),
      at('ARMED', 'PAUSED', '2026-12-04T10:09:00.000Z'),
      at('PLOTTING', 'ARMED', '2026-12-04T10:09:01.000Z'),
    ];
    expect(plotStartedAt(history)).toBe(Date.parse('2026-12-04T10:01:00.000Z'));
    expect(plotStartedAt(history.slice(0, 1))).toBeUndefined();
    expect(plotStartedAt([at('ARMED', 'QUEUED')])).toBeUndefined();
  });
});
