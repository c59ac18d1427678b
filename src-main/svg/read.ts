/**
 * SVG file → Drawing (polylines in mm per layer). The tree walk uses an explicit stack: nesting
 * depth and `use` expansion cost heap only, and the expansion is budgeted so references that
 * fan out (a "billion laughs" made of <use>) stop with an error instead of eating memory.
 */
import type { Drawing, Polyline, SvgWarning, SvgWarningCode } from './types';
import { SvgError } from './errors';
import { type LayerSlot, LayerSet, parseLayerLabel } from './layers';
import { BadAttribute, SHAPES, shapeToPolylines, type Viewport } from './shapes';
import { EMPTY_STYLESHEET, MAX_RULES, parseStylesheet } from './css';
import { computeStyle, ROOT_STYLE, type Style } from './style';
import { ClipStack, clipPolylines } from './clip';
import { ClipResolver } from './clip-paths';
import { conditionsHold, DEFAULT_LANGUAGE, switchChoice } from './conditions';
import { IDENTITY, type Matrix, multiply, parseTransform, scale, translate } from './transform';
import {
  isPhysicalLength,
  lengthAttr,
  MM_PER_PX,
  parseLength,
  parseViewBox,
  type ViewBox,
  viewBoxTransform,
} from './units';
import { hrefOf, MAX_SVG_BYTES, parseXml, type XmlElement } from './xml';

export { SvgError, type SvgErrorKind } from './errors';

export interface ReadSvgOptions {
  /** Chord tolerance in mm on paper; default 0.05. */
  toleranceMm?: number;
  /** Default MAX_SVG_BYTES (64 MiB). */
  maxBytes?: number;
  /** Default 1,000,000. */
  maxElements?: number;
  /** Used in messages. */
  fileName?: string;
  /** The reader's language for `systemLanguage` (switch, conditional elements); default 'en'. */
  language?: string;
}

/** Containers whose children render. */
const GROUPS = new Set(['g', 'a', 'switch']);
const TEXT = new Set(['text', 'flowRoot']);
/** Elements that draw something we cannot plot. */
const UNSUPPORTED = new Set(['foreignObject', 'video', 'canvas', 'iframe']);
const INKSCAPE_LAYER = 'layer';

/** How many tree nodes `use` expansion may visit, as a multiple of the element limit. */
const EXPANSION_FACTOR = 4;

class Warnings {
  private readonly map = new Map<string, SvgWarning>();
  add(code: SvgWarningCode, message: string, count = 1): void {
    const key = `${code}\u0000${message}`;
    const w = this.map.get(key);
    if (w) w.count += count;
    else this.map.set(key, { code, message, count });
  }
  list(): SvgWarning[] {
    return [...this.map.values()];
  }
}

interface Frame {
  el: XmlElement;
  m: Matrix;
  style: Style;
  layer: LayerSlot | null;
  /** The `use` elements being expanded around this frame, to detect cycles. */
  uses: UseChain | null;
  /** Set when this element is the target of a `use`: symbols render only then. */
  viaUse: boolean;
  /** The clip regions of this element's ancestors (and of the `use` that placed it). */
  clip: ClipStack | null;
}

interface UseChain {
  use: XmlElement;
  parent: UseChain | null;
}

function inChain(chain: UseChain | null, use: XmlElement): boolean {
  for (let c = chain; c; c = c.parent) if (c.use === use) return true;
  return false;
}

interface Page {
  /** null when the file does not say (size then comes from the content). */
  widthMm: number | null;
  heightMm: number | null;
  /** Width and height are in physical units (one of them may follow the viewBox). */
  physical: boolean;
  /** User units of the root → mm. */
  m: Matrix;
  viewport: Viewport;
}

/**
 * The page: width/height with units; a percentage with a viewBox means the viewBox at 96 px/in
 * (as vpype does); a missing side follows the viewBox aspect ratio.
 */
