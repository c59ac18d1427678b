/**
 * What a keyboard or low-vision user meets on a page, measured in the page itself: text contrast
 * against the background it is painted on (computed colours, composited up the ancestors with their
 * opacity), controls without an accessible name (Chromium's own accessibility tree), and whether
 * Tab reaches every control with a visible focus indicator. Each check returns what it found wrong.
 *
 * The scripts are strings: this file is type-checked without the DOM library.
 */
import type { Page } from 'playwright-core';

/** WCAG 2 AA for text (1.4.3). */
export const MIN_CONTRAST = 4.5;
/** WCAG 2 AA for what shows a control's state, a focus ring among them (1.4.11). */
export const MIN_RING_CONTRAST = 3;

const COLOURS = `
  const parse = (c) => {
    let m = /^rgba?\\(([^)]*)\\)$/.exec(c);
    if (m) { const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p[3] ?? 1]; }
    m = /^color\\(srgb ([^)]*)\\)$/.exec(c);
    if (m) { const p = m[1].split(/[\\s\\/]+/).filter(Boolean).map(Number); return [p[0] * 255, p[1] * 255, p[2] * 255, p[3] ?? 1]; }
    return null;
  };
  const over = (top, alpha, under) => [0, 1, 2].map((i) => top[i] * alpha + under[i] * (1 - alpha));
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  /** The colour painted behind el's content, its ancestors' backgrounds composited with their opacity (null: a colour not understood). */
  const backdrop = (el) => {
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.unshift(e);
    let bg = [255, 255, 255];
    let opacity = 1;
    for (const e of chain) {
      const s = getComputedStyle(e);
      opacity *= Number(s.opacity);
      const c = parse(s.backgroundColor);
      if (!c) return null;
      bg = over(c, c[3] * opacity, bg);
    }
    return { bg, opacity };
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    const s = getComputedStyle(el);
    return s.visibility === 'visible' && !el.closest('[hidden], .visually-hidden');
  };
  const describe = (el) => {
    const text = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('title') || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
    return el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + (text ? ' "' + text + '"' : '');
  };
`;

export interface ContrastProblem {
  element: string;
  ratio: number;
  color: string;
  background: string;
}

/**
 * Every visible element with text of its own (and every text field and select), except disabled
 * controls, which WCAG 1.4.3 exempts. A colour the script cannot read is reported with ratio 0.
 */
export async function contrastProblems(page: Page): Promise<ContrastProblem[]> {
  return (await page.evaluate(`(() => {
    ${COLOURS}
    const found = [];
    for (const el of document.querySelectorAll('body *')) {
      if (['SCRIPT', 'STYLE', 'OPTION', 'NOSCRIPT'].includes(el.tagName)) continue;
      const field = el.matches('input:not([type=checkbox]):not([type=radio]):not([type=file]):not([type=range]), select, textarea');
      const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if ((!ownText && !field) || !visible(el) || el.closest(':disabled, [aria-disabled=true]')) continue;
      const under = backdrop(el);
      const fg = parse(getComputedStyle(el).color);
      if (!fg || !under) { found.push({ element: describe(el), ratio: 0, color: getComputedStyle(el).color, background: 'unreadable' }); continue; }
      const { bg, opacity } = under;
      const text = over(fg, fg[3] * opacity, bg);
      const r = ratio(text, bg);
      const hex = (rgb) => '#' + rgb.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
      if (r < ${MIN_CONTRAST}) found.push({ element: describe(el), ratio: Math.round(r * 100) / 100, color: hex(text), background: hex(bg) });
    }
    return found;
  })()`)) as ContrastProblem[];
}

const CONTROL_ROLES = new Set([
  'button',
  'link',
  'textbox',
  'searchbox',
  'combobox',
  'listbox',
  'checkbox',
  'radio',
  'switch',
  'spinbutton',
  'slider',
  'menuitem',
  'tab',
  'PopUpButton',
  'ToggleButton',
]);

/** Controls (buttons, links, fields…) that Chromium's accessibility tree gives no name. */
export async function unnamedControls(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
      nodes: {
        ignored: boolean;
        role?: { value: string };
        name?: { value: string };
        backendDOMNodeId?: number;
      }[];
    };
    const unnamed: string[] = [];
    for (const n of nodes) {
      const role = n.role?.value ?? '';
      if (n.ignored || !CONTROL_ROLES.has(role) || (n.name?.value ?? '').trim()) continue;
      const { object } = (await cdp.send('DOM.resolveNode', {
        backendNodeId: n.backendDOMNodeId,
      })) as { object: { objectId: string } };
      const { result } = (await cdp.send('Runtime.callFunctionOn', {
        objectId: object.objectId,
        functionDeclaration: 'function () { return this.outerHTML.slice(0, 160); }',
        returnByValue: true,
      })) as { result: { value: string } };
      unnamed.push(`${role}: ${result.value}`);
    }
    return unnamed;
  } finally {
    await cdp.detach();
  }
}

export interface TabWalk {
  /** Every control Tab should reach (visible, enabled, not taken out of the tab order). */
  controls: string[];
  /** Those Tab never reached. */
  unreached: string[];
  /** Those that showed no outline and no box-shadow while focused from the keyboard, or one fainter than 3:1 against what is behind it. */
  noIndicator: string[];
}

/** Presses Tab from the top of the page until focus comes round again, noting where it lands and how it shows. */
export async function tabWalk(page: Page): Promise<TabWalk> {
  const controls = (await page.evaluate(`(() => {
    ${COLOURS}
    const els = [...document.querySelectorAll('button, a[href], input, select, textarea, summary, [tabindex]')].filter((el) => el.tabIndex >= 0 && !el.disabled && visible(el) && !el.closest('[inert]'));
    els.forEach((el, i) => el.setAttribute('data-a11y-walk', String(i)));
    return els.map(describe);
  })()`)) as string[];
  await page.evaluate(`document.activeElement && document.activeElement.blur()`);
  const reached = new Map<number, number>();
  for (let press = 0; press < controls.length * 2 + 10; press++) {
    await page.keyboard.press('Tab');
    const at = (await page.evaluate(`(() => {
      ${COLOURS}
      const el = document.activeElement;
      const i = el && el.getAttribute('data-a11y-walk');
      if (i === null || i === undefined) return null;
      const s = getComputedStyle(el);
      // An outline (drawn around the control, on its parent's background) or a box-shadow ring.
      const ring = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 ? s.outlineColor : s.boxShadow !== 'none' ? /^(rgba?\\([^)]*\\)|color\\([^)]*\\))/.exec(s.boxShadow)?.[1] : undefined;
      if (!ring) return { i: Number(i), ratio: 0 };
      const c = parse(ring);
      const under = el.parentElement && backdrop(el.parentElement);
      if (!c || !under) return { i: Number(i), ratio: 0 };
      return { i: Number(i), ratio: ratio(over(c, c[3] * under.opacity, under.bg), under.bg) };
    })()`)) as { i: number; ratio: number } | null;
    if (!at) continue;
    if (reached.has(at.i)) break;
    reached.set(at.i, at.ratio);
  }
  return {
    controls,
    unreached: controls.filter((_, i) => !reached.has(i)),
    noIndicator: controls.flatMap((c, i) =>
      reached.has(i) && reached.get(i)! < MIN_RING_CONTRAST
        ? [`${c} (ring ${reached.get(i)!.toFixed(2)}:1)`]
        : [],
    ),
  };
}
