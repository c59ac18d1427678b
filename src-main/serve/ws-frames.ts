/**
 * The frames of a client's WebSocket byte stream (RFC 6455 section 5.2), read as they arrive so each
 * can be passed on or dropped before its payload is held anywhere. The reader keeps at most one
 * frame header; payload bytes go straight through or away.
 *
 *   const push = readFrames((head) => (wanted(head) ? PASS : drop), (bytes) => ws.feed(bytes));
 *   socket.on('data', push);
 */

export interface FrameHead {
  fin: boolean;
  opcode: number;
  /** Payload bytes. */
  length: number;
  /** The client's masking key (clients must mask). */
  mask: Buffer | undefined;
}

export const OPCODE = { continuation: 0, text: 1, binary: 2 } as const;

/** How a frame goes: passed on whole, or dropped, its unmasked payload shown to `peek` while it returns true. */
export type FrameRoute =
  { pass: true } | { pass: false; peek?: (payload: Buffer) => boolean; end?: () => void };

export const PASS: FrameRoute = { pass: true };

const MAX_HEAD = 14;

/** Parses a complete header, or answers how many bytes it needs (a number) when `buf` is short. */
function parseHead(buf: Buffer): { head: FrameHead; size: number } | number {
  if (buf.length < 2) return 2;
  const masked = (buf[1]! & 0x80) !== 0;
  const short = buf[1]! & 0x7f;
  const lengthBytes = short === 126 ? 2 : short === 127 ? 8 : 0;
  const size = 2 + lengthBytes + (masked ? 4 : 0);
  if (buf.length < size) return size;
  // A 64-bit length past 2^53 is answered by ws (1009) long before it could be read.
  const length =
    short === 126
      ? buf.readUInt16BE(2)
      : short === 127
        ? Math.min(Number(buf.readBigUInt64BE(2)), Number.MAX_SAFE_INTEGER)
        : short;
  const mask = masked ? Buffer.from(buf.subarray(2 + lengthBytes, size)) : undefined;
  return { head: { fin: (buf[0]! & 0x80) !== 0, opcode: buf[0]! & 0x0f, length, mask }, size };
}

function unmask(bytes: Buffer, mask: Buffer | undefined, offset: number): Buffer {
  if (!mask) return bytes;
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! ^ mask[(offset + i) & 3]!;
  return out;
}

/**
 * Returns the function to feed the stream to. `route` is asked once per frame, when its header
 * is complete; `pass` receives the bytes of passed frames, headers included, in order.
 */
export function readFrames(
  route: (head: FrameHead) => FrameRoute,
  pass: (bytes: Buffer) => void,
): (chunk: Buffer) => void {
  let header = Buffer.alloc(0);
  let frame:
    | { head: FrameHead; route: FrameRoute; left: number; seen: number; peeking: boolean }
    | undefined;

  const endFrame = () => {
    const r = frame!.route;
    frame = undefined;
    if (!r.pass) r.end?.();
  };

  return (chunk) => {
    let at = 0;
    while (at < chunk.length) {
      if (!frame) {
        const wanted = parseHead(Buffer.concat([header, chunk.subarray(at, at + MAX_HEAD)]));
        if (typeof wanted === 'number') {
          header = Buffer.concat([header, chunk.subarray(at)]);
          return;
        }
        const fromChunk = wanted.size - header.length;
        const bytes = Buffer.concat([header, chunk.subarray(at, at + fromChunk)]);
        header = Buffer.alloc(0);
        at += fromChunk;
        const r = route(wanted.head);
        frame = {
          head: wanted.head,
          route: r,
          left: wanted.head.length,
          seen: 0,
          peeking: !r.pass && !!r.peek,
        };
        if (r.pass) pass(bytes);
        if (frame.left === 0) endFrame();
        continue;
      }
      const n = Math.min(frame.left, chunk.length - at);
      const payload = chunk.subarray(at, at + n);
      const r = frame.route;
      if (r.pass) pass(payload);
      else if (frame.peeking && r.peek)
        frame.peeking = r.peek(unmask(payload, frame.head.mask, frame.seen));
      frame.seen += n;
      frame.left -= n;
      at += n;
      if (frame.left === 0) endFrame();
    }
  };
}
