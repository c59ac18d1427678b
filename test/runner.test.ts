/**
 * The plot runner end to end: the real serialport on the virtual plotter's PTY, a job made by
 * JobService + prepareJob in a temp data dir, the drawing judged on the paper file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../src-main/cli/program';
import { openEngine, type Engine } from '../src-main/engine';
import { readJournal } from '../src-main/jobs/journal';
import { planSettings, prepareJob } from '../src-main/jobs/prepare';
import { motionProfile } from '../src-main/plan/motion';
import { readPlan } from '../src-main/plan/plan-file';
import { openEbb, type EbbConnection } from '../src-main/plotter/devices';
import { MoveKind, plotProgram, type MotionProgram } from '../src-main/plan/planner';
import { runPlot, type Checkpoint, type RunPlotOptions } from '../src-main/plotter/runner';
import { FIFO_DEPTH, WINDOW } from '../src-main/plotter/stream';
import { runVirtualPlotter, type VirtualPlotterHandle } from '../src-main/plotter/virtual/main';
import { readPaper, type PaperLine } from '../src-main/plotter/virtual/paper';
import { inkedAlong } from './helpers/crash-rig';
import { useTempDirs } from './helpers/tmp';
import { waitFor } from './helpers/wait';

const tempDir = useTempDirs('vfab-runner-');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const INK = 'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"';
const SIZE = 'width="297mm" height="210mm" viewBox="0 0 297 210"';

/** `count` short strokes, some with corners, in one layer (or split into two pen layers). */
function strokes(count: number, y0 = 10): string {
  let d = '';
  for (let i = 0; i < count; i++) {
    const x = 10 + (i % 10) * 12,
      y = y0 + Math.floor(i / 10) * 12;
    d += i % 2 ? `M${x} ${y} L${x + 8} ${y} L${x + 8} ${y + 8} ` : `M${x} ${y} L${x + 8} ${y + 6} `;
  }
  return `<path d="${d}" stroke="black" fill="none"/>`;
}

interface Setup {
  engine: Engine;
  plotter: VirtualPlotterHandle;
  conn: EbbConnection;
  id: string;
  program: MotionProgram;
  run(extra?: Partial<RunPlotOptions>): ReturnType<typeof runPlot>;
  reconnect(): Promise<void>;
}

async function setup(body: string, speed = 200, firmware?: string): Promise<Setup> {
  const root = tempDir();
  const env = {
    ...process.env,
    VFAB_DATA_DIR: path.join(root, 'data'),
    VFAB_CONFIG: path.join(root, 'config.yaml'),
  };
  const engine = openEngine({ env });
  cleanups.push(() => engine.close());
  const svg = path.join(root, 'drawing.svg');
  fs.writeFileSync(
    svg,
    `<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" ${INK} ${SIZE}>\n${body}\n</svg>\n`,
  );
  const id = 'drawing';
  await engine.jobs.add({ file: svg, id });
  const prepared = await prepareJob(
    { jobs: engine.jobs, store: engine.store, logger: engine.logger },
    id,
    {
      settings: planSettings(engine.config, { preset: 'fast' }),
      device: engine.config.device,
    },
  );
  expect(prepared.state).toBe('READY');
  const plotter = await runVirtualPlotter({
    speed,
    paper: path.join(root, 'paper.jsonl'),
    ...(firmware ? { firmware } : {}),
  });
  cleanups.push(() => plotter.stop());
  const s: Setup = {
    engine,
    plotter,
    conn: await openEbb(plotter.portPath),
    id,
    program: plotProgram(
      readPlan(path.join(engine.paths.jobsDir, id, 'plan.json')).layers,
      motionProfile(engine.config.device),
    ),
    run: (extra = {}) =>
      runPlot({ jobs: engine.jobs, logger: engine.logger, jobsDir: engine.paths.jobsDir }, id, {
        ebb: s.conn.ebb,
        capabilities: s.conn.capabilities,
        profile: motionProfile(engine.config.device),
        device: engine.config.device,
        deviceName: 'virtual',
        speedFactor: speed,
        ...extra,
      }),
    reconnect: async () => {
      await s.conn.close();
      s.conn = await openEbb(plotter.portPath);
    },
  };
  cleanups.push(() => s.conn.close());
  return s;
}

