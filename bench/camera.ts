/**
 * Camera benchmark: a fake Motion at 1280x720, 30 fps, in 1024-byte writes like Motion, and 3
 * viewers, both in a child process; this process runs only what the app runs (the client and
 * the relay), so its CPU time and memory are the camera's cost. Reports throughput and frames
 * lost or doubled at the viewers over the whole run; CPU per frame and share of one core over
 * the first 40 % (nothing else running); the memory slope (heap + external after a forced GC,
 * once a second) over the rest, extrapolated to 10 minutes.
 *
 * BENCH_CAMERA_S sets the measured duration (default 20 s, after 2 s of warm-up).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createCameraClient } from '../src-main/camera/client';
import { boundaryFromContentType, MultipartParser } from '../src-main/camera/multipart';
import { createCameraRelay } from '../src-main/camera/relay';
import { frameNumber, startFakeCamera } from '../test/helpers/fake-camera';
import { median, type BenchRow, type BenchSuite } from './report';
import { holdFor } from '../test/helpers/wait';

const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 30;
const VIEWERS = 3;
const WARMUP_MS = 2_000;
const TOKEN = 'bench-token';
const PEER_ENV = 'VFAB_BENCH_CAMERA_PEER';

interface ViewerReport {
  frames: number;
  /** Frame numbers skipped between consecutive frames received. */
  gaps: number;
  doubled: number;
}

interface PeerReport {
  sent: number;
  frameBytes: number;
  viewers: ViewerReport[];
}

/** Child side: the camera and the viewers, so their CPU is not counted as the app's. */
async function peer(relayBase: string): Promise<void> {
  // Quality 40 on a noisy test image: ~156 KB, on the heavy side of what Motion sends at 720p.
  const cam = await startFakeCamera({
    width: WIDTH,
    height: HEIGHT,
    fps: FPS,
    quality: 40,
    block: 1024,
  });
  const viewers: ViewerReport[] = [];
  const counting = { on: false };
  const lastSeen: (number | undefined)[] = [];
  process.stdout.write(`camera ${cam.url}\n`);
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line === 'viewers') {
      for (let i = 0; i < VIEWERS; i++) {
        const v: ViewerReport = { frames: 0, gaps: 0, doubled: 0 };
        viewers.push(v);
        http.get(`${relayBase}/camera/stream.mjpeg?token=${TOKEN}`, (res) => {
          const parser = new MultipartParser(
            boundaryFromContentType(res.headers['content-type'])!,
            (part) => {
              const n = frameNumber(part.body)!;
              const prev = lastSeen[i];
              lastSeen[i] = n;
              if (!counting.on || prev === undefined) return;
              v.frames++;
              if (n === prev) v.doubled++;
              else if (n > prev + 1) v.gaps += n - prev - 1;
            },
          );
          res.on('data', (c: Buffer) => parser.push(c));
        });
      }
    } else if (line === 'count') {
      counting.on = true;
      process.stdout.write('counting\n');
    } else if (line === 'report') {
      const report: PeerReport = { sent: cam.framesSent, frameBytes: cam.base.length, viewers };
      process.stdout.write(`report ${JSON.stringify(report)}\n`);
      await cam.close();
      process.exit(0);
    }
  }
}

function forcedGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** Theil-Sen slope (median of pairwise slopes): one GC landing mid-sample does not tilt it. */
function slope(xs: number[], ys: number[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++)
    for (let j = i + 1; j < xs.length; j++)
      if (xs[j] !== xs[i]) slopes.push((ys[j]! - ys[i]!) / (xs[j]! - xs[i]!));
  return slopes.length ? median(slopes) : 0;
}

