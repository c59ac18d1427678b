/**
 * Black-box: a drawing whose layer names carry AxiDraw codes, plotted by the built CLI on the
 * virtual plotter (a real serial port on a PTY). The plotter's own record shows each code: the
 * paper's timeline the +S layer's slower strokes and the +D wait, its command log the +H servo
 * height; and the paper still matches the plan.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { servoPosition } from '../src-main/plotter/ebb';
import { MoveKind, sourceOf, type MotionProgram } from '../src-main/plan/planner';
import { readPaper, type PaperLine } from '../src-main/plotter/virtual/paper';
import {
  jobProgram,
  judgePaper,
  startPlotterProcess,
  type PlotterProcess,
} from './helpers/crash-rig';
import { usePlotterSandbox } from './helpers/plotter-sandbox';

const SPEED = 4;
const rig = usePlotterSandbox();

/** The same zigzag in three layers side by side: plain, at +S10 (config draws at 25 %), at +H20 after a 2 s +D. */
const zigzag = (x: number) => `M${x} 10 H${x + 50} V20 H${x} V30 H${x + 50}`;
const SVG = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="200mm" height="100mm" viewBox="0 0 200 100">
  <g inkscape:groupmode="layer" inkscape:label="1 plain"><path d="${zigzag(10)}" fill="none" stroke="black"/></g>
  <g inkscape:groupmode="layer" inkscape:label="1+S10 slow"><path d="${zigzag(70)}" fill="none" stroke="black"/></g>
  <g inkscape:groupmode="layer" inkscape:label="1+h20+D2000 deep"><path d="${zigzag(130)}" fill="none" stroke="black"/></g>
