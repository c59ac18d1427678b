/**
 * Just enough JPEG to know what a camera sends: the image size from the frame header, found by
 * walking the marker segments (no decoding, a few dozen bytes read per frame).
 */

export interface JpegSize {
  width: number;
  height: number;
}

/** Start-of-frame markers carry the size: C0-C3, C5-C7, C9-CB, CD-CF (C4, C8, CC are other tables). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Markers that stand alone, without a length field. */
function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

export function isJpeg(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff;
}

/** Width and height from the SOF segment (baseline SOF0, progressive SOF2, ...); undefined if not a sane JPEG. */
export function jpegSize(data: Uint8Array): JpegSize | undefined {
  if (!isJpeg(data)) return undefined;
  let i = 2;
  while (i + 3 < data.length) {
    if (data[i] !== 0xff) return undefined;
    const marker = data[i + 1]!;
    // 0xFF fill bytes may precede a marker.
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    if (isStandalone(marker)) {
      i += 2;
      continue;
    }
    // Start of scan or end of image before any frame header: not an image we can size.
    if (marker === 0xda || marker === 0xd9) return undefined;
    const length = (data[i + 2]! << 8) | data[i + 3]!;
    if (length < 2) return undefined;
    if (isStartOfFrame(marker)) {
      if (i + 8 >= data.length) return undefined;
      const height = (data[i + 5]! << 8) | data[i + 6]!;
      const width = (data[i + 7]! << 8) | data[i + 8]!;
      return width > 0 && height > 0 ? { width, height } : undefined;
    }
    i += 2 + length;
  }
  return undefined;
}
