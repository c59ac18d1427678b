/**
 * The parts of `vfab serve`'s upload budget, without a server: the frame reader (any chunking,
 * masked payloads), the request-id finder (the id wherever it is, nothing else taken for it),
 * and the gate's accounting (taken at the first frame, shrunk at the last, given back once the
 * request is answered or its connection is gone).
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findRequestId } from '../src-main/serve/request-id';
import { createByteBudget, gateConnection, SMALL_MESSAGE } from '../src-main/serve/upload-gate';
import { PASS, readFrames, type FrameHead } from '../src-main/serve/ws-frames';

/** A client frame as RFC 6455 section 5.2 lays it out, masked as clients must. */
function clientFrame(opcode: number, fin: boolean, payload: Buffer): Buffer {
  const mask = crypto.randomBytes(4);
  const len = payload.length;
  const head =
    len < 126 ? Buffer.from([0, 0x80 | len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  head[0] = (fin ? 0x80 : 0) | opcode;
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!));
  return Buffer.concat([head, mask, body]);
}

/** Feeds `stream` in pieces of `size` bytes. */
function feed(push: (chunk: Buffer) => void, stream: Buffer, size: number): void {
  for (let at = 0; at < stream.length; at += size) push(stream.subarray(at, at + size));
}

const request = (id: unknown, base64: string) =>
  Buffer.from(
    JSON.stringify({ id, method: 'jobs.add', params: { source: { name: 'a.svg', base64 } } }),
  );

describe('readFrames', () => {
  it('passes some frames byte for byte and drops others, showing their unmasked payload, however the stream is cut', () => {
    const frames = [
      clientFrame(1, true, Buffer.from('small')),
      clientFrame(1, false, Buffer.alloc(70_000, 'a')),
      clientFrame(9, true, Buffer.from('ping')),
      clientFrame(0, true, Buffer.alloc(300, 'b')),
      clientFrame(2, true, Buffer.alloc(0)),
    ];
    const stream = Buffer.concat(frames);
    for (const size of [1, 3, 13, 1000, stream.length]) {
      const heads: FrameHead[] = [];
      const passed: Buffer[] = [];
      const peeked: Buffer[] = [];
      let ends = 0;
      // Drop the fragmented text message (frames 1 and 3), pass the rest.
      const push = readFrames(
        (head) => {
          heads.push(head);
          if (head.opcode === 9 || heads.length === 1 || heads.length === 5) return PASS;
          return { pass: false, peek: (p) => (peeked.push(p), true), end: () => void ends++ };
        },
        (bytes) => passed.push(Buffer.from(bytes)),
      );
      feed(push, stream, size);
      expect(
        heads.map((h) => [h.opcode, h.fin, h.length]),
        `chunks of ${size}`,
      ).toEqual([
        [1, true, 5],
        [1, false, 70_000],
        [9, true, 4],
        [0, true, 300],
        [2, true, 0],
      ]);
      expect(
        Buffer.concat(passed).equals(Buffer.concat([frames[0]!, frames[2]!, frames[4]!])),
        `chunks of ${size}`,
      ).toBe(true);
      expect(Buffer.concat(peeked).toString()).toBe('a'.repeat(70_000) + 'b'.repeat(300));
      expect(ends).toBe(2);
    }
  });
});