</svg>`;

/** Wall-clock span of each layer's ink on the paper, found through the program's pen-down moves (exact step positions). */
function layerSpans(
  program: MotionProgram,
  lines: PaperLine[],
): { start: number; end: number; segments: PaperLine[] }[] {
  const layerOf = new Map<string, number>();
  let a = program.start[0],
    b = program.start[1];
  for (let k = 0; k < program.length; k++) {
    const na = a + program.steps1[k]!,
      nb = b + program.steps2[k]!;
    if (program.kind[k] === MoveKind.Draw)
      layerOf.set(`${a},${b}>${na},${nb}`, sourceOf(program, k)!.layer);
    a = na;
    b = nb;
  }
  const spans = [0, 1, 2].map(() => ({
    start: Infinity,
    end: -Infinity,
    segments: [] as PaperLine[],
  }));
  for (const seg of lines) {
    const span =
      spans[layerOf.get(`${seg.from[0]},${seg.from[1]}>${seg.to[0]},${seg.to[1]}`) ?? -1];
    if (!span) continue;
    span.start = Math.min(span.start, Date.parse(seg.startedAt));
    span.end = Math.max(span.end, Date.parse(seg.endedAt));
    span.segments.push(seg);
  }
  return spans;
}

/** The commands the plotter received, in order. */
async function received(plotter: PlotterProcess): Promise<string[]> {
  const log = await plotter.ctl<{ dir: string; text: string }[]>('log', { last: 2000 });
  return log.filter((e) => e.dir === 'in').map((e) => e.text);
}

describe('layer codes on the plotter', () => {
  it('+S10 draws its layer measurably slower, +D waits before its layer, +H sets the servo for its layer only', async () => {
    const svg = path.join(rig.sb.root, 'codes.svg');
    fs.writeFileSync(svg, SVG);
    expect(rig.sb.run(['add', 'job', 'codes', svg]).code).toBe(0);
    const info = rig.sb.run(['info', 'job', 'codes']);
    expect(info.stdout).toMatch(/^1\+S10 slow +1 +10% +- +- /m);
    expect(info.stdout).toMatch(/^1\+h20\+D2000 deep +1 +- +20% +2000 ms /m);

    rig.plotter = await startPlotterProcess(rig.sb, SPEED);
    const plot = rig.sb.run([
      'plot',
      'codes',
      '--device',
      rig.plotter.port,
      '--speed',
      String(SPEED),
    ]);
    expect(plot.code, plot.stderr).toBe(0);
    expect(rig.sb.run(['info', 'job', 'codes', '--state-only']).stdout).toBe('COMPLETED\n');

    const program = jobProgram(rig.sb, 'codes');
    const spans = layerSpans(program, readPaper(rig.plotter.paper));
    // Plotter seconds each layer's pen was drawing (each layer is one stroke, drawn without a lift).
    const drawS = spans.map((s) => ((s.end - s.start) * SPEED) / 1000);
    // 10 % against 25 % top speed: the cruise takes 2.5 times as long, the ramps less.
    expect(drawS[1]! / drawS[0]!).toBeGreaterThan(2);
    expect(drawS[2]! / drawS[0]!).toBeGreaterThan(0.9);
    expect(drawS[2]! / drawS[0]!).toBeLessThan(1.1);
    // Between layers 2 and 3 the same hop and pen moves as between 1 and 2, and the 2 s wait.
    const gap = (i: number) => ((spans[i + 1]!.start - spans[i]!.end) * SPEED) / 1000;
    expect(gap(1) - gap(0)).toBeGreaterThan(1.8);

    const verdict = judgePaper(program, rig.plotter.paper);
    expect(verdict.missing).toBe(0);
    expect(verdict.reinkedMm).toBeLessThan(0.01);

    // The commands the plotter received: SC,5 at 20 % for layer 3's pen-down, config's 40 % back after.
    const sent = await received(rig.plotter);
    const servo = sent.filter((t) => t.startsWith('SC,5,'));
    expect(servo).toEqual([
      `SC,5,${servoPosition(40)}`,
      `SC,5,${servoPosition(20)}`,
      `SC,5,${servoPosition(40)}`,
    ]);
    const deep = sent.indexOf(`SC,5,${servoPosition(20)}`);
    const downsBefore = sent.slice(0, deep).filter((t) => t.startsWith('SP,0')).length;
    const downsWhileDeep = sent
      .slice(deep, sent.lastIndexOf(`SC,5,${servoPosition(40)}`))
      .filter((t) => t.startsWith('SP,0')).length;
    expect([downsBefore, downsWhileDeep]).toEqual([2, 1]);
    expect(sent.filter((t) => /^SM,\d+,0,0$/.test(t))).toEqual([
      'SM,500,0,0',
      'SM,500,0,0',
      'SM,500,0,0',
      'SM,500,0,0',
    ]);
  }, 60_000);

  it("a pause mid-layer resumes with that layer's speed and the next layer's height and wait", async () => {
    const svg = path.join(rig.sb.root, 'codes.svg');
    fs.writeFileSync(svg, SVG);
    expect(rig.sb.run(['add', 'job', 'codes', svg]).code).toBe(0);
    rig.plotter = await startPlotterProcess(rig.sb, SPEED);
    const device = ['--device', rig.plotter.port, '--speed', String(SPEED)];
    // Layer 1 is 170 mm of ink: the button is pressed 40 mm into the +S10 layer.
    await rig.plotter.ctl('pressButton', { afterPenDownMm: 210 });
    expect(rig.sb.run(['plot', 'codes', ...device]).code, 'a pause exits 10').toBe(10);
    expect(rig.sb.run(['info', 'job', 'codes', '--state-only']).stdout).toBe('PAUSED\n');
    const before = readPaper(rig.plotter.paper).length;
    const resumed = rig.sb.run(['resume', 'codes', ...device]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(rig.sb.run(['info', 'job', 'codes', '--state-only']).stdout).toBe('COMPLETED\n');

    const program = jobProgram(rig.sb, 'codes');
    const resumedInk = layerSpans(program, readPaper(rig.plotter.paper).slice(before));
    // The rest of layer 2, drawn after the resume, reaches +S10's top speed and never beats it
    // (judged on moves long enough for the paper's millisecond timestamps).
    const limit = (8.6979 * 25.4 * 10) / 110;
    const speeds = resumedInk[1]!.segments
      .map((seg) => ({
        mm:
          Math.hypot(
            seg.to[0] - seg.from[0] + seg.to[1] - seg.from[1],
            seg.to[0] - seg.from[0] - seg.to[1] + seg.from[1],
          ) / 160,
        ms: Date.parse(seg.endedAt) - Date.parse(seg.startedAt),
      }))
      .filter((m) => m.ms >= 50)
      .map((m) => m.mm / ((m.ms * SPEED) / 1000));
    expect(speeds.length).toBeGreaterThan(1);
    expect(Math.max(...speeds)).toBeLessThan(limit * 1.05);
    expect(Math.max(...speeds)).toBeGreaterThan(limit * 0.8);
    expect(judgePaper(program, rig.plotter.paper).missing).toBe(0);

    // The resumed run configured the servo afresh, then set layer 3's +H and restored config's.
    const sent = await received(rig.plotter);
    const lastRun = sent.slice(sent.lastIndexOf(`SC,4,${servoPosition(60)}`));
    expect(lastRun.filter((t) => t.startsWith('SC,5,'))).toEqual([
      `SC,5,${servoPosition(40)}`,
      `SC,5,${servoPosition(20)}`,
      `SC,5,${servoPosition(40)}`,
    ]);
    expect(lastRun.filter((t) => /^SM,\d+,0,0$/.test(t))).toHaveLength(4);
  }, 90_000);
});
