/**
 * Conditional processing (SVG 2 section 5.8): an element renders only when its conditions hold, and a
 * `<switch>` renders its first child whose conditions hold. No extensions are supported, every
 * feature string counts as supported (SVG 2 dropped requiredFeatures), and `systemLanguage`
 * is compared with the reader's language.
 */
import type { XmlElement } from './xml';

export const DEFAULT_LANGUAGE = 'en';

/** Tags match when equal or when one is the other plus a subtag ("en" and "en-US"), as browsers do. */
function languageMatches(tag: string, language: string): boolean {
  return tag === language || tag.startsWith(`${language}-`) || language.startsWith(`${tag}-`);
}

export function conditionsHold(el: XmlElement, language: string): boolean {
  if (el.attrs.has('requiredExtensions')) return false;
  const langs = el.attrs.get('systemLanguage');
  if (langs === undefined) return true;
  const user = language.trim().toLowerCase();
  return langs.split(',').some((l) => {
    const tag = l.trim().toLowerCase();
    return tag !== '' && languageMatches(tag, user);
  });
}

/** Children a switch never picks: they describe, they do not render. */
const NOT_RENDERED = new Set(['title', 'desc', 'metadata']);

/** The child a `<switch>` renders, if any. */
export function switchChoice(sw: XmlElement, language: string): XmlElement | undefined {
  return sw.children.find(
    (c) => !c.name.startsWith('{') && !NOT_RENDERED.has(c.name) && conditionsHold(c, language),
  );
}
