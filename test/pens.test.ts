/** Which changes of layer number pause for a pen swap (config plot.pen_change, pens:), through buildPlan. */
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../src-main/config/config';
import { planSettings } from '../src-main/jobs/prepare';
import { buildPlan } from '../src-main/plan/build';
import type { PlanSettings } from '../src-main/plan/plan-file';
import { readSvg } from '../src-main/svg/read';

/** Layers as [label, stroke colour]: one short stroke each, on a landscape A4 page. */
function svg(layers: [string, string][]): string {
  const body = layers
    .map(
      ([label, color], i) =>
        `<g inkscape:groupmode="layer" inkscape:label="${label}"><path d="M 20 ${20 + i * 10} h 50" fill="none" stroke="${color}"/></g>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="297mm" height="210mm" viewBox="0 0 297 210">${body}</svg>`;
}

/** Each layer's planned pause, as [name, pause]. */
function pauses(
  layers: [string, string][],
  settings: Partial<PlanSettings> = {},
): [string, string | null][] {
  const built = buildPlan(readSvg(svg(layers)), {
    job: 'j',
    settings: planSettings(defaultConfig(), settings),
    device: defaultConfig().device,
    fileName: 'j.svg',
  });
  if (!('plan' in built)) throw new Error(built.unfit);
  return built.plan.layers.map((l) => [l.name, l.pause]);
}

describe('plot.pen_change', () => {
  it('is auto by default: layers of one colour plot straight through, whatever their numbers', () => {
    expect(defaultConfig().plot.pen_change).toBe('auto');
    expect(
      pauses([
        ['1-outline', 'black'],
        ['2+S75', 'black'],
        ['3 more', '#000'],
      ]),
    ).toEqual([
      ['1-outline', null],
      ['2+S75', null],
      ['3 more', null],
    ]);
  });

  it('auto pauses where consecutive layers carry different colours, and only there', () => {
    expect(
      pauses([
        ['1-black', 'black'],
        ['2-red', 'red'],
        ['3-red', 'red'],
        ['4-black', 'black'],
      ]),
    ).toEqual([
      ['1-black', null],
      ['2-red', 'pen_change'],
      ['3-red', null],
      ['4-black', 'pen_change'],
    ]);
  });

  it('auto follows the pen map over the colours: different pens pause, one pen mapped twice does not', () => {
    const layers: [string, string][] = [
      ['1-a', 'black'],
      ['2-b', 'black'],
      ['3-c', 'red'],
    ];
    expect(
      pauses(layers, {
        penChange: 'auto',
        pens: { '1': 'fineliner', '2': 'brush pen', '3': 'brush pen' },
      }),
    ).toEqual([
      ['1-a', null],
      ['2-b', 'pen_change'],
      ['3-c', null],
    ]);
  });

  it('pause stops at every change of layer number (the old behaviour); ignore never does', () => {
    const layers: [string, string][] = [
      ['1-a', 'black'],
      ['2-b', 'black'],
      ['2-c', 'red'],
    ];
    expect(pauses(layers, { penChange: 'pause' })).toEqual([
      ['1-a', null],
      ['2-b', 'pen_change'],
      ['2-c', null],
    ]);
    expect(
      pauses(
        [
          ['1-black', 'black'],
          ['2-red', 'red'],
        ],
        { penChange: 'ignore' },
      ),
    ).toEqual([
      ['1-black', null],
      ['2-red', null],
    ]);
  });

  it('a ! layer always pauses, in every mode', () => {
    for (const penChange of ['auto', 'pause', 'ignore'] as const) {
      expect(
        pauses(
          [
            ['1-a', 'black'],
            ['!2-b', 'black'],
          ],
          { penChange },
        ),
      ).toEqual([
        ['1-a', null],
        ['!2-b', 'layer_pause'],
      ]);
    }
  });

  it('the plan carries the mapped pen of each layer for the pause prompt', () => {
    const built = buildPlan(
      readSvg(
        svg([
          ['1-a', 'black'],
          ['2-b', 'red'],
        ]),
      ),
      {
        job: 'j',
        settings: planSettings(defaultConfig(), { pens: { '2': '0.3 red fineliner' } }),
        device: defaultConfig().device,
        fileName: 'j.svg',
      },
    );
    expect('plan' in built && built.plan.layers.map((l) => l.penName)).toEqual([
      undefined,
      '0.3 red fineliner',
    ]);
  });
});

describe('config plot: and pens:', () => {
  const parseConfigText = (text: string) => parseConfig(text, 'config.yaml').config;
  it('reads the mode and a pen map with numeric keys, and refuses a key that is no layer number', () => {
    const c = parseConfigText(
      'plot:\n  pen_change: ignore\npens:\n  1: 0.3 black fineliner\n  2: red\n',
    );
    expect(c.plot.pen_change).toBe('ignore');
    expect(planSettings(c)).toMatchObject({
      penChange: 'ignore',
      pens: { '1': '0.3 black fineliner', '2': 'red' },
    });
    expect(() => parseConfigText('pens:\n  black: fineliner\n')).toThrow(
      /pens\.black.*layer number/,
    );
    expect(() => parseConfigText('plot:\n  pen_change: sometimes\n')).toThrow(
      /auto, pause, ignore/,
    );
  });
});
