import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../src-main/config/config';
import { planSettings } from '../src-main/jobs/prepare';
import {
  boundsOf,
  fitToPaper,
  paperNameOf,
  parsePaper,
  placeDrawing,
  PLOTTER_TRAVEL,
  turnDrawing,
  type PlaceOptions,
} from '../src-main/plan/paper';
import type { Drawing } from '../src-main/svg/types';
import { read, SVG_NS } from './svg-helpers';

function drawing(...paths: number[][]): Drawing {
  return {
    widthMm: 297,
    heightMm: 210,
    layers: [
      {
        name: 'l',
        pen: null,
        pauseBefore: false,
        color: null,
        source: 'document',
        paths: paths.map((p) => Float64Array.from(p)),
      },
    ],
    skippedLayers: [],
    warnings: [],
    stats: {
      elements: 1,
      paths: paths.length,
      points: paths.reduce((n, p) => n + p.length / 2, 0),
    },
  };
}

describe('parsePaper', () => {
  it('knows names in any case, with orientation', () => {
    expect(parsePaper('a4')).toEqual({ name: 'A4 portrait', widthMm: 210, heightMm: 297 });
    expect(parsePaper('A4', 'landscape')).toEqual({
      name: 'A4 landscape',
      widthMm: 297,
      heightMm: 210,
    });
    expect(parsePaper('letter', 'landscape')).toMatchObject({ widthMm: 279.4, heightMm: 215.9 });
  });

  it('reads W×H in mm, cm and inches', () => {
    expect(parsePaper('200x150')).toMatchObject({ widthMm: 200, heightMm: 150 });
    const cm = parsePaper('21 x 29.7 cm');
    expect([cm.widthMm, cm.heightMm]).toEqual([210, expect.closeTo(297, 9)]);
    const inches = parsePaper('8.5x11in');
    expect([inches.widthMm, inches.heightMm]).toEqual([
      expect.closeTo(215.9, 9),
      expect.closeTo(279.4, 9),
    ]);
    expect(inches.name).toBe('215.9 × 279.4 mm');
  });

  it('names the valid choices for an unknown paper', () => {
    expect(() => parsePaper('A11')).toThrow(/Unknown paper 'A11'.*A4.*8\.5x11in/);
    expect(() => parsePaper('0x10')).toThrow(/Unknown paper/);
  });
});

