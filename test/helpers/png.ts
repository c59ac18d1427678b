/**
 * Reads a screenshot back so a test can say what it shows: a PNG decoder for what Chromium writes
 * (8-bit RGB or RGBA, not interlaced) and the few measures the UI tests assert on.
 */
import zlib from 'node:zlib';

export interface Image {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel, row by row. */
  rgba: Uint8Array;
}

export function decodePng(png: Buffer): Image {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let off = 8;
  let width = 0,
    height = 0,
    channels = 0;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colour, , , interlace] = data.subarray(8, 13);
      channels = colour === 6 ? 4 : colour === 2 ? 3 : 0;
      if (depth !== 8 || !channels || interlace !== 0)
        throw new Error(
          `unsupported PNG: depth ${depth}, colour type ${colour}, interlace ${interlace}`,
        );
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? rows[out + x - channels]! : 0;
      const b = y > 0 ? rows[out - stride + x]! : 0;
      const c = x >= channels && y > 0 ? rows[out - stride + x - channels]! : 0;
      const predictor =
        filter === 0
          ? 0
          : filter === 1
            ? a
            : filter === 2
              ? b
              : filter === 3
                ? (a + b) >> 1
                : paeth(a, b, c);
      rows[out + x] = (line[x]! + predictor) & 0xff;
    }
  }
  if (channels === 4) return { width, height, rgba: rows };
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0, j = 0; i < rows.length; i += 3, j += 4) {
    rgba[j] = rows[i]!;
    rgba[j + 1] = rows[i + 1]!;
    rgba[j + 2] = rows[i + 2]!;
    rgba[j + 3] = 255;
  }
  return { width, height, rgba };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a),
    pb = Math.abs(p - b),
    pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Measures {
  /** Mean relative luminance, 0 (black) to 1 (white). */
  luminance: number;
  /** The most common colour, as [r, g, b]. */
  dominant: [number, number, number];
  /** Share of pixels not the dominant colour. */
  varied: number;
  /** Distinct colours (each channel in 16 steps). */
  colours: number;
}

/** Measures the image, or one box of it (clipped to the image). */
export function measure(img: Image, box?: Box): Measures {
  const x0 = Math.max(0, Math.floor(box?.x ?? 0));
  const y0 = Math.max(0, Math.floor(box?.y ?? 0));
  const x1 = Math.min(img.width, Math.ceil(box ? box.x + box.width : img.width));
  const y1 = Math.min(img.height, Math.ceil(box ? box.y + box.height : img.height));
  const counts = new Map<number, number>();
  const coarse = new Set<number>();
  let lum = 0,
    n = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const i = (y * img.width + x) * 4;
      const r = img.rgba[i]!,
        g = img.rgba[i + 1]!,
        b = img.rgba[i + 2]!;
      const key = (r << 16) | (g << 8) | b;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      coarse.add(((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4));
      lum += (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
      n++;
    }
  if (n === 0) throw new Error(`the box ${JSON.stringify(box)} lies outside the image`);
  let top = 0,
    topCount = 0;
  for (const [key, count] of counts)
    if (count > topCount) {
      top = key;
      topCount = count;
    }
  return {
    luminance: lum / n,
    dominant: [top >> 16, (top >> 8) & 0xff, top & 0xff],
    varied: 1 - topCount / n,
    colours: coarse.size,
  };
}
