/**
 * The part of CSS that SVG editors write in `<style>`: Illustrator's `.cls-1 { fill: none;
 * stroke: #000 }`, Affinity's and Figma's class and id rules, `display: none` on a class, and
 * hand-written `#layer1 path` or `g > .a`. Compound selectors (`path`, `.a`, `#b`, `g.a.b`, `*`)
 * joined by descendant and child combinators, lists of them, ordered by specificity and then by
 * place in the sheet, as a browser does. Rules with sibling combinators, pseudo-classes or
 * attribute selectors, and at-rules (`@media`), are counted and left out: the caller warns.
 */
import { SvgError } from './errors';
import type { XmlElement } from './xml';

/** Far beyond an editor's export (Illustrator writes one class per style used). */
export const MAX_RULES = 5_000;
/** Rule matches over the whole document, so a hostile sheet × element count stays bounded. */
const MATCH_BUDGET = 5_000_000;

interface Compound {
  type: string | null;
  id: string | null;
  classes: string[];
}

interface Selector {
  /** Outermost first; the last one is the element the rule styles. */
  compounds: Compound[];
  /** Between compounds i and i + 1: true for `>`, false for a descendant (space). */
  child: boolean[];
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

export const EMPTY_STYLESHEET: Stylesheet = {
  buckets: new Map(),
  skipped: 0,
  overCap: 0,
  budget: 0,
  fileName: '',
};

function bucketKey(s: Selector): string {
  const c = s.compounds[s.compounds.length - 1]!;
  return c.id !== null ? `#${c.id}` : c.classes.length ? `.${c.classes[0]}` : (c.type ?? '*');
}

const SIMPLE = /^(\*|[A-Za-z][\w-]*)?((?:[#.][\w-]+)*)$/;

function parseCompound(text: string): Compound | null {
  const m = SIMPLE.exec(text);
  if (!m || text === '') return null;
  const type = m[1] && m[1] !== '*' ? m[1] : null;
  let id: string | null = null;
  const classes: string[] = [];
  for (const part of m[2]!.match(/[#.][\w-]+/g) ?? []) {
    if (part[0] === '#') {
      if (id !== null && id !== part.slice(1)) return null;
      id = part.slice(1);
    } else classes.push(part.slice(1));
  }
  return { type, id, classes };
}

function parseSelector(text: string): Selector | null {
  const tokens = text
    .replace(/\s*>\s*/g, ' > ')
    .trim()
    .split(/\s+/);
  const compounds: Compound[] = [];
  const child: boolean[] = [];
  let pendingChild = false;
  for (const token of tokens) {
    if (token === '>') {
      if (!compounds.length || pendingChild) return null;
      pendingChild = true;
      continue;
    }
    const c = parseCompound(token);
    if (!c) return null;
    if (compounds.length) child.push(pendingChild);
    pendingChild = false;
    compounds.push(c);
  }
  if (!compounds.length || pendingChild) return null;
  const specificity: [number, number, number] = [0, 0, 0];
  for (const c of compounds) {
    if (c.id !== null) specificity[0]++;
    specificity[1] += c.classes.length;
    if (c.type !== null) specificity[2]++;
  }
  return { compounds, child, specificity };
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
  for (let i = 0; ;) {
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
      while (stop < css.length && css[stop] !== '{' && css[stop] !== ';' && css[stop] !== '}')
        stop++;
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
        else if (rules.length < MAX_RULES)
          rules.push({ selector, rank: rules.length, declarations });
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

function classesOf(el: XmlElement): string[] {
  return (el.attrs.get('class') ?? '').split(/\s+/).filter(Boolean);
}

function compoundMatches(c: Compound, el: XmlElement): boolean {
  if ((c.type !== null && c.type !== el.name) || (c.id !== null && c.id !== el.attrs.get('id')))
    return false;
  if (!c.classes.length) return true;
  const classes = classesOf(el);
  return c.classes.every((k) => classes.includes(k));
}

/** Compounds 0..i against el and its ancestors, right to left, trying every ancestor a descendant combinator allows. */
function matchesFrom(sheet: Stylesheet, s: Selector, i: number, el: XmlElement): boolean {
  if (--sheet.budget < 0) overBudget(sheet);
  if (!compoundMatches(s.compounds[i]!, el)) return false;
  if (i === 0) return true;
  if (s.child[i - 1]) return el.parent !== null && matchesFrom(sheet, s, i - 1, el.parent);
  for (let a = el.parent; a; a = a.parent) if (matchesFrom(sheet, s, i - 1, a)) return true;
  return false;
}

function overBudget(sheet: Stylesheet): never {
  throw new SvgError(
    'too_many_elements',
    `${sheet.fileName}: the stylesheet (<style>) applies too many rules to too many elements — simplify the drawing or export it with presentation attributes instead of CSS.`,
  );
}

/** The sheet's declarations for `el`, weakest first: later ones win. */
export function sheetDeclarations(sheet: Stylesheet, el: XmlElement): [string, string][] {
  if (!sheet.buckets.size) return [];
  const id = el.attrs.get('id');
  const classes = classesOf(el);
  const keys = new Set(['*', el.name, ...(id ? [`#${id}`] : []), ...classes.map((c) => `.${c}`)]);
  const hits: Rule[] = [];
  for (const key of keys) {
    const list = sheet.buckets.get(key);
    if (!list) continue;
    for (const r of list)
      if (matchesFrom(sheet, r.selector, r.selector.compounds.length - 1, el)) hits.push(r);
  }
  hits.sort((a, b) => a.rank - b.rank);
  return hits.flatMap((r) => r.declarations);
}
