/**
 * The renderer's Content-Security-Policy in the Electron window. Main sends it as a header on
 * the renderer's own document (window.ts), on top of the meta tag in src-renderer/index.html:
 * a browser enforces every policy it is given, so the window stays this strict even when the
 * meta tag is widened for `vfab serve` (which needs `connect-src ws://127.0.0.1:*`).
 *
 * The renderer talks to main only through the preload bridge, so it needs no network at all:
 * no connect-src beyond 'self', scripts and styles from the bundle only, no inline code.
 * No Electron imports: test/shell-security.test.ts reads this directly.
 */

export interface CspOptions {
  /**
   * Exact origins the renderer may show images from, e.g. the camera relay
   * `http://127.0.0.1:<port>` (docs/architecture.md "Camera": the CSP names that origin exactly).
   */
  imgOrigins?: readonly string[];
}

/** A loopback http origin with an explicit port, nothing else: no wildcards widen img-src. */
const EXACT_LOOPBACK_ORIGIN = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost):\d{1,5}$/;

export function rendererCsp(opts: CspOptions = {}): string {
  const img = ["'self'", 'data:'];
  for (const origin of opts.imgOrigins ?? []) {
    if (!EXACT_LOOPBACK_ORIGIN.test(origin))
      throw new Error(
        `CSP img-src: ${origin} is not an exact loopback origin (http://127.0.0.1:<port>)`,
      );
    img.push(origin);
  }
  const directives: Array<[string, string[]]> = [
    ['default-src', ["'none'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'"]],
    ['img-src', img],
    ['font-src', ["'self'"]],
    ['connect-src', ["'self'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
    ['frame-src', ["'none'"]],
    // Ignored in a meta tag, honoured as a header: nothing may frame the renderer.
    ['frame-ancestors', ["'none'"]],
  ];
  return directives.map(([name, values]) => `${name} ${values.join(' ')}`).join('; ');
}

/** Directive name → its source list; for tests and for checking the meta tag. */
export function parseCsp(policy: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out.set(name.toLowerCase(), values);
  }
  return out;
}
