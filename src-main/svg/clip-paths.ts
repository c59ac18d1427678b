/**
 * `clip-path: url(#id)` → the clip region in output mm, per CSS Masking 1 section 6: the clipPath's
 * children (shapes, or `use` of a shape) in the user space of the element it clips — or, with
 * clipPathUnits="objectBoundingBox", in that element's bounding box — then the clipPath's own
 * transform; each child filled by its clip-rule; the union of the children; a clip-path on a
 * child or on the clipPath itself intersects. A reference to no clipPath is ignored, as
 * browsers do (the web-platform test clip-path-invalid-reference): the element plots unclipped.
 */
import type { SvgWarningCode } from './types';
import { type ClipArea, type ClipRegion, EdgeGrid } from './clip';
import { conditionsHold } from './conditions';
import { SvgError } from './errors';
import type { Stylesheet } from './css';
import { BadAttribute, SHAPES, shapeToPolylines, type Viewport } from './shapes';
import { computeStyle, ROOT_STYLE } from './style';
import { IDENTITY, type Matrix, maxScale, multiply, parseTransform, translate } from './transform';
import { lengthAttr } from './units';
import { hrefOf, type XmlElement } from './xml';

export interface ClipContext {
  ids: Map<string, XmlElement>;
  sheet: Stylesheet;
  /** Chord tolerance in output mm. */
  tol: number;
  viewport: Viewport;
  language: string;
  /** Named in the error when the clip budget runs out. */
  fileName: string;
  warn: (code: SvgWarningCode, message: string) => void;
}

/** Elements a bounding box walk descends into. */
const CONTAINERS = new Set(['g', 'a', 'switch', 'svg', 'symbol']);
/** Bounds one bounding-box walk through `use` chains (cycles included). */
const BBOX_VISITS = 100_000;
/**
 * Clip edges built plus bounding-box nodes visited, over the whole document: far beyond real
 * drawings (a shared clip is built once per user space), so a hostile file of many elements
 * each clipped by a huge objectBoundingBox clip stops with an error instead of running for hours.
 */
export const CLIP_WORK_BUDGET = 2_000_000;

