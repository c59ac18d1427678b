/**
 * Paper sizes, plotter travel and fitting a drawing onto them. Coordinates are mm from the
 * plotter's home corner (top-left of the paper), so "fits" means every point lies inside both
 * the sheet and the carriage's reach.
 */
import type { AxiDrawModel } from './models';
import { VfabError } from '../errors';
import type { Drawing, DrawingLayer, Polyline } from '../svg/types';

/** Portrait width × height in mm. */
export const PAPER_SIZES: Readonly<Record<string, readonly [number, number]>> = {
  A6: [105, 148],
  A5: [148, 210],
  A4: [210, 297],
  A3: [297, 420],
  A2: [420, 594],
  A1: [594, 841],
  A0: [841, 1189],
  B5: [176, 250],
  B4: [250, 353],
  Letter: [215.9, 279.4],
  Legal: [215.9, 355.6],
  Tabloid: [279.4, 431.8],
  '9x12': [228.6, 304.8],
  '11x14': [279.4, 355.6],
  '18x24': [457.2, 609.6],
};

/** Carriage travel (x along the long rail, y across), from the official AxiDraw model table. */
export const PLOTTER_TRAVEL: Readonly<Record<AxiDrawModel, readonly [number, number]>> = {
  'V3/A4': [300, 218],
  'V3/A3': [430, 297],
  'SE/A3': [430, 297],
  'V3 XLX': [595, 218],
  MiniKit: [160, 101.6],
  'SE/A1': [864, 594],
  'SE/A2': [594, 432],
};

export type Orientation = 'portrait' | 'landscape';

export interface Paper {
  /** e.g. "A4 landscape" or "200 × 150 mm". */
  name: string;
  widthMm: number;
  heightMm: number;
}

const UNIT_MM: Readonly<Record<string, number>> = { mm: 1, cm: 10, in: 25.4, '': 1 };

/**
 * A paper by name (`A4`, `letter`, any case) or as W×H (`210x297`, `8.5x11in`, `21 x 29.7 cm`).
 * Named sizes take the orientation; explicit W×H is used as written.
 */
export function parsePaper(spec: string, orientation: Orientation = 'portrait'): Paper {
  const trimmed = spec.trim();
  const named = Object.keys(PAPER_SIZES).find((k) => k.toLowerCase() === trimmed.toLowerCase());
  if (named) {
    const [w, h] = PAPER_SIZES[named]!;
    return orientation === 'landscape'
      ? { name: `${named} landscape`, widthMm: h, heightMm: w }
      : { name: `${named} portrait`, widthMm: w, heightMm: h };
  }
  const m = /^(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)\s*(mm|cm|in)?$/i.exec(trimmed);
  if (m) {
    const unit = UNIT_MM[(m[3] ?? '').toLowerCase()]!;
    const [w, h] = [Number(m[1]) * unit, Number(m[2]) * unit];
    if (w > 0 && h > 0) return { name: `${round(w)} × ${round(h)} mm`, widthMm: w, heightMm: h };
  }
  throw new VfabError(
    'INVALID_INPUT',
    `Unknown paper '${spec}'. Use a name (${Object.keys(PAPER_SIZES).join(', ')}) or a size such as 210x297mm or 8.5x11in.`,
  );
}

export type FitMode = 'none' | 'center' | 'scale';

export interface FitOptions {
  paper: Paper;
  model: AxiDrawModel;
  marginMm: number;
  fit: FitMode;
  /** Named in messages. */
  fileName?: string;
}

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export interface FitResult {
  layers: DrawingLayer[];
  /** Content bounds after fitting. */
  bounds: Bounds;
  /** The drawable area: the sheet clipped to the carriage's reach. */
  area: { widthMm: number; heightMm: number };
  scale: number;
  offset: [number, number];
}

