/** The camera's own HTTP/1.1 reader against raw loopback servers that write exact bytes. */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpGet, HttpProtocolError, type HttpHead } from '../src-main/camera/http-get';

const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** Serves `reply` (written in `block`-byte pieces, then closed) and records the request it got. */
async function rawServer(
  reply: string | Buffer,
  block = Infinity,
  keepOpen = false,
): Promise<{ url: URL; request: () => string }> {
  let request = '';
  const s = net.createServer((sock) => {
    sock.on('data', (d) => {
      request += d.toString('latin1');
      if (!request.includes('\r\n\r\n')) return;
      const data = typeof reply === 'string' ? Buffer.from(reply, 'latin1') : reply;
      for (let i = 0; i < data.length; i += block === Infinity ? data.length : block)
        sock.write(data.subarray(i, i + (block === Infinity ? data.length : block)));
      if (!keepOpen) sock.end();
    });
    sock.on('error', () => undefined);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    url: new URL(
      `http://user:p%40ss@127.0.0.1:${(s.address() as net.AddressInfo).port}/stream.mjpeg?x=1`,
    ),
    request: () => request,
  };
}

function get(
  url: URL,
  idleTimeoutMs = 2_000,
): Promise<{ head?: HttpHead; body: string; err?: Error; timedOut: boolean }> {
  return new Promise((resolve) => {
    let head: HttpHead | undefined;
    let body = '';
    let timedOut = false;
    const h = httpGet(
      url,
      {
        onHead: (x) => (head = x),
        onBody: (d, start, end) => (body += d.toString('latin1', start, end)),
        onEnd: (err) => resolve({ head, body, err, timedOut }),
      },
      {
        headers: { 'User-Agent': 'vfab' },
        idleTimeoutMs,
        onTimeout: () => {
          timedOut = true;
          h.close();
        },
      },
    );
  });
}

const chunked =
  'HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=b\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n\r\n' +
  '5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n';

describe('httpGet', () => {
  it.each([Infinity, 1, 3])(
    'decodes a chunked body written in %s-byte pieces, extensions and trailers included',
    async (block) => {
      const { url, request } = await rawServer(chunked, block);
      const r = await get(url);
      expect(r.err).toBeUndefined();
      expect(r.head).toEqual({
        status: 200,
        headers: {
          'content-type': 'multipart/x-mixed-replace; boundary=b',
          'transfer-encoding': 'chunked',
          'set-cookie': 'a, b',
        },
      });
      expect(r.body).toBe('hello 0123456789');
      const lines = request().split('\r\n');
      expect(lines[0]).toBe('GET /stream.mjpeg?x=1 HTTP/1.1');
      expect(lines).toContain(`Host: 127.0.0.1:${url.port}`);
      expect(lines).toContain(
        `Authorization: Basic ${Buffer.from('user:p@ss').toString('base64')}`,
      );
      expect(lines).toContain('Connection: close');
    },
  );

  it('reads a Content-Length body and a close-delimited body', async () => {
    const sized = await get(
      (await rawServer('HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found')).url,
    );
    expect(sized).toMatchObject({ head: { status: 404 }, body: 'not found' });
    expect(sized.err).toBeUndefined();
    const toClose = await get(
      (await rawServer('HTTP/1.0 200 OK\r\nContent-Type: x\r\n\r\nuntil the end', 2)).url,
    );
    expect(toClose).toMatchObject({ head: { status: 200 }, body: 'until the end' });
    expect(toClose.err).toBeUndefined();
  });

  it('skips a 100 Continue before the real response', async () => {
    const r = await get(
      (
        await rawServer(
          'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
        )
      ).url,
    );
    expect(r).toMatchObject({ head: { status: 200 }, body: 'ok' });
  });

  it('reports a chunked body cut short as a reset connection', async () => {
    const r = await get(
      (await rawServer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n01234')).url,
    );
    expect(r.body).toBe('01234');
    expect((r.err as NodeJS.ErrnoException).code).toBe('ECONNRESET');
  });

  it.each([
    [
      'a bad chunk size',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      /bad chunk size 'zz'/,
    ],
    [
      'chunk data without CRLF',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY',
      /not followed by CRLF/,
    ],
    ['not HTTP at all', 'SSH-2.0-OpenSSH\r\n\r\n', /not an HTTP response: 'SSH-2.0-OpenSSH'/],
    [
      'a bad Content-Length',
      'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n',
      /bad Content-Length '1x'/,
    ],
  ])('refuses %s', async (_what, reply, message) => {
    const r = await get((await rawServer(reply)).url);
    expect(r.err).toBeInstanceOf(HttpProtocolError);
    expect(r.err!.message).toMatch(message);
  });

  it('refuses endless response headers', async () => {
    const r = await get(
      (await rawServer(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}`, 4096, true)).url,
    );
    expect(r.err).toBeInstanceOf(HttpProtocolError);
    expect(r.err!.message).toMatch(/headers longer than 65536/);
  });

  it('calls onTimeout when the server goes quiet', async () => {
    const t = Date.now();
    const r = await get(
      (
        await rawServer(
          'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n',
          Infinity,
          true,
        )
      ).url,
      300,
    );
    expect(r.timedOut).toBe(true);
    expect(r.body).toBe('ab');
    expect(Date.now() - t).toBeLessThan(2_000);
  });
});