function pageOf(root: XmlElement, fileName: string, warnings: Warnings): Page {
  const vbText = root.attrs.get('viewBox');
  const vb = parseViewBox(vbText);
  if (vbText !== undefined && !vb)
    warnings.add('bad_attribute', `the viewBox "${vbText}" is not usable and was ignored`);
  const abs = (name: string): number | null => {
    const text = root.attrs.get(name);
    const l = parseLength(text);
    if (text !== undefined && !l)
      warnings.add('bad_attribute', `the ${name} "${text}" is not a length and was ignored`);
    return l && 'px' in l ? l.px : null;
  };
  let w = abs('width');
  let h = abs('height');
  if (vb) {
    if (w === null && h === null) [w, h] = [vb.w, vb.h];
    else if (w === null) w = (h! * vb.w) / vb.h;
    else if (h === null) h = (w * vb.h) / vb.w;
  }
  for (const [side, v] of [
    ['width', w],
    ['height', h],
  ] as const) {
    if (v !== null && !(v > 0 && Number.isFinite(v))) {
      throw new SvgError(
        'bad_geometry',
        `${fileName}: the document ${side} is ${v} — set a positive page size in your editor (Inkscape: Document Properties).`,
      );
    }
  }
  const m = multiply(
    scale(MM_PER_PX, MM_PER_PX),
    vb && w !== null && h !== null
      ? viewBoxTransform(vb, w, h, root.attrs.get('preserveAspectRatio'))
      : IDENTITY,
  );
  const viewport: Viewport = vb ? { w: vb.w, h: vb.h } : { w: w ?? 0, h: h ?? 0 };
  const sides = [root.attrs.get('width'), root.attrs.get('height')].filter((t) => t !== undefined);
  const physical = w !== null && h !== null && sides.length > 0 && sides.every(isPhysicalLength);
  return {
    widthMm: w === null ? null : w * MM_PER_PX,
    heightMm: h === null ? null : h * MM_PER_PX,
    physical,
    m,
    viewport,
  };
}

/** One pass over the tree: ids for `use`, and whether Inkscape layers exist. */
function index(root: XmlElement): {
  ids: Map<string, XmlElement>;
  hasLayers: boolean;
  css: string[];
} {
  const ids = new Map<string, XmlElement>();
  const css: string[] = [];
  let hasLayers = false;
  const stack = [root];
  while (stack.length) {
    const el = stack.pop()!;
    const id = el.attrs.get('id');
    if (id !== undefined && !ids.has(id)) ids.set(id, el);
    if (el.name === 'g' && el.attrs.get('inkscape:groupmode') === INKSCAPE_LAYER) hasLayers = true;
    if (el.name === 'style' && el.text && (el.attrs.get('type') ?? 'text/css') === 'text/css')
      css.push(el.text);
    // Reversed onto the stack, so the sheets come out in document order.
    for (let i = el.children.length - 1; i >= 0; i--) stack.push(el.children[i]!);
  }
  return { ids, hasLayers, css };
}

/** Shapes in a hidden subtree, for the hidden_skipped count. */
function countShapes(el: XmlElement): number {
  let n = 0;
  const stack = [el];
  while (stack.length) {
    const e = stack.pop()!;
    if (SHAPES.has(e.name) || e.name === 'use') n++;
    for (const c of e.children) stack.push(c);
  }
  return n;
}

function allFinite(paths: Polyline[]): boolean {
  for (const p of paths)
    for (let i = 0; i < p.length; i++) if (!Number.isFinite(p[i])) return false;
  return true;
}

function colorKey(style: Style): string {
  if (style.stroke !== 'none') return style.stroke;
  if (style.fill !== 'none') return style.fill;
  return '#000000';
}

/** Placement of a nested viewport (nested svg, or a symbol through use): x/y then its viewBox. */
function viewportTransform(
  target: XmlElement,
  use: XmlElement | null,
  x: number,
  y: number,
): Matrix {
  let m = translate(x, y);
  const vb: ViewBox | null = parseViewBox(target.attrs.get('viewBox'));
  if (vb) {
    const w = (use && lengthAttr(use, 'width')) ?? lengthAttr(target, 'width') ?? vb.w;
    const h = (use && lengthAttr(use, 'height')) ?? lengthAttr(target, 'height') ?? vb.h;
    m = multiply(m, viewBoxTransform(vb, w, h, target.attrs.get('preserveAspectRatio')));
  }
  return m;
}

