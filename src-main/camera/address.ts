/**
 * Text about the camera for anyone who is not the main process (the UI, a relay's answer): every
 * form of the camera's address it may name (the URL with or without its password, host:port,
 * host) becomes "the camera" (docs/architecture.md "Camera": the browser never learns the address).
 */
import { redactUrl } from './stream';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The forms, longest first so a URL is replaced whole before its host alone is looked for. */
function addressForms(url: string): string[] {
  const forms = [url, redactUrl(url)];
  try {
    const u = new URL(url);
    const bare = u.hostname.replace(/^\[|\]$/g, '');
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    // Node's own messages say "connect ECONNREFUSED 127.0.0.1:8881" or "getaddrinfo ENOTFOUND cam.local".
    forms.push(u.host, `${bare}:${port}`, u.hostname, bare);
  } catch {
    // Not a URL: only the text as configured can appear.
  }
  return [...new Set(forms.filter(Boolean))].sort((a, b) => b.length - a.length);
}

export function withoutAddress(text: string, url: string): string;
export function withoutAddress(text: string | undefined, url: string): string | undefined;
export function withoutAddress(text: string | undefined, url: string): string | undefined {
  if (text === undefined) return undefined;
  // Not inside a longer name or number: host "cam" must not change "camera", 10.0.0.1 not 10.0.0.12.
  const pattern = new RegExp(
    addressForms(url)
      .map((f) => `(?<![\\w.-])${escape(f)}(?![\\w-]|\\.\\w)`)
      .join('|'),
    'g',
  );
  // "Camera at the camera refused…" reads better as "The camera refused…".
  return text.replace(pattern, 'the camera').replace(/\bCamera at the camera\b/g, 'The camera');
}
