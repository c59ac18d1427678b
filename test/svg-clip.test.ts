/** Clip paths applied to the plotted lines, conditional processing (switch), CSS combinators. */
import { describe, expect, it } from 'vitest';
import { ClipStack, clipPolylines, EdgeGrid } from '../src-main/svg/clip';
import { allPaths, expectSvgError, mmDoc, points, polyLength, read } from './svg-helpers';

const total = (svg: string): number => allPaths(read(svg)).reduce((s, p) => s + polyLength(p), 0);
const rounded = (svg: string): number[][][] =>
  allPaths(read(svg)).map((p) =>
    points(p).map(([x, y]) => [Number(x.toFixed(6)), Number(y.toFixed(6))]),
  );
const square = (x0: number, y0: number, x1: number, y1: number): Float64Array =>
  Float64Array.from([x0, y0, x1, y0, x1, y1, x0, y1, x0, y0]);
const HLINE = '<line x1="0" y1="50" x2="100" y2="50" stroke="black"/>';

describe('clip geometry', () => {
  const clip = ClipStack.of(null, {
    areas: [{ grid: new EdgeGrid([square(20, 20, 80, 80)]), rule: 'nonzero', within: [] }],
    within: [],
  });

  it('a polyline entering and leaving several times keeps exactly the parts inside', () => {
    const zigzag = Float64Array.from([0, 10, 30, 90, 50, 10, 70, 90, 100, 10]);
    const pieces = clipPolylines([zigzag], clip).map((p) =>
      points(p).map(([x, y]) => [Number(x.toFixed(9)), Number(y.toFixed(9))]),
    );
    expect(pieces).toEqual([
      [
        [20, 63.333333333],
        [26.25, 80],
      ],
      [
        [32.5, 80],
        [47.5, 20],
      ],
      [
        [52.5, 20],
        [67.5, 80],
      ],
      [
        [73.75, 80],
        [80, 63.333333333],
      ],
    ]);
  });

  it('endpoints on the boundary and vertices on it are exact', () => {
    const touching = Float64Array.from([20, 50, 50, 50, 50, 20, 50, 0]);
    expect(clipPolylines([touching], clip).map(points)).toEqual([
      [
        [20, 50],
        [50, 50],
        [50, 20],
      ],
    ]);
    const along = Float64Array.from([0, 20, 100, 20]);
    expect(clipPolylines([along], clip).every((p) => p.length >= 4)).toBe(true);
    const outside = Float64Array.from([0, 0, 10, 10]);
    expect(clipPolylines([outside], clip)).toEqual([]);
  });

  it('a closed ring cut once stays one stroke', () => {
    const ring = square(50, 30, 90, 70);
    const pieces = clipPolylines([ring], clip);
    expect(pieces).toHaveLength(1);
    expect(polyLength(pieces[0]!)).toBeCloseTo(30 + 40 + 30, 9);
  });
});

