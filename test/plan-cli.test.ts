/** Black-box tests of planning through the built `vfab`: add job runs NEW → READY; vfab plan re-plans. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPlan } from '../src-main/plan/plan-file';
import { FIXTURES, sandbox, type Sandbox } from './helpers/cli';

let sb: Sandbox;
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

const INK = 'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"';

function svgFile(
  name: string,
  body: string,
  size = 'width="297mm" height="210mm" viewBox="0 0 297 210"',
): string {
  const file = path.join(sb.root, name);
  fs.writeFileSync(
    file,
    `<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" ${INK} ${size}>\n${body}\n</svg>\n`,
  );
  return file;
}

function journal(id: string): {
  type: string;
  from_state?: string;
  to_state?: string;
  reason?: string;
  metadata?: Record<string, unknown>;
}[] {
  return fs
    .readFileSync(path.join(sb.jobsDir, id, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

const LAYERED = `
  <g inkscape:groupmode="layer" inkscape:label="1-black"><path d="M10 10 H 100 M 10 20 H 100" stroke="black"/></g>
  <g inkscape:groupmode="layer" inkscape:label="%notes"><path d="M10 100 H 100" stroke="black"/></g>
  <g inkscape:groupmode="layer" inkscape:label="2-red"><circle cx="150" cy="100" r="30" stroke="red" fill="none"/></g>
  <g inkscape:groupmode="layer" inkscape:label="!3-blue"><rect x="200" y="20" width="50" height="40" stroke="blue" fill="none"/></g>`;

describe('add job plans the drawing', () => {
  it('goes NEW → ANALYZED → OPTIMIZED → READY, journaling each step, and writes plan.json', () => {
    const r = sb.run([
      'add',
      'job',
      'layers',
      svgFile('layers.svg', LAYERED),
      '--optimization',
      'fast',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(sb.run(['info', 'job', 'layers', '--state-only']).stdout).toBe('READY\n');
    const chain = journal('layers').map((e) => `${e.from_state}>${e.to_state}`);
    expect(chain).toEqual(['null>NEW', 'NEW>ANALYZED', 'ANALYZED>OPTIMIZED', 'OPTIMIZED>READY']);
    const analyzed = journal('layers')[1]!.metadata!;
    expect((analyzed.layers as { name: string }[]).map((l) => l.name)).toEqual([
      '1-black',
      '2-red',
      '!3-blue',
    ]);
    expect(analyzed.skipped_layers).toEqual(['%notes']);

    const plan = readPlan(path.join(sb.jobsDir, 'layers', 'plan.json'));
    expect(plan.settings.preset).toBe('fast');
    expect(plan.layers.map((l) => [l.name, l.pen, l.pause])).toEqual([
      ['1-black', 1, null],
      ['2-red', 2, 'pen_change'],
      ['!3-blue', 3, 'layer_pause'],
    ]);
    expect(plan.summary.paper).toBe('A4 landscape');
    expect(plan.summary.penDownMm).toBeCloseTo(180 + 2 * Math.PI * 30 + 180, 0);
    expect(plan.summary.estimateS).toBeGreaterThan(0);

    const listed = JSON.parse(sb.run(['list', 'jobs', '--json']).stdout).jobs[0];
    expect(listed).toMatchObject({
      id: 'layers',
      state: 'READY',
      paper: 'A4 landscape',
      layer_count: 3,
    });
    expect(listed.estimate_s).toBeCloseTo(plan.summary.estimateS, 6);
    const info = JSON.parse(sb.run(['info', 'job', 'layers', '--json']).stdout).job;
    expect(info.plan.layers).toHaveLength(3);
  });

  it('fails a bad file with a reason naming it, and keeps the app usable', () => {
    const png = path.join(sb.root, 'photo.svg');
    fs.writeFileSync(png, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const ok = svgFile('ok.svg', '<path d="M10 10 L 50 50" stroke="black"/>');
    const bad = sb.run(['add', 'job', 'photo', png]);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toContain('photo.svg');
    expect(sb.run(['info', 'job', 'photo', '--state-only']).stdout).toBe('FAILED\n');
    expect(journal('photo').at(-1)!.reason).toContain('photo.svg');
    expect(sb.run(['add', 'job', 'ok', ok]).code).toBe(0);
    expect(sb.sh(`vfab list jobs --state ready | cut -f1`).stdout).toBe('ok\n');
  });

  it('leaves a drawing that does not fit ANALYZED, and plans it with --fit scale', () => {
    const big = svgFile(
      'big.svg',
      '<rect x="0" y="0" width="500" height="300" stroke="black" fill="none"/>',
      'width="500mm" height="300mm" viewBox="0 0 500 300"',
    );
    const r = sb.run(['add', 'job', 'big', big]);
    expect(r.code).toBe(5);
    // The sheet is the document's 500 × 300 mm page, of which the A4 AxiDraw reaches 300 × 218 mm.
    expect(r.stderr).toMatch(
      /does not fit 500 × 300 mm on an AxiDraw V3\/A4 \(drawable 300 × 218 mm\).*beyond the right edge.*reaches only 300 × 218 mm of this paper/,
    );
    expect(r.stderr).toContain('vfab plan big --fit scale');
    expect(sb.run(['info', 'job', 'big', '--state-only']).stdout).toBe('ANALYZED\n');
    const again = sb.run(['plan', 'big', '--fit', 'scale', '--json']);
    expect(again.code).toBe(0);
    const planned = JSON.parse(again.stdout).job;
    expect(planned.state).toBe('READY');
    expect(planned.plan.scale).toBeCloseTo(Math.min(280 / 500, 198 / 300), 9);
  });

  it("turns a portrait A4 drawing to fit an A4 AxiDraw's reach (auto_rotate), and says so; --no-auto-rotate refuses it", () => {
    const a4 = path.join(FIXTURES, 'test_vpy__two_layers_a4.svg');
    const r = sb.run(['add', 'job', 'tall', a4]);
    expect(r.code, r.stderr).toBe(0);
    const plan = readPlan(path.join(sb.jobsDir, 'tall', 'plan.json'));
    expect(plan.summary).toMatchObject({ paper: 'A4 landscape', rotated: true, scale: 1 });
    for (const layer of plan.layers)
      for (const p of layer.paths)
        for (let i = 0; i < p.length; i += 2) expect(p[i + 1]!).toBeLessThanOrEqual(210);
    expect(sb.run(['info', 'job', 'tall']).stdout).toMatch(
      /Plan: +A4 landscape, drawing turned 90°/,
    );
    expect(journal('tall').find((e) => e.to_state === 'OPTIMIZED')?.metadata).toMatchObject({
      rotated: true,
    });
    expect(sb.run(['list', 'jobs']).stdout).toContain('A4 landscape, drawing turned 90°');

    const upright = sb.run(['plan', 'tall', '--no-auto-rotate']);
    expect(upright.code).toBe(5);
    expect(upright.stderr).toMatch(
      /does not fit A4 portrait on an AxiDraw V3\/A4.*beyond the bottom edge/,
    );
  });

  it('plans a Letter document on Letter, with no flag, where A4 refused it; --paper and a size in config still win', () => {
    // 11 × 8.5 in, ink to 1.1 mm past A4's 210 mm: the document's own page holds it.
    const letter = path.join(FIXTURES, 'arrowhead_curve.svg');
    const r = sb.run(['add', 'job', 'arrow', letter]);
    expect(r.code, r.stderr).toBe(0);
    expect(sb.run(['info', 'job', 'arrow', '--state-only']).stdout).toBe('READY\n');
    const plan = readPlan(path.join(sb.jobsDir, 'arrow', 'plan.json'));
    expect(plan.settings.paper).toBe('document');
    expect(plan.summary).toMatchObject({
      paper: 'Letter landscape',
      paperWidthMm: 279.4,
      paperHeightMm: 215.9,
      scale: 1,
    });
    expect(plan.summary.rotated).toBeUndefined();
    expect(JSON.parse(sb.run(['list', 'jobs', '--json']).stdout).jobs[0]).toMatchObject({
      id: 'arrow',
      paper: 'Letter landscape',
    });
    expect(journal('arrow').find((e) => e.to_state === 'OPTIMIZED')?.reason).toMatch(
      /^Plan on Letter landscape: /,
    );

    const a4 = sb.run(['add', 'job', 'arrow-a4', letter, '--paper', 'A4']);
    expect(a4.code).toBe(5);
    expect(a4.stderr).toMatch(
      /does not fit A4 landscape on an AxiDraw V3\/A4 \(drawable 297 × 210 mm\): 1\.1 mm beyond the bottom edge/,
    );

    fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
    fs.writeFileSync(sb.configFile, 'paper:\n  default_size: Tabloid\ndevice:\n  model: V3/A3\n');
    expect(sb.run(['add', 'job', 'arrow-tabloid', letter]).code).toBe(0);
    expect(readPlan(path.join(sb.jobsDir, 'arrow-tabloid', 'plan.json')).summary.paper).toBe(
      'Tabloid landscape',
    );
    expect(sb.run(['plan', 'arrow-tabloid', '--paper', 'document']).code).toBe(0);
    expect(readPlan(path.join(sb.jobsDir, 'arrow-tabloid', 'plan.json')).summary.paper).toBe(
      'Letter landscape',
    );
  });

  it('plans a px-only drawing on the configured size, A4 when config says document', () => {
    const px = path.join(FIXTURES, 'test_svg__svg_width_height__fixed_size_500x300.svg');
    expect(sb.run(['add', 'job', 'px', px]).code).toBe(0);
    expect(readPlan(path.join(sb.jobsDir, 'px', 'plan.json')).summary.paper).toBe('A4 landscape');
    fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
    fs.writeFileSync(sb.configFile, 'paper:\n  default_size: Letter\n');
    expect(sb.run(['add', 'job', 'px-letter', px]).code).toBe(0);
    expect(readPlan(path.join(sb.jobsDir, 'px-letter', 'plan.json')).summary.paper).toBe(
      'Letter landscape',
    );
  });

  it('re-plans a READY job with other settings, and refuses a queued one', () => {
    sb.run(['add', 'job', 'j', svgFile('j.svg', LAYERED)]);
    const r = sb.run(['plan', 'j', '--optimization', 'best', '--paper', 'A3']);
    expect(r.code).toBe(0);
    expect(
      journal('j')
        .slice(-3)
        .map((e) => `${e.from_state}>${e.to_state}`),
    ).toEqual(['READY>ANALYZED', 'ANALYZED>OPTIMIZED', 'OPTIMIZED>READY']);
    const plan = readPlan(path.join(sb.jobsDir, 'j', 'plan.json'));
    expect(plan.settings).toMatchObject({ preset: 'best', paper: 'A3' });
    expect(plan.summary.paper).toBe('A3 landscape');
    const queued = path.join(sb.jobsDir, 'j', 'journal.jsonl');
    fs.appendFileSync(
      queued,
      `${JSON.stringify({ type: 'state_change', from_state: 'READY', to_state: 'QUEUED', reason: 'test', metadata: {}, seq: 99 })}\n`,
    );
    const refused = sb.run(['plan', 'j']);
    expect(refused.code).toBe(7);
    expect(refused.stderr).toContain('QUEUED');
  });

  it("follows the drawing's orientation unless config or --orientation says otherwise", () => {
    const small = svgFile('s.svg', '<path d="M10 10 L 50 50" stroke="black"/>');
    sb.run(['add', 'job', 'auto', small]);
    expect(readPlan(path.join(sb.jobsDir, 'auto', 'plan.json')).summary.paper).toBe('A4 landscape');
    sb.run(['add', 'job', 'flag', small, '--orientation', 'portrait']);
    expect(readPlan(path.join(sb.jobsDir, 'flag', 'plan.json')).summary.paper).toBe('A4 portrait');
    fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
    fs.writeFileSync(
      sb.configFile,
      'paper:\n  default_size: letter\n  default_orientation: portrait\n',
    );
    sb.run(['add', 'job', 'config', small]);
    expect(readPlan(path.join(sb.jobsDir, 'config', 'plan.json')).summary.paper).toBe(
      'Letter portrait',
    );
  });

  it('simplifies within the tolerance asked for', () => {
    sb.run([
      'add',
      'job',
      'c',
      svgFile('c.svg', '<circle cx="100" cy="100" r="50" stroke="black" fill="none"/>'),
    ]);
    const fine = readPlan(path.join(sb.jobsDir, 'c', 'plan.json')).summary;
    expect(sb.run(['plan', 'c', '--simplify', '0.5']).code).toBe(0);
    const coarse = readPlan(path.join(sb.jobsDir, 'c', 'plan.json'));
    expect(coarse.settings.simplifyMm).toBe(0.5);
    expect(coarse.summary.pointCount).toBeLessThan(fine.pointCount / 2);
    // A chord of sagitta 0.5 mm on r = 50 shortens the circle by well under 1%.
    expect(coarse.summary.penDownMm).toBeGreaterThan(2 * Math.PI * 50 * 0.99);
    expect(sb.run(['plan', 'c', '--simplify', 'lots']).code).toBe(2);
  });

  it('keeps listing numbers through a database rebuild', () => {
    sb.run(['add', 'job', 'j', svgFile('j.svg', LAYERED)]);
    const before = JSON.parse(sb.run(['list', 'jobs', '--json']).stdout).jobs[0];
    expect(sb.run(['system', 'rebuild-db']).code).toBe(0);
    const after = JSON.parse(sb.run(['list', 'jobs', '--json']).stdout).jobs[0];
    expect(after).toMatchObject({
      paper: before.paper,
      layer_count: before.layer_count,
      estimate_s: before.estimate_s,
      pen_down_mm: before.pen_down_mm,
    });
  });
});
