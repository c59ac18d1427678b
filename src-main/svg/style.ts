/**
 * The few style properties a plotter cares about: display and visibility (what to skip) and
 * stroke/fill/color (how to group into pens). Presentation attributes first, then the
 * document's stylesheet (css.ts), then `style=""`, which wins, as in CSS.
 */
import type { FillRule } from './clip';
import { parseDeclarations, sheetDeclarations, type Stylesheet } from './css';
import type { XmlElement } from './xml';

export interface Style {
  visible: boolean;
  /** Normalised colour (#rrggbb), 'none', or 'currentColor' resolved already. */
  stroke: string;
  fill: string;
  color: string;
}

export const ROOT_STYLE: Style = {
  visible: true,
  stroke: 'none',
  fill: '#000000',
  color: '#000000',
};

/** Declarations of one element, weakest first. */
const PROPERTIES = [
  'display',
  'visibility',
  'stroke',
  'fill',
  'color',
  'clip-path',
  'clip-rule',
  'mask',
];
const NONE = new Map<string, string>();

function declarations(el: XmlElement, sheet: Stylesheet): Map<string, string> {
  let out = NONE;
  const set = (key: string, value: string) => {
    if (out === NONE) out = new Map();
    out.set(key, value);
  };
  for (const key of PROPERTIES) {
    const v = el.attrs.get(key);
    if (v !== undefined) set(key, v.trim());
  }
  for (const [key, value] of sheetDeclarations(sheet, el)) set(key, value);
  const style = el.attrs.get('style');
  if (style) for (const [key, value] of parseDeclarations(style)) set(key, value);
  return out;
}

export interface ElementStyle {
  style: Style;
  /** display:none: the element and its subtree are not rendered. */
  displayNone: boolean;
  /** The clip-path value (`url(#id)`, a CSS shape…), null when none. */
  clipPath: string | null;
  /** The clip-rule declared on the element itself, null when it inherits. */
  clipRule: FillRule | null;
  /** A mask is set (not applied; the caller warns). */
  masked: boolean;
}

/** The element's computed style given its parent's and the document's stylesheet. */
export function computeStyle(el: XmlElement, parent: Style, sheet: Stylesheet): ElementStyle {
  const d = declarations(el, sheet);
  const vis = d.get('visibility');
  const visible = vis === undefined || vis === 'inherit' ? parent.visible : vis === 'visible';
  const colorDecl = d.get('color');
  const color =
    colorDecl === undefined || colorDecl === 'inherit'
      ? parent.color
      : (parseColor(colorDecl, parent.color) ?? parent.color);
  const paint = (key: 'stroke' | 'fill'): string => {
    const v = d.get(key);
    if (v === undefined || v === 'inherit') return parent[key];
    if (v === 'currentColor' || v === 'currentcolor') return color;
    // A paint server (url(#gradient)) plots like any other colour; keep its fallback if any.
    if (v.startsWith('url('))
      return parseColor(v.replace(/^url\([^)]*\)\s*/, ''), color) ?? '#000000';
    return parseColor(v, color) ?? parent[key];
  };
  const clip = d.get('clip-path');
  const mask = d.get('mask');
  const rule = d.get('clip-rule');
  return {
    style: { visible, stroke: paint('stroke'), fill: paint('fill'), color },
    displayNone: d.get('display') === 'none',
    clipPath: clip === undefined || clip === 'none' ? null : clip,
    clipRule: rule === 'evenodd' || rule === 'nonzero' ? rule : null,
    masked: mask !== undefined && mask !== 'none',
  };
}

/** CSS colour → '#rrggbb' (alpha dropped), 'none', or null when not understood. */
export function parseColor(text: string, current: string): string | null {
  const v = text.trim().toLowerCase();
  if (v === 'none' || v === 'transparent') return 'none';
  if (v === 'currentcolor') return current;
  if (v.startsWith('#')) {
    const h = v.slice(1);
    if (!/^[0-9a-f]+$/.test(h)) return null;
    if (h.length === 3 || h.length === 4) return `#${h[0]}${h[0]}${h[1]}${h[1]}${h[2]}${h[2]}`;
    if (h.length === 6 || h.length === 8) return `#${h.slice(0, 6)}`;
    return null;
  }
  const fn = /^rgba?\(\s*([^)]*)\)$/.exec(v);
  if (fn) {
    const parts = fn[1]!
      .split(/[\s,/]+/)
      .filter(Boolean)
      .slice(0, 3);
    if (parts.length !== 3) return null;
    const bytes = parts.map((p) =>
      p.endsWith('%') ? (Number(p.slice(0, -1)) * 255) / 100 : Number(p),
    );
    if (!bytes.every(Number.isFinite)) return null;
    return `#${bytes
      .map((b) =>
        Math.round(Math.min(255, Math.max(0, b)))
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')}`;
  }
  const named = NAMED_COLORS.get(v);
  return named === undefined ? null : `#${named}`;
}