describe('findRequestId', () => {
  const idOf = (text: string, size = 1) => {
    const finder = findRequestId();
    const bytes = Buffer.from(text);
    let done = false;
    for (let at = 0; at < bytes.length && !done; at += size)
      done = finder.push(bytes.subarray(at, at + size));
    return { id: finder.id(), done };
  };

  it('reads the top-level id wherever it is, as soon as it is complete', () => {
    expect(idOf('{"id":7,"method":"jobs.add","params":{"source":{"base64":"AAAA')).toEqual({
      id: 7,
      done: true,
    });
    expect(
      idOf('{ "method" : "x", "params": {"id": "inner", "s": "a,\\"id\\":3}"}, "id" : "outer" }'),
    ).toEqual({ id: 'outer', done: true });
    expect(idOf('{"id":"a\\"b\\u00e9","method":"x"}', 4)).toEqual({ id: 'a"bé', done: true });
    expect(idOf('{"params":["id",{"id":1}],"id":-3}')).toEqual({ id: -3, done: true });
  });

  it('answers null for no id, or one the protocol does not allow', () => {
    expect(idOf('{"method":"x","params":{}}')).toEqual({ id: null, done: true });
    expect(idOf(`{"id":"${'x'.repeat(65)}","method":"x"}`).id).toBeNull();
    expect(idOf(`{"id":"${'x'.repeat(5000)}"`)).toEqual({ id: null, done: true });
    expect(idOf('{"id":1.5,"method":"x"}').id).toBeNull();
    expect(idOf('{"id":{"a":1},"method":"x"}').id).toBeNull();
  });
});

describe('gateConnection', () => {
  const MAX = 200_000;
  /** A budget, and connections gated by it. */
  const setup = (limit: number) => {
    const budget = createByteBudget(limit);
    const connect = () => {
      const passed: Buffer[] = [];
      const refused: unknown[] = [];
      const gate = gateConnection(
        budget,
        { maxMessage: MAX },
        { pass: (b) => passed.push(Buffer.from(b)), refuse: (id) => refused.push(id) },
      );
      return { gate, passed, refused };
    };
    return { budget, connect, ...connect() };
  };

  it('counts a fragmented message as the largest until its last fragment, then as its size until it is answered', () => {
    const { budget, gate, passed } = setup(300_000);
    const body = request(1, 'A'.repeat(400));
    gate.push(clientFrame(1, false, body.subarray(0, 100)));
    expect(budget.used()).toBe(MAX);
    gate.push(clientFrame(0, true, body.subarray(100)));
    expect(budget.used()).toBe(body.length);
    expect(Buffer.concat(passed).length).toBeGreaterThan(body.length);
    const release = gate.delivered();
    release();
    release();
    expect(budget.used()).toBe(0);
  });

  it('refuses a message that does not fit by its id, before its end, and passes none of it', () => {
    const { budget, gate: first, connect } = setup(300_000);
    first.push(clientFrame(1, false, request('first', 'A'.repeat(300)).subarray(0, 50)));
    const { gate, passed, refused } = connect();
    const second = request('second', 'B'.repeat(900));
    gate.push(clientFrame(1, false, second.subarray(0, 30)));
    expect(refused).toEqual(['second']);
    gate.push(clientFrame(9, true, Buffer.from('ping')));
    gate.push(clientFrame(0, true, second.subarray(30)));
    // Only the ping went through; the refused message was answered once.
    expect(Buffer.concat(passed).length).toBe(2 + 4 + 4);
    expect(refused).toEqual(['second']);
    expect(budget.used()).toBe(MAX);
    // Small messages in one frame pass while the budget is full.
    gate.push(clientFrame(1, true, Buffer.alloc(SMALL_MESSAGE, ' ')));
    expect(refused).toHaveLength(1);
    expect(Buffer.concat(passed).length).toBeGreaterThan(SMALL_MESSAGE);
  });

  it('refuses a single frame larger than what is left, and answers null when it names no id', () => {
    const { gate, refused } = setup(100_000);
    gate.push(clientFrame(1, true, Buffer.alloc(100_001, ' ')));
    expect(refused).toEqual([null]);
  });

  it('gives everything back when the connection goes, received or still arriving', () => {
    const { budget, gate } = setup(1_000_000);
    gate.push(clientFrame(1, true, request(1, 'A'.repeat(SMALL_MESSAGE))));
    gate.push(clientFrame(1, false, Buffer.from('{"id":2')));
    expect(budget.used()).toBeGreaterThan(MAX);
    gate.close();
    expect(budget.used()).toBe(0);
  });
});