describe('clip paths', () => {
  it('a rect clip in user space keeps only the inside', () => {
    expect(
      rounded(
        mmDoc(
          `<clipPath id="c"><rect x="20" y="0" width="50" height="100"/></clipPath><g clip-path="url(#c)">${HLINE}</g>`,
        ),
      ),
    ).toEqual([
      [
        [20, 50],
        [70, 50],
      ],
    ]);
  });

  it('a circle clip cuts a line to its chord', () => {
    expect(
      total(
        mmDoc(
          `<defs><clipPath id="c"><circle cx="50" cy="50" r="20"/></clipPath></defs>${HLINE.replace('/>', ' clip-path="url(#c)"/>')}`,
        ),
      ),
    ).toBeCloseTo(40, 1);
  });

  it('clip-rule evenodd makes a frame of a path with two squares, nonzero does not', () => {
    const frame = (rule: string) =>
      mmDoc(
        `<clipPath id="c"><path clip-rule="${rule}" d="M10 10 H90 V90 H10 Z M30 30 H70 V70 H30 Z"/></clipPath><g clip-path="url(#c)">${HLINE}</g>`,
      );
    expect(rounded(frame('evenodd'))).toEqual([
      [
        [10, 50],
        [30, 50],
      ],
      [
        [70, 50],
        [90, 50],
      ],
    ]);
    expect(rounded(frame('nonzero'))).toEqual([
      [
        [10, 50],
        [90, 50],
      ],
    ]);
    // Inherited from the clipPath element.
    expect(
      rounded(
        frame('inherit').replace('<clipPath id="c">', '<clipPath id="c" clip-rule="evenodd">'),
      ),
    ).toHaveLength(2);
  });

  it('several shapes in one clipPath clip to their union', () => {
    expect(
      rounded(
        mmDoc(
          `<clipPath id="c"><rect x="10" y="0" width="30" height="100"/><rect x="30" y="0" width="30" height="100"/><rect x="80" y="0" width="10" height="100"/></clipPath><g clip-path="url(#c)">${HLINE}</g>`,
        ),
      ),
    ).toEqual([
      [
        [10, 50],
        [60, 50],
      ],
      [
        [80, 50],
        [90, 50],
      ],
    ]);
  });

  it("the clipPath's transform, its children's and the clipped element's all apply", () => {
    const svg = mmDoc(
      `<clipPath id="c" transform="translate(10 0)"><rect transform="scale(2 1)" x="5" y="0" width="10" height="100"/></clipPath>` +
        `<g transform="translate(0 10)"><line transform="scale(2)" x1="0" y1="20" x2="50" y2="20" clip-path="url(#c)"/></g>`,
    );
    // The clip sits in the line's user space (scaled by 2): x in [20, 40] there, [40, 80] on paper.
    expect(rounded(svg)).toEqual([
      [
        [40, 50],
        [80, 50],
      ],
    ]);
  });

  it('objectBoundingBox clips to a fraction of the clipped element’s box', () => {
    const svg = mmDoc(
      `<clipPath id="c" clipPathUnits="objectBoundingBox"><rect x="0.25" y="0" width="0.5" height="1"/></clipPath>` +
        `<g clip-path="url(#c)" transform="translate(0 5)"><line x1="10" y1="40" x2="90" y2="40"/><line x1="10" y1="60" x2="50" y2="60"/></g>`,
    );
    expect(rounded(svg)).toEqual([
      [
        [30, 45],
        [70, 45],
      ],
      [
        [30, 65],
        [50, 65],
      ],
    ]);
  });

  it('nested clips intersect: clip-path on the clipPath, on its child, and on an ancestor group', () => {
    const svg = mmDoc(
      `<clipPath id="wide"><rect x="10" y="0" width="80" height="100"/></clipPath>` +
        `<clipPath id="left" clip-path="url(#wide)"><rect x="0" y="0" width="60" height="100"/></clipPath>` +
        `<clipPath id="child"><rect x="20" y="0" width="100" height="100" clip-path="url(#left)"/></clipPath>` +
        `<clipPath id="outer"><rect x="0" y="0" width="50" height="100"/></clipPath>` +
        `<g clip-path="url(#outer)"><line x1="0" y1="50" x2="100" y2="50" clip-path="url(#left)"/><line x1="0" y1="60" x2="100" y2="60" clip-path="url(#child)"/></g>`,
    );
    expect(rounded(svg)).toEqual([
      [
        [10, 50],
        [50, 50],
      ],
      [
        [20, 60],
        [50, 60],
      ],
    ]);
  });

  it('clips on use elements move with x and y, and use inside a clipPath draws its shape', () => {
    const svg = mmDoc(
      `<defs><rect id="r" x="0" y="0" width="20" height="100"/><line id="l" x1="0" y1="50" x2="100" y2="50"/></defs>` +
        `<clipPath id="c"><use href="#r" x="10"/></clipPath>` +
        `<use href="#l" x="5" clip-path="url(#c)"/>`,
    );
    // Clip x ∈ [10, 30] in the use's space, which is shifted by 5.
    expect(rounded(svg)).toEqual([
      [
        [15, 50],
        [35, 50],
      ],
    ]);
  });

  it('url(#id) works from style="" and from a stylesheet', () => {
    const clip = '<clipPath id="c"><rect x="20" y="0" width="50" height="100"/></clipPath>';
    expect(rounded(mmDoc(`${clip}<g style="clip-path: url('#c')">${HLINE}</g>`))).toEqual([
      [
        [20, 50],
        [70, 50],
      ],
    ]);
    expect(
      rounded(mmDoc(`<style>.k { clip-path: url(#c) }</style>${clip}<g class="k">${HLINE}</g>`)),
    ).toEqual([
      [
        [20, 50],
        [70, 50],
      ],
    ]);
  });

  it('an empty clipPath clips everything away; a clip to no clipPath plots in full with a warning', () => {
    const d = read(
      mmDoc(
        `<clipPath id="e"/><line x1="0" y1="0" x2="9" y2="9" clip-path="url(#e)"/><g clip-path="url(#nothing)">${HLINE}</g>`,
      ),
    );
    expect(allPaths(d)).toHaveLength(1);
    expect(polyLength(allPaths(d)[0]!)).toBeCloseTo(100, 9);
    expect(d.warnings.find((w) => w.code === 'missing_reference')?.message).toMatch(
      /no <clipPath>.*plotted unclipped/,
    );
  });

  it('a circle ring clipped by a half-plane stays one stroke; masks still warn', () => {
    const d = read(
      mmDoc(
        `<clipPath id="c"><rect x="50" y="0" width="50" height="100"/></clipPath><circle cx="50" cy="50" r="20" clip-path="url(#c)"/><line x1="0" y1="0" x2="1" y2="1" mask="url(#m)"/>`,
      ),
    );
    const [half, masked] = allPaths(d);
    expect(polyLength(half!)).toBeCloseTo(Math.PI * 20, 1);
    expect(polyLength(masked!)).toBeCloseTo(Math.SQRT2, 9);
    expect(d.warnings.find((w) => w.code === 'unsupported_element')?.message).toContain(
      'masks are not applied',
    );
  });

  it('a clip-path on the root <svg> clips the whole drawing', () => {
    expect(
      rounded(
        mmDoc(
          `<clipPath id="c"><rect x="20" y="0" width="50" height="100"/></clipPath>${HLINE}`,
          'clip-path="url(#c)"',
        ),
      ),
    ).toEqual([
      [
        [20, 50],
        [70, 50],
      ],
    ]);
  });

  it('a drawing clipped away entirely is nothing to plot, and says so', () => {
    const err = expectSvgError(
      () =>
        read(
          mmDoc(
            `<clipPath id="c"><rect x="0" y="0" width="10" height="10"/></clipPath><g clip-path="url(#c)">${HLINE}${HLINE}</g>`,
          ),
        ),
      'nothing_plottable',
    );
    expect(err.message).toContain('2 elements lie wholly outside their clip paths');
  });

  it('a clip path referring to itself is ignored with a warning', () => {
    const d = read(
      mmDoc(
        `<clipPath id="c" clip-path="url(#c)"><rect x="20" y="0" width="50" height="100"/></clipPath><g clip-path="url(#c)">${HLINE}</g>`,
      ),
    );
    expect(allPaths(d).map((p) => polyLength(p))).toEqual([50]);
    expect(d.warnings.some((w) => w.message.includes('cycle'))).toBe(true);
  });
});