async function run(): Promise<BenchRow[]> {
  const seconds = Number(process.env.BENCH_CAMERA_S ?? 20);
  // A memory slope needs the longer share of the run to rise above the noise.
  const cpuSeconds = Math.round(seconds * 0.4);
  const memSeconds = seconds - cpuSeconds;
  const gc = forcedGc();
  let relay: ReturnType<typeof createCameraRelay> | undefined;
  const server = http.createServer((req, res) => {
    if (!relay?.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const relayBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'camera.ts'), relayBase],
    {
      cwd: path.join(__dirname, '..'),
      env: { ...process.env, [PEER_ENV]: '1' },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const said = new Map<string, (rest: string) => void>();
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    const [word, ...rest] = line.split(' ');
    said.get(word!)?.(rest.join(' '));
  });
  const expect = (word: string) => new Promise<string>((resolve) => said.set(word, resolve));
  const tell = (line: string) => child.stdin!.write(`${line}\n`);

  try {
    const cameraUrl = await expect('camera');
    const client = createCameraClient({ url: cameraUrl });
    relay = createCameraRelay(client, { token: TOKEN });
    tell('viewers');
    await holdFor(WARMUP_MS, 'viewers connect and the relay warms up');
    tell('count');
    await expect('counting');

    let frames = 0;
    const off = client.onFrame(() => frames++);
    const stats0 = relay.stats();
    const t0 = performance.now();

    // Phase 1, CPU: nothing else runs in this process, not even a forced GC.
    gc();
    const cpuFrames0 = frames;
    const cpuT0 = performance.now();
    const cpu0 = process.cpuUsage();
    await holdFor(cpuSeconds * 1000, 'the CPU measured over this stretch');
    const cpu = process.cpuUsage(cpu0);
    const cpuWallMs = performance.now() - cpuT0;
    const cpuFrames = frames - cpuFrames0;

    // Phase 2, memory: heap + external after a forced full GC, once a second. The least of three
    // readings 25 ms apart leaves out the frame that happens to be in flight (~0.2 MB of noise).
    const samples: { t: number; mb: number }[] = [];
    const memT0 = performance.now();
    while (performance.now() - memT0 < memSeconds * 1000) {
      await holdFor(925, 'one memory reading a second');
      let mb = Infinity;
      for (let k = 0; k < 3; k++) {
        if (k) await holdFor(25, 'readings 25 ms apart');
        gc();
        const m = process.memoryUsage();
        mb = Math.min(mb, (m.heapUsed + m.external) / 1e6);
      }
      samples.push({ t: (performance.now() - memT0) / 1000, mb });
    }
    const wallS = (performance.now() - t0) / 1000;
    const stats = relay.stats();
    off();
    tell('report');
    const report = JSON.parse(await expect('report')) as PeerReport;
    client.close();
    if (process.env.BENCH_CAMERA_DEBUG)
      console.error({ userMs: cpu.user / 1000, systemMs: cpu.system / 1000, cpuWallMs, samples });

    const cpuMs = (cpu.user + cpu.system) / 1000;
    const fpsIn = frames / wallS;
    const slowestViewerFps = Math.min(...report.viewers.map((v) => v.frames)) / wallS;
    const lost = report.viewers.reduce((n, v) => n + v.gaps, 0);
    const doubled = report.viewers.reduce((n, v) => n + v.doubled, 0);
    const dropped = stats.dropped - stats0.dropped;
    const coreShare = cpuMs / cpuWallMs;
    const growth10 =
      slope(
        samples.map((s) => s.t),
        samples.map((s) => s.mb),
      ) * 600;
    return [
      {
        name: `frame size (${WIDTH}x${HEIGHT} JPEG)`,
        value: Math.round(report.frameBytes / 1024),
        unit: 'KB',
      },
      // The fake's own timer slips a little when the machine is busy; what matters is that the
      // viewers get every frame that came in.
      {
        name: `camera frames in (fake Motion at ${FPS} fps)`,
        value: +fpsIn.toFixed(1),
        unit: 'fps',
      },
      {
        name: `frames relayed, slowest of ${VIEWERS} viewers`,
        value: +slowestViewerFps.toFixed(1),
        unit: 'fps',
        target: `>= ${(fpsIn - 0.1).toFixed(1)}`,
        ok: slowestViewerFps >= fpsIn - 0.1,
      },
      {
        name: 'frames lost or doubled at viewers (all)',
        value: lost + doubled,
        unit: 'frames',
        target: '0',
        ok: lost + doubled === 0,
      },
      {
        name: 'frames dropped by the relay (slow viewer guard)',
        value: dropped,
        unit: 'frames',
        target: '0',
        ok: dropped === 0,
      },
      {
        name: `CPU per camera frame (client + relay to ${VIEWERS})`,
        value: +(cpuMs / Math.max(1, cpuFrames)).toFixed(3),
        unit: 'ms',
      },
      {
        name: `CPU share of one core (${HEIGHT}p${FPS} to ${VIEWERS} viewers)`,
        value: +(coreShare * 100).toFixed(2),
        unit: '%',
        target: '< 5',
        ok: coreShare < 0.05,
      },
      {
        name: 'heap + external after GC, end of run',
        value: +samples[samples.length - 1]!.mb.toFixed(1),
        unit: 'MB',
      },
      {
        name: 'heap + external after GC, spread of samples',
        value: +(
          Math.max(...samples.map((x) => x.mb)) - Math.min(...samples.map((x) => x.mb))
        ).toFixed(2),
        unit: 'MB',
      },
      {
        name: `memory growth (slope over ${memSeconds} s) extrapolated to 10 min`,
        value: +growth10.toFixed(2),
        unit: 'MB',
        target: '< 5',
        ok: Math.abs(growth10) < 5,
      },
    ];
  } finally {
    child.kill();
    server.closeAllConnections();
    server.close();
  }
}

export const cameraSuite: BenchSuite = { name: 'camera', run };

if (process.env[PEER_ENV]) void peer(process.argv[2]!);
