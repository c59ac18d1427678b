/**
 * A file sent to become a job (the app's drop, the API's jobs.add) is an SVG drawing by its name
 * and its first bytes, or it is refused before a job exists: a photo or a PDF is not a job that
 * failed, it is the wrong file. An SVG that is damaged inside still becomes a job, FAILED with the
 * line that is wrong, which is what its author needs to fix it.
 */
import { VfabError } from '../errors';
import { looksBinary, xmlText } from './xml';

export function refuseNonSvg(name: string, data?: Buffer): void {
  if (!/\.svg$/i.test(name)) {
    throw new VfabError(
      'INVALID_INPUT',
      `'${name}' is not an SVG file: only SVG drawings (.svg) become jobs; nothing was added. Export the drawing as SVG and add that file.`,
    );
  }
  if (data && (data.length === 0 || looksBinary(xmlText(data.subarray(0, 2048))))) {
    const what = data.length === 0 ? 'it is empty' : 'it holds binary data, such as a PNG or a PDF';
    throw new VfabError(
      'INVALID_INPUT',
      `'${name}' is not an SVG drawing (${what}); nothing was added. Export the drawing as SVG and add that file.`,
    );
  }
}
