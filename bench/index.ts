/** `npm run bench`: runs every suite (or those named as arguments), prints a table, writes bench/results/<suite>.json. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cameraSuite } from './camera';
import { feedSuite } from './feed';
import { appSuite } from './app';
import { archiveSuite } from './archive';
import { foundationSuite } from './foundation';
import { planSuite } from './plan';
import { plannerSuite } from './planner';
import { plotSuite } from './plot';
import { queueSuite } from './queue';
import { recoverySuite } from './recovery';
import { missedTargets, type BenchRow, type BenchSuite } from './report';
import { serveSuite } from './serve';
import { svgSuite } from './svg';

const SUITES: BenchSuite[] = [
  foundationSuite,
  svgSuite,
  planSuite,
  plannerSuite,
  plotSuite,
  queueSuite,
  feedSuite,
  recoverySuite,
  cameraSuite,
  archiveSuite,
  appSuite,
  serveSuite,
];

function printTable(suite: string, rows: BenchRow[]): void {
  const cells = rows.map((r) => [
    r.name,
    `${r.value} ${r.unit}`,
    r.target ? `${r.target} ${r.unit}` : '',
    r.ok === undefined ? '' : r.ok ? 'ok' : 'MISSED',
  ]);
  const header = ['benchmark', 'result', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((x, i) => x.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  console.log(`\n== ${suite} ==`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const outDir = path.join(__dirname, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const missed: string[] = [];
  for (const suite of SUITES.filter((s) => !wanted.length || wanted.includes(s.name))) {
    const rows = await suite.run();
    printTable(suite.name, rows);
    missed.push(...missedTargets(suite.name, rows));
    const machine = {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    };
    fs.writeFileSync(
      path.join(outDir, `${suite.name}.json`),
      `${JSON.stringify({ suite: suite.name, at: new Date().toISOString(), machine, rows }, null, 2)}\n`,
    );
  }
  console.log(`\nResults written to ${outDir}.`);
  if (missed.length) {
    console.error(
      `\n${missed.length} target(s) missed:\n${missed.map((m) => `  ${m}`).join('\n')}`,
    );
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 2;
});
