/**
 * The queue runner as users meet it: several `vfab virtual-plotter` processes (each the hardware,
 * outliving any vfab), `vfab queue run` as its own process, killed or signalled at will, and each
 * plotter's paper judged against the plans of the jobs its journals say it plotted.
 *
 * Every job gets a small drawing at its own place on the sheet, so one paper file can hold several
 * jobs and each stroke on it belongs to exactly one job. Strokes are compared in physical steps
 * (from the paper's mm, where the plotter was switched on): a job drawn off its planned place
 * (the carriage not at the origin when it started) counts as missing there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../../src-main/cli/program';
import { readJournal } from '../../src-main/jobs/journal';
import { MoveKind, type MotionProgram } from '../../src-main/plan/planner';
import { readPaper, type PaperLine } from '../../src-main/plotter/virtual/paper';
import { lastPlotterMark } from '../../src-main/plotters/holders';
import type { Sandbox } from './cli';
import {
  inkedAlong,
  jobProgram,
  reinkBound,
  spawnVfab,
  startPlotterProcess,
  type PlotterProcess,
  type VfabProcess,
} from './crash-rig';
import { waitFor } from './wait';

export interface PlotterConfig {
  name: string;
  port: string;
  model?: string;
  paper?: string;
  speed: number;
}

/** config.yaml with these plotters (camera off: no camera here). `device` settings go to the device section. */
export function writeQueueConfig(
  sb: Sandbox,
  plotters: PlotterConfig[],
  device: Record<string, string | number> = {},
): void {
  const lines = [
    'camera:',
    '  enabled: false',
    'device:',
    ...Object.entries(device).map(([k, v]) => `  ${k}: ${v}`),
    'devices:',
  ];
  for (const p of plotters) {
    lines.push(`  - name: ${p.name}`, `    port: ${p.port}`, `    speed: ${p.speed}`);
    if (p.model) lines.push(`    model: ${p.model}`);
    if (p.paper) lines.push(`    paper: ${p.paper}`);
  }
  fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
  fs.writeFileSync(sb.configFile, `${lines.join('\n')}\n`);
}

export interface SmallJob {
  /** Top-left corner of the drawing, mm from home. */
  x: number;
  y: number;
  /** Horizontal strokes, 1.5 mm apart (each one a pen lift: this sets how long the job takes). */
  strokes?: number;
  width?: number;
  /** A second layer for pen 2, this far below the first: a pen change pause between them. */
  secondPenDy?: number;
  /** The page: A4 (297 × 210) or A3 (420 × 297), landscape; card: the document's own 120 × 80 mm page, of no standard size. */
  page?: 'A4' | 'A3' | 'card';
}