describe('switch and systemLanguage', () => {
  const doc = mmDoc(
    '<switch><line systemLanguage="fr" x1="0" y1="0" x2="1" y2="0"/><line systemLanguage="de, en-GB" x1="0" y1="0" x2="2" y2="0"/><line x1="0" y1="0" x2="3" y2="0"/></switch>',
  );

  it("draws the first child matching the reader's language (default en)", () => {
    expect(allPaths(read(doc)).map((p) => polyLength(p))).toEqual([2]);
    expect(allPaths(read(doc, { language: 'fr' })).map((p) => polyLength(p))).toEqual([1]);
    expect(allPaths(read(doc, { language: 'ja' })).map((p) => polyLength(p))).toEqual([3]);
  });

  it('requiredFeatures counts as supported, requiredExtensions never; outside a switch too', () => {
    const d = read(
      mmDoc(
        '<switch><line requiredExtensions="" x1="0" y1="0" x2="1" y2="0"/><line requiredFeatures="http://www.w3.org/TR/SVG11/feature#Shape" x1="0" y1="0" x2="2" y2="0"/></switch><line systemLanguage="fr" x1="0" y1="0" x2="5" y2="0"/>',
      ),
    );
    expect(allPaths(d).map((p) => polyLength(p))).toEqual([2]);
  });
});

describe('CSS combinators', () => {
  const colours = (body: string) => read(mmDoc(body)).layers.map((l) => [l.color, l.paths.length]);

  it('descendant selectors match at any depth, child selectors only directly', () => {
    const body =
      '<style>g .a { stroke: #ff0000 } #layer1 path { stroke: #00ff00 } #top > line { stroke: #0000ff }</style>' +
      '<line class="a" x1="0" y1="0" x2="1" y2="1" stroke="black"/>' +
      '<g><g><line class="a" x1="0" y1="0" x2="1" y2="2" stroke="black"/></g></g>' +
      '<g id="layer1"><g><path d="M0 0 L3 3" stroke="black"/></g></g>' +
      '<g id="top"><line x1="0" y1="0" x2="1" y2="3"/><g><line x1="0" y1="0" x2="1" y2="4" stroke="black"/></g></g>';
    expect(colours(body)).toEqual([
      ['#000000', 2],
      ['#ff0000', 1],
      ['#00ff00', 1],
      ['#0000ff', 1],
    ]);
  });

  it('a combinator selector outranks a simple one by specificity, not by order', () => {
    expect(
      colours(
        '<style>#g1 .a { stroke: #ff0000 } .a { stroke: #00ff00 }</style><g id="g1"><line class="a" x1="0" y1="0" x2="1" y2="1"/></g>',
      ),
    ).toEqual([['#ff0000', 1]]);
  });
});