describe('fitToPaper', () => {
  const a4l = parsePaper('A4', 'landscape');

  it('keeps coordinates that fit the sheet and the carriage', () => {
    const r = fitToPaper(drawing([10, 10, 200, 150]), {
      paper: a4l,
      model: 'V3/A4',
      marginMm: 10,
      fit: 'none',
    });
    expect(r.scale).toBe(1);
    expect(Array.from(r.layers[0]!.paths[0]!)).toEqual([10, 10, 200, 150]);
    expect(r.area).toEqual({ widthMm: 297, heightMm: 210 });
  });

  it('refuses a misfit, saying by how much and what to do', () => {
    const tall = parsePaper('A4', 'portrait');
    // A4 portrait is 297 mm tall but a V3/A4 reaches only 218 mm across its rail.
    expect(() =>
      fitToPaper(drawing([10, 10, 100, 250]), {
        paper: tall,
        model: 'V3/A4',
        marginMm: 10,
        fit: 'none',
        fileName: 'x.svg',
      }),
    ).toThrow(
      /x\.svg: the drawing \(90 × 240 mm\) does not fit A4 portrait on an AxiDraw V3\/A4 \(drawable 210 × 218 mm\): 32 mm beyond the bottom edge\. Use --fit center or --fit scale.*reaches only 300 × 218 mm.*device\.model/,
    );
    expect(() =>
      fitToPaper(drawing([-5, 10, 300, 20]), {
        paper: a4l,
        model: 'V3/A3',
        marginMm: 10,
        fit: 'none',
      }),
    ).toThrow(/5 mm beyond the left edge, 3 mm beyond the right edge/);
  });

  it('centres without scaling, and refuses when too big to centre', () => {
    const r = fitToPaper(drawing([0, 0, 100, 50]), {
      paper: a4l,
      model: 'V3/A4',
      marginMm: 10,
      fit: 'center',
    });
    expect(boundsOf(r.layers)).toEqual({ minX: 98.5, minY: 80, maxX: 198.5, maxY: 130 });
    expect(() =>
      fitToPaper(drawing([0, 0, 400, 50]), {
        paper: a4l,
        model: 'V3/A4',
        marginMm: 10,
        fit: 'center',
      }),
    ).toThrow(/--fit scale/);
  });

  it('scales down (never up) into the margins, keeping the aspect ratio', () => {
    const r = fitToPaper(drawing([0, 0, 594, 420]), {
      paper: a4l,
      model: 'V3/A4',
      marginMm: 10,
      fit: 'scale',
    });
    const b = boundsOf(r.layers)!;
    expect(r.scale).toBeCloseTo(Math.min(277 / 594, 190 / 420), 12);
    expect(b.maxX - b.minX).toBeCloseTo(594 * r.scale, 9);
    expect(b.minX).toBeGreaterThanOrEqual(10 - 1e-9);
    expect(b.minY).toBeGreaterThanOrEqual(10 - 1e-9);
    expect(b.maxY).toBeLessThanOrEqual(200 + 1e-9);
    const small = fitToPaper(drawing([0, 0, 10, 10]), {
      paper: a4l,
      model: 'V3/A4',
      marginMm: 10,
      fit: 'scale',
    });
    expect(small.scale).toBe(1);
  });

  it('knows every model in the AxiDraw table', () => {
    expect(Object.keys(PLOTTER_TRAVEL).sort()).toEqual([
      'MiniKit',
      'SE/A1',
      'SE/A2',
      'SE/A3',
      'V3 XLX',
      'V3/A3',
      'V3/A4',
    ]);
    expect(PLOTTER_TRAVEL['V3/A3']).toEqual([430, 297]);
  });
});

/** A portrait document (A4 unless told) holding these paths. */
function portrait(widthMm: number, heightMm: number, ...paths: number[][]): Drawing {
  return { ...drawing(...paths), widthMm, heightMm };
}

