/**
 * Copies: `vfab add job [<id>] <file> --copies N [--queue]` through the built CLI, and `jobs.add`
 * with `copies` through the API service: N jobs `<id>-1` … `<id>-N`, each with its own source,
 * journal and plan, planned once; queued in order with --queue; a clash or a bad N refused before
 * anything is made.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiService } from '../src-main/api/service';
import { openEngine } from '../src-main/engine';
import { readJournal } from '../src-main/jobs/journal';
import { readPlan } from '../src-main/plan/plan-file';
import { FIXTURES, sandbox, type Sandbox } from './helpers/cli';
import { writeZigzag } from './helpers/dense-svg';

const DRAWING = path.join(FIXTURES, 'AxiDraw_trivial.svg');

let sb: Sandbox;
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

const stateOf = (id: string) => sb.run(['info', 'job', id, '--state-only']).stdout.trim();
const jobDirs = () =>
  fs.existsSync(sb.jobsDir)
    ? fs
        .readdirSync(sb.jobsDir)
        .filter((n) => !n.startsWith('.'))
        .sort()
    : [];
const chain = (id: string) =>
  readJournal(path.join(sb.jobsDir, id, 'journal.jsonl')).records.flatMap((r) =>
    r.entry.type === 'state_change' ? [r.entry] : [],
  );

describe('vfab add job --copies', () => {
  it('makes N jobs <id>-1 … <id>-N, each READY with its own source, journal and plan, planned once', () => {
    const r = sb.run(['add', 'job', 'card', DRAWING, '--copies', '5']);
    expect(r.code, r.stderr).toBe(0);
    const ids = ['card-1', 'card-2', 'card-3', 'card-4', 'card-5'];
    expect(r.stdout.trim().split('\n')).toEqual(ids);
    expect(jobDirs()).toEqual(ids);
    const listed = JSON.parse(sb.run(['list', 'jobs', '--json']).stdout).jobs as Array<
      Record<string, unknown>
    >;
    const first = listed.find((j) => j.id === 'card-1')!;
    for (const id of ids) {
      expect(stateOf(id)).toBe('READY');
      expect(chain(id).map((e) => e.to_state)).toEqual(['NEW', 'ANALYZED', 'OPTIMIZED', 'READY']);
      expect(fs.readFileSync(path.join(sb.jobsDir, id, 'src.svg'))).toEqual(
        fs.readFileSync(DRAWING),
      );
      expect(readPlan(path.join(sb.jobsDir, id, 'plan.json')).job).toBe(id);
      const row = listed.find((j) => j.id === id)!;
      for (const k of ['paper', 'layer_count', 'pen_down_mm', 'travel_mm', 'estimate_s'])
        expect(row[k], `${id} ${k}`).toEqual(first[k]);
    }
    // Planned once: the copies' journals say whose plan they carry.
    expect(chain('card-1')[1]!.metadata.copy_of).toBeUndefined();
    for (const id of ids.slice(1)) expect(chain(id)[1]!.metadata.copy_of).toBe('card-1');
    const validate = sb.run(['system', 'journal', 'validate']);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
  });

  it('--queue puts every copy at the end of the queue, in order', () => {
    expect(sb.run(['add', 'job', 'first', DRAWING, '--queue']).code).toBe(0);
    expect(stateOf('first')).toBe('QUEUED');
    const r = sb.run(['add', 'job', 'card', DRAWING, '--copies', '4', '--queue']);
    expect(r.code, r.stderr).toBe(0);
    const queue = JSON.parse(sb.run(['info', 'queue', '--json']).stdout).jobs as Array<{
      id: string;
      state: string;
    }>;
    expect(queue.map((j) => `${j.id} ${j.state}`)).toEqual([
      'first QUEUED',
      'card-1 QUEUED',
      'card-2 QUEUED',
      'card-3 QUEUED',
      'card-4 QUEUED',
    ]);
    for (const j of queue)
      expect(chain(j.id).at(-1)).toMatchObject({ from_state: 'READY', to_state: 'QUEUED' });
  });

  it('a copy plots on its own from the plan it was given', () => {
    expect(
      sb.run([
        'add',
        'job',
        'line',
        writeZigzag(path.join(sb.root, 'line.svg'), 2),
        '--copies',
        '2',
      ]).code,
    ).toBe(0);
    const plotted = sb.run(['plot', 'line-2', '--device', 'virtual', '--speed', '20']);
    expect(plotted.code, plotted.stderr).toBe(0);
    expect(plotted.stdout).toContain('line-2\tCOMPLETED');
    expect(stateOf('line-1')).toBe('READY');
  });

  it('refuses when any of the ids exists, making nothing; --force replaces them', () => {
    expect(sb.run(['add', 'job', 'card-3', DRAWING, '--no-plan']).code).toBe(0);
    const refused = sb.run(['add', 'job', 'card', DRAWING, '--copies', '5']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain(
      'Job card-3 already exists. Choose another id, or pass --force to replace them.',
    );
    expect(jobDirs()).toEqual(['card-3']);
    const forced = sb.run(['add', 'job', 'card', DRAWING, '--copies', '5', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(jobDirs()).toEqual(['card-1', 'card-2', 'card-3', 'card-4', 'card-5']);
    expect(stateOf('card-3')).toBe('READY');
  });

  it.each(['0', '1001', '2.5', 'many'])('refuses --copies %s (exit 2), making nothing', (n) => {
    const r = sb.run(['add', 'job', 'card', DRAWING, '--copies', n]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--copies must be a whole number from 1 to 1000, not '${n}'.`);
    expect(jobDirs()).toEqual([]);
  });

  it('--copies 1 is a plain job; copies without an id take the file name; --queue needs the plan', () => {
    expect(sb.run(['add', 'job', 'one', DRAWING, '--copies', '1']).stdout.trim()).toBe('one');
    expect(
      sb.run(['add', 'job', DRAWING, '--copies', '2', '--no-plan']).stdout.trim().split('\n'),
    ).toEqual(['AxiDraw_trivial-1', 'AxiDraw_trivial-2']);
    expect(stateOf('AxiDraw_trivial-2')).toBe('NEW');
    const r = sb.run(['add', 'job', 'q', DRAWING, '--queue', '--no-plan']);
    expect(r.code).toBe(2);
    expect(jobDirs()).toEqual(['AxiDraw_trivial-1', 'AxiDraw_trivial-2', 'one']);
  });

  it('a drawing that cannot be planned makes only the first job, and says why', () => {
    const r = sb.run([
      'add',
      'job',
      'empty',
      path.join(FIXTURES, 'test_svg__misc__empty.svg'),
      '--copies',
      '3',
      '--queue',
    ]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('The other 2 copies were not made: empty-1 is FAILED.');
    expect(jobDirs()).toEqual(['empty-1']);
  });
});

describe('jobs.add with copies (API)', () => {
  it('makes the copies and names them; copies over 1000 are refused', async () => {
    const engine = openEngine({ env: sb.env });
    const service = createApiService(engine, { env: sb.env, camera: null, autoBackupCheckMs: 0 });
    try {
      const added = (await service.call('jobs.add', {
        source: { path: DRAWING },
        id: 'card',
        copies: 3,
      })) as { job: { id: string }; plan: { state: string }; copies: string[] };
      expect(added.job.id).toBe('card-1');
      expect(added.plan.state).toBe('READY');
      expect(added.copies).toEqual(['card-1', 'card-2', 'card-3']);
      for (const id of added.copies) expect(engine.jobs.state(id)).toBe('READY');
      await expect(
        service.call('jobs.add', { source: { path: DRAWING }, id: 'x', copies: 1001 }),
      ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(
        service.call('jobs.add', { source: { path: DRAWING }, id: 'card', copies: 2 }),
      ).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    } finally {
      await service.close();
      engine.close();
    }
  });
});