// CSS Color 4 named colours (grey/gray spellings both listed there).
const NAMED_COLORS = new Map<string, string>(
  (
    'aliceblue f0f8ff antiquewhite faebd7 aqua 00ffff aquamarine 7fffd4 azure f0ffff beige f5f5dc bisque ffe4c4 ' +
    'black 000000 blanchedalmond ffebcd blue 0000ff blueviolet 8a2be2 brown a52a2a burlywood deb887 cadetblue 5f9ea0 ' +
    'chartreuse 7fff00 chocolate d2691e coral ff7f50 cornflowerblue 6495ed cornsilk fff8dc crimson dc143c cyan 00ffff ' +
    'darkblue 00008b darkcyan 008b8b darkgoldenrod b8860b darkgray a9a9a9 darkgreen 006400 darkgrey a9a9a9 ' +
    'darkkhaki bdb76b darkmagenta 8b008b darkolivegreen 556b2f darkorange ff8c00 darkorchid 9932cc darkred 8b0000 ' +
    'darksalmon e9967a darkseagreen 8fbc8f darkslateblue 483d8b darkslategray 2f4f4f darkslategrey 2f4f4f ' +
    'darkturquoise 00ced1 darkviolet 9400d3 deeppink ff1493 deepskyblue 00bfff dimgray 696969 dimgrey 696969 ' +
    'dodgerblue 1e90ff firebrick b22222 floralwhite fffaf0 forestgreen 228b22 fuchsia ff00ff gainsboro dcdcdc ' +
    'ghostwhite f8f8ff gold ffd700 goldenrod daa520 gray 808080 green 008000 greenyellow adff2f grey 808080 ' +
    'honeydew f0fff0 hotpink ff69b4 indianred cd5c5c indigo 4b0082 ivory fffff0 khaki f0e68c lavender e6e6fa ' +
    'lavenderblush fff0f5 lawngreen 7cfc00 lemonchiffon fffacd lightblue add8e6 lightcoral f08080 lightcyan e0ffff ' +
    'lightgoldenrodyellow fafad2 lightgray d3d3d3 lightgreen 90ee90 lightgrey d3d3d3 lightpink ffb6c1 ' +
    'lightsalmon ffa07a lightseagreen 20b2aa lightskyblue 87cefa lightslategray 778899 lightslategrey 778899 ' +
    'lightsteelblue b0c4de lightyellow ffffe0 lime 00ff00 limegreen 32cd32 linen faf0e6 magenta ff00ff maroon 800000 ' +
    'mediumaquamarine 66cdaa mediumblue 0000cd mediumorchid ba55d3 mediumpurple 9370db mediumseagreen 3cb371 ' +
    'mediumslateblue 7b68ee mediumspringgreen 00fa9a mediumturquoise 48d1cc mediumvioletred c71585 ' +
    'midnightblue 191970 mintcream f5fffa mistyrose ffe4e1 moccasin ffe4b5 navajowhite ffdead navy 000080 ' +
    'oldlace fdf5e6 olive 808000 olivedrab 6b8e23 orange ffa500 orangered ff4500 orchid da70d6 palegoldenrod eee8aa ' +
    'palegreen 98fb98 paleturquoise afeeee palevioletred db7093 papayawhip ffefd5 peachpuff ffdab9 peru cd853f ' +
    'pink ffc0cb plum dda0dd powderblue b0e0e6 purple 800080 rebeccapurple 663399 red ff0000 rosybrown bc8f8f ' +
    'royalblue 4169e1 saddlebrown 8b4513 salmon fa8072 sandybrown f4a460 seagreen 2e8b57 seashell fff5ee ' +
    'sienna a0522d silver c0c0c0 skyblue 87ceeb slateblue 6a5acd slategray 708090 slategrey 708090 snow fffafa ' +
    'springgreen 00ff7f steelblue 4682b4 tan d2b48c teal 008080 thistle d8bfd8 tomato ff6347 turquoise 40e0d0 ' +
    'violet ee82ee wheat f5deb3 white ffffff whitesmoke f5f5f5 yellow ffff00 yellowgreen 9acd32'
  )
    .split(' ')
    .reduce<[string, string][]>((acc, w, i, all) => (i % 2 ? acc : [...acc, [w, all[i + 1]!]]), []),
);