/** The SVG of a small job: strokes at (x, y) on a landscape page, in mm. */
export function smallJobSvg(j: SmallJob): string {
  const [w, h] = { A4: [297, 210], A3: [420, 297], card: [120, 80] }[j.page ?? 'A4'];
  const strokes = (dy: number) =>
    Array.from(
      { length: j.strokes ?? 3 },
      (_, i) => `M ${j.x} ${j.y + dy + i * 1.5} h ${j.width ?? 8}`,
    ).join(' ');
  const layer = (label: string, color: string, d: string) =>
    `<g inkscape:groupmode="layer" inkscape:label="${label}"><path d="${d}" fill="none" stroke="${color}"/></g>`;
  const body =
    j.secondPenDy === undefined
      ? `<path d="${strokes(0)}" fill="none" stroke="black"/>`
      : layer('1-black', 'black', strokes(0)) + layer('2-red', 'red', strokes(j.secondPenDy));
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="${w}mm" height="${h}mm" viewBox="0 0 ${w} ${h}">${body}</svg>`;
}

/**
 * Adds (and plans) the jobs, fit none, each on its page's paper, with `vfab add job` run in this
 * process (a process per job would cost most of a test's time); returns their programs.
 */
export async function addSmallJobs(
  sb: Sandbox,
  jobs: Record<string, SmallJob>,
): Promise<Record<string, MotionProgram>> {
  const programs: Record<string, MotionProgram> = {};
  for (const [id, j] of Object.entries(jobs)) {
    const file = path.join(sb.root, `${id}.svg`);
    fs.writeFileSync(file, smallJobSvg(j));
    let err = '';
    const io = { out: () => {}, err: (t: string) => void (err += t), tty: false };
    const code = await runCli(
      [
        'add',
        'job',
        id,
        file,
        '--paper',
        j.page === 'card' ? 'document' : (j.page ?? 'A4'),
        '--fit',
        'none',
      ],
      io,
      sb.env,
    );
    if (code !== 0) throw new Error(`vfab add job ${id}: exit ${code}: ${err}`);
    programs[id] = jobProgram(sb, id);
  }
  return programs;
}

/** Every job's state, from one `vfab list jobs --json`. */
export function jobStates(sb: Sandbox): Record<string, string> {
  const listed = JSON.parse(sb.run(['list', 'jobs', '--json']).stdout) as {
    jobs: { id: string; state: string }[];
  };
  return Object.fromEntries(listed.jobs.map((j) => [j.id, j.state]));
}

/** Where job `i` of a queue sits: a grid of 8 × 4 places on an A4 sheet. */
export function gridPlace(i: number): { x: number; y: number } {
  return { x: 10 + (i % 8) * 34, y: 12 + (Math.floor(i / 8) % 4) * 46 };
}

/** The plotter a job's journal says it was plotted on. */
export function journalPlotter(sb: Sandbox, id: string): string | undefined {
  return lastPlotterMark(
    readJournal(path.join(sb.jobsDir, id, 'journal.jsonl')).records.map((r) => r.entry),
  )?.plotter;
}

export function journalEntries(sb: Sandbox, id: string) {
  return readJournal(path.join(sb.jobsDir, id, 'journal.jsonl')).records.map((r) => r.entry);
}

type Seg = { key: string; mm: number };

const keyOf = (a: readonly number[], b: readonly number[]) => `${a[0]},${a[1]}>${b[0]},${b[1]}`;

/** A program's pen-down moves as physical step keys (the program starts at the origin, home). */
function plannedSegments(p: MotionProgram): Seg[] {
  const out: Seg[] = [];
  let a = p.start[0],
    b = p.start[1];
  for (let k = 0; k < p.length; k++) {
    const na = a + p.steps1[k]!,
      nb = b + p.steps2[k]!;
    if (p.kind[k] === MoveKind.Draw && (na !== a || nb !== b))
      out.push({
        key: keyOf([a, b], [na, nb]),
        mm: Math.hypot(na - a + (nb - b), na - a - (nb - b)) / (2 * p.stepsPerMm),
      });
    a = na;
    b = nb;
  }
  return out;
}

/**
 * A paper's lines with `from`/`to` in physical steps (from its mm, where the plotter was switched
 * on), not the step counters, which restart wherever an EM zeroed them: ink drawn from a false
 * origin is then off its planned place.
 */
function physicalLines(file: string, stepsPerMm: number): PaperLine[] {
  if (!fs.existsSync(file)) return [];
  const steps = ([x, y]: readonly number[]): [number, number] => [
    Math.round((x! + y!) * stepsPerMm),
    Math.round((x! - y!) * stepsPerMm),
  ];
  return readPaper(file).map((l) => ({ ...l, from: steps(l.fromMm), to: steps(l.toMm) }));
}

/** A paper's ink as physical step keys. */
function inkedSegments(file: string, stepsPerMm: number): (Seg & { partial: boolean })[] {
  return physicalLines(file, stepsPerMm)
    .filter((l) => l.fromMm[0] !== l.toMm[0] || l.fromMm[1] !== l.toMm[1])
    .map((l) => ({
      key: keyOf(l.from, l.to),
      mm: Math.hypot(l.toMm[0] - l.fromMm[0], l.toMm[1] - l.fromMm[1]),
      partial: l.partial,
    }));
}

export interface QueueVerdict {
  /** Planned strokes not on the paper of the plotter the job's journal names, per job. */
  missing: Record<string, number>;
  /** Jobs with strokes on another plotter's paper. */
  elsewhere: string[];
  /** Per plotter: ink beyond one pass of every planned stroke of its jobs (repeats, cut-off pieces, strays). */
  reinkedMm: Record<string, number>;
  /** The plotter each job's journal names. */
  plotterOf: Record<string, string | undefined>;
}

/** Judges every plotter's paper against the jobs its journals say it plotted (or `on` says, for a journal that names none). */
export function judgeQueue(
  sb: Sandbox,
  programs: Record<string, MotionProgram>,
  papers: Record<string, string>,
  on: Record<string, string> = {},
): QueueVerdict {
  const k = Object.values(programs)[0]?.stepsPerMm ?? 80;
  const ink = Object.fromEntries(
    Object.entries(papers).map(([name, file]) => [name, inkedSegments(file, k)]),
  );
  const counts = Object.fromEntries(
    Object.entries(ink).map(([name, segs]) => [
      name,
      segs
        .filter((s) => !s.partial)
        .reduce((m, s) => m.set(s.key, (m.get(s.key) ?? 0) + 1), new Map<string, number>()),
    ]),
  );
  const lines = Object.fromEntries(
    Object.entries(papers).map(([name, file]) => [name, physicalLines(file, k)]),
  );
  // A stroke resumed in its middle is re-planned from rest: its blocks end elsewhere than the plan's.
  const inked = (plotter: string, s: Seg) =>
    Boolean(counts[plotter]?.get(s.key)) || inkedAlong(s.key, lines[plotter]!);
  const verdict: QueueVerdict = { missing: {}, elsewhere: [], reinkedMm: {}, plotterOf: {} };
  const onceMm = Object.fromEntries(Object.keys(papers).map((n) => [n, 0]));
  for (const [id, program] of Object.entries(programs)) {
    const plotter = on[id] ?? journalPlotter(sb, id);
    verdict.plotterOf[id] = plotter;
    const planned = plannedSegments(program);
    verdict.missing[id] = planned.filter(
      (s) => !(plotter && lines[plotter] && inked(plotter, s)),
    ).length;
    if (plotter && onceMm[plotter] !== undefined)
      onceMm[plotter] += planned.filter((s) => inked(plotter, s)).reduce((n, s) => n + s.mm, 0);
    if (
      Object.keys(papers).some((n) => n !== plotter && planned.some((s) => counts[n]!.get(s.key)))
    )
      verdict.elsewhere.push(id);
  }
  for (const [name, segs] of Object.entries(ink))
    verdict.reinkedMm[name] = Math.max(0, segs.reduce((n, s) => n + s.mm, 0) - onceMm[name]!);
  return verdict;
}

/** Re-inking one crash may cost, for the worst of these programs. */
export function worstReinkBound(programs: Record<string, MotionProgram>): number {
  return Math.max(...Object.values(programs).map((p) => reinkBound(p)));
}

export interface QueueRig {
  sb: Sandbox;
  plotters: Record<string, PlotterProcess>;
  /** `vfab <args>` as its own process, ended by pid after the test whatever happens. */
  spawn(args: string[]): VfabProcess;
  startPlotters(names: string[], speed: number): Promise<void>;
}

/** Waits until `p` printed a line matching `re` on stderr (bounded); returns the stderr so far. */
export async function saidOnStderr(
  p: VfabProcess,
  re: RegExp,
  timeoutMs = 20_000,
): Promise<string> {
  const said = await waitFor(
    `vfab to say ${re}`,
    () => re.test(p.stderr()) || p.child.exitCode !== null,
    { timeoutMs, everyMs: 20 },
  ).catch(() => false);
  if (said && re.test(p.stderr())) return p.stderr();
  throw new Error(`vfab never said ${re} (exit ${p.child.exitCode}); it said:\n${p.stderr()}`);
}

/** Waits for the process to end by itself (bounded: killed by pid after `timeoutMs`). */
export async function ended(p: VfabProcess, timeoutMs = 60_000): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  const how = await Promise.race([p.exited, limit]);
  clearTimeout(timer);
  if (how === 'timeout') {
    p.child.kill('SIGKILL');
    throw new Error(
      `vfab ${p.child.spawnargs.slice(2).join(' ')} did not end within ${timeoutMs} ms:\n${p.stderr()}`,
    );
  }
  return how;
}

export function createQueueRig(sb: Sandbox): QueueRig & { stop(): Promise<void> } {
  const children: VfabProcess[] = [];
  const rig = {
    sb,
    plotters: {} as Record<string, PlotterProcess>,
    spawn(args: string[]) {
      const p = spawnVfab(sb, args);
      children.push(p);
      return p;
    },
    async startPlotters(names: string[], speed: number) {
      for (const n of names) rig.plotters[n] = await startPlotterProcess(sb, speed, n);
    },
    async stop() {
      for (const p of children)
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all(children.map((p) => p.exited));
      await Promise.all(Object.values(rig.plotters).map((p) => p.stop()));
    },
  };
  return rig;
}
