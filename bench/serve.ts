/**
 * `vfab serve` under many uploads at once: ten clients each drop a 40 MB SVG (jobs.add, base64,
 * not planned) at the same moment. The built CLI's peak resident memory (VmHWM) is what the
 * upload budget bounds; the rows say how many uploads were added and how many refused BUSY.
 * Needs `electron-vite build`.
 *
 * Two ways of sending: as Chromium does (131,000-byte fragments, so the size is not known
 * until the end) and in one frame each (Node's ws, curl-like clients).
 */
import fs from 'node:fs';
import path from 'node:path';
import { openApiSocket, wsUrl, type ApiSocket } from '../test/helpers/api-socket';
import { sandbox } from '../test/helpers/cli';
import { startServe } from '../test/helpers/serve-process';
import type { BenchRow, BenchSuite } from './report';

const UPLOADS = Number(process.env.BENCH_SERVE_UPLOADS ?? 10);
const FILE_BYTES = Number(process.env.BENCH_SERVE_FILE_MB ?? 40) * 1_000_000;
const FRAGMENT = 131_000;

function peakRssMb(pid: number): number {
  const kb = Number(
    /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1],
  );
  return Math.round(kb / 1024);
}

/** An SVG of `bytes` that parses at once: one line, the rest a comment. */
function bigSvg(bytes: number): Buffer {
  const head =
    '<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="100mm" viewBox="0 0 100 100"><line x1="0" y1="0" x2="90" y2="90" fill="none" stroke="black"/><!-- ';
  const tail = ' --></svg>';
  return Buffer.from(head + 'x'.repeat(bytes - head.length - tail.length) + tail);
}

async function uploadAtOnce(fragmented: boolean): Promise<BenchRow[]> {
  const sb = sandbox();
  fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
  fs.writeFileSync(sb.configFile, 'camera:\n  enabled: false\n');
  const served = await startServe(sb, 120_000);
  const sockets: ApiSocket[] = [];
  try {
    for (let i = 0; i < UPLOADS; i++)
      sockets.push(await openApiSocket(wsUrl(served.origin, served.token), served.origin));
    const base64 = bigSvg(FILE_BYTES).toString('base64');
    const before = peakRssMb(served.child.pid!);
    const outcomes = await Promise.all(
      sockets.map(
        (s, i) =>
          new Promise<string>((resolve) => {
            const id = `u${i}`;
            s.ws.on('message', (data) => {
              const reply = JSON.parse(String(data)) as {
                id?: string;
                result?: unknown;
                error?: { code: string };
              };
              if (reply.id === id) resolve(reply.error ? reply.error.code : 'added');
            });
            const bytes = Buffer.from(
              JSON.stringify({
                id,
                method: 'jobs.add',
                params: { source: { name: `big${i}.svg`, base64 }, id: `big${i}`, plan: false },
              }),
            );
            if (!fragmented) return s.ws.send(bytes, { binary: false });
            for (let at = 0; at < bytes.length; at += FRAGMENT)
              s.ws.send(bytes.subarray(at, at + FRAGMENT), {
                binary: false,
                fin: at + FRAGMENT >= bytes.length,
              });
          }),
      ),
    );
    const how = fragmented ? 'in fragments, as a browser sends' : 'in one frame each';
    return [
      { name: `serve idle, peak RSS before the uploads`, value: before, unit: 'MB' },
      // No target: the peak depends on when the collector runs; before the budget it was 856 and 1030 MB.
      {
        name: `${UPLOADS} x ${FILE_BYTES / 1e6} MB uploads ${how}: peak RSS`,
        value: peakRssMb(served.child.pid!),
        unit: 'MB',
      },
      { name: `  added`, value: outcomes.filter((o) => o === 'added').length, unit: 'uploads' },
      {
        name: `  refused BUSY (retry when the others finish)`,
        value: outcomes.filter((o) => o === 'BUSY').length,
        unit: 'uploads',
      },
      {
        name: `  other answers`,
        value: outcomes.filter((o) => o !== 'added' && o !== 'BUSY').length,
        unit: 'uploads',
        target: '0',
        ok: outcomes.every((o) => o === 'added' || o === 'BUSY'),
      },
    ];
  } finally {
    for (const s of sockets) await s.close();
    await served.kill();
    sb.cleanup();
  }
}

async function run(): Promise<BenchRow[]> {
  return [...(await uploadAtOnce(true)), ...(await uploadAtOnce(false))];
}

export const serveSuite: BenchSuite = { name: 'serve', run };
