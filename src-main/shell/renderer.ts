/**
 * Where the renderer comes from, and whether a URL is that renderer. The IPC handlers answer
 * only frames whose URL passes `isRendererUrl` (Electron security checklist: validate the
 * sender of every IPC message), and the CSP header is added only to the renderer's document.
 * No Electron imports, so the rule is testable as plain code.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type RendererSource =
  /** The built renderer, loaded with `loadFile` (packaged app and `electron-vite preview`). */
  | { kind: 'file'; file: string }
  /** `electron-vite dev`: the vite dev server it names in ELECTRON_RENDERER_URL. */
  | { kind: 'dev'; url: string };

/**
 * The dev server is used only when the app is not packaged: a packaged app never loads code
 * from an address an environment variable names.
 */
export function rendererSource(
  mainDir: string,
  isPackaged: boolean,
  env: NodeJS.ProcessEnv = process.env,
): RendererSource {
  const devUrl = env['ELECTRON_RENDERER_URL'];
  if (!isPackaged && devUrl && isLoopbackHttp(devUrl)) return { kind: 'dev', url: devUrl };
  return { kind: 'file', file: path.join(mainDir, '..', 'renderer', 'index.html') };
}

function isLoopbackHttp(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

/**
 * True when `url` is our renderer document: the same file (query and fragment aside, for
 * client-side routing) or, in dev, the same dev-server origin. Anything else — another file,
 * another origin, about:blank, a missing frame — is foreign.
 */
export function isRendererUrl(url: string | null | undefined, source: RendererSource): boolean {
  if (!url) return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (source.kind === 'dev') return u.origin === new URL(source.url).origin;
  if (u.protocol !== 'file:' || (u.host !== '' && u.host !== 'localhost')) return false;
  try {
    return path.resolve(fileURLToPath(u)) === path.resolve(source.file);
  } catch {
    return false;
  }
}

export function rendererFileUrl(source: RendererSource): string {
  return source.kind === 'dev' ? source.url : pathToFileURL(source.file).href;
}