const key = (from: readonly number[], to: readonly number[]) =>
  `${from[0]},${from[1]}>${to[0]},${to[1]}`;

/** The Draw moves of the program as step segments, in order, with their move index. */
function plannedStrokes(p: MotionProgram): { move: number; key: string }[] {
  const out: { move: number; key: string }[] = [];
  let a = p.start[0],
    b = p.start[1];
  for (let k = 0; k < p.length; k++) {
    const na = a + p.steps1[k]!,
      nb = b + p.steps2[k]!;
    if (p.kind[k] === MoveKind.Draw) out.push({ move: k, key: key([a, b], [na, nb]) });
    a = na;
    b = nb;
  }
  return out;
}

/** Complete pen-down segments on the paper that moved (multiset by key). */
/** Exact ink blocks; a stroke resumed in its middle is re-planned from rest, so its blocks are checked along their line (inkedAlong). */
function inked(file: string): Map<string, number> {
  const m = new Map<string, number>();
  const lines: PaperLine[] = readPaper(file).filter(
    (l) => !l.partial && (l.from[0] !== l.to[0] || l.from[1] !== l.to[1]),
  );
  for (const l of lines) m.set(key(l.from, l.to), (m.get(key(l.from, l.to)) ?? 0) + 1);
  return m;
}

function progressEntries(s: Setup): Checkpoint[] {
  return readJournal(path.join(s.engine.paths.jobsDir, s.id, 'journal.jsonl'))
    .records.filter((r) => r.entry.type === 'progress')
    .map((r) => (r.entry as unknown as { progress: Checkpoint }).progress);
}

/** No gap: every Draw move at or before the checkpoint is on the paper, whole. */
function expectCheckpointBehindPaper(s: Setup, cp: Checkpoint): void {
  const paper = inked(s.plotter.paperFile);
  const missing = plannedStrokes(s.program).filter((d) => d.move <= cp.move && !paper.has(d.key));
  expect(missing).toEqual([]);
}