export function readSvg(input: Buffer | string, opts: ReadSvgOptions = {}): Drawing {
  const fileName = opts.fileName ?? 'SVG input';
  const tol = opts.toleranceMm ?? 0.05;
  if (!(tol > 0 && Number.isFinite(tol)))
    throw new RangeError(`toleranceMm must be a positive number, got ${tol}`);
  const maxElements = opts.maxElements ?? 1_000_000;
  const { root, elementCount } = parseXml(input, {
    maxBytes: opts.maxBytes ?? MAX_SVG_BYTES,
    maxElements,
    fileName,
  });

  const warnings = new Warnings();
  const page = pageOf(root, fileName, warnings);
  const { ids, hasLayers, css } = index(root);
  const sheet = css.length ? parseStylesheet(css, fileName) : EMPTY_STYLESHEET;
  if (sheet.overCap)
    warnings.add(
      'unsupported_element',
      `the stylesheet (<style>) has more than ${MAX_RULES} rules; the rules after the first ${MAX_RULES} were not applied`,
      sheet.overCap,
    );
  if (sheet.skipped)
    warnings.add(
      'unsupported_element',
      'CSS rules with selectors other than element, .class and #id joined by spaces or > (or inside @media) were not applied',
      sheet.skipped,
    );
  const layers = new LayerSet(hasLayers);
  const skippedLayers: string[] = [];
  let hidden = 0;
  /** Elements whose every line lies outside their clip path, named when nothing is left to plot. */
  let clippedAway = 0;
  let budget = EXPANSION_FACTOR * maxElements;

  const rootStyle = computeStyle(root, ROOT_STYLE, sheet);
  const rootTransform = root.attrs.get('transform');
  let rootMatrix = page.m;
  if (rootTransform !== undefined) {
    const t = parseTransform(rootTransform);
    if (t) rootMatrix = multiply(page.m, t);
    else
      warnings.add(
        'bad_attribute',
        `the transform "${rootTransform}" of the <svg> element is unreadable and was ignored`,
      );
  }
  const language = opts.language ?? DEFAULT_LANGUAGE;
  const clips = new ClipResolver({
    ids,
    sheet,
    tol,
    viewport: page.viewport,
    language,
    fileName,
    warn: (code, message) => warnings.add(code, message),
  });
  const stack: Frame[] = [];
  const pushChildren = (
    parent: XmlElement,
    m: Matrix,
    style: Style,
    layer: LayerSlot | null,
    uses: UseChain | null,
    clip: ClipStack | null,
  ): void => {
    if (parent.name === 'switch') {
      // Illustrator puts a foreignObject asking for its extension first, then the drawing.
      const child = switchChoice(parent, language);
      if (child) stack.push({ el: child, m, style, layer, uses, viaUse: false, clip });
      return;
    }
    for (let i = parent.children.length - 1; i >= 0; i--)
      stack.push({ el: parent.children[i]!, m, style, layer, uses, viaUse: false, clip });
  };
  let rootClip: ClipStack | null = null;
  if (rootStyle.clipPath) {
    const region = clips.resolve(rootStyle.clipPath, root, rootMatrix);
    if (region) rootClip = ClipStack.of(null, region);
  }
  pushChildren(root, rootMatrix, rootStyle.style, null, null, rootClip);

  while (stack.length) {
    const f = stack.pop()!;
    const el = f.el;
    // Without <use> every element is visited at most once, so only clones can exhaust this.
    if (--budget < 0) {
      throw new SvgError(
        'too_many_elements',
        `${fileName}: <use> references expand to more than ${EXPANSION_FACTOR * maxElements} elements — flatten the clones in your editor (Inkscape: Edit > Clone > Unlink Clone).`,
      );
    }
    const isShape = SHAPES.has(el.name);
    const isUse = el.name === 'use';
    const renders =
      isShape ||
      isUse ||
      GROUPS.has(el.name) ||
      el.name === 'svg' ||
      (el.name === 'symbol' && f.viaUse);
    if (!renders) {
      if (TEXT.has(el.name))
        warnings.add(
          'text_not_plottable',
          'text is not plottable — convert text to paths in your editor: Inkscape Path > Object to Path',
        );
      else if (el.name === 'image')
        warnings.add(
          'image_not_plottable',
          'bitmap images are not plottable — trace them to paths (Inkscape: Path > Trace Bitmap) or remove them',
        );
      else if (UNSUPPORTED.has(el.name))
        warnings.add('unsupported_element', `<${el.name}> is not supported and was left out`);
      continue;
    }
    if (!conditionsHold(el, language)) continue;
    const cs = computeStyle(el, f.style, sheet);
    if (cs.displayNone) {
      hidden += countShapes(el);
      continue;
    }
    if (cs.masked)
      warnings.add(
        'unsupported_element',
        'masks are not applied — everything inside them is plotted in full',
      );
    let m = f.m;
    const transformText = el.attrs.get('transform');
    if (transformText !== undefined) {
      const t = parseTransform(transformText);
      if (!t) {
        warnings.add('bad_attribute', 'elements with an unreadable transform were left out');
        continue;
      }
      m = multiply(m, t);
    }
    let clip = f.clip;
    if (cs.clipPath) {
      // A use is a group translated by x, y (SVG 1.1 section 5.6): its clip moves with it.
      const space = isUse
        ? multiply(m, translate(lengthAttr(el, 'x') ?? 0, lengthAttr(el, 'y') ?? 0))
        : m;
      const region = clips.resolve(cs.clipPath, el, space);
      if (region) clip = ClipStack.of(clip, region);
    }

    if (isShape) {
      if (!cs.style.visible) {
        hidden++;
        continue;
      }
      let paths: Polyline[];
      try {
        paths = shapeToPolylines(el, m, tol, page.viewport);
      } catch (e) {
        if (!(e instanceof BadAttribute)) throw e;
        warnings.add(
          'bad_attribute',
          'elements with unreadable coordinates (garbage, NaN or Infinity) were left out',
        );
        continue;
      }
      if (!allFinite(paths)) {
        warnings.add(
          'bad_attribute',
          'elements whose coordinates overflow after transforms were left out',
        );
        continue;
      }
      if (clip) {
        paths = clipPolylines(paths, clip);
        if (!paths.length) clippedAway++;
      }
      if (!paths.length) continue;
      // Plotted like any shape (the AxiDraw convention), but a white page-sized rectangle is
      // usually an editor's background (Figma's frame), not a line to draw.
      if (cs.style.stroke === 'none' && cs.style.fill === '#ffffff') {
        warnings.add(
          'white_fill',
          'white-filled shapes without a stroke (a background?) are plotted as outlines in their own layer; delete them in your editor if they are not meant to be drawn',
        );
      }
      layers.add(f.layer, colorKey(cs.style), paths);
      continue;
    }

    if (isUse) {
      const href = hrefOf(el) ?? '';
      const target = href.startsWith('#') ? ids.get(href.slice(1)) : undefined;
      if (!target) {
        warnings.add(
          'missing_reference',
          `<use> references that point nowhere (or outside the file) were left out`,
        );
        continue;
      }
      if (inChain(f.uses, el)) {
        warnings.add(
          'bad_attribute',
          '<use> elements that reference themselves (a cycle) were left out',
        );
        continue;
      }
      const x = lengthAttr(el, 'x') ?? 0;
      const y = lengthAttr(el, 'y') ?? 0;
      const place =
        target.name === 'symbol' || target.name === 'svg'
          ? viewportTransform(target, el, x, y)
          : translate(x, y);
      // The clone inherits style from the <use>, not from where the original sits.
      stack.push({
        el: target,
        m: multiply(m, place),
        style: cs.style,
        layer: f.layer,
        uses: { use: el, parent: f.uses },
        viaUse: true,
        clip,
      });
      continue;
    }

    let layer = f.layer;
    if (!layer && el.name === 'g' && el.attrs.get('inkscape:groupmode') === INKSCAPE_LAYER) {
      const label = el.attrs.get('inkscape:label') ?? el.attrs.get('id') ?? '';
      const parsed = parseLayerLabel(label);
      if (parsed.skip) {
        skippedLayers.push(label);
        continue;
      }
      for (const why of parsed.ignored)
        warnings.add(
          'bad_attribute',
          `layer "${label}": ${why} and was ignored, as the AxiDraw software does`,
        );
      layer = layers.openInkscapeLayer(label, parsed);
    }
    // A nested <svg> reached directly establishes its own viewport; via <use> it was placed already.
    if (el.name === 'svg' && !f.viaUse)
      m = multiply(
        m,
        viewportTransform(el, null, lengthAttr(el, 'x') ?? 0, lengthAttr(el, 'y') ?? 0),
      );
    pushChildren(el, m, cs.style, layer, f.uses, clip);
  }

  if (hidden)
    warnings.add(
      'hidden_skipped',
      'hidden elements (display:none or visibility:hidden) were not plotted',
      hidden,
    );
  const drawn = layers.result();
  let paths = 0;
  let points = 0;
  let maxX = 0;
  let maxY = 0;
  for (const l of drawn) {
    paths += l.paths.length;
    for (const p of l.paths) {
      points += p.length / 2;
      for (let i = 0; i < p.length; i += 2) {
        if (p[i]! > maxX) maxX = p[i]!;
        if (p[i + 1]! > maxY) maxY = p[i + 1]!;
      }
    }
  }
  if (!paths) {
    const why = warnings
      .list()
      .filter((w) => w.code !== 'no_size')
      .map((w) => w.message);
    const skipped = skippedLayers.length
      ? [`only %-layers (${skippedLayers.join(', ')}), which are never plotted`]
      : [];
    const outside = clippedAway
      ? [
          `${clippedAway} element${clippedAway === 1 ? ' lies' : 's lie'} wholly outside ${clippedAway === 1 ? 'its clip path' : 'their clip paths'}`,
        ]
      : [];
    const detail = [...why, ...skipped, ...outside];
    throw new SvgError(
      'nothing_plottable',
      `${fileName}: nothing to plot — the file has no visible paths or shapes${detail.length ? ` (${detail.join('; ')})` : ''}; draw or convert something to paths in your editor and save again.`,
    );
  }
  if (page.widthMm === null || page.heightMm === null) {
    warnings.add(
      'no_size',
      'the file does not say its page size (no width/height or viewBox); the size of the drawing itself is used',
    );
  }
  return {
    widthMm: page.widthMm ?? maxX,
    heightMm: page.heightMm ?? maxY,
    ...(page.physical && { physicalSize: true }),
    layers: drawn,
    skippedLayers,
    warnings: warnings.list(),
    stats: { elements: elementCount, paths, points },
  };
}