const LOCAL_URL = /^url\(\s*(['"]?)#([^'")\s]+)\1\s*\)$/;

/** The element's transform; IDENTITY when absent, null when unreadable. */
function ownTransform(el: XmlElement): Matrix | null {
  const text = el.attrs.get('transform');
  return text === undefined ? IDENTITY : parseTransform(text);
}

export class ClipResolver {
  private readonly cache = new Map<string, ClipRegion>();
  /** clipPath elements being resolved, to stop reference cycles. */
  private readonly open = new Set<XmlElement>();
  private work = CLIP_WORK_BUDGET;

  constructor(private readonly ctx: ClipContext) {}

  /**
   * The region `clip-path: value` on `el` allows, with `m` mapping el's user space (its own
   * transform included) to mm; null when the value clips nothing we understand (warned).
   */
  resolve(value: string, el: XmlElement, m: Matrix): ClipRegion | null {
    const { ids, warn } = this.ctx;
    const url = LOCAL_URL.exec(value.trim());
    if (!url) {
      if (value.trim().startsWith('url('))
        warn(
          'missing_reference',
          'clip paths in other files were not applied — those elements are plotted unclipped',
        );
      else
        warn(
          'unsupported_element',
          `CSS shapes as clip-path (such as "${value.slice(0, 40)}") are not applied — those elements are plotted unclipped`,
        );
      return null;
    }
    const target = ids.get(url[2]!);
    if (!target || target.name !== 'clipPath') {
      warn(
        'missing_reference',
        'clip-path references to no <clipPath> in the file were ignored, as browsers do: those elements are plotted unclipped',
      );
      return null;
    }
    if (this.open.has(target)) {
      warn('bad_attribute', 'clip paths that clip themselves (a reference cycle) were ignored');
      return null;
    }
    const own = ownTransform(target);
    if (!own) {
      warn(
        'bad_attribute',
        'clip paths with an unreadable transform were ignored: those elements are plotted unclipped',
      );
      return null;
    }
    let cm = multiply(m, own);
    if (target.attrs.get('clipPathUnits') === 'objectBoundingBox') {
      const box = userBBox(el, this.ctx, maxScale(m), (n) => this.spend(n));
      // No area to be a fraction of: the clip region is empty and nothing shows.
      if (!box || box[2] <= box[0] || box[3] <= box[1]) return { areas: [], within: [] };
      cm = multiply(cm, [box[2] - box[0], 0, 0, box[3] - box[1], box[0], box[1]]);
    }
    const key = `${url[2]}|${cm.join(',')}|${m.join(',')}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    this.open.add(target);
    try {
      const region = this.build(target, cm, m);
      this.cache.set(key, region);
      return region;
    } finally {
      this.open.delete(target);
    }
  }

  private spend(n: number): void {
    this.work -= n;
    if (this.work < 0) {
      throw new SvgError(
        'too_many_elements',
        `${this.ctx.fileName}: applying the clip paths takes more than ${CLIP_WORK_BUDGET} clip edges (many elements, each clipped by a large clip of its own) — release the clips in your editor (Inkscape: Object > Clip > Release) or simplify the clip shapes.`,
      );
    }
  }

  private build(clipPath: XmlElement, cm: Matrix, m: Matrix): ClipRegion {
    const { sheet, language, warn } = this.ctx;
    const own = computeStyle(clipPath, ROOT_STYLE, sheet);
    const areas: ClipArea[] = [];
    for (const child of clipPath.children) {
      if (!conditionsHold(child, language)) continue;
      const cs = computeStyle(child, ROOT_STYLE, sheet);
      if (cs.displayNone || !cs.style.visible) continue;
      const t = ownTransform(child);
      if (!t) {
        warn(
          'bad_attribute',
          'clip path shapes with an unreadable transform were left out of their clip path',
        );
        continue;
      }
      const childM = multiply(cm, t);
      let shape = child;
      let shapeM = childM;
      let rule = cs.clipRule ?? own.clipRule ?? 'nonzero';
      if (child.name === 'use') {
        const href = hrefOf(child) ?? '';
        const ref = href.startsWith('#') ? this.ctx.ids.get(href.slice(1)) : undefined;
        const rt = ref && ownTransform(ref);
        if (!ref || !SHAPES.has(ref.name) || !rt) continue;
        const rs = computeStyle(ref, ROOT_STYLE, sheet);
        if (rs.displayNone) continue;
        shape = ref;
        shapeM = multiply(
          multiply(childM, translate(lengthAttr(child, 'x') ?? 0, lengthAttr(child, 'y') ?? 0)),
          rt,
        );
        rule = rs.clipRule ?? rule;
      } else if (!SHAPES.has(child.name)) {
        if (child.name === 'text')
          warn(
            'text_not_plottable',
            'text inside clip paths is not applied — convert it to paths in your editor (Inkscape: Path > Object to Path)',
          );
        continue;
      }
      let rings: Float64Array[];
      try {
        rings = shapeToPolylines(shape, shapeM, this.ctx.tol, this.ctx.viewport);
      } catch (e) {
        if (!(e instanceof BadAttribute)) throw e;
        warn(
          'bad_attribute',
          'clip path shapes with unreadable coordinates were left out of their clip path',
        );
        continue;
      }
      const within = cs.clipPath ? this.resolve(cs.clipPath, child, childM) : null;
      const grid = new EdgeGrid(rings);
      this.spend(grid.count);
      areas.push({ grid, rule, within: within ? [within] : [] });
    }
    // The clipPath's own clip-path applies in the same user space as the clipPath.
    const within = own.clipPath ? this.resolve(own.clipPath, clipPath, m) : null;
    return { areas, within: within ? [within] : [] };
  }
}

/**
 * The bounding box of el's geometry in its own user space (its transform excluded), as
 * [minX, minY, maxX, maxY]; null when it has none. `scale` turns the mm tolerance into user units.
 */
export function userBBox(
  el: XmlElement,
  ctx: ClipContext,
  scale: number,
  spend: (n: number) => void,
): [number, number, number, number] | null {
  const tol = scale > 0 ? ctx.tol / scale : ctx.tol;
  const box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  const stack: { el: XmlElement; m: Matrix }[] = [{ el, m: IDENTITY }];
  let visits = BBOX_VISITS;
  while (stack.length && --visits > 0) {
    const { el: e, m: parent } = stack.pop()!;
    const t = e === el ? IDENTITY : ownTransform(e);
    if (!t || e.attrs.get('display') === 'none' || !conditionsHold(e, ctx.language)) continue;
    const m = multiply(parent, t);
    spend(1);
    if (SHAPES.has(e.name)) {
      let paths: Float64Array[];
      try {
        paths = shapeToPolylines(e, m, tol, ctx.viewport);
      } catch (err) {
        if (!(err instanceof BadAttribute)) throw err;
        continue;
      }
      for (const p of paths) {
        spend(p.length / 2);
        for (let i = 0; i < p.length; i += 2) {
          box[0] = Math.min(box[0], p[i]!);
          box[1] = Math.min(box[1], p[i + 1]!);
          box[2] = Math.max(box[2], p[i]!);
          box[3] = Math.max(box[3], p[i + 1]!);
        }
      }
    } else if (e.name === 'use') {
      const href = hrefOf(e) ?? '';
      const ref = href.startsWith('#') ? ctx.ids.get(href.slice(1)) : undefined;
      // The clipped use's own x, y belong to its user space already (see read.ts).
      if (ref)
        stack.push({
          el: ref,
          m:
            e === el ? m : multiply(m, translate(lengthAttr(e, 'x') ?? 0, lengthAttr(e, 'y') ?? 0)),
        });
    } else if (CONTAINERS.has(e.name)) {
      for (const c of e.children) stack.push({ el: c, m });
    }
  }
  return box[0] <= box[2] ? box : null;
}
