/**
 * AxiDraw's cornering (config device.cornering, --cornering): the junction deviation of the
 * planner's cornering rule, factor / 5000 in; a plan given --cornering keeps it for its plot.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../src-main/config/config';
import { CORNERING } from '../src-main/plan/cornering';
import { motionProfile } from '../src-main/plan/motion';
import { readPlan } from '../src-main/plan/plan-file';
import { planMotion, plotProgram, programDuration } from '../src-main/plan/planner';
import { sandbox, type Sandbox } from './helpers/cli';
import { jobProgram, judgePaper, startPlotterProcess } from './helpers/crash-rig';

/** A zig-zag of 60 teeth, 2 mm wide, 3 mm high: every vertex a sharp corner. */
const zigzag = Float64Array.from({ length: 122 }, (_, i) =>
  i % 2 === 0 ? (i / 2) * 2 + 10 : 10 + (((i - 1) / 2) % 2) * 3,
);

describe('cornering', () => {
  it("defaults to AxiDraw's 10: a junction deviation of 0.002 in", () => {
    expect(defaultConfig().device.cornering).toBe(CORNERING);
    expect(motionProfile(defaultConfig().device).corneringMm).toBeCloseTo(0.0508, 9);
  });

  it('plans a zig-zag faster the higher it is, and the plan it pins wins over the device', () => {
    const device = defaultConfig().device;
    const t = (c: number) =>
      programDuration(planMotion([{ paths: [zigzag] }], motionProfile(device, c)));
    expect(t(25)).toBeLessThan(t(10));
    expect(t(100)).toBeLessThan(t(25));
    expect(t(1)).toBeGreaterThan(t(10));
    expect(t(25)).toBe(
      programDuration(
        planMotion([{ paths: [zigzag] }], motionProfile({ ...device, cornering: 25 })),
      ),
    );
  });

  it('is checked like the other device keys', () => {
    const file = '/tmp/config.yaml';
    expect(parseConfig('device:\n  cornering: 40\n', file).config.device.cornering).toBe(40);
    expect(() => parseConfig('device:\n  cornering: 0\n', file)).toThrow(
      /device\.cornering must be a number between 1 and 100/,
    );
    expect(() => parseConfig('device:\n  cornering: sharp\n', file)).toThrow(/device\.cornering/);
  });
});

describe('vfab --cornering', () => {
  let sb: Sandbox;
  let file: string;
  beforeEach(() => {
    sb = sandbox();
    file = path.join(sb.root, 'zigzag.svg');
    const points = Array.from(
      { length: zigzag.length / 2 },
      (_, i) => `${zigzag[2 * i]},${zigzag[2 * i + 1]}`,
    ).join(' ');
    fs.writeFileSync(
      file,
      `<svg xmlns="http://www.w3.org/2000/svg" width="297mm" height="210mm" viewBox="0 0 297 210"><polyline points="${points}" fill="none" stroke="black"/></svg>`,
    );
  });
  afterEach(() => sb.cleanup());

  const plan = (id: string) => readPlan(path.join(sb.jobsDir, id, 'plan.json'));

  it('pins the cornering in the plan, estimates with it, and refuses a factor out of range', () => {
    expect(sb.run(['add', 'job', 'zz', file]).code).toBe(0);
    expect(plan('zz').settings.cornering).toBeUndefined();
    const atDefault = plan('zz').summary.estimateS;

    expect(sb.run(['plan', 'zz', '--cornering', '60']).code).toBe(0);
    expect(plan('zz').settings.cornering).toBe(60);
    expect(plan('zz').summary.estimateS).toBeLessThan(atDefault);

    fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
    fs.writeFileSync(sb.configFile, 'device:\n  cornering: 60\n');
    expect(sb.run(['add', 'job', 'configured', file]).code).toBe(0);
    expect(plan('configured').summary.estimateS).toBe(plan('zz').summary.estimateS);

    const bad = sb.run(['plan', 'zz', '--cornering', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--cornering 0: a number from 1 to 100');
  });

  it("plots with the plan's cornering: the paper equals the plan", async () => {
    expect(sb.run(['add', 'job', 'zz', file, '--cornering', '60']).code).toBe(0);
    const program = jobProgram(sb, 'zz');
    expect(programDuration(program)).toBeCloseTo(plan('zz').summary.estimateS, 6);
    const plotter = await startPlotterProcess(sb, 50);
    try {
      const r = sb.run(['plot', 'zz', '--device', plotter.port, '--carriage-at-home']);
      expect(r.stdout, r.stderr).toContain('zz\tCOMPLETED');
      expect(judgePaper(program, plotter.paper)).toMatchObject({ missing: 0, reinkedMm: 0 });
      // The board ran the plan's corners, not the device's default ones (which take longer).
      const { busyMs } = (await plotter.ctl('stats')) as { busyMs: number };
      const atDevice = programDuration(
        plotProgram(plan('zz').layers, motionProfile(defaultConfig().device)),
      );
      expect(atDevice / programDuration(program)).toBeGreaterThan(1.05);
      // (The board's time also holds the pre-flight's pen moves, a tenth of a second.)
      expect(Math.abs(busyMs / 1000 - programDuration(program))).toBeLessThan(
        (atDevice - programDuration(program)) / 4,
      );
    } finally {
      await plotter.stop();
    }
  }, 60_000);
});
