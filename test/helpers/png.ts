/**
 * Reads the PNGs Chromium writes (8-bit greyscale, RGB or RGBA, not interlaced) and measures
 * their pixels, so a screenshot can be judged without a stored golden image: fonts differ
 * between machines, colours and layout do not.
 */
import zlib from 'node:zlib';

export interface Rgba {
  width: number;
  height: number;
  /** Four bytes a pixel, row after row. */
  data: Uint8Array;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Colour type → samples a pixel (PNG spec 11.2.2). Palettes are not written by Chromium. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

export function decodePng(png: Buffer): Rgba {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: no PNG signature');
  let header: Buffer | undefined;
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') header = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  if (!header) throw new Error('not a PNG: no IHDR chunk');
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const [depth, colourType, , , interlace] = header.subarray(8, 13);
  const channels = CHANNELS[colourType!];
  if (depth !== 8 || !channels || interlace !== 0)
    throw new Error(
      `PNG not supported here: bit depth ${depth}, colour type ${colourType}, interlace ${interlace}`,
    );
  const raw = unfilter(zlib.inflateSync(Buffer.concat(idat)), width, height, channels);
  return { width, height, data: toRgba(raw, width * height, channels) };
}

/** PNG spec section 9: each row starts with its filter type and is predicted from its left and upper neighbours. */
function unfilter(src: Buffer, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  if (src.length !== height * (stride + 1))
    throw new Error(`PNG data holds ${src.length} bytes, expected ${height * (stride + 1)}`);
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = src[y * (stride + 1)]!;
    const row = y * stride;
    const line = src.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[row + i - bpp]! : 0;
      const b = y > 0 ? out[row - stride + i]! : 0;
      const c = i >= bpp && y > 0 ? out[row - stride + i - bpp]! : 0;
      out[row + i] = (line[i]! + predict(filter, a, b, c)) & 0xff;
    }
  }
  return out;
}

function predict(filter: number, a: number, b: number, c: number): number {
  switch (filter) {
    case 0:
      return 0;
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return (a + b) >> 1;
    case 4: {
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    default:
      throw new Error(`PNG row filter ${filter} is not one of 0-4`);
  }
}

function toRgba(raw: Uint8Array, pixels: number, channels: number): Uint8Array {
  if (channels === 4) return raw;
  const out = new Uint8Array(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    const s = raw.subarray(p * channels, (p + 1) * channels);
    const grey = channels < 3;
    out[p * 4] = s[0]!;
    out[p * 4 + 1] = grey ? s[0]! : s[1]!;
    out[p * 4 + 2] = grey ? s[0]! : s[2]!;
    out[p * 4 + 3] = channels === 2 ? s[1]! : channels === 4 ? s[3]! : 255;
  }
  return out;
}

export interface PixelStats {
  /** Pixels measured (the box clipped to the image). */
  pixels: number;
  distinctColours: number;
  /** The most common colour, as #rrggbb, and the share of pixels that are not it. */
  dominant: string;
  notDominant: number;
  /** Mean luma (Rec. 709 weights on the sRGB values), 0 black to 1 white. */
  meanLuma: number;
}

/** Alpha is ignored: a screenshot is opaque. */
export function pixelStats(img: Rgba, box?: Box): PixelStats {
  const x0 = Math.max(0, Math.floor(box?.x ?? 0));
  const y0 = Math.max(0, Math.floor(box?.y ?? 0));
  const x1 = Math.min(img.width, Math.ceil(box ? box.x + box.width : img.width));
  const y1 = Math.min(img.height, Math.ceil(box ? box.y + box.height : img.height));
  const counts = new Map<number, number>();
  let luma = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const i = (y * img.width + x) * 4;
      const [r, g, b] = [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
      const key = (r << 16) | (g << 8) | b;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      luma += 0.2126 * r + 0.7152 * g + 0.0722 * b;
    }
  const pixels = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  let [dominantKey, dominantCount] = [0, 0];
  for (const [key, n] of counts) if (n > dominantCount) [dominantKey, dominantCount] = [key, n];
  return {
    pixels,
    distinctColours: counts.size,
    dominant: `#${dominantKey.toString(16).padStart(6, '0')}`,
    notDominant: pixels ? 1 - dominantCount / pixels : 0,
    meanLuma: pixels ? luma / pixels / 255 : 0,
  };
}
