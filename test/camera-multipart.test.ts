import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { isJpeg, jpegSize } from '../src-main/camera/jpeg';
import {
  boundaryFromContentType,
  MultipartError,
  MultipartParser,
  type MultipartPart,
} from '../src-main/camera/multipart';
import { frameNumber, makeJpeg, motionPart, stampJpeg } from './helpers/fake-camera';

const base = makeJpeg(64, 48);
const frames = (n: number) => Array.from({ length: n }, (_, i) => stampJpeg(base, i));

function parse(
  chunks: Iterable<Uint8Array>,
  boundary = 'BoundaryString',
  opts = {},
): MultipartPart[] {
  const parts: MultipartPart[] = [];
  const p = new MultipartParser(boundary, (part) => parts.push(part), opts);
  for (const c of chunks) p.push(c);
  return parts;
}

function split(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

describe('boundaryFromContentType', () => {
  it.each([
    ['multipart/x-mixed-replace; boundary=BoundaryString', 'BoundaryString'],
    ['multipart/x-mixed-replace;boundary="quoted string"', 'quoted string'],
    ['Multipart/X-Mixed-Replace; charset=x; Boundary=--myboundary', '--myboundary'],
  ])('%s', (ct, b) => expect(boundaryFromContentType(ct)).toBe(b));

  it.each([undefined, 'image/jpeg', 'multipart/x-mixed-replace', 'text/html; boundary=x'])(
    'none in %s',
    (ct) => {
      expect(boundaryFromContentType(ct)).toBeUndefined();
    },
  );
});

describe('MultipartParser', () => {
  const sent = frames(12);
  const stream = Buffer.concat(sent.map((f) => motionPart(f)));

  it.each([1, 7, 13, 100, 1024, 65_536])(
    'splits Motion framing delivered in %i-byte chunks, each frame exactly once',
    (size) => {
      const parts = parse(split(stream, size));
      expect(parts.map((p) => frameNumber(p.body))).toEqual(sent.map((_, i) => i));
      parts.forEach((p, i) => expect(p.body.equals(sent[i]!)).toBe(true));
      expect(parts[0]!.headers).toEqual({
        'content-type': 'image/jpeg',
        'content-length': String(sent[0]!.length),
      });
    },
  );

  it('one write per whole part (the case mjpeg-consumer doubles)', () => {
    const parts = parse(sent.map((f) => motionPart(f)));
    expect(parts).toHaveLength(sent.length);
  });

  it('any random chunking gives the same frames (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 60 }),
        (sizes) => {
          const chunks: Buffer[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = sizes[i % sizes.length]!;
            chunks.push(stream.subarray(at, at + n));
            at += n;
          }
          const parts = parse(chunks);
          return parts.length === sent.length && parts.every((p, i) => p.body.equals(sent[i]!));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('hands out a fresh Buffer per frame that later input never changes', () => {
    const parts: MultipartPart[] = [];
    const p = new MultipartParser('BoundaryString', (part) => parts.push(part));
    const copies: Buffer[] = [];
    for (const c of split(stream, 333)) {
      p.push(c);
      while (copies.length < parts.length) copies.push(Buffer.from(parts[copies.length]!.body));
    }
    expect(new Set(parts.map((x) => x.body.buffer)).size).toBeGreaterThan(1);
    parts.forEach((x, i) => expect(x.body.equals(copies[i]!)).toBe(true));
    for (let i = 1; i < parts.length; i++) expect(parts[i]!.body).not.toBe(parts[i - 1]!.body);
  });

  it('takes ranges of one buffer the caller overwrites after each push (a socket read buffer), with and without Content-Length', () => {
    const noLength = Buffer.concat([
      ...sent.map((f) => motionPart(f, 'BoundaryString', false)),
      Buffer.from('--BoundaryString--\r\n'),
    ]);
    for (const data of [stream, noLength]) {
      const parts: MultipartPart[] = [];
      const p = new MultipartParser('BoundaryString', (part) => parts.push(part));
      const reused = Buffer.alloc(4096);
      for (let at = 0, i = 0; at < data.length; i++) {
        // Each read lands at a different offset of the same buffer, with stale bytes around it.
        const offset = (i * 37) % 900;
        const n = Math.min(1 + ((i * 997) % 3000), data.length - at);
        reused.fill(0x2d);
        data.copy(reused, offset, at, at + n);
        p.push(reused, offset, offset + n);
        at += n;
      }
      expect(parts.map((x) => frameNumber(x.body))).toEqual(sent.map((_, i) => i));
      parts.forEach((x, i) => expect(x.body.equals(sent[i]!)).toBe(true));
    }
  });

  it('without Content-Length scans to the next boundary, in 1-byte chunks too', () => {
    const noLength = Buffer.concat([
      ...sent.map((f) => motionPart(f, 'BoundaryString', false)),
      Buffer.from('--BoundaryString--\r\n'),
    ]);
    for (const size of [1, 50, noLength.length]) {
      const parts = parse(split(noLength, size));
      expect(parts.map((x) => frameNumber(x.body))).toEqual(sent.map((_, i) => i));
      parts.forEach((x, i) => expect(x.body.equals(sent[i]!)).toBe(true));
    }
  });

  it('accepts a preamble, LF-only headers, an empty header block and a boundary declared with its dashes', () => {
    const body = sent[0]!;
    const data = Buffer.concat([
      Buffer.from('preamble text\r\n--myb\nContent-Length: ' + body.length + '\n\n'),
      body,
      Buffer.from('\r\n--myb\r\n\r\nhello\r\n--myb--\r\n'),
    ]);
    const parts = parse(split(data, 5), '--myb');
    expect(parts).toHaveLength(2);
    expect(parts[0]!.body.equals(body)).toBe(true);
    expect(parts[1]!.body.toString()).toBe('hello');
    expect(parts[1]!.headers).toEqual({});
  });

  it('ignores everything after the close delimiter', () => {
    const data = Buffer.concat([
      motionPart(sent[0]!),
      Buffer.from('--BoundaryString--\r\n'),
      motionPart(sent[1]!),
    ]);
    expect(parse([data])).toHaveLength(1);
  });

  it('refuses a part over the size cap, declared or scanned, without buffering it', () => {
    const big = motionPart(sent[0]!);
    expect(() => parse([big], 'BoundaryString', { maxPartBytes: 1000 })).toThrow(
      /over the 1000-byte cap/,
    );
    const unsized = motionPart(sent[0]!, 'BoundaryString', false);
    expect(() => parse(split(unsized, 64), 'BoundaryString', { maxPartBytes: 1000 })).toThrow(
      /without a boundary/,
    );
  });

  it('declares a stream whose boundary never appears malformed after the gap cap', () => {
    const wrong = Buffer.concat(sent.map((f) => motionPart(f, 'OtherBoundary')));
    expect(() => parse(split(wrong, 1024), 'BoundaryString', { maxGapBytes: 20_000 })).toThrow(
      MultipartError,
    );
    expect(() => parse(split(wrong, 1024), 'BoundaryString', { maxGapBytes: 20_000 })).toThrow(
      /no boundary '--BoundaryString' within 20000 bytes at the start/,
    );
  });

  it('refuses a bad Content-Length and stays failed', () => {
    const p = new MultipartParser('b', () => undefined);
    expect(() => p.push(Buffer.from('--b\r\nContent-Length: 12x\r\n\r\n'))).toThrow(
      /bad Content-Length '12x'/,
    );
    expect(() => p.push(Buffer.from('more'))).toThrow(/bad Content-Length/);
  });

  it('refuses endless part headers', () => {
    const p = new MultipartParser('b', () => undefined, { maxHeaderBytes: 100 });
    expect(() => p.push(Buffer.from(`--b\r\nX: ${'a'.repeat(200)}`))).toThrow(
      /headers longer than 100/,
    );
  });

  it('knows when the stream stopped in the middle of a part', () => {
    const p = new MultipartParser('BoundaryString', () => undefined);
    const part = motionPart(sent[0]!);
    p.push(part.subarray(0, 20));
    expect(p.midPart).toBe(true);
    p.push(part.subarray(20));
    expect(p.midPart).toBe(false);
  });

  it('1-byte chunks of a 1 MB part stay linear (finishes quickly)', () => {
    const body = Buffer.alloc(1_000_000, 7);
    const data = Buffer.concat([motionPart(body, 'b', false), Buffer.from('--b--')]);
    const t = performance.now();
    const parts: MultipartPart[] = [];
    const p = new MultipartParser('b', (x) => parts.push(x));
    for (let i = 0; i < data.length; i++) p.push(data.subarray(i, i + 1));
    expect(parts[0]!.body.equals(body)).toBe(true);
    // Quadratic copying would take minutes here.
    expect(performance.now() - t).toBeLessThan(10_000);
  });
});

describe('jpegSize', () => {
  it.each([
    [1, 1],
    [64, 48],
    [321, 17],
  ])('reads %ix%i from a real baseline JPEG', (w, h) => {
    const data = makeJpeg(w, h);
    expect(isJpeg(data)).toBe(true);
    expect(jpegSize(data)).toEqual({ width: w, height: h });
    expect(jpeg.decode(data)).toMatchObject({ width: w, height: h });
  });

  it('reads a progressive (SOF2) header and skips APP/COM segments before it', () => {
    const stamped = stampJpeg(makeJpeg(40, 30), 5);
    expect(jpegSize(stamped)).toEqual({ width: 40, height: 30 });
    // SOI, APP0 (JFIF, 16 bytes), SOF2 height 720 width 1280.
    const sof2 = Buffer.from([
      0xff,
      0xd8,
      0xff,
      0xe0,
      0x00,
      0x10,
      ...Buffer.from('JFIF\0'),
      1,
      1,
      0,
      0,
      1,
      0,
      1,
      0,
      0,
      0xff,
      0xc2,
      0x00,
      0x11,
      0x08,
      0x02,
      0xd0,
      0x05,
      0x00,
      0x03,
    ]);
    expect(jpegSize(sof2)).toEqual({ width: 1280, height: 720 });
  });

  it('says undefined for non-JPEG or truncated data', () => {
    expect(jpegSize(Buffer.from('<html>'))).toBeUndefined();
    expect(jpegSize(base.subarray(0, 10))).toBeUndefined();
    expect(jpegSize(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toBeUndefined();
  });
});
