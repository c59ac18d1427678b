/**
 * The sheet loaded on a plotter (config `devices[].paper`), and whether a job's plan was made for
 * it. A paper name (`A4`) is that sheet either way round: the artist turns it as the job says.
 * `A4 landscape`, `A4 portrait` and `W×H` (`297x210mm`, as `--paper` takes it) are one way round
 * only, as on a roll or a feeder, where the sheet cannot be turned.
 */
import { VfabError } from '../errors';
import { nearMm as near, PAPER_TOLERANCE_MM, parsePaper, type Orientation } from './paper';

export interface Sheet {
  /** As written in the config. */
  spec: string;
  widthMm: number;
  heightMm: number;
  /** A bare paper name: the sheet may be loaded either way round. */
  turnable: boolean;
}

export const SHEET_MESSAGE =
  'must be a paper name (A4, A3, Letter, …), optionally followed by portrait or landscape, or a size such as 297x210mm';

export function parseSheet(spec: string): Sheet {
  const m = /^(.*?)\s+(portrait|landscape)$/i.exec(spec.trim());
  const orientation = m ? (m[2]!.toLowerCase() as Orientation) : undefined;
  const paper = parsePaper(m ? m[1]! : spec, orientation);
  const named = !/\d\s*[x×]\s*\d/i.test(m ? m[1]! : spec);
  if (orientation && !named)
    throw new VfabError(
      'INVALID_INPUT',
      `Paper '${spec}': a size W×H is already one way round; drop '${orientation}'.`,
    );
  return {
    spec,
    widthMm: paper.widthMm,
    heightMm: paper.heightMm,
    turnable: named && !orientation,
  };
}

export function isSheet(spec: string): boolean {
  try {
    parseSheet(spec);
    return true;
  } catch {
    return false;
  }
}

/** Is a plan's sheet, `widthMm` × `heightMm` as placed on the machine, the one loaded? */
export function sheetMatches(sheet: Sheet, widthMm: number, heightMm: number): boolean {
  if (near(sheet.widthMm, widthMm) && near(sheet.heightMm, heightMm)) return true;
  return sheet.turnable && near(sheet.widthMm, heightMm) && near(sheet.heightMm, widthMm);
}

/**
 * Does the loaded sheet hold a page of `widthMm` × `heightMm` as placed, laid in its home corner?
 * For a document's own page: AxiDraw plots such a drawing from the corner of whatever sheet is
 * loaded, so a 100 × 100 mm card goes on the A4 already there.
 */
export function sheetHolds(sheet: Sheet, widthMm: number, heightMm: number): boolean {
  const within = (w: number, h: number) =>
    widthMm <= w + PAPER_TOLERANCE_MM && heightMm <= h + PAPER_TOLERANCE_MM;
  return (
    within(sheet.widthMm, sheet.heightMm) ||
    (sheet.turnable && within(sheet.heightMm, sheet.widthMm))
  );
}

const mm = (v: number) => `${Math.round(v * 10) / 10}`;

/** "A4" or "A4 landscape" as the config says, else "297 × 210 mm". */
export function sheetLabel(sheet: Sheet): string {
  return /\d\s*[x×]\s*\d/i.test(sheet.spec)
    ? `${mm(sheet.widthMm)} × ${mm(sheet.heightMm)} mm`
    : sheet.spec;
}
