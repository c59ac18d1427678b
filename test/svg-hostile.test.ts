import { describe, expect, it } from 'vitest';
import { readSvg } from '../src-main/svg/read';
import { MAX_DEPTH } from '../src-main/svg/xml';
import { allPaths, expectSvgError, mmDoc, read, SVG_NS } from './svg-helpers';

describe('hostile and broken input', () => {
  it('XXE: a DOCTYPE with an internal subset is refused', () => {
    const svg = `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="${SVG_NS}"><text>&x;</text></svg>`;
    const err = expectSvgError(() => read(svg), 'dtd_refused');
    expect(err.message).toMatch(/line \d+/);
    expect(err.message).not.toContain('root:');
  });

  it('billion laughs is refused before any expansion', () => {
    const ents = [
      '<!ENTITY lol "lol">',
      ...Array.from(
        { length: 9 },
        (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`,
      ),
    ];
    const svg = `<?xml version="1.0"?><!DOCTYPE svg [${ents.join('')}]><svg xmlns="${SVG_NS}"><text>&lol9;</text></svg>`;
    const t = performance.now();
    expectSvgError(() => read(svg), 'dtd_refused');
    expect(performance.now() - t).toBeLessThan(1000);
  });

  it('a plain public DOCTYPE is accepted (and never fetched)', () => {
    const svg = `<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg xmlns="${SVG_NS}" width="10mm" height="10mm"><path d="M0 0 1 1"/></svg>`;
    expect(allPaths(read(svg))).toHaveLength(1);
  });

  it('an undefined entity is a clear malformed_xml error', () => {
    const err = expectSvgError(() => read(mmDoc('<text>&foo;</text>')), 'malformed_xml');
    expect(err.message).toContain('entity');
  });

  it('50 MB of nested <g> stops at the depth limit, fast, without a stack overflow', () => {
    const depth = Math.floor((50 * 2 ** 20) / 7);
    const svg = `<svg xmlns="${SVG_NS}">${'<g>'.repeat(depth)}${'</g>'.repeat(depth)}</svg>`;
    const t = performance.now();
    const err = expectSvgError(() => read(svg), 'too_many_elements');
    expect(err.message).toContain(`nested more than ${MAX_DEPTH} levels`);
    expect(performance.now() - t).toBeLessThan(10_000);
  });

  it('a million elements stop at the element limit', () => {
    const svg = mmDoc('<g/>'.repeat(1_000_001));
    const err = expectSvgError(() => read(svg), 'too_many_elements');
    expect(err.message).toContain('1000000 elements');
  });

  it('nesting just under the depth limit is processed', () => {
    const depth = MAX_DEPTH - 2;
    const svg = mmDoc(
      `${'<g transform="translate(0.0001,0)">'.repeat(depth)}<line x1="0" y1="0" x2="1" y2="1"/>${'</g>'.repeat(depth)}`,
    );
    const d = read(svg);
    const p = allPaths(d)[0]!;
    expect(p[0]).toBeCloseTo(depth * 0.0001, 9);
  });

  it('<use> fan-out (a billion laughs made of clones) stops with too_many_elements', () => {
    let body = '<defs><path id="u0" d="M0 0 1 1"/>';
    for (let i = 1; i <= 9; i++)
      body += `<g id="u${i}">${`<use href="#u${i - 1}"/>`.repeat(10)}</g>`;
    body += '</defs><use href="#u9"/>';
    const t = performance.now();
    expectSvgError(() => read(mmDoc(body), { maxElements: 10_000 }), 'too_many_elements');
    expect(performance.now() - t).toBeLessThan(5_000);
  });

  it('a stylesheet of 200,000 @imports and an unclosed comment is read in one pass, its rules counted as not applied', () => {
    const sheet =
      '@import url(x.css);'.repeat(200_000) +
      ' rect { stroke: #00ff00 } /* never closed .a { display: none }';
    const d = read(mmDoc(`<style>${sheet}</style><rect class="a" width="5" height="5"/>`));
    expect(d.layers.map((l) => l.color)).toEqual(['#00ff00']);
    expect(d.warnings.find((w) => w.code === 'unsupported_element')?.count).toBe(200_000);
  });

  it('a stylesheet past the rule cap warns that the cap, not the selectors, left the rest out', () => {
    const rules = Array.from({ length: 5_250 }, (_, i) => `.c${i} { stroke: #ff0000 }`).join('\n');
    const d = read(
      mmDoc(
        `<style>${rules} rect:hover { stroke: #00ff00 }</style><rect class="c0" width="5" height="5"/><rect class="c5100" width="5" height="5"/>`,
      ),
    );
    const warnings = d.warnings.filter((w) => w.code === 'unsupported_element');
    expect(warnings).toEqual([
      {
        code: 'unsupported_element',
        message: expect.stringMatching(
          /more than 5000 rules; the rules after the first 5000 were not applied/,
        ),
        count: 250,
      },
      {
        code: 'unsupported_element',
        message: expect.stringMatching(/selectors other than/),
        count: 1,
      },
    ]);
    // The first rect's rule is inside the cap; the second's is not, so it keeps the default black.
    expect(d.layers.map((l) => l.color).sort()).toEqual(['#000000', '#ff0000']);
  });

  it('many elements each clipped by a huge objectBoundingBox clip stop with too_many_elements', () => {
    const ring = Array.from(
      { length: 20_000 },
      (_, i) =>
        `${(0.5 + 0.5 * Math.cos(i / 3183)).toFixed(4)},${(0.5 + 0.5 * Math.sin(i / 3183)).toFixed(4)}`,
    ).join(' ');
    const lines = Array.from(
      { length: 120 },
      (_, i) => `<line x1="0" y1="0" x2="${1 + i / 100}" y2="1" clip-path="url(#c)"/>`,
    ).join('');
    const err = expectSvgError(
      () =>
        read(
          mmDoc(
            `<clipPath id="c" clipPathUnits="objectBoundingBox"><polygon points="${ring}"/></clipPath>${lines}`,
          ),
        ),
      'too_many_elements',
    );
    expect(err.message).toContain('clip');
  });

  it('a stylesheet whose rules all match every element stops with too_many_elements', () => {
    const rules = Array.from(
      { length: 5_000 },
      (_, i) => `.a { stroke: #${String(i % 10).repeat(6)} }`,
    ).join('\n');
    const shapes = '<rect class="a" width="1" height="1"/>'.repeat(5_000);
    const err = expectSvgError(
      () => read(mmDoc(`<style>${rules}</style>${shapes}`)),
      'too_many_elements',
    );
    expect(err.message).toMatch(/the stylesheet .* too many rules/);
  });

  it('NaN / Infinity / garbage coordinates skip that element with a counted warning, never NaN out', () => {
    const d = read(
      mmDoc(
        '<circle cx="1" cy="1" r="NaN"/><line x1="Infinity" y1="0" x2="1" y2="1"/><path d="M0 0 L NaN 5"/>' +
          '<polyline points="0,0 1e999,1"/><rect width="abc" height="1"/><path d="M0 0 L 1 1" transform="scale(1e308) scale(1e308)"/>' +
          '<line x1="0" y1="0" x2="1" y2="1"/>',
      ),
    );
    const paths = allPaths(d);
    expect(paths).toHaveLength(1);
    expect(paths.every((p) => p.every(Number.isFinite))).toBe(true);
    expect(
      d.warnings.filter((w) => w.code === 'bad_attribute').reduce((s, w) => s + w.count, 0),
    ).toBe(6);
  });

  it('a UTF-16 file with a byte order mark is read', () => {
    const text = `\ufeff<svg xmlns="${SVG_NS}" width="10mm" height="10mm"><path d="M0 0 1 1"/></svg>`;
    expect(allPaths(readSvg(Buffer.from(text, 'utf16le')))).toHaveLength(1);
  });

  it('an empty file is not an SVG', () => {
    expectSvgError(() => read(''), 'not_svg');
    expectSvgError(
      () => readSvg(Buffer.alloc(0), { fileName: 'empty.svg' }),
      'not_svg',
      'empty.svg',
    );
  });

  it('a PNG renamed .svg is not an SVG', () => {
    const png = Buffer.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
      1,
    ]);
    const err = expectSvgError(
      () => readSvg(png, { fileName: 'photo.svg' }),
      'not_svg',
      'photo.svg',
    );
    expect(err.message).toContain('line 1');
  });

  it('XML that is not SVG (html, or svg without the SVG namespace) is not_svg with a line', () => {
    const err = expectSvgError(
      () => read('<?xml version="1.0"?>\n<html><body/></html>'),
      'not_svg',
    );
    expect(err.message).toContain('line 2');
    expect(err.message).toContain('<html>');
    expectSvgError(() => read('<svg><path d="M0 0 1 1"/></svg>'), 'not_svg');
  });

  it('an unclosed tag is malformed XML with its line', () => {
    const err = expectSvgError(
      () => read(`<svg xmlns="${SVG_NS}">\n<g>\n<path d="M0 0 1 1"/>\n</svg>`),
      'malformed_xml',
    );
    expect(err.message).toContain('line 4: unclosed tag <g> (opened on line 2)');
    expect(err.message).toContain('re-export');
  });

  it('input over maxBytes is refused before parsing', () => {
    expectSvgError(() => read(mmDoc('<path d="M0 0 1 1"/>'), { maxBytes: 100 }), 'too_large');
    // The same input within the limit is fine: the limit, not the content, decided.
    expect(allPaths(read(mmDoc('<path d="M0 0 1 1"/>'), { maxBytes: 10_000 }))).toHaveLength(1);
  });

  it('a zero page size is bad_geometry', () => {
    expectSvgError(
      () => read(`<svg xmlns="${SVG_NS}" width="0" height="10"><path d="M0 0 1 1"/></svg>`),
      'bad_geometry',
    );
  });

  it('only hidden or %-layer content is nothing_plottable, and says why', () => {
    const err = expectSvgError(
      () =>
        read(
          mmDoc('<g inkscape:groupmode="layer" inkscape:label="%notes"><path d="M0 0 1 1"/></g>'),
        ),
      'nothing_plottable',
    );
    expect(err.message).toContain('%notes');
    expectSvgError(() => read(mmDoc('<path d="M0 0 1 1" display="none"/>')), 'nothing_plottable');
  });
});
