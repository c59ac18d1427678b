/** The one error type the SVG reader throws: a kind for code, a message for people. */
import { VfabError } from '../errors';

export type SvgErrorKind =
  | 'not_svg'
  | 'malformed_xml'
  | 'too_large'
  | 'too_many_elements'
  | 'dtd_refused'
  | 'nothing_plottable'
  | 'bad_geometry';

export class SvgError extends VfabError {
  override name = 'SvgError';
  constructor(
    readonly kind: SvgErrorKind,
    message: string,
  ) {
    super('INVALID_INPUT', message);
  }
}
