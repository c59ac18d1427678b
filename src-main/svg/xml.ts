/**
 * Safe XML → small element tree. saxes never fetches anything and never expands custom entities;
 * on top of that we refuse any DOCTYPE with an internal subset (the only place entities can be
 * declared) and cap size, element count and nesting depth before they can cost memory or time.
 * The tree is built with an explicit stack, so depth never costs call stack; the depth cap is
 * there because saxes resolves each element's namespace by walking up the open tags (cost ∝ depth).
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { SvgError } from './errors';

const SVG_NS = 'http://www.w3.org/2000/svg';
const XLINK_NS = 'http://www.w3.org/1999/xlink';
const INKSCAPE_NS = 'http://www.inkscape.org/namespaces/inkscape';

export interface XmlElement {
  /** Local name; elements outside the SVG namespace keep a `{uri}` prefix so they never match. */
  name: string;
  /** Attributes without namespace by local name; xlink and inkscape ones as `xlink:x` / `inkscape:x`. */
  attrs: Map<string, string>;
  children: XmlElement[];
  /** For CSS combinators (`g path`, `#layer1 > path`). */
  parent: XmlElement | null;
  line: number;
  /** The text of a `<style>` element (CSS); other elements' text is not kept. */
  text?: string;
}

/** A `use`'s (or any link's) target reference, SVG 2 `href` or SVG 1.1 `xlink:href`. */
export function hrefOf(el: XmlElement): string | undefined {
  return el.attrs.get('href') ?? el.attrs.get('xlink:href');
}

/** Far beyond what editors write (Inkscape files nest a few dozen levels). */
export const MAX_DEPTH = 500;
/** The largest SVG file read: a job is refused at creation beyond it (jobs/workspace.ts). */
export const MAX_SVG_BYTES = 64 * 2 ** 20;

export interface ParseLimits {
  maxBytes: number;
  maxElements: number;
  fileName: string;
}

export interface ParsedXml {
  root: XmlElement;
  elementCount: number;
}

/** Prefixes for the namespaced attributes we read; unbound prefixes (saxes keeps the prefix as URI) too. */
const ATTR_PREFIX: Record<string, string> = {
  [XLINK_NS]: 'xlink:',
  xlink: 'xlink:',
  [INKSCAPE_NS]: 'inkscape:',
  inkscape: 'inkscape:',
};

function localName(el: XmlElement): string {
  return el.name.replace(/^\{[^}]*\}/, '');
}

export function looksBinary(text: string): boolean {
  const head = text.slice(0, 1024);
  return head.startsWith('\u0089PNG') || head.startsWith('\ufffdPNG') || head.includes('\u0000');
}

/** UTF-8 unless a UTF-16 LE byte order mark says otherwise (some Windows tools write that). */
export function xmlText(input: Buffer): string {
  return input[0] === 0xff && input[1] === 0xfe
    ? input.toString('utf16le')
    : input.toString('utf8');
}

export function parseXml(input: Buffer | string, limits: ParseLimits): ParsedXml {
  const { fileName } = limits;
  const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (bytes > limits.maxBytes) {
    throw new SvgError(
      'too_large',
      `${fileName}: the file is ${(bytes / 2 ** 20).toFixed(1)} MiB, over the ${(limits.maxBytes / 2 ** 20).toFixed(0)} MiB limit — simplify the drawing or raise the limit.`,
    );
  }
  let text = typeof input === 'string' ? input : xmlText(input);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '')
    throw new SvgError('not_svg', `${fileName}: the file is empty — it is not an SVG drawing.`);
  if (looksBinary(text)) {
    throw new SvgError(
      'not_svg',
      `${fileName}: line 1: this is a binary file (an image such as PNG?), not an SVG drawing — export an SVG from your editor.`,
    );
  }

  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let count = 0;
  let lastClosed: XmlElement | null = null;

  parser.on('doctype', (doctype) => {
    if (doctype.includes('[')) {
      throw new SvgError(
        'dtd_refused',
        `${fileName}: line ${parser.line}: the DOCTYPE declares its own entities or markup, which is refused for safety (it can read local files or expand without bound) — re-export the SVG without a DOCTYPE.`,
      );
    }
  });
  parser.on('error', (err) => {
    // Editors sometimes write inkscape:/sodipodi: attributes without declaring the prefix; saxes
    // keeps the prefix as the namespace, which is all we need.
    if (err.message.includes('unbound namespace prefix')) return;
    const what = err.message.replace(/^\d+:\d+: /, '').replace(/\.$/, '');
    let hint = what;
    if (what.includes('undefined entity'))
      hint =
        'it uses an entity that is not defined (only &amp; &lt; &gt; &quot; &apos; and numeric ones are allowed)';
    // saxes has just popped the element the stray close tag skipped over: that one is unclosed.
    else if (what.includes('unexpected close tag') && lastClosed)
      hint = `unclosed tag <${localName(lastClosed)}> (opened on line ${lastClosed.line})`;
    else if (what.startsWith('unclosed tag: '))
      hint = `unclosed tag <${what.slice('unclosed tag: '.length)}> at the end of the file`;
    throw new SvgError(
      'malformed_xml',
      `${fileName}: line ${parser.line}: ${hint} — the file is not well-formed XML; re-export it from your editor.`,
    );
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (++count > limits.maxElements) {
      throw new SvgError(
        'too_many_elements',
        `${fileName}: line ${parser.line}: more than ${limits.maxElements} elements — simplify the drawing (e.g. fewer, longer paths) or raise the limit.`,
      );
    }
    if (stack.length >= MAX_DEPTH) {
      throw new SvgError(
        'too_many_elements',
        `${fileName}: line ${parser.line}: elements are nested more than ${MAX_DEPTH} levels deep — ungroup in your editor (Inkscape: Object > Ungroup) and save again.`,
      );
    }
    const attrs = new Map<string, string>();
    for (const key in tag.attributes) {
      const a = tag.attributes[key]!;
      if (a.uri === '') attrs.set(a.local, a.value);
      else {
        const prefix = ATTR_PREFIX[a.uri];
        if (prefix) attrs.set(prefix + a.local, a.value);
      }
    }
    const parent = stack[stack.length - 1];
    const el: XmlElement = {
      name: tag.uri === SVG_NS ? tag.local : `{${tag.uri}}${tag.local}`,
      attrs,
      children: [],
      parent: parent ?? null,
      line: parser.line,
    };
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
  });
  const keepText = (t: string) => {
    const el = stack[stack.length - 1];
    if (el?.name === 'style') el.text = (el.text ?? '') + t;
  };
  parser.on('text', keepText);
  parser.on('cdata', keepText);
  parser.on('closetag', () => {
    lastClosed = stack.pop() ?? null;
  });
  parser.write(text).close();

  const top = root as XmlElement | null;
  if (!top)
    throw new SvgError('not_svg', `${fileName}: no root element — this is not an SVG drawing.`);
  if (top.name !== 'svg') {
    const shown = localName(top);
    throw new SvgError(
      'not_svg',
      `${fileName}: line ${top.line}: the root element is <${shown}>, not <svg> in the SVG namespace (xmlns="${SVG_NS}") — this is not an SVG drawing.`,
    );
  }
  return { root: top, elementCount: count };
}
