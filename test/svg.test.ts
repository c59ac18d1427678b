import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_SEGMENTS_PER_CURVE } from '../src-main/svg/flatten';
import { readSvg, SvgError } from '../src-main/svg/read';
import {
  allPaths,
  distanceToPolyline,
  expectSvgError,
  mmDoc,
  points,
  polyLength,
  read,
} from './svg-helpers';

const FIXTURES = path.join(__dirname, 'fixtures');
const TOL = 0.05;

function fixture(name: string) {
  return readSvg(fs.readFileSync(path.join(FIXTURES, name)), { fileName: name });
}

/** Files where an error is the right answer, by what they contain. */
const EXPECTED_ERRORS: Record<string, string> = {
  'test_svg__misc__empty.svg': 'nothing_plottable', // an <svg> with only a comment
  'test_svg__misc__empty_path.svg': 'nothing_plottable', // one <path d="">
  'test_svg__misc__text_element.svg': 'nothing_plottable', // only <text>
};

function checkFile(file: string): void {
  const name = path.basename(file);
  const run = () => readSvg(fs.readFileSync(file), { fileName: name });
  const kind = EXPECTED_ERRORS[name];
  if (kind) {
    expect(() => run(), name).toThrow(SvgError);
    try {
      run();
    } catch (e) {
      expect((e as SvgError).kind, name).toBe(kind);
    }
    return;
  }
  const d = run();
  expect(d.layers.length, name).toBeGreaterThan(0);
  expect(d.widthMm, name).toBeGreaterThan(0);
  expect(d.heightMm, name).toBeGreaterThan(0);
  for (const l of d.layers) {
    expect(l.paths.length, name).toBeGreaterThan(0);
    for (const p of l.paths) {
      expect(p.length % 2, name).toBe(0);
      expect(p.length, name).toBeGreaterThanOrEqual(4);
      expect(p.every(Number.isFinite), name).toBe(true);
    }
  }
  expect(d.stats.points, name).toBe(
    d.layers.reduce((s, l) => s + l.paths.reduce((t, p) => t + p.length / 2, 0), 0),
  );
}

describe('fixtures', () => {
  it('every copied fixture parses (or fails with the right kind)', () => {
    const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.svg'));
    expect(files.length).toBeGreaterThanOrEqual(57);
    for (const f of files) checkFile(path.join(FIXTURES, f));
  });

  it('text-only file names the cause in the error', () => {
    const err = expectSvgError(
      () => fixture('test_svg__misc__text_element.svg'),
      'nothing_plottable',
      'test_svg__misc__text_element.svg',
    );
    expect(err.message).toContain('Object to Path');
  });
});

