/** SVG reader: time, memory and points for the large fixtures, and whether parse time grows linearly. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readSvg } from '../src-main/svg/read';
import { type BenchRow, type BenchSuite, median, timeMs } from './report';

const FIXTURES = path.join(__dirname, '..', 'test', 'fixtures');
const LARGE = [
  'lorem_ipsum_outline.svg',
  'Declaration.svg',
  'test_svg__benchmark__7k_lines.svg',
  'test_svg__benchmark__multi_skull.svg',
];
const RUNS = 5;

function timeRead(data: Buffer | string, runs = RUNS): number {
  readSvg(data); // warm-up: JIT and caches, not part of the measurement
  return median(Array.from({ length: runs }, () => timeMs(() => readSvg(data))));
}

/**
 * Peak memory of one read, measured in a fresh process: its maximum RSS after the read minus
 * the maximum before it (module loaded, file in memory), so garbage the GC never got to counts.
 */
function peakMb(file: string): number {
  const script = `
    const { readSvg } = require(${JSON.stringify(path.join(__dirname, '..', 'src-main', 'svg', 'read.ts'))});
    const data = require('node:fs').readFileSync(process.argv[1]);
    const base = process.resourceUsage().maxRSS;
    readSvg(data);
    process.stdout.write(String(process.resourceUsage().maxRSS - base));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script, file], {
    encoding: 'utf8',
  });
  return Number(out) / 1024;
}

/** The file with its drawing (everything inside the root <svg>) repeated n times. */
function replicate(text: string, n: number): string {
  const open = text.indexOf('>', text.search(/<svg[\s>]/)) + 1;
  const close = text.lastIndexOf('</svg>');
  return text.slice(0, open) + text.slice(open, close).repeat(n) + text.slice(close);
}

const round = (v: number, digits = 1): number => Number(v.toFixed(digits));

/**
 * A clip-heavy drawing: `blocks` × 1,000 zigzag paths (24 points each, across the page) under a
 * disc-with-a-hole clip, half of them clipped again one by one, as matplotlib exports do.
 */
function clipHeavy(blocks: number): string {
  let seed = 1;
  const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 200;
  const paths: string[] = [];
  for (let i = 0; i < blocks * 1000; i++) {
    const pts = Array.from({ length: 24 }, () => `${rnd().toFixed(2)},${rnd().toFixed(2)}`);
    paths.push(`<path d="M${pts.join(' L')}"${i % 2 ? ' clip-path="url(#box)"' : ''}/>`);
  }
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" width="200mm" height="200mm" viewBox="0 0 200 200">' +
    '<clipPath id="disc"><path clip-rule="evenodd" d="M20 100 A80 80 0 1 0 180 100 A80 80 0 1 0 20 100 Z M70 100 A30 30 0 1 0 130 100 A30 30 0 1 0 70 100 Z"/></clipPath>' +
    '<clipPath id="box"><rect x="30" y="30" width="140" height="140"/></clipPath>' +
    `<g clip-path="url(#disc)" stroke="black" fill="none">${paths.join('')}</g></svg>`
  );
}

export const svgSuite: BenchSuite = {
  name: 'svg',
  run(): BenchRow[] {
    const rows: BenchRow[] = [];
    for (const name of LARGE) {
      const data = fs.readFileSync(path.join(FIXTURES, name));
      const d = readSvg(data);
      rows.push({ name: `${name}: readSvg time`, value: round(timeRead(data)), unit: 'ms' });
      rows.push({
        name: `${name}: peak memory (RSS growth)`,
        value: round(peakMb(path.join(FIXTURES, name))),
        unit: 'MB',
      });
      rows.push({
        name: `${name}: points (paths)`,
        value: d.stats.points,
        unit: `points (${d.stats.paths} paths)`,
      });
    }

    const lorem = fs.readFileSync(path.join(FIXTURES, 'lorem_ipsum_outline.svg'), 'utf8');
    const perMb: number[] = [];
    const times: number[] = [];
    for (const n of [1, 2, 4]) {
      const text = replicate(lorem, n);
      const t = timeRead(text, 3);
      times.push(t);
      perMb.push(t / (Buffer.byteLength(text) / 2 ** 20));
      rows.push({ name: `lorem ×${n}: time per MB`, value: round(perMb.at(-1)!), unit: 'ms/MB' });
    }
    const ratio = times[2]! / times[0]! / 4;
    rows.push({
      name: '4×/1× time ratio / 4',
      value: round(ratio, 2),
      unit: '',
      target: '<= 1.3',
      ok: ratio <= 1.3,
    });

    const clipTimes: number[] = [];
    for (const n of [1, 4]) {
      const text = clipHeavy(n);
      const t = timeRead(text, 3);
      clipTimes.push(t);
      const d = readSvg(text);
      rows.push({
        name: `clip-heavy ×${n} (${n * 1000} clipped paths): readSvg time`,
        value: round(t),
        unit: `ms (${d.stats.paths} pieces)`,
      });
    }
    const clipRatio = clipTimes[1]! / clipTimes[0]! / 4;
    rows.push({
      name: 'clip-heavy 4×/1× time ratio / 4',
      value: round(clipRatio, 2),
      unit: '',
      target: '<= 1.3',
      ok: clipRatio <= 1.3,
    });
    return rows;
  },
};