export function boundsOf(layers: readonly DrawingLayer[]): Bounds | undefined {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const layer of layers) {
    for (const p of layer.paths) {
      for (let i = 0; i < p.length; i += 2) {
        const x = p[i]!;
        const y = p[i + 1]!;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
  }
  return minX <= maxX ? { minX, minY, maxX, maxY } : undefined;
}

function transformLayers(
  layers: readonly DrawingLayer[],
  scale: number,
  dx: number,
  dy: number,
): DrawingLayer[] {
  if (scale === 1 && dx === 0 && dy === 0) return [...layers];
  return layers.map((layer) => ({
    ...layer,
    paths: layer.paths.map((p): Polyline => {
      const out = new Float64Array(p.length);
      for (let i = 0; i < p.length; i += 2) {
        out[i] = p[i]! * scale + dx;
        out[i + 1] = p[i + 1]! * scale + dy;
      }
      return out;
    }),
  }));
}

const round = (v: number) => Math.round(v * 10) / 10;
/** Points this close outside the area still count as inside: flattening and unit rounding noise. */
const EDGE_MM = 0.01;

/**
 * Places the drawing on the paper. `none` keeps the document's coordinates and refuses what
 * falls outside; `center` moves the content to the middle of the area; `scale` also scales it
 * down (never up) to fit inside the margins. A misfit is an INVALID_INPUT error saying by how much.
 */
export function fitToPaper(drawing: Drawing, opts: FitOptions): FitResult {
  const [travelX, travelY] = PLOTTER_TRAVEL[opts.model];
  const area = {
    widthMm: Math.min(opts.paper.widthMm, travelX),
    heightMm: Math.min(opts.paper.heightMm, travelY),
  };
  const b = boundsOf(drawing.layers);
  if (!b)
    return {
      layers: [...drawing.layers],
      bounds: { minX: 0, minY: 0, maxX: 0, maxY: 0 },
      area,
      scale: 1,
      offset: [0, 0],
    };
  const w = b.maxX - b.minX;
  const h = b.maxY - b.minY;
  const where = `${opts.fileName ? `${opts.fileName}: ` : ''}the drawing (${round(w)} × ${round(h)} mm)`;
  const target = `${opts.paper.name} on an AxiDraw ${opts.model} (drawable ${round(area.widthMm)} × ${round(area.heightMm)} mm)`;
  const reach =
    area.widthMm < opts.paper.widthMm || area.heightMm < opts.paper.heightMm
      ? ` The plotter reaches only ${travelX} × ${travelY} mm of this paper; if yours is a larger model, set device.model in config.yaml.`
      : '';

  let scale = 1;
  if (opts.fit === 'scale') {
    const innerW = area.widthMm - 2 * opts.marginMm;
    const innerH = area.heightMm - 2 * opts.marginMm;
    if (innerW <= 0 || innerH <= 0)
      throw new VfabError(
        'INVALID_INPUT',
        `The margins (${opts.marginMm} mm) leave no room on ${target}.`,
      );
    scale = Math.min(1, w > 0 ? innerW / w : 1, h > 0 ? innerH / h : 1);
  }
  if (opts.fit !== 'none') {
    const dx = (area.widthMm - w * scale) / 2 - b.minX * scale;
    const dy = (area.heightMm - h * scale) / 2 - b.minY * scale;
    if (w * scale > area.widthMm + EDGE_MM || h * scale > area.heightMm + EDGE_MM) {
      throw new VfabError(
        'INVALID_INPUT',
        `${where} is larger than ${target}. Use --fit scale to scale it down, or a larger --paper.${reach}`,
      );
    }
    const layers = transformLayers(drawing.layers, scale, dx, dy);
    return {
      layers,
      bounds: {
        minX: b.minX * scale + dx,
        minY: b.minY * scale + dy,
        maxX: b.maxX * scale + dx,
        maxY: b.maxY * scale + dy,
      },
      area,
      scale,
      offset: [dx, dy],
    };
  }

  const over = [
    b.minX < -EDGE_MM && `${round(-b.minX)} mm beyond the left edge`,
    b.minY < -EDGE_MM && `${round(-b.minY)} mm beyond the top edge`,
    b.maxX > area.widthMm + EDGE_MM && `${round(b.maxX - area.widthMm)} mm beyond the right edge`,
    b.maxY > area.heightMm + EDGE_MM &&
      `${round(b.maxY - area.heightMm)} mm beyond the bottom edge`,
  ].filter(Boolean);
  if (over.length) {
    throw new VfabError(
      'INVALID_INPUT',
      `${where} does not fit ${target}: ${over.join(', ')}. Use --fit center or --fit scale, or another --paper.${reach}`,
    );
  }
  return { layers: [...drawing.layers], bounds: b, area, scale: 1, offset: [0, 0] };
}

/**
 * The drawing turned 90° counter-clockwise, its top to the left, as the AxiDraw software's
 * auto_rotate turns a portrait document: it then plots along the carriage's long axis.
 */
export function turnDrawing(drawing: Drawing): Drawing {
  const w = drawing.widthMm;
  return {
    ...drawing,
    widthMm: drawing.heightMm,
    heightMm: w,
    layers: drawing.layers.map((layer) => ({
      ...layer,
      paths: layer.paths.map((p): Polyline => {
        const out = new Float64Array(p.length);
        for (let i = 0; i < p.length; i += 2) {
          out[i] = p[i + 1]!;
          out[i + 1] = w - p[i]!;
        }
        return out;
      }),
    })),
  };
}

/** The paper setting that takes the sheet from the document's page. */
export const DOCUMENT_PAPER = 'document';

/** The sheet for a `document` paper when the file gives no physical page size (px or % only). */
export const FALLBACK_PAPER = 'A4';

/** Plans, pages and sheets differ by rounding (inches to mm) and by how people measure: a millimetre either way is the same sheet. */
export const PAPER_TOLERANCE_MM = 1;

export const nearMm = (a: number, b: number) => Math.abs(a - b) <= PAPER_TOLERANCE_MM;

/** The standard paper this page is, either way round, within a millimetre; undefined for a custom size. */
export function paperNameOf(widthMm: number, heightMm: number): string | undefined {
  return Object.keys(PAPER_SIZES).find((k) => {
    const [w, h] = PAPER_SIZES[k]!;
    return (
      (nearMm(w, widthMm) && nearMm(h, heightMm)) || (nearMm(h, widthMm) && nearMm(w, heightMm))
    );
  });
}

export function isDocumentPaper(spec: string): boolean {
  return spec.trim().toLowerCase() === DOCUMENT_PAPER;
}

/** Does the paper setting (config, --paper) name a sheet: `document`, a paper name or W×H? */
export function isPaperSetting(spec: string): boolean {
  if (isDocumentPaper(spec)) return true;
  try {
    parsePaper(spec);
    return true;
  } catch {
    return false;
  }
}

/**
 * The sheet a paper setting means for this drawing: `document` is the file's own page when it
 * is given in physical units (named when standard), else FALLBACK_PAPER; anything else as
 * parsePaper reads it. Without an orientation the sheet follows the drawing.
 */
export function paperFor(
  spec: string,
  drawing: Pick<Drawing, 'widthMm' | 'heightMm' | 'physicalSize'>,
  orientation?: Orientation,
): Paper {
  const follow = orientation ?? (drawing.widthMm > drawing.heightMm ? 'landscape' : 'portrait');
  if (!isDocumentPaper(spec)) return parsePaper(spec, follow);
  if (!drawing.physicalSize) return parsePaper(FALLBACK_PAPER, follow);
  const named = paperNameOf(drawing.widthMm, drawing.heightMm);
  if (named) return parsePaper(named, follow);
  const [short, long] = [
    Math.min(drawing.widthMm, drawing.heightMm),
    Math.max(drawing.widthMm, drawing.heightMm),
  ];
  const [widthMm, heightMm] = follow === 'landscape' ? [long, short] : [short, long];
  return { name: `${round(widthMm)} × ${round(heightMm)} mm`, widthMm, heightMm };
}

export interface PlaceOptions extends Omit<FitOptions, 'paper'> {
  /** A paper name, W×H (see parsePaper) or `document` (see paperFor). */
  paper: string;
  /** Absent: the sheet follows the drawing (landscape when it is wider than tall). */
  orientation?: Orientation;
  /** AxiDraw's auto_rotate: turn a portrait document 90°, and any drawing that only fits turned. */
  autoRotate: boolean;
}

export interface Placement {
  paper: Paper;
  fitted: FitResult;
  /** Turned 90° counter-clockwise: the sheet goes on the plotter the other way round. */
  rotated: boolean;
}

/**
 * Puts the drawing on the paper. With `autoRotate`, as AxiDraw's software does, a portrait
 * document (taller than wide: its page, or its extent when the file gives no size) is turned so
 * its sheet lies landscape along the carriage's long axis; a landscape one stays upright unless
 * only turned does it fit or, with fit `scale`, turned it needs less shrinking. A portrait
 * document that fits only upright stays upright. When neither fits, the upright attempt's error
 * says why.
 */
export function placeDrawing(drawing: Drawing, opts: PlaceOptions): Placement {
  const { paper: spec, orientation, autoRotate, ...fit } = opts;
  const attempt = (d: Drawing, rotated: boolean): Placement => {
    const paper = paperFor(spec, d, orientation);
    return { paper, fitted: fitToPaper(d, { ...fit, paper }), rotated };
  };
  const tryAttempt = (d: Drawing, rotated: boolean): Placement | VfabError => {
    try {
      return attempt(d, rotated);
    } catch (err) {
      if (err instanceof VfabError) return err;
      throw err;
    }
  };
  if (!autoRotate) return attempt(drawing, false);
  if (drawing.heightMm > drawing.widthMm) {
    const turned = tryAttempt(turnDrawing(drawing), true);
    return turned instanceof VfabError ? attempt(drawing, false) : turned;
  }
  const upright = tryAttempt(drawing, false);
  if (!(upright instanceof VfabError) && upright.fitted.scale >= 1) return upright;
  const turned = tryAttempt(turnDrawing(drawing), true);
  if (upright instanceof VfabError) {
    if (turned instanceof VfabError) throw upright;
    return turned;
  }
  return turned instanceof VfabError || upright.fitted.scale >= turned.fitted.scale
    ? upright
    : turned;
}