describe('auto_rotate', () => {
  const a4 = { paper: 'A4', model: 'V3/A4', marginMm: 10, fit: 'none', autoRotate: true } as const;

  it('turns counter-clockwise: the top edge goes to the left, the document swaps width and height', () => {
    const turned = turnDrawing(portrait(210, 297, [0, 0, 210, 0, 210, 297]));
    expect([turned.widthMm, turned.heightMm]).toEqual([297, 210]);
    // top-left → bottom-left, top-right → top-left, bottom-right → top-right
    expect(Array.from(turned.layers[0]!.paths[0]!)).toEqual([0, 210, 0, 0, 297, 0]);
  });

  it('turns a portrait A4 drawing that the A4 carriage cannot reach upright, onto A4 landscape', () => {
    const d = portrait(210, 297, [5, 5, 200, 5, 200, 290, 5, 290, 5, 5]);
    const placed = placeDrawing(d, a4);
    expect(placed.rotated).toBe(true);
    expect(placed.paper.name).toBe('A4 landscape');
    expect(placed.fitted.scale).toBe(1);
    expect(placed.fitted.bounds).toEqual({ minX: 5, minY: 10, maxX: 290, maxY: 205 });
    expect(() => placeDrawing(d, { ...a4, autoRotate: false })).toThrow(
      /does not fit A4 portrait.*beyond the bottom edge/,
    );
  });

  it('turns a portrait document even when it would fit upright, as AxiDraw does; --no-auto-rotate keeps it upright', () => {
    const d = portrait(210, 297, [10, 10, 100, 200]);
    const placed = placeDrawing(d, a4);
    expect(placed).toMatchObject({ rotated: true, paper: { name: 'A4 landscape' } });
    expect(placed.fitted.bounds).toEqual({ minX: 10, minY: 110, maxX: 200, maxY: 200 });
    expect(placeDrawing(d, { ...a4, autoRotate: false })).toMatchObject({
      rotated: false,
      paper: { name: 'A4 portrait' },
    });
  });

  it('leaves a landscape document upright, and a square one', () => {
    expect(placeDrawing(drawing([10, 10, 280, 200]), a4)).toMatchObject({
      rotated: false,
      paper: { name: 'A4 landscape' },
    });
    expect(
      placeDrawing({ ...drawing([10, 10, 150, 150]), widthMm: 200, heightMm: 200 }, a4).rotated,
    ).toBe(false);
  });

  it('keeps a portrait document upright when only upright fits the sheet', () => {
    const placed = placeDrawing(portrait(200, 290, [0, 0, 200, 290]), {
      ...a4,
      paper: '200x290mm',
      model: 'SE/A3',
    });
    expect(placed).toMatchObject({ rotated: false, paper: { widthMm: 200, heightMm: 290 } });
  });

  it('with --fit scale, turns only when that shrinks the drawing less', () => {
    const tall = portrait(210, 297, [0, 0, 210, 297]);
    const upright = placeDrawing(tall, { ...a4, fit: 'scale', autoRotate: false });
    const turned = placeDrawing(tall, { ...a4, fit: 'scale' });
    expect(turned.rotated).toBe(true);
    expect(turned.fitted.scale).toBeGreaterThan(upright.fitted.scale);
    const wide = placeDrawing(
      { ...drawing([0, 0, 500, 300]), widthMm: 500, heightMm: 300 },
      { ...a4, fit: 'scale' },
    );
    expect(wide.rotated).toBe(false);
  });

  it('keeps an explicit orientation for the sheet and says why when neither way fits', () => {
    const placed = placeDrawing(portrait(210, 297, [5, 5, 200, 290]), {
      ...a4,
      orientation: 'landscape',
    });
    expect(placed).toMatchObject({ rotated: true, paper: { name: 'A4 landscape' } });
    expect(() => placeDrawing(portrait(600, 800, [0, 0, 600, 800]), a4)).toThrow(
      /the drawing \(600 × 800 mm\) does not fit A4 portrait/,
    );
  });
});

/** An SVG with this root size and a path through these user-unit points. */
function svgDoc(size: string, d: string): Drawing {
  return read(`<svg xmlns="${SVG_NS}" ${size}><path d="${d}" stroke="black" fill="none"/></svg>`);
}

