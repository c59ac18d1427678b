/**
 * How much of the API's requests `vfab serve` holds at once, across all connections. A dropped
 * file arrives as base64 inside a jobs.add request (up to 50 MiB of file); buffered, decoded and
 * parsed, each costs several times that, so uploads share one budget of bytes:
 *
 *  - a message takes its bytes from the budget when its first frame header arrives, before any
 *    payload is held, and gives them back when the request it carries has been answered;
 *  - a message whose size is not known yet (a browser sends large ones in 128 KiB fragments)
 *    counts as the largest allowed until its last fragment arrives;
 *  - a message that does not fit is not buffered at all: its bytes are read and dropped, and it
 *    is answered BUSY by its id (read on the way) at once;
 *  - messages of at most SMALL_MESSAGE bytes in one frame pass without counting, so the app's
 *    ordinary calls keep working while uploads fill the budget.
 *
 *   const budget = createByteBudget(128 * 2 ** 20);
 *   const gate = gateConnection(budget, { maxMessage }, { pass: feedWs, refuse: (id) => replyBusy(id) });
 *   socket.on('data', gate.push);
 *   ws.on('message', () => { const release = gate.delivered(); ... release() when answered });
 *   ws.on('close', gate.close);
 */
import { findRequestId, type RequestId, type RequestIdFinder } from './request-id';
import { OPCODE, PASS, readFrames, type FrameHead, type FrameRoute } from './ws-frames';

/** Total request bytes held at once by default. */
export const UPLOAD_BUDGET_BYTES = 128 * 2 ** 20;
/** The app's calls other than uploads are far smaller than this. */
export const SMALL_MESSAGE = 64 * 1024;

export interface ByteBudget {
  readonly limit: number;
  used(): number;
  /** Takes `n` bytes if they fit; false (taking nothing) if not. */
  take(n: number): boolean;
  give(n: number): void;
}

export function createByteBudget(limit: number): ByteBudget {
  let used = 0;
  return {
    limit,
    used: () => used,
    take(n) {
      if (used + n > limit) return false;
      used += n;
      return true;
    },
    give(n) {
      used -= n;
    },
  };
}

export interface ConnectionGate {
  /** The connection's bytes, as they arrive. */
  push(chunk: Buffer): void;
  /** Call at each message the WebSocket delivers: returns what gives its bytes back (call once it is answered). */
  delivered(): () => void;
  /** The connection is gone: gives back what its unanswered-for messages hold. */
  close(): void;
}

type Receiving =
  | { admitted: true; reserved: number; got: number }
  | { admitted: false; finder: RequestIdFinder; answered: boolean };

export function gateConnection(
  budget: ByteBudget,
  opts: { maxMessage: number },
  hooks: { pass(bytes: Buffer): void; refuse(id: RequestId): void },
): ConnectionGate {
  let receiving: Receiving | undefined;
  /** What each message received whole but not yet delivered holds, in order. */
  const arrived: number[] = [];
  let closed = false;

  const refuse = (r: Receiving & { admitted: false }) => {
    if (r.answered) return;
    r.answered = true;
    hooks.refuse(r.finder.id());
  };

  const dropped = (r: Receiving & { admitted: false }, last: boolean): FrameRoute => ({
    pass: false,
    peek: (payload) => {
      if (!r.finder.push(payload)) return true;
      refuse(r);
      return false;
    },
    end: () => {
      if (last) refuse(r);
    },
  });

  const start = (head: FrameHead): FrameRoute => {
    // Larger than one message may be: ws closes the connection (1009) before holding it.
    if (head.length > opts.maxMessage) return PASS;
    const want = head.fin ? (head.length <= SMALL_MESSAGE ? 0 : head.length) : opts.maxMessage;
    if (want === 0 || budget.take(want)) {
      receiving = { admitted: true, reserved: want, got: 0 };
      return arrive(head);
    }
    const r: Receiving = { admitted: false, finder: findRequestId(), answered: false };
    receiving = head.fin ? undefined : r;
    return dropped(r, head.fin);
  };

  /** A passed frame of the message being received. */
  const arrive = (head: FrameHead): FrameRoute => {
    const r = receiving as Receiving & { admitted: true };
    r.got += head.length;
    if (head.fin) {
      // Now its size is known; what it held beyond that is free for others.
      const keep = Math.min(r.reserved, r.got);
      budget.give(r.reserved - keep);
      arrived.push(keep);
      receiving = undefined;
    }
    return PASS;
  };

  const route = (head: FrameHead): FrameRoute => {
    if (closed || head.opcode >= 8) return PASS;
    if (head.opcode === OPCODE.text || head.opcode === OPCODE.binary) {
      // A new message inside a fragmented one is a protocol error that ws answers (1002).
      return receiving ? PASS : start(head);
    }
    if (head.opcode !== OPCODE.continuation || !receiving) return PASS;
    if (receiving.admitted) return arrive(head);
    const r = receiving;
    if (head.fin) receiving = undefined;
    return dropped(r, head.fin);
  };

  return {
    push: readFrames(route, (bytes) => hooks.pass(bytes)),
    delivered() {
      const held = arrived.shift() ?? 0;
      let given = false;
      return () => {
        if (given) return;
        given = true;
        budget.give(held);
      };
    },
    close() {
      if (closed) return;
      closed = true;
      if (receiving?.admitted) budget.give(receiving.reserved);
      receiving = undefined;
      for (const held of arrived.splice(0)) budget.give(held);
    },
  };
}
