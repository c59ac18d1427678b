/**
 * The words of a queue row (src-renderer/src/app/queue/story.ts): what the engine journaled, said
 * so the part that matters is read first. The buttons' words are checked in the browser
 * (app-rows.test.ts): actions.ts reaches the page's API client, which needs the DOM.
 */
import { describe, expect, it } from 'vitest';
import type { JobCondition } from '../src-main/recovery/classify';
import { misfitWords, pauseWords, rowStory } from '../src-renderer/src/app/queue/story';

const job = {
  state: 'ANALYZED',
  last_reason: 'SVG analyzed: 1 layer(s), 1 path(s)',
  pen_down_mm: null,
  source_name: 'tall.svg',
};
const interrupted = (pen_down_mm: number): JobCondition => ({
  id: 'j',
  state: 'PLOTTING',
  kind: 'interrupted',
  cause: 'crash',
  checkpoint: { move: 9, layer: 0, path: 1, point: 2, steps: [0, 0], pen_down_mm },
});

describe('a row says why', () => {
  it("puts how far past which edge first, and names the plotter's reach when that is the edge", () => {
    expect(
      misfitWords(
        'w.svg: the drawing (270 × 201.7 mm) does not fit A4 landscape on an AxiDraw V3/A4 (drawable 297 × 210 mm): 1.7 mm beyond the bottom edge. Use --fit center or --fit scale, or another --paper.',
      ),
    ).toBe('1.7 mm beyond the bottom edge of A4 landscape');
    expect(
      misfitWords(
        't.svg: the drawing (150 × 278.7 mm) does not fit A4 portrait on an AxiDraw V3/A4 (drawable 210 × 218 mm): 80.7 mm beyond the bottom edge. Use --fit center or --fit scale, or another --paper. The plotter reaches only 300 × 218 mm of this paper; if yours is a larger model, set device.model in config.yaml.',
      ),
    ).toBe('80.7 mm beyond the bottom edge of what the plotter reaches on A4 portrait');
    expect(
      misfitWords(
        'p.svg: the drawing (500 × 400 mm) is larger than A4 landscape on an AxiDraw V3/A4 (drawable 297 × 210 mm). Use --fit scale to scale it down, or a larger --paper.',
      ),
    ).toBe('larger than A4 landscape (drawable 297 × 210 mm)');
    expect(misfitWords('not a placement message')).toBeUndefined();
  });

  it('tells a misfit only while the job is still unplanned, and any other problem the page was told', () => {
    const misfit =
      'tall.svg: the drawing (1 × 2 mm) does not fit A4 portrait on an AxiDraw V3/A4 (drawable 210 × 297 mm): 3 mm beyond the top edge. Use --fit center.';
    expect(rowStory(job, undefined, misfit)).toEqual({
      text: 'Does not fit: 3 mm beyond the top edge of A4 portrait',
      tone: 'error',
      title: misfit,
    });
    expect(rowStory({ ...job, state: 'READY' }, undefined, misfit)).toBeUndefined();
    expect(rowStory({ ...job, state: 'READY' }, undefined, 'no AxiDraw found')).toMatchObject({
      text: 'no AxiDraw found',
      tone: 'error',
    });
    expect(rowStory(job, undefined, undefined)).toMatchObject({
      text: 'Not planned: choose paper and fit with Plan…',
      tone: 'warn',
    });
  });

  it('says what a paused plot waits for, the instruction first', () => {
    expect(
      pauseWords('pen change before layer 2 (red, pen 2): load pen 2 (red: 0.3 fineliner)'),
    ).toBe('Pen change: load pen 2 (red: 0.3 fineliner)');
    expect(pauseWords('pause before layer 3 (3 blue): get ready for layer 3 blue')).toBe(
      'Layer pause: get ready for layer 3 blue',
    );
    expect(pauseWords('pause button pressed')).toBe('Paused: pause button pressed');
    expect(pauseWords(undefined)).toBe('Paused');
  });

  it('says how far an interrupted plot got by its ink, and why it stopped in the title', () => {
    const story = rowStory(
      { ...job, state: 'PLOTTING', pen_down_mm: 60 },
      interrupted(23.4),
      undefined,
    );
    expect(story).toMatchObject({ text: 'Interrupted at 39 % — needs recovery', tone: 'warn' });
    expect(story!.title).toMatch(/ended without a word/);
    expect(
      rowStory({ ...job, state: 'PLOTTING', pen_down_mm: null }, interrupted(5), undefined)!.text,
    ).toBe('Interrupted — needs recovery');
  });

  it('drops the file name the row already shows from a failure', () => {
    expect(
      rowStory(
        {
          ...job,
          state: 'FAILED',
          last_reason: 'tall.svg: the file is empty — it is not an SVG drawing.',
        },
        undefined,
        undefined,
      ),
    ).toEqual({
      text: 'the file is empty — it is not an SVG drawing.',
      tone: 'error',
      title: 'tall.svg: the file is empty — it is not an SVG drawing.',
    });
  });
});
