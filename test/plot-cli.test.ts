/** The plotting commands across processes: `vfab pause` of a running plot, `vfab check servo`. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPaper } from '../src-main/plotter/virtual/paper';
import { FIXTURES, ROOT, sandbox, type Sandbox } from './helpers/cli';
import { startPlotterProcess } from './helpers/crash-rig';
import { endWithTest } from './helpers/processes';
import { waitFor } from './helpers/wait';

let sb: Sandbox;
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

describe('vfab pause', () => {
  it('pauses a plot running in another process; vfab plot then finishes it', async () => {
    // A zig-zag of 40 long strokes: several seconds of plotting at real speed.
    const d = Array.from({ length: 40 }, (_, i) => `M 10 ${10 + i * 4} H 250`).join(' ');
    const file = path.join(sb.root, 'zigzag.svg');
    fs.writeFileSync(
      file,
      `<svg xmlns="http://www.w3.org/2000/svg" width="297mm" height="210mm" viewBox="0 0 297 210"><path d="${d}" stroke="black"/></svg>`,
    );
    expect(sb.run(['add', 'job', 'zz', file]).code).toBe(0);

    const plot = endWithTest(
      spawn(
        process.execPath,
        [path.join(ROOT, 'bin', 'vfab.js'), 'plot', 'zz', '--device', 'virtual', '--speed', '2'],
        { env: sb.env, cwd: sb.root },
      ),
    );
    let plotOut = '';
    plot.stdout.on('data', (b) => (plotOut += String(b)));
    const exited = new Promise<number>((resolve) => plot.on('exit', (code) => resolve(code ?? -1)));
    await waitFor(
      'zz to be PLOTTING',
      () => sb.run(['info', 'job', 'zz', '--state-only']).stdout === 'PLOTTING\n',
      { timeoutMs: 10_000, everyMs: 100 },
    ).catch(() => undefined);

    const paused = sb.run(['pause', 'zz']);
    expect(paused.stderr).toContain('PAUSED');
    expect(paused.code).toBe(0);
    // Paused is neither done nor an error: its own exit status, for scripts.
    expect(await exited).toBe(10);
    expect(plotOut).toContain('zz\tPAUSED');
    expect(fs.existsSync(path.join(sb.jobsDir, 'zz', 'pause.request'))).toBe(false);

    expect(sb.run(['pause', 'zz']).stderr).toContain('already PAUSED');
    // Each --device virtual is a freshly powered plotter: it cannot know where the carriage is.
    const unsure = sb.run(['resume', 'zz', '--device', 'virtual', '--speed', '50']);
    expect(unsure.code).toBe(7);
    expect(unsure.stderr).toMatch(/carriage position is unknown/);
    const resumed = sb.run([
      'resume',
      'zz',
      '--device',
      'virtual',
      '--speed',
      '50',
      '--carriage-at-home',
    ]);
    expect(resumed.stdout).toContain('zz\tCOMPLETED');
    expect(sb.run(['pause', 'zz']).code).toBe(7);
  }, 40_000);
});

describe('auto_rotate on the plotter', () => {
  it('plots a portrait document turned, its top to the left, as AxiDraw does; --no-auto-rotate plots it upright', async () => {
    // A4 portrait, one stroke along the top edge: 100 mm from (20, 10).
    const file = path.join(sb.root, 'tall.svg');
    fs.writeFileSync(
      file,
      '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" viewBox="0 0 210 297"><path d="M 20 10 H 120" stroke="black"/></svg>',
    );
    const plotter = await startPlotterProcess(sb, 50);
    try {
      const inked = (id: string, flags: string[]) => {
        expect(sb.run(['add', 'job', id, file, ...flags]).code).toBe(0);
        const before = fs.existsSync(plotter.paper) ? readPaper(plotter.paper).length : 0;
        const r = sb.run(['plot', id, '--device', plotter.port, '--carriage-at-home']);
        expect(r.stdout, r.stderr).toContain(`${id}\tCOMPLETED`);
        return readPaper(plotter.paper)
          .slice(before)
          .filter((l) => l.from[0] !== l.to[0] || l.from[1] !== l.to[1]);
      };
      // Turned: the top edge runs up the left side of an A4 sheet lying landscape, x = 10 mm, y from 190 up to 90.
      const turned = inked('turned', []);
      expect(sb.run(['info', 'job', 'turned']).stdout).toMatch(
        /Plan: +A4 landscape, drawing turned 90°/,
      );
      const xs = turned.flatMap((l) => [l.fromMm[0], l.toMm[0]]);
      const ys = turned.flatMap((l) => [l.fromMm[1], l.toMm[1]]);
      expect(Math.min(...xs)).toBeCloseTo(10, 1);
      expect(Math.max(...xs)).toBeCloseTo(10, 1);
      expect([Math.min(...ys), Math.max(...ys)].map((v) => Math.round(v * 10) / 10)).toEqual([
        90, 190,
      ]);

      const upright = inked('upright', ['--no-auto-rotate']);
      expect(sb.run(['info', 'job', 'upright']).stdout).toMatch(
        /Plan: +A4 portrait, default preset/,
      );
      const uys = upright.flatMap((l) => [l.fromMm[1], l.toMm[1]]);
      const uxs = upright.flatMap((l) => [l.fromMm[0], l.toMm[0]]);
      expect([Math.min(...uys), Math.max(...uys)].map((v) => Math.round(v * 10) / 10)).toEqual([
        10, 10,
      ]);
      expect([Math.min(...uxs), Math.max(...uxs)].map((v) => Math.round(v * 10) / 10)).toEqual([
        20, 120,
      ]);
    } finally {
      await plotter.stop();
    }
  }, 60_000);
});

describe('vfab check servo', () => {
  it('finds the virtual plotter, reads its firmware and cycles the pen', () => {
    const r = sb.run(['check', 'servo', '--device', 'virtual', '--json']);
    expect(r.code).toBe(0);
    const servo = JSON.parse(r.stdout).servo;
    expect(servo).toMatchObject({ ok: true, port: 'virtual', pen_pos_up: 60, pen_pos_down: 40 });
    expect(servo.firmware).toMatch(/Firmware Version 3\.\d+\.\d+/);
    expect(servo.pen_cycle_ms).toHaveLength(3);
    for (const ms of servo.pen_cycle_ms) expect(ms).toBeGreaterThan(0);
  });

  it('says what to do when no AxiDraw is connected', () => {
    const r = sb.run(['check', 'servo', '--force-detect']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no AxiDraw found.*--device virtual/);
  });
});

describe('--device that is no serial port', () => {
  it('is refused, naming the path and where to find the port, for plot and check servo alike', () => {
    expect(sb.run(['add', 'job', 'j', path.join(FIXTURES, 'AxiDraw_trivial.svg')]).code).toBe(0);
    const file = path.join(sb.root, 'somefile');
    fs.writeFileSync(file, 'not a plotter');
    const missing = path.join(sb.root, 'ttyNONE');
    for (const [device, code, says] of [
      [file, 5, `${file} is a regular file, not a serial port`],
      [sb.root, 5, `${sb.root} is a folder, not a serial port`],
      ['/dev/null', 5, '/dev/null is not a serial port'],
      [missing, 3, `serial port ${missing} does not exist`],
    ] as const) {
      // check servo and plot resolve the port the same way; both are run for the kinds users meet most.
      const commands =
        device === file || device === missing
          ? [
              ['plot', 'j'],
              ['check', 'servo'],
            ]
          : [['plot', 'j']];
      for (const args of commands.map((c) => [...c, '--device', device])) {
        const r = sb.run(args);
        expect({ args, code: r.code }).toEqual({ args, code });
        expect(r.stderr).toContain(says);
        expect(r.stderr).toMatch(/vfab check servo.*--device virtual/);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
    }
    expect(sb.run(['info', 'job', 'j', '--state-only']).stdout).toBe('READY\n');
  }, 90_000);
});
