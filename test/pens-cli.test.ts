/** Pen changes on the virtual plotter with the built CLI: when a plot pauses, what it says, how it exits, `--layer N`. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPlan } from '../src-main/plan/plan-file';
import { motionProfile } from '../src-main/plan/motion';
import { defaultConfig } from '../src-main/config/config';
import { plotProgram } from '../src-main/plan/planner';
import { FIXTURES } from './helpers/cli';
import { jobProgram, judgePaper, startPlotterProcess } from './helpers/crash-rig';
import { usePlotterSandbox } from './helpers/plotter-sandbox';

const rig = usePlotterSandbox();
const PAUSED_EXIT = 10;

/** Two numbered layers in two colours: black strokes on top, red strokes below. */
const TWO_PENS =
  `<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="297mm" height="210mm" viewBox="0 0 297 210">` +
  `<g inkscape:groupmode="layer" inkscape:label="1-black"><path d="M20 20 H 120 M 20 30 H 120" fill="none" stroke="black"/></g>` +
  `<g inkscape:groupmode="layer" inkscape:label="2-red"><path d="M20 80 H 120 M 20 90 H 120 M 20 100 H 120" fill="none" stroke="red"/></g></svg>`;

async function withPlotter(config = ''): Promise<void> {
  rig.plotter = await startPlotterProcess(rig.sb, 50);
  fs.mkdirSync(path.dirname(rig.sb.configFile), { recursive: true });
  fs.writeFileSync(
    rig.sb.configFile,
    `device:\n  port: ${rig.plotter.port}\ncamera:\n  enabled: false\n${config}`,
  );
}

function addTwoPens(id: string): void {
  const file = path.join(rig.sb.root, `${id}.svg`);
  fs.writeFileSync(file, TWO_PENS);
  const added = rig.sb.run(['add', 'job', id, file]);
  expect(added.code, added.stderr).toBe(0);
}

const journalStates = (id: string) =>
  fs
    .readFileSync(path.join(rig.sb.jobsDir, id, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { to_state?: string })
    .map((e) => e.to_state);

describe('pen changes on the virtual plotter', () => {
  it("AxiDraw's trivial example (layers 1 and 2, both black) plots through to COMPLETED without a pause", async () => {
    await withPlotter();
    expect(
      rig.sb.run(['add', 'job', 'trivial', path.join(FIXTURES, 'AxiDraw_trivial.svg')]).code,
    ).toBe(0);
    const r = rig.sb.run(['plot', 'trivial']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('trivial\tCOMPLETED');
    expect(journalStates('trivial')).not.toContain('PAUSED');
    expect(judgePaper(jobProgram(rig.sb, 'trivial'), rig.plotter!.paper).missing).toBe(0);
  }, 60_000);

  it('a two-colour file pauses once, says which pen to load, exits 10; resume completes it and the paper matches the plan', async () => {
    await withPlotter('pens:\n  2: 0.5 red fineliner\n');
    addTwoPens('bday');
    const first = rig.sb.run(['plot', 'bday']);
    expect(first.code, first.stderr).toBe(PAUSED_EXIT);
    expect(first.stdout).toContain('bday\tPAUSED');
    expect(first.stderr).toMatch(
      /bday: PAUSED .*: pen change before layer 2 \(2-red, pen 2\): load pen 2 \(2-red: 0\.5 red fineliner\); then resume with: vfab resume bday/,
    );
    // The same text is the journal's reason: the app and `vfab resume` show it from there.
    const dry = rig.sb.run(['resume', '--dry-run']);
    expect(dry.stderr).toContain(
      'bday: PAUSED (pen change before layer 2 (2-red, pen 2): load pen 2 (2-red: 0.5 red fineliner))',
    );

    const second = rig.sb.run(['resume', 'bday']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('bday\tCOMPLETED');
    expect(journalStates('bday').filter((s) => s === 'PAUSED')).toHaveLength(1);
    const verdict = judgePaper(jobProgram(rig.sb, 'bday'), rig.plotter!.paper);
    expect(verdict.plannedMm).toBeCloseTo(500, 0);
    expect(verdict.missing).toBe(0);
  }, 60_000);

  it('--layer 2 plots only the layers numbered 2, and the journal records the selection', async () => {
    await withPlotter();
    addTwoPens('only2');
    const r = rig.sb.run(['plot', 'only2', '--layer', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('only2\tCOMPLETED');
    const plan = readPlan(path.join(rig.sb.jobsDir, 'only2', 'plan.json'));
    const layer2 = plotProgram(
      plan.layers.filter((l) => l.pen === 2),
      motionProfile(defaultConfig().device),
    );
    const verdict = judgePaper(layer2, rig.plotter!.paper);
    expect(verdict.missing).toBe(0);
    // Nothing but layer 2's three strokes is on the paper.
    expect(verdict.reinkedMm).toBeLessThan(0.01);
    expect(verdict.plannedMm).toBeCloseTo(300, 0);
    // Of the whole plan, layer 1's two 100 mm strokes are what is missing.
    expect(judgePaper(jobProgram(rig.sb, 'only2'), rig.plotter!.paper).missingMm).toBeCloseTo(
      200,
      0,
    );
    const journal = fs.readFileSync(path.join(rig.sb.jobsDir, 'only2', 'journal.jsonl'), 'utf8');
    expect(journal).toMatch(/"to_state":"PLOTTING".*"layer_only":2/);

    const none = rig.sb.run(['plot', 'only2', '--layer', '7']);
    expect(none.code).toBe(7);
    addTwoPens('none');
    const missing = rig.sb.run(['plot', 'none', '--layer', '7']);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain(
      "Job 'none' has no layer numbered 7; its layer numbers: 1, 2.",
    );
    expect(rig.sb.run(['plot', 'none', '--layer', 'two']).code).toBe(2);
  }, 60_000);

  it('a --layer plot that pauses resumes with the same selection, and completes when those layers are drawn', async () => {
    await withPlotter();
    const file = path.join(rig.sb.root, 'sel.svg');
    fs.writeFileSync(
      file,
      TWO_PENS.replace(
        '</svg>',
        '<g inkscape:groupmode="layer" inkscape:label="!1-again"><path d="M150 20 H 250" fill="none" stroke="black"/></g></svg>',
      ),
    );
    expect(rig.sb.run(['add', 'job', 'sel', file]).code).toBe(0);
    const first = rig.sb.run(['plot', 'sel', '--layer', '1']);
    expect(first.code, first.stderr).toBe(PAUSED_EXIT);
    expect(first.stderr).toContain('pause before layer 3 (!1-again, pen 1): load pen 1 (!1-again)');
    const other = rig.sb.run(['plot', 'sel', '--layer', '2']);
    expect(other.code).toBe(7);
    expect(other.stderr).toContain(
      "Job 'sel' is plotting layer 1 only; a resume continues that selection.",
    );
    const dry = rig.sb.run(['resume', 'sel', '--dry-run', '--json']);
    expect(JSON.parse(dry.stdout).resume[0]).toMatchObject({
      layer: { index: 1, name: '1-black' },
      remaining_mm: 100,
    });
    const second = rig.sb.run(['resume', 'sel']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('sel\tCOMPLETED');
    // Layers numbered 1 (two strokes, then one after the pause) are on the paper; layer 2's three are not.
    const whole = judgePaper(jobProgram(rig.sb, 'sel'), rig.plotter!.paper);
    expect(whole.plannedMm - whole.missingMm).toBeCloseTo(300, 0);
    expect(whole.missingMm).toBeCloseTo(300, 0);
  }, 60_000);
});