describe('document size', () => {
  const PX = 25.4 / 96;
  const cases: [string, number, number][] = [
    ['fixed_size_200_600', 200 * PX, 600 * PX],
    ['fixed_size_500x300', 500 * PX, 300 * PX],
    ['fixed_size_viewbox_mismatch', 500 * PX, 300 * PX],
    ['no_size_viewbox', 300 * PX, 300 * PX],
    ['no_size_viewbox_no_preserveAR', 300 * PX, 300 * PX],
    ['percent_size_viewbox', 300 * PX, 300 * PX],
    ['percent_size_viewbox_no_preserveAR', 300 * PX, 300 * PX],
  ];
  it.each(cases)('%s', (name, w, h) => {
    const d = fixture(`test_svg__svg_width_height__${name}.svg`);
    expect(d.widthMm).toBeCloseTo(w, 9);
    expect(d.heightMm).toBeCloseTo(h, 9);
    expect(d.warnings.find((x) => x.code === 'no_size')).toBeUndefined();
  });

  it.each(['no_size', 'percent_size'])(
    '%s: no_size warning and the drawing extent (circle at 100,200 r 40 px)',
    (name) => {
      const d = fixture(`test_svg__svg_width_height__${name}.svg`);
      expect(d.warnings.map((w) => w.code)).toContain('no_size');
      // The extent of the flattened circle: exact where a vertex sits (angle 0), within tolerance elsewhere.
      expect(d.widthMm).toBeCloseTo(140 * PX, 9);
      expect(d.heightMm).toBeLessThanOrEqual(240 * PX);
      expect(d.heightMm).toBeGreaterThanOrEqual(240 * PX - TOL);
    },
  );

  it('viewBox mismatch with preserveAspectRatio=none stretches the viewBox onto the page', () => {
    const d = fixture('test_svg__svg_width_height__fixed_size_viewbox_mismatch.svg');
    const rect = allPaths(d)[0]!;
    const xs = points(rect).map((p) => p[0]);
    const ys = points(rect).map((p) => p[1]);
    expect(Math.min(...xs)).toBeCloseTo(0, 9);
    expect(Math.max(...xs)).toBeCloseTo(500 * PX, 9);
    expect(Math.max(...ys)).toBeCloseTo(300 * PX, 9);
  });

  it.each([
    ['210mm', 210],
    ['8.5in', 215.9],
    ['72pt', 25.4],
    ['96px', 25.4],
    ['96', 25.4],
    ['6pc', 25.4],
    ['2cm', 20],
  ])('width %s is %f mm', (w, mm) => {
    const d = read(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="10mm"><path d="M0 0 1 1"/></svg>`,
    );
    expect(d.widthMm).toBeCloseTo(mm, 9);
    expect(d.heightMm).toBeCloseTo(10, 9);
  });

  it('a missing height follows the viewBox aspect ratio', () => {
    const d = read(
      `<svg xmlns="http://www.w3.org/2000/svg" width="100mm" viewBox="0 0 200 50"><path d="M0 0 200 50"/></svg>`,
    );
    expect(d.heightMm).toBeCloseTo(25, 9);
    expect(points(allPaths(d)[0]!)[1]).toEqual([expect.closeTo(100, 9), expect.closeTo(25, 9)]);
  });

  it.each([
    ['xMidYMid meet', [5, 0], [10, 10]],
    ['xMinYMin meet', [0, 0], [10, 10]],
    ['xMaxYMax meet', [10, 0], [10, 10]],
    ['xMidYMid slice', [0, -5], [20, 20]],
    ['xMinYMax slice', [0, -10], [20, 20]],
    ['none', [0, 0], [20, 10]],
  ] as const)('preserveAspectRatio %s', (par, [tx, ty], [w, h]) => {
    // A 10 × 10 viewBox on a 20 × 10 mm page; the diagonal shows where its corners land.
    const d = read(
      `<svg xmlns="http://www.w3.org/2000/svg" width="20mm" height="10mm" viewBox="0 0 10 10" preserveAspectRatio="${par}"><path d="M0 0 10 10"/></svg>`,
    );
    const [a, b] = points(allPaths(d)[0]!);
    expect(a![0]).toBeCloseTo(tx, 9);
    expect(a![1]).toBeCloseTo(ty, 9);
    expect(b![0] - a![0]).toBeCloseTo(w, 9);
    expect(b![1] - a![1]).toBeCloseTo(h, 9);
  });
});

describe('shapes and curves', () => {
  it('circle: closed, on the circle, circumference within the tolerance bound', () => {
    const r = 40;
    const d = read(mmDoc(`<circle cx="50" cy="50" r="${r}" stroke="black" fill="none"/>`));
    const p = allPaths(d)[0]!;
    const pts = points(p);
    expect(pts[0]).toEqual(pts[pts.length - 1]);
    for (const [x, y] of pts) expect(Math.hypot(x - 50, y - 50)).toBeCloseTo(r, 9);
    const L = polyLength(p);
    // An inscribed polygon whose sagitta is ≤ tol has 2π(r − tol) ≤ L ≤ 2πr.
    expect(L).toBeLessThanOrEqual(2 * Math.PI * r + 1e-9);
    expect(L).toBeGreaterThanOrEqual(2 * Math.PI * (r - TOL));
    // Not wastefully dense: within 2× the minimum segment count.
    const minSegments = Math.PI / Math.acos(1 - TOL / r);
    expect(pts.length - 1).toBeLessThanOrEqual(2 * minSegments + 1);
  });

  it('circle tolerance is measured on paper: a scaled-up circle gets more segments', () => {
    const small = allPaths(read(mmDoc('<circle cx="5" cy="5" r="1"/>')))[0]!;
    const big = allPaths(
      read(mmDoc('<g transform="scale(20)"><circle cx="2" cy="2" r="1"/></g>')),
    )[0]!;
    expect(big.length).toBeGreaterThan(3 * small.length);
    for (const [x, y] of points(big)) expect(Math.hypot(x - 40, y - 40)).toBeCloseTo(20, 9);
  });

  it.each([
    ['half circle, small arc', 'M 10 50 A 40 40 0 0 1 90 50', 40, Math.PI, [90, 50]],
    ['three quarters, large arc', 'M 50 10 A 40 40 0 1 0 90 50', 40, 1.5 * Math.PI, [90, 50]],
    ['quarter, relative', 'M 10 50 a 40 40 0 0 1 40 -40', 40, 0.5 * Math.PI, [50, 10]],
    ['radii too small are scaled up', 'M 0 50 A 1 1 0 0 1 100 50', 50, Math.PI, [100, 50]],
  ] as const)('arc: %s', (_n, dAttr, r, angle, end) => {
    const p = allPaths(read(mmDoc(`<path d="${dAttr}"/>`)))[0]!;
    const pts = points(p);
    expect(pts[pts.length - 1]).toEqual(end);
    const L = polyLength(p);
    expect(L).toBeLessThanOrEqual(angle * r + 1e-9);
    expect(L).toBeGreaterThanOrEqual(angle * (r - TOL));
  });

  it('arc with rotation: points lie on the rotated ellipse', () => {
    // Ellipse rx 30 ry 10 rotated 30° centred at (50,50): from angle 0 to angle π.
    const phi = Math.PI / 6;
    const at = (t: number) => [
      50 + 30 * Math.cos(phi) * Math.cos(t) - 10 * Math.sin(phi) * Math.sin(t),
      50 + 30 * Math.sin(phi) * Math.cos(t) + 10 * Math.cos(phi) * Math.sin(t),
    ];
    const [x0, y0] = at(0);
    const [x1, y1] = at(Math.PI);
    const p = allPaths(read(mmDoc(`<path d="M ${x0} ${y0} A 30 10 30 0 1 ${x1} ${y1}"/>`)))[0]!;
    for (let t = 0; t <= Math.PI; t += Math.PI / 50) {
      const [x, y] = at(t);
      expect(distanceToPolyline(p, x!, y!)).toBeLessThanOrEqual(TOL + 1e-9);
    }
  });

  it('rounded rect perimeter is 2(w+h) − (8−2π)r within the tolerance bound', () => {
    const r = 10;
    const p = allPaths(read(mmDoc(`<rect x="10" y="20" width="60" height="40" rx="${r}"/>`)))[0]!;
    const exact = 2 * (60 + 40) - (8 - 2 * Math.PI) * r;
    const L = polyLength(p);
    expect(L).toBeLessThanOrEqual(exact + 1e-9);
    expect(L).toBeGreaterThanOrEqual(exact - 2 * Math.PI * TOL);
    const pts = points(p);
    expect(pts[0]).toEqual([20, 20]);
    expect(pts[pts.length - 1]).toEqual([20, 20]);
  });

  it('rect radii: auto mirrors the other radius, both clamp to half the size (SVG 2)', () => {
    const p = allPaths(read(mmDoc('<rect x="0" y="0" width="60" height="40" rx="100"/>')))[0]!;
    // rx → 30, ry → auto = 100 → 20: the rect is the ellipse (30, 20) centred at (30, 20).
    for (const [x, y] of points(p))
      expect(((x - 30) / 30) ** 2 + ((y - 20) / 20) ** 2).toBeCloseTo(1, 6);
    const sharp = allPaths(read(mmDoc('<rect x="1" y="2" width="3" height="4"/>')))[0]!;
    expect(points(sharp)).toEqual([
      [1, 2],
      [4, 2],
      [4, 6],
      [1, 6],
      [1, 2],
    ]);
  });

  it('ellipse, line, polyline, polygon', () => {
    const d = read(
      mmDoc(
        '<ellipse cx="50" cy="50" rx="20" ry="10"/><line x1="1" y1="2" x2="3" y2="4"/><polyline points="0,0 10,0 10,10"/><polygon points="0 0,5 0 5 5"/>',
      ),
    );
    const [e, l, pl, pg] = allPaths(d);
    for (const [x, y] of points(e!))
      expect(((x - 50) / 20) ** 2 + ((y - 50) / 10) ** 2).toBeCloseTo(1, 9);
    expect(points(l!)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(points(pl!)).toEqual([
      [0, 0],
      [10, 0],
      [10, 10],
    ]);
    expect(points(pg!)).toEqual([
      [0, 0],
      [5, 0],
      [5, 5],
      [0, 0],
    ]);
  });

  it('path syntax: implicit repeats, relative moves, H/V/S/T, compact numbers, packed arc flags, subpaths', () => {
    const d = read(
      mmDoc(
        '<path d="M0 0 10 0 10 10zm20 0h5v5H20V0"/><path d="M1.5.5-2e1.5"/><path d="M0 0a1 1 0 00 1 1"/><path d="M0 0C0 10 10 10 10 0S20-10 20 0M0 0Q5 5 10 0T20 0"/>',
      ),
    );
    const ps = allPaths(d);
    expect(points(ps[0]!)).toEqual([
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 0],
    ]);
    // After z the current point is the subpath start, so m20 0 goes to (20, 0).
    expect(points(ps[1]!)).toEqual([
      [20, 0],
      [25, 0],
      [25, 5],
      [20, 5],
      [20, 0],
    ]);
    expect(points(ps[2]!)).toEqual([
      [1.5, 0.5],
      [-20, 0.5],
    ]);
    expect(points(ps[3]!).at(-1)).toEqual([1, 1]);
    // S reflects (10,10) about (10,0) to (10,-10): symmetric hump below; T reflects (5,5) to (15,-5).
    const s = points(ps[4]!);
    expect(s.at(-1)).toEqual([20, 0]);
    expect(Math.min(...s.map((q) => q[1]))).toBeCloseTo(-7.5, 1);
    const t = points(ps[5]!);
    expect(t.at(-1)).toEqual([20, 0]);
    expect(Math.min(...t.map((q) => q[1]))).toBeCloseTo(-2.5, 1);
    expect(Math.max(...t.map((q) => q[1]))).toBeCloseTo(2.5, 1);
  });

  it('a lone moveto draws nothing; a zero-length segment is kept', () => {
    const d = read(mmDoc('<path d="M 5 5"/><path d="M 1 1 L 1 1"/>'));
    expect(allPaths(d).map(points)).toEqual([
      [
        [1, 1],
        [1, 1],
      ],
    ]);
  });
});

describe('transforms and use', () => {
  const square = '<polygon points="0,0 1,0 1,1 0,1"/>';

  it('a transform list composes right to left, the same as nested groups', () => {
    const list = allPaths(
      read(
        mmDoc(
          square.replace('/>', ' transform="translate(50,50) rotate(90) scale(2) skewX(45)"/>'),
        ),
      ),
    )[0]!;
    const nested = allPaths(
      read(
        mmDoc(
          `<g transform="translate(50,50)"><g transform="rotate(90)"><g transform="scale(2)">${square.replace('/>', ' transform="skewX(45)"/>')}</g></g></g>`,
        ),
      ),
    )[0]!;
    // skewX(45): (x+y, y); scale 2; rotate 90: (x, y) → (−y, x); translate.
    const expected = [
      [50, 50],
      [50, 52],
      [48, 54],
      [48, 52],
      [50, 50],
    ];
    for (const p of [list, nested]) {
      points(p).forEach(([x, y], i) => {
        expect(x).toBeCloseTo(expected[i]![0]!, 9);
        expect(y).toBeCloseTo(expected[i]![1]!, 9);
      });
    }
  });

  it('rotate about a centre, matrix(), skewY()', () => {
    const d = read(
      mmDoc(
        '<line x1="20" y1="10" x2="20" y2="10" transform="rotate(90, 10, 10)"/><line x1="1" y1="1" x2="0" y2="0" transform="matrix(1 2 3 4 5 6)"/><line x1="1" y1="0" x2="0" y2="0" transform="skewY(45)"/>',
      ),
    );
    const [r, m, s] = allPaths(d).map(points);
    expect(r![0]![0]).toBeCloseTo(10, 9);
    expect(r![0]![1]).toBeCloseTo(20, 9);
    expect(m![0]).toEqual([9, 12]);
    expect(s![0]![0]).toBeCloseTo(1, 9);
    expect(s![0]![1]).toBeCloseTo(1, 9);
  });

  it('a malformed transform skips the element with a bad_attribute warning', () => {
    const d = read(
      mmDoc(
        '<line x1="0" y1="0" x2="1" y2="1" transform="rotate(oops)"/><line x1="0" y1="0" x2="2" y2="2"/>',
      ),
    );
    expect(allPaths(d)).toHaveLength(1);
    expect(d.warnings.find((w) => w.code === 'bad_attribute')?.count).toBe(1);
  });

  it('use of a symbol with its own viewBox, sized by the use', () => {
    const d = read(
      mmDoc(
        '<defs><symbol id="s" viewBox="0 0 10 10"><rect width="10" height="10"/></symbol></defs><use href="#s" x="20" y="30" width="40" height="40"/>',
      ),
    );
    const pts = points(allPaths(d)[0]!);
    expect(pts).toEqual([
      [20, 30],
      [60, 30],
      [60, 70],
      [20, 70],
      [20, 30],
    ]);
  });

  it('defs and symbols draw only through use; xlink:href with x/y; styles inherit from the use', () => {
    const d = read(
      mmDoc(
        '<defs><path id="p" d="M0 0 1 0"/></defs><symbol id="s"><path d="M0 0 2 0"/></symbol><use xlink:href="#p" x="5" y="6" stroke="red"/><use href="#p" x="7" y="8" stroke="blue"/>',
      ),
    );
    expect(d.layers.map((l) => [l.name, points(l.paths[0]!)])).toEqual([
      [
        '#ff0000',
        [
          [5, 6],
          [6, 6],
        ],
      ],
      [
        '#0000ff',
        [
          [7, 8],
          [8, 8],
        ],
      ],
    ]);
  });

  it('use cycles and missing references are reported, not looped on', () => {
    const d = read(
      mmDoc(
        '<g id="a"><line x1="0" y1="0" x2="1" y2="1"/><use href="#a"/></g><use href="#b"/><use href="#c"/><use id="c" href="#c"/>',
      ),
    );
    expect(allPaths(d).length).toBeGreaterThanOrEqual(1);
    expect(d.warnings.find((w) => w.code === 'missing_reference')?.count).toBe(1);
    expect(d.warnings.find((w) => w.code === 'bad_attribute')?.count).toBeGreaterThanOrEqual(2);
  });
});

describe('visibility, text, images', () => {
  it('display:none and visibility:hidden are skipped and counted; visible overrides an inherited hidden', () => {
    const d = read(
      mmDoc(
        '<circle cx="50" cy="50" r="4"/>' +
          '<circle cx="50" cy="50" r="5" style="display:none"/>' +
          '<g display="none"><circle cx="5" cy="5" r="1"/><circle cx="5" cy="5" r="1" visibility="visible"/></g>' +
          '<g style="visibility: hidden"><circle cx="5" cy="5" r="2"/><circle cx="5" cy="5" r="3" style="visibility:visible"/></g>',
      ),
    );
    expect(allPaths(d)).toHaveLength(2);
    expect(d.warnings.find((w) => w.code === 'hidden_skipped')?.count).toBe(4);
  });

  it('text and images warn; clip paths pointing nowhere warn once and plot unclipped, as browsers do', () => {
    const d = read(
      mmDoc(
        '<text x="1" y="1">hi<tspan>there</tspan></text><text>again</text><image href="x.png" width="1" height="1"/><g clip-path="url(#c)"><line x1="0" y1="0" x2="1" y2="1"/><line x1="0" y1="0" x2="1" y2="1" clip-path="url(#c)"/></g>',
      ),
    );
    const byCode = Object.fromEntries(d.warnings.map((w) => [w.code, w]));
    expect(byCode.text_not_plottable?.count).toBe(2);
    expect(byCode.text_not_plottable?.message).toContain('Path > Object to Path');
    expect(byCode.image_not_plottable?.count).toBe(1);
    expect(byCode.missing_reference?.count).toBe(2);
    expect(byCode.missing_reference?.message).toContain('plotted unclipped');
    expect(d.warnings.filter((w) => w.code === 'missing_reference')).toHaveLength(1);
    expect(allPaths(d)).toHaveLength(2);
  });

  it("a white background without a stroke (Figma's frame) is plotted, with a warning naming it", () => {
    const d = read(
      mmDoc(
        '<g fill="none"><rect width="100" height="100" fill="white"/><path d="M10 10 L90 90" stroke="black"/></g>',
      ),
    );
    expect(d.layers.map((l) => l.color)).toEqual(['#ffffff', '#000000']);
    expect(d.warnings).toEqual([
      {
        code: 'white_fill',
        message: expect.stringMatching(/white-filled shapes without a stroke \(a background\?\)/),
        count: 1,
      },
    ]);
  });

  it('fill-only shapes are plotted as outlines', () => {
    const d = read(mmDoc('<rect width="10" height="10" stroke="none" fill="#00f"/>'));
    expect(allPaths(d)).toHaveLength(1);
    expect(d.layers[0]!.color).toBe('#0000ff');
    expect(d.warnings).toEqual([]);
  });
});

describe('stylesheets', () => {
  /** Colour of each layer, in layer order, with its path count. */
  const groups = (svg: string) => read(svg).layers.map((l) => `${l.color}:${l.paths.length}`);

  it("applies an Illustrator export's classes: colours make pens, a hidden class is not plotted", () => {
    const svg = mmDoc(
      '<defs><style>.cls-1{fill:none;stroke:#000;stroke-miterlimit:10;}.cls-2{fill:none;stroke:#e30613;}.hide { display: none }</style></defs>' +
        '<rect class="cls-1" x="10" y="10" width="20" height="20"/><circle class="cls-2" cx="60" cy="50" r="10"/>' +
        '<path class="cls-1 extra" d="M0 90 L90 90"/><line class="hide" x1="0" y1="0" x2="100" y2="100" stroke="#000"/>',
    );
    const d = read(svg);
    expect(d.layers.map((l) => [l.color, l.paths.length])).toEqual([
      ['#000000', 2],
      ['#e30613', 1],
    ]);
    expect(d.warnings.find((w) => w.code === 'hidden_skipped')?.count).toBe(1);
  });

  it('cascades as CSS does: attribute < sheet (by specificity, then order) < style=""', () => {
    const sheet =
      '<style><![CDATA[ /* a comment { } */ path { stroke: #111111 } .a { stroke: #222222 } #p3 { stroke: #333333 } .a.b, g .x { stroke: #444444 } .c { stroke: #555555 } .c { stroke: #666666 } ]]></style>';
    expect(
      groups(
        mmDoc(
          sheet +
            '<path d="M0 0 L1 1" stroke="#ff0000"/>' + // the sheet's `path` beats the attribute
            '<path class="a" d="M0 1 L1 2"/>' +
            '<path id="p3" class="a" d="M0 2 L1 3"/>' + // id beats class
            '<path class="b a" d="M0 3 L1 4"/>' + // two classes beat one
            '<path class="c" d="M0 4 L1 5"/>' + // equal: the later rule
            '<path class="a" style="stroke: #777777" d="M0 5 L1 6"/>', // style="" beats the sheet
        ),
      ),
    ).toEqual(['#111111:1', '#222222:1', '#333333:1', '#444444:1', '#666666:1', '#777777:1']);
  });

  it('leaves out what it does not understand, says so, and never lets it match', () => {
    const d = read(
      mmDoc(
        '<style>@import url(other.css); g + path { display: none } path:hover { display: none } @media print { path { display: none } } rect { stroke: #00ff00 }</style>' +
          '<g><path d="M0 0 L10 10" stroke="#000"/></g><rect width="5" height="5"/>',
      ),
    );
    expect(allPaths(d)).toHaveLength(2);
    expect(d.layers.map((l) => l.color).sort()).toEqual(['#000000', '#00ff00']);
    expect(d.warnings.find((w) => w.code === 'unsupported_element')).toMatchObject({
      count: 4,
      message: expect.stringMatching(/CSS rules .* not applied/),
    });
  });
});

describe('layers', () => {
  const layerSummary = (name: string) =>
    fixture(name).layers.map((l) => [l.name, l.pen, l.pauseBefore, l.source, l.paths.length]);

  it('AxiDraw_First: layers "1-outline" and "2-fill" (empty, dropped)', () => {
    expect(layerSummary('AxiDraw_First.svg')).toEqual([
      ['1-outline', 1, false, 'inkscape-layer', 70],
    ]);
  });

  it('AxiDraw_trivial: "1-outline" and "2+S75"', () => {
    expect(layerSummary('AxiDraw_trivial.svg')).toEqual([
      ['1-outline', 1, false, 'inkscape-layer', 1],
      ['2+S75', 2, false, 'inkscape-layer', 1],
    ]);
  });

  it('HappyBirthday: three layers in document order', () => {
    const d = fixture('HappyBirthday.svg');
    expect(d.layers.map((l) => [l.name, l.pen, l.color])).toEqual([
      ['2-red', 2, '#ff0000'],
      ['1-black', 1, '#000000'],
      ['3-altfill', 3, '#0208ff'],
    ]);
  });

  it('Page-Size-Demo: sub-layers belong to their top-level layer', () => {
    expect(layerSummary('Page-Size-Demo.svg')).toEqual([
      ['1 Letter', 1, false, 'inkscape-layer', 257],
      ['2- A4', 2, false, 'inkscape-layer', 257],
    ]);
  });

  it('vpype multilayer: content outside layers is "(no layer)" in document order', () => {
    expect(layerSummary('test_svg__misc__multilayer.svg')).toEqual([
      ['(no layer)', null, false, 'inkscape-layer', 1],
      ['3', 3, false, 'inkscape-layer', 1],
      ['2', 2, false, 'inkscape-layer', 2],
    ]);
    expect(layerSummary('test_svg__misc__multilayer_empty_layer.svg')).toEqual(
      layerSummary('test_svg__misc__multilayer.svg'),
    );
    expect(
      fixture('test_svg__misc__multilayer_by_attributes.svg').layers.map((l) => [l.name, l.color]),
    ).toEqual([
      ['(no layer)', '#990066'],
      ['3', '#0000ff'],
      ['2', null],
    ]);
  });

  it('vpype named layers, paint wells, two layers', () => {
    expect(layerSummary('test_svg__misc__multilayer_named_layers.svg').map((l) => l[0])).toEqual([
      '(no layer)',
      'my layer 1',
      'my layer 2',
      'my layer 3',
    ]);
    expect(
      fixture('test_vpy__paint_well_svgs__multilayer.svg').layers.map((l) => [
        l.name,
        l.pen,
        l.color,
        l.paths.length,
      ]),
    ).toEqual([
      ['red', null, '#ff0000', 200],
      ['green', null, '#00ff00', 200],
      ['blue', null, '#0000ff', 200],
    ]);
    expect(
      fixture('test_vpy__two_layers_a4.svg').layers.map((l) => [
        l.name,
        l.pen,
        l.color,
        l.paths.length,
      ]),
    ).toEqual([
      ['1', 1, '#ff0000', 200],
      ['2', 2, '#0000ff', 200],
    ]);
  });

  it('AxiDraw label conventions: pen number, ! pause, % skipped, id when unlabelled', () => {
    const layer = (label: string) =>
      `<g inkscape:groupmode="layer" ${label}><line x1="0" y1="0" x2="1" y2="1"/></g>`;
    const d = read(
      mmDoc(
        layer('inkscape:label="!3 red"') +
          layer('inkscape:label="12 thick"') +
          layer('inkscape:label="%notes"') +
          layer('id="layer9"') +
          layer('inkscape:label="1-black"'),
      ),
    );
    expect(d.layers.map((l) => [l.name, l.pen, l.pauseBefore])).toEqual([
      ['!3 red', 3, true],
      ['12 thick', 12, false],
      ['layer9', null, false],
      ['1-black', 1, false],
    ]);
    expect(d.skippedLayers).toEqual(['%notes']);
    expect(d.warnings).toEqual([]);
  });

  it('without layers: grouped by normalised stroke colour, then fill, else black', () => {
    const d = read(
      mmDoc(
        '<line x1="0" y1="0" x2="1" y2="1" stroke="red"/>' +
          '<g stroke="rgb(0, 0, 255)"><line x1="0" y1="0" x2="1" y2="1"/></g>' +
          '<line x1="0" y1="0" x2="1" y2="1" stroke="#F00"/>' +
          '<g color="#00f"><line x1="0" y1="0" x2="1" y2="1" style="stroke: currentColor"/></g>' +
          '<line x1="0" y1="0" x2="1" y2="1" fill="green"/>' +
          '<line x1="0" y1="0" x2="1" y2="1" fill="none"/>' +
          '<line x1="0" y1="0" x2="1" y2="1" stroke="rgb(100%,0%,0%)"/>',
      ),
    );
    expect(d.layers.map((l) => [l.name, l.color, l.source, l.paths.length])).toEqual([
      ['#ff0000', '#ff0000', 'stroke-color', 3],
      ['#0000ff', '#0000ff', 'stroke-color', 2],
      ['#008000', '#008000', 'stroke-color', 1],
      ['#000000', '#000000', 'stroke-color', 1],
    ]);
  });

  it('a single colour is one "document" layer', () => {
    const d = fixture('test_svg__misc__all_shapes.svg');
    expect(d.layers.map((l) => [l.name, l.source, l.paths.length])).toEqual([
      ['#666666', 'document', 7],
    ]);
  });
});

describe('containers', () => {
  it('a switch draws only its first child that needs no extension', () => {
    const d = read(
      mmDoc(
        '<switch><foreignObject requiredExtensions="http://ns.adobe.com/AdobeIllustrator/10.0/"/><line x1="0" y1="0" x2="1" y2="1"/><line x1="0" y1="0" x2="2" y2="2"/></switch>',
      ),
    );
    expect(allPaths(d).map(points)).toEqual([
      [
        [0, 0],
        [1, 1],
      ],
    ]);
  });

  it('a transform on the root <svg> applies after the viewBox', () => {
    const d = read(mmDoc('<line x1="0" y1="0" x2="1" y2="0"/>', 'transform="translate(10 20)"'));
    expect(points(allPaths(d)[0]!)).toEqual([
      [10, 20],
      [11, 20],
    ]);
  });

  it('a nested <svg> places its viewBox at x/y with its width/height', () => {
    const d = read(
      mmDoc(
        '<svg x="10" y="10" width="20" height="20" viewBox="0 0 2 2"><line x1="0" y1="0" x2="2" y2="2"/></svg>',
      ),
    );
    expect(points(allPaths(d)[0]!)).toEqual([
      [10, 10],
      [30, 30],
    ]);
  });

  it('segments per curve are capped', () => {
    const d = read(mmDoc('<circle cx="0" cy="0" r="100000000"/>'));
    expect(allPaths(d)[0]!.length / 2 - 1).toBe(MAX_SEGMENTS_PER_CURVE);
  });
});