describe('paper from the document', () => {
  const doc: PlaceOptions = {
    paper: 'document',
    model: 'V3/A4',
    marginMm: 10,
    fit: 'none',
    autoRotate: false,
  };

  it('names the page when it is a standard size, within a millimetre either way round', () => {
    expect(paperNameOf(279.4, 215.9)).toBe('Letter');
    expect(paperNameOf(210.8, 296.2)).toBe('A4');
    expect(paperNameOf(355.6, 215.9)).toBe('Legal');
    expect(paperNameOf(431.8, 279.4)).toBe('Tabloid');
    expect(paperNameOf(148, 210)).toBe('A5');
    expect(paperNameOf(420, 297)).toBe('A3');
    expect(paperNameOf(212, 297)).toBeUndefined();
    expect(paperNameOf(200, 150)).toBeUndefined();
  });

  it('a Letter page in inches is the sheet: ink 213 mm down fits Letter where A4 refused it', () => {
    const letter = svgDoc('width="11in" height="8.5in" viewBox="0 0 11 8.5"', 'M 1 1 L 10 8.4');
    expect(letter.physicalSize).toBe(true);
    const placed = placeDrawing(letter, doc);
    expect(placed.paper).toEqual({ name: 'Letter landscape', widthMm: 279.4, heightMm: 215.9 });
    expect(() => placeDrawing(letter, { ...doc, paper: 'A4' })).toThrow(
      /does not fit A4 landscape.*3\.4 mm beyond the bottom edge/,
    );
  });

  it('reads the page in mm, cm and pt', () => {
    expect(
      placeDrawing(svgDoc('width="297mm" height="210mm"', 'M 10 10 L 100 100'), doc).paper.name,
    ).toBe('A4 landscape');
    expect(
      placeDrawing(svgDoc('width="42cm" height="29.7cm"', 'M 10 10 L 100 100'), {
        ...doc,
        model: 'V3/A3',
      }).paper.name,
    ).toBe('A3 landscape');
    expect(
      placeDrawing(svgDoc('width="612pt" height="792pt"', 'M 10 10 L 100 100'), doc).paper,
    ).toEqual({ name: 'Letter portrait', widthMm: 215.9, heightMm: 279.4 });
    expect(
      placeDrawing(svgDoc('width="148mm" viewBox="0 0 148 210"', 'M 10 10 L 100 100'), doc).paper
        .name,
    ).toBe('A5 portrait');
  });

  it('a custom page is used at its size', () => {
    const placed = placeDrawing(
      svgDoc('width="200mm" height="150mm" viewBox="0 0 200 150"', 'M 10 10 L 195 145'),
      doc,
    );
    expect(placed.paper).toEqual({ name: '200 × 150 mm', widthMm: 200, heightMm: 150 });
    expect(() =>
      placeDrawing(
        svgDoc('width="200mm" height="150mm" viewBox="0 0 200 150"', 'M 10 10 L 205 145'),
        doc,
      ),
    ).toThrow(/does not fit 200 × 150 mm on an AxiDraw V3\/A4.*5 mm beyond the right edge/);
  });

  it('a drawing in px, in %, or without a size plots on A4, even when its px page is Letter-sized', () => {
    for (const size of [
      'width="1056" height="816"',
      'width="1056px" height="816px"',
      'width="100%" height="100%" viewBox="0 0 1056 816"',
      '',
    ]) {
      const d = svgDoc(size, 'M 10 10 L 1000 700');
      expect(d.physicalSize, size).toBeUndefined();
      expect(placeDrawing(d, doc).paper.name, size).toBe('A4 landscape');
    }
    expect(
      placeDrawing(svgDoc('width="1056" height="8.5in"', 'M 10 10 L 1000 700'), doc).paper.name,
    ).toBe('A4 landscape');
  });

  it('turns a portrait Letter document onto Letter landscape with auto_rotate', () => {
    const placed = placeDrawing(
      svgDoc('width="8.5in" height="11in" viewBox="0 0 8.5 11"', 'M 1 1 L 8 10'),
      { ...doc, autoRotate: true },
    );
    expect(placed).toMatchObject({
      rotated: true,
      paper: { name: 'Letter landscape', widthMm: 279.4, heightMm: 215.9 },
    });
  });

  it('is the config default; a size in config or --paper wins', () => {
    expect(defaultConfig().paper.default_size).toBe('document');
    expect(planSettings(defaultConfig()).paper).toBe('document');
    const a3 = parseConfig('paper:\n  default_size: A3\n', 'config.yaml').config;
    expect(planSettings(a3).paper).toBe('A3');
    expect(planSettings(a3, { paper: 'Letter' }).paper).toBe('Letter');
    expect(planSettings(defaultConfig(), { paper: 'A4' }).paper).toBe('A4');
    const letter = svgDoc('width="11in" height="8.5in" viewBox="0 0 11 8.5"', 'M 1 1 L 10 8');
    expect(
      placeDrawing(letter, { ...doc, paper: planSettings(a3).paper, model: 'V3/A3' }).paper.name,
    ).toBe('A3 landscape');
  });

  it('refuses a paper setting that names no sheet, saying what it may be', () => {
    expect(() => parseConfig('paper:\n  default_size: A11\n', 'config.yaml')).toThrow(
      /default_size.*must be 'document'.*210x297mm/,
    );
    expect(
      parseConfig('paper:\n  default_size: Document\n', 'config.yaml').config.paper.default_size,
    ).toBe('Document');
  });
});