describe('runPlot on the virtual plotter', () => {
  it('plots a whole job: the paper holds exactly the planned strokes', async () => {
    const s = await setup(strokes(12));
    const seen: number[] = [];
    const result = await s.run({ onProgress: (p) => seen.push(p.fraction) });
    expect(result.error).toBeUndefined();
    expect(result.state).toBe('COMPLETED');
    expect(s.engine.jobs.state(s.id)).toBe('COMPLETED');
    const planned = plannedStrokes(s.program).map((d) => d.key);
    const paper = readPaper(s.plotter.paperFile).filter(
      (l) => l.from[0] !== l.to[0] || l.from[1] !== l.to[1],
    );
    expect(paper.every((l) => !l.partial)).toBe(true);
    expect(paper.map((l) => key(l.from, l.to))).toEqual(planned);
    const chain = readJournal(path.join(s.engine.paths.jobsDir, s.id, 'journal.jsonl'))
      .records.filter((r) => r.entry.type === 'state_change')
      .map((r) => (r.entry as { to_state: string }).to_state);
    expect(chain.slice(-4)).toEqual(['QUEUED', 'ARMED', 'PLOTTING', 'COMPLETED']);
    const done = s.engine.jobs.detail(s.id).journal.records.at(-1)!.entry as {
      metadata: Record<string, number>;
    };
    expect(done.metadata.lifts).toBe(12);
    expect(done.metadata.pen_down_mm).toBeGreaterThan(100);
    expect(seen.at(-1)).toBe(1);
    const status = await s.plotter.control<{ mm: number[]; penUp: boolean; motors: number[] }>(
      'status',
    );
    expect(status).toMatchObject({ mm: [0, 0], penUp: true, motors: [0, 0] });
  });

  it('pauses mid-plot on request and resumes to a complete paper without re-inking', async () => {
    const s = await setup(strokes(40));
    const ctl = new AbortController();
    const first = await s.run({
      signal: ctl.signal,
      onProgress: (p) => p.move > s.program.length / 3 && ctl.abort('pause'),
    });
    expect(first.state).toBe('PAUSED');
    expect(s.engine.jobs.state(s.id)).toBe('PAUSED');
    expectCheckpointBehindPaper(s, first.checkpoint!);
    expect(first.checkpoint!.move).toBeLessThan(s.program.length - 1);
    const second = await s.run();
    expect(second.state).toBe('COMPLETED');
    const paper = inked(s.plotter.paperFile);
    const planned = plannedStrokes(s.program);
    expect(planned.filter((d) => !paper.has(d.key))).toEqual([]);
    const twice = [...paper.values()].reduce((a, c) => a + c - 1, 0);
    expect(twice).toBeLessThanOrEqual(FIFO_DEPTH + 1 + WINDOW);
    const cps = progressEntries(s).map((c) => c.move);
    expect(cps).toEqual([...cps].sort((a, b) => a - b));
  });

  it('leaves the job PLOTTING with a checkpoint behind the paper on an error reply', async () => {
    const s = await setup(strokes(40));
    await s.plotter.control('errorReply', { afterCommands: 120, match: 'LM' });
    const result = await s.run();
    expect(result.state).toBe('PLOTTING');
    expect(result.error).toMatch(/rejected|!8/);
    expect(s.engine.jobs.state(s.id)).toBe('PLOTTING');
    const cps = progressEntries(s);
    expect(cps.length).toBeGreaterThan(0);
    expectCheckpointBehindPaper(s, cps.at(-1)!);
    expect(cps.at(-1)!.move).toBeGreaterThan(0);
    // The interrupted job resumes from its checkpoint and completes the paper.
    const again = await s.run();
    expect(again.state).toBe('COMPLETED');
    const paper = inked(s.plotter.paperFile);
    expect(
      plannedStrokes(s.program).filter(
        (d) => !paper.has(d.key) && !inkedAlong(d.key, readPaper(s.plotter.paperFile)),
      ),
    ).toEqual([]);
  });

  it('leaves the job PLOTTING with a checkpoint behind the paper when the plotter is unplugged', async () => {
    // At speed 20 the FIFO is full while streaming, so acknowledgements run ahead of the paper.
    const s = await setup(strokes(40), 20);
    await s.plotter.control('unplug', { afterCommands: 157 });
    const result = await s.run();
    expect(result.state).toBe('PLOTTING');
    expect(s.engine.jobs.state(s.id)).toBe('PLOTTING');
    const cps = progressEntries(s);
    expect(cps.length).toBeGreaterThan(0);
    const last = cps.at(-1)!;
    expectCheckpointBehindPaper(s, last);
    expect(last.move).toBeGreaterThan(0);
    expect(last.move).toBeLessThan(s.program.length - 1);
    expect(result.checkpoint).toEqual(last);
  });

  it('pauses before a pen-change layer and completes after resume', async () => {
    const body = `<g inkscape:groupmode="layer" inkscape:label="1-black">${strokes(6)}</g>
      <g inkscape:groupmode="layer" inkscape:label="2-red">${strokes(6, 80).replace('stroke="black"', 'stroke="red"')}</g>`;
    const s = await setup(body);
    const first = await s.run();
    expect(first.state).toBe('PAUSED');
    const paused = s.engine.jobs.detail(s.id).journal.records.at(-1)!.entry as {
      to_state: string;
      reason: string;
    };
    expect(paused.to_state).toBe('PAUSED');
    expect(paused.reason).toMatch(/^pen change before layer 2/);
    // Exactly layer 1 is on the paper.
    const paper1 = inked(s.plotter.paperFile);
    const planned = plannedStrokes(s.program);
    const pauseAt = first.checkpoint!.move;
    expect(s.program.kind[pauseAt]).toBe(MoveKind.Pause);
    expect(planned.filter((d) => d.move < pauseAt).every((d) => paper1.get(d.key) === 1)).toBe(
      true,
    );
    expect(planned.filter((d) => d.move > pauseAt).some((d) => paper1.has(d.key))).toBe(false);
    // Resumed over a new connection, as a second `vfab plot` would: the motors kept the position.
    await s.reconnect();
    const second = await s.run();
    expect(second.state).toBe('COMPLETED');
    const paper = inked(s.plotter.paperFile);
    expect(planned.every((d) => paper.get(d.key) === 1)).toBe(true);
  });

  it('pauses when the pause button is pressed, and resumes', async () => {
    const s = await setup(strokes(40), 20); // slow enough for the 0.5 s button poll
    await s.plotter.control('pressButton', { afterPenDownMm: 120 });
    const first = await s.run();
    expect(first.state).toBe('PAUSED');
    const paused = s.engine.jobs.detail(s.id).journal.records.at(-1)!.entry as { reason: string };
    expect(paused.reason).toBe('pause button pressed');
    expectCheckpointBehindPaper(s, first.checkpoint!);
    expect((await s.plotter.control<{ penUp: boolean }>('status')).penUp).toBe(true);
    expect((await s.run()).state).toBe('COMPLETED');
    const paper = inked(s.plotter.paperFile);
    expect(
      plannedStrokes(s.program).filter(
        (d) => !paper.has(d.key) && !inkedAlong(d.key, readPaper(s.plotter.paperFile)),
      ),
    ).toEqual([]);
  });

  it('aborts on request: pen up, carriage home, job ABORTED', async () => {
    const s = await setup(strokes(40), 20);
    const ctl = new AbortController();
    const result = await s.run({
      signal: ctl.signal,
      onProgress: (p) => p.move > 60 && ctl.abort('abort'),
    });
    expect(result.state).toBe('ABORTED');
    expect(s.engine.jobs.state(s.id)).toBe('ABORTED');
    expectCheckpointBehindPaper(s, result.checkpoint!);
    const status = await s.plotter.control<{ mm: number[]; penUp: boolean }>('status');
    expect(status).toMatchObject({ mm: [0, 0], penUp: true });
  });

  it("refuses a plan that reaches beyond the model's travel before anything is sent; the job stays as it was", async () => {
    const s = await setup(strokes(4, 120));
    await expect(
      s.run({ device: { ...s.engine.config.device, model: 'MiniKit' } }),
    ).rejects.toThrow(
      /Job 'drawing' reaches beyond the travel of an AxiDraw MiniKit: [\d.]+ mm past the 101.6 mm reach; nothing was sent/,
    );
    expect(s.engine.jobs.state(s.id)).toBe('READY');
    expect(await s.plotter.control<{ motionCommands: number }>('stats')).toMatchObject({
      motionCommands: 0,
    });
  });

  it('never journals a checkpoint before its strokes have ended on the paper', async () => {
    // Speed 10: moves take long enough that acknowledgements run well ahead of the pen.
    const s = await setup(strokes(20), 10);
    expect((await s.run({ checkpointEveryMs: 20 })).state).toBe('COMPLETED');
    const paperEnd = new Map<string, number>();
    for (const l of readPaper(s.plotter.paperFile))
      if (!l.partial) paperEnd.set(key(l.from, l.to), Date.parse(l.endedAt));
    const records = readJournal(
      path.join(s.engine.paths.jobsDir, s.id, 'journal.jsonl'),
    ).records.filter((r) => r.entry.type === 'progress');
    expect(records.length).toBeGreaterThan(5);
    const planned = plannedStrokes(s.program);
    for (const r of records) {
      const cp = (r.entry as unknown as { progress: Checkpoint }).progress;
      const written = Date.parse(r.entry.timestamp!);
      const late = planned.filter(
        (d) => d.move <= cp.move && !((paperEnd.get(d.key) ?? Infinity) <= written + 2),
      );
      expect(late.map((d) => d.move)).toEqual([]);
    }
  });

  it('vfab plot --device virtual plots a job and prints the paper file', async () => {
    const root = tempDir();
    const env = {
      ...process.env,
      VFAB_DATA_DIR: path.join(root, 'data'),
      VFAB_CONFIG: path.join(root, 'config.yaml'),
    };
    const svg = path.join(root, 'd.svg');
    fs.writeFileSync(svg, `<svg xmlns="http://www.w3.org/2000/svg" ${SIZE}>${strokes(4)}</svg>`);
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      out: (t: string) => void out.push(t),
      err: (t: string) => void err.push(t),
      tty: false,
    };
    const cli = (argv: string[]) => {
      const { program, ctx, opened } = buildProgram(io, env);
      cleanups.push(() => opened()?.close());
      return program.parseAsync(argv, { from: 'user' }).then(() => ctx.exitCode);
    };
    expect(await cli(['add', 'job', 'd', svg, '--optimization', 'fast'])).toBe(0);
    expect(await cli(['plot', 'd', '--device', 'virtual', '--speed', '200'])).toBe(0);
    const paperLine = out.find((l) => l.startsWith('paper: '))!;
    expect(out.at(-1)).toBe('d\tCOMPLETED');
    expect(err.some((l) => /^d: \d+% \(move/.test(l))).toBe(true);
    const paperFile = paperLine.slice('paper: '.length).trim();
    cleanups.push(() => fs.rmSync(path.dirname(paperFile), { recursive: true, force: true }));
    const strokesOnPaper = readPaper(paperFile).filter(
      (l) => l.from[0] !== l.to[0] || l.from[1] !== l.to[1],
    );
    expect(strokesOnPaper.length).toBeGreaterThanOrEqual(6);
  });

  it('drives 2.x firmware (no QE, no QG power flags): plots, pauses, and resumes from the step counters', async () => {
    const s = await setup(strokes(30), 50, '2.7.0');
    expect(s.conn.capabilities).toMatchObject({ qe: false, lm: true, qc: true });
    const ctl = new AbortController();
    const first = await s.run({
      signal: ctl.signal,
      onProgress: (p) => p.move > s.program.length / 2 && ctl.abort('pause'),
    });
    expect(first.state).toBe('PAUSED');
    await s.reconnect();
    expect((await s.run()).state).toBe('COMPLETED');
    const paper = inked(s.plotter.paperFile);
    expect(
      plannedStrokes(s.program).filter(
        (d) => !paper.has(d.key) && !inkedAlong(d.key, readPaper(s.plotter.paperFile)),
      ),
    ).toEqual([]);
  });

  it('stops on motor power loss with a checkpoint the paper holds, and will not move until the carriage is home', async () => {
    const s = await setup(strokes(40), 20);
    const events: string[] = [];
    const result = await s.run({
      onEvent: (e) => events.push(e),
      onProgress: (p) => {
        if (p.move > s.program.length / 3 && !events.includes('cut')) {
          events.push('cut');
          void s.plotter.control('motorPowerLoss');
        }
      },
    });
    expect(result).toMatchObject({ state: 'PLOTTING', reason: 'plotter_power_lost' });
    expect(events).toEqual(['start', 'cut', 'interrupt']);
    expectCheckpointBehindPaper(s, result.checkpoint!);
    await s.plotter.control('motorPowerRestore');
    await expect(s.run()).rejects.toThrow(/carriage position is unknown/);
    await s.plotter.control('carriageHome');
    expect((await s.run({ carriageAtHome: true, recovery: true })).state).toBe('COMPLETED');
    const paper = inked(s.plotter.paperFile);
    expect(
      plannedStrokes(s.program).filter(
        (d) => !paper.has(d.key) && !inkedAlong(d.key, readPaper(s.plotter.paperFile)),
      ),
    ).toEqual([]);
  });

  it('slow replies past the timeout leave the job resumable with a checkpoint behind the paper', async () => {
    const s = await setup(strokes(40), 20);
    await s.plotter.control('slowReplies', { delayMs: 4000, afterCommands: 120 });
    const result = await s.run();
    expect(result).toMatchObject({ state: 'PLOTTING', reason: 'device_lost' });
    expect(result.error).toMatch(/did not answer [A-Z]{2}\S* within \d+ ms/);
    expectCheckpointBehindPaper(s, result.checkpoint!);
    expect(result.checkpoint!.move).toBeGreaterThan(0);
    await s.plotter.control('slowReplies', { delayMs: 0 });
    await waitFor(
      'the late replies to drain before the reconnect',
      async () =>
        (await s.plotter.control<{ delayedReplies: number }>('status')).delayedReplies === 0,
      { timeoutMs: 10_000 },
    );
    await s.reconnect();
    expect((await s.run({ recovery: true })).state).toBe('COMPLETED');
    const paper = inked(s.plotter.paperFile);
    expect(
      plannedStrokes(s.program).filter(
        (d) => !paper.has(d.key) && !inkedAlong(d.key, readPaper(s.plotter.paperFile)),
      ),
    ).toEqual([]);
  }, 30_000);
});
