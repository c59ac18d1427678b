/**
 * The part of CSS that SVG editors write in `<style>`: Illustrator's `.cls-1 { fill: none;
 * stroke: #000 }`, Affinity's and Figma's class and id rules, `display: none` on a class. Simple
 * selectors only (`path`, `.a`, `#b`, `g.a.b`, `*`, lists of them), ordered by specificity and
 * then by place in the sheet, as a browser does. Rules with combinators, pseudo-classes or
 * attribute selectors, and at-rules (`@media`), are counted and left out: the caller warns.
 */
import { SvgError } from './errors';
import type { XmlElement } from './xml';

/** Far beyond an editor's export (Illustrator writes one class per style used). */
export const MAX_RULES = 5_000;
/** Rule matches over the whole document, so a hostile sheet × element count stays bounded. */
const MATCH_BUDGET = 5_000_000;

interface Selector {
  type: string | null;
  id: string | null;
  classes: string[];
  /** ids, classes, types: compared in that order. */
  specificity: [number, number, number];
}

interface Rule {
  selector: Selector;
  /** Place in the cascade: specificity, then order in the sheet. */
  rank: number;
  declarations: [string, string][];
}

export interface Stylesheet {
  /** Each rule under one key it needs: `#id`, `.class`, the element name, or `*`. */
  buckets: Map<string, Rule[]>;
  /** Rules (or at-rules) that were not understood, so not applied. */
  skipped: number;
  /** Rules beyond MAX_RULES: understood, but not applied so a hostile sheet stays bounded. */
  overCap: number;
  /** Matches still allowed before the document counts as hostile. */
  budget: number;
  /** Named in the error when the budget runs out. */
  fileName: string;
}

export const EMPTY_STYLESHEET: Stylesheet = { buckets: new Map(), skipped: 0, overCap: 0, budget: 0, fileName: '' };

function bucketKey(s: Selector): string {
  return s.id !== null ? `#${s.id}` : s.classes.length ? `.${s.classes[0]}` : (s.type ?? '*');
}

const SIMPLE = /^(\*|[A-Za-z][\w-]*)?((?:[#.][\w-]+)*)$/;

function parseSelector(text: string): Selector | null {
  const m = SIMPLE.exec(text.trim());
  if (!m || text.trim() === '') return null;
  const type = m[1] && m[1] !== '*' ? m[1] : null;
  let id: string | null = null;
  const classes: string[] = [];
  for (const part of m[2]!.match(/[#.][\w-]+/g) ?? []) {
    if (part[0] === '#') {
      if (id !== null && id !== part.slice(1)) return null;
      id = part.slice(1);
    } else classes.push(part.slice(1));
  }
  return { type, id, classes, specificity: [id ? 1 : 0, classes.length, type ? 1 : 0] };
}

/** `prop: value; …` → pairs with lower-case names; `!important` is dropped (rare in exports). */
export function parseDeclarations(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const decl of text.split(';')) {
    const colon = decl.indexOf(':');
    if (colon < 0) continue;
    const key = decl.slice(0, colon).trim().toLowerCase();
    const value = decl
      .slice(colon + 1)
      .replace(/!important/i, '')
      .trim();
    if (key && value) out.push([key, value]);
  }
  return out;
}

/** Without comments; an unclosed one runs to the end, as in CSS. One pass, whatever the input. */
function stripComments(css: string): string {
  let out = '';
  for (let i = 0; ; ) {
    const open = css.indexOf('/*', i);
    if (open < 0) return out + css.slice(i);
    out += css.slice(i, open);
    const close = css.indexOf('*/', open + 2);
    if (close < 0) return out;
    i = close + 2;
  }
}

/** Where the block opened at `open` closes (nested braces counted), or the end. */
function blockEnd(css: string, open: number): number {
  let depth = 0;
  for (let j = open; j < css.length; j++) {
    if (css[j] === '{') depth++;
    else if (css[j] === '}' && --depth === 0) return j;
  }
  return css.length;
}

/**
 * Parses the text of every `<style>` element of a document, in order. A single forward scan:
 * hostile input (a 64 MiB sheet of `@import`, unclosed comments) costs linear time.
 */
export function parseStylesheet(texts: readonly string[], fileName: string): Stylesheet {
  const rules: Rule[] = [];
  let skipped = 0;
  let overCap = 0;
  for (const raw of texts) {
    const css = stripComments(raw).replace(/<!--|-->/g, ' ');
    let i = 0;
    while (i < css.length) {
      if (/\s/.test(css[i]!)) {
        i++;
        continue;
      }
      let stop = i;
      while (stop < css.length && css[stop] !== '{' && css[stop] !== ';' && css[stop] !== '}') stop++;
      const prelude = css.slice(i, stop).trim();
      if (stop >= css.length) break;
      if (css[stop] !== '{') {
        // A statement (@import, @charset) or stray text: nothing to apply. An @import would
        // fetch a file, which never happens here.
        if (prelude && !/^@charset/i.test(prelude)) skipped++;
        i = stop + 1;
        continue;
      }
      const close = prelude.startsWith('@') ? blockEnd(css, stop) : css.indexOf('}', stop);
      const end = close < 0 ? css.length : close;
      i = end + 1;
      // @media, @supports …: their rules apply only sometimes, so never here; @font-face is no rule.
      if (prelude.startsWith('@')) {
        if (!/^@font-face/i.test(prelude)) skipped++;
        continue;
      }
      const declarations = parseDeclarations(css.slice(stop + 1, end));
      for (const part of prelude.split(',')) {
        const selector = parseSelector(part);
        if (!selector) skipped++;
        else if (rules.length < MAX_RULES) rules.push({ selector, rank: rules.length, declarations });
        else overCap++;
      }
    }
  }
  rules.sort((a, b) => compare(a.selector.specificity, b.selector.specificity) || a.rank - b.rank);
  const buckets = new Map<string, Rule[]>();
  rules.forEach((r, i) => {
    r.rank = i;
    const key = bucketKey(r.selector);
    const list = buckets.get(key);
    if (list) list.push(r);
    else buckets.set(key, [r]);
  });
  return { buckets, skipped, overCap, budget: MATCH_BUDGET, fileName };
}

function compare(a: readonly number[], b: readonly number[]): number {
  return a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
}

function matches(s: Selector, name: string, id: string | undefined, classes: readonly string[]): boolean {
  return (s.type === null || s.type === name) && (s.id === null || s.id === id) && s.classes.every((c) => classes.includes(c));
}

/** The sheet's declarations for `el`, weakest first: later ones win. */
export function sheetDeclarations(sheet: Stylesheet, el: XmlElement): [string, string][] {
  if (!sheet.buckets.size) return [];
  const id = el.attrs.get('id');
  const classes = (el.attrs.get('class') ?? '').split(/\s+/).filter(Boolean);
  const keys = new Set(['*', el.name, ...(id ? [`#${id}`] : []), ...classes.map((c) => `.${c}`)]);
  const hits: Rule[] = [];
  for (const key of keys) {
    const list = sheet.buckets.get(key);
    if (!list) continue;
    sheet.budget -= list.length;
    if (sheet.budget < 0) throw new SvgError('too_many_elements', `${sheet.fileName}: the stylesheet (<style>) applies too many rules to too many elements — simplify the drawing or export it with presentation attributes instead of CSS.`);
    for (const r of list) if (matches(r.selector, el.name, id, classes)) hits.push(r);
  }
  hits.sort((a, b) => a.rank - b.rank);
  return hits.flatMap((r) => r.declarations);
}
