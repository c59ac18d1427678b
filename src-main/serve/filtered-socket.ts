/**
 * A client's socket as the WebSocket library sees it: what the client sends reaches the reader
 * only through `filter` (which calls `deliver` with what may pass); what the reader writes goes
 * straight out. ws accepts any Duplex as its socket, so it never knows the difference.
 *
 *   const wrapped = new FilteredSocket(socket, (chunk) => gate.push(chunk));   // gate → wrapped.deliver
 *   wss.handleUpgrade(req, wrapped, Buffer.alloc(0), …);
 */
import type net from 'node:net';
import { Duplex } from 'node:stream';

export class FilteredSocket extends Duplex {
  constructor(
    private readonly socket: Duplex,
    filter: (chunk: Buffer) => void,
  ) {
    super();
    // What ws would set on a real socket, which it looks for and this class does not have.
    const tcp = socket as Partial<net.Socket>;
    tcp.setTimeout?.(0);
    tcp.setNoDelay?.(true);
    socket.on('data', filter);
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  /** Passes bytes on to the reader; the client is read no faster than the reader takes them. */
  deliver(bytes: Buffer): void {
    if (!this.push(bytes)) this.socket.pause();
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(
    chunk: Buffer,
    encoding: BufferEncoding,
    done: (err?: Error | null) => void,
  ): void {
    this.socket.write(chunk, encoding, done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.socket.end(done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.socket.destroy();
    done(err);
  }
}
