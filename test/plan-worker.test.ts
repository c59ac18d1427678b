/**
 * Planning in worker threads, seen through the API service over a real temp data folder: a worker
 * that dies fails its job with the reason and the service plans on; a planning stopped by closing
 * the service leaves the job as it was, with nothing half-written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiService, type ApiService, type ApiServiceOptions } from '../src-main/api/service';
import { openEngine, type Engine } from '../src-main/engine';
import { readJournal } from '../src-main/jobs/journal';
import { planSettings, prepareJob } from '../src-main/jobs/prepare';
import { PlanPool } from '../src-main/plan/worker-pool';
import { writeStrokes } from './helpers/dense-svg';
import { useTempDirs } from './helpers/tmp';
import { waitFor } from './helpers/wait';

const tempDir = useTempDirs('vfab-plan-worker-');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  root: string;
  engine: Engine;
  service: ApiService;
  jobDir(id: string): string;
}

function rig(opts: ApiServiceOptions = {}): Rig {
  const root = tempDir();
  const env = {
    ...process.env,
    VFAB_DATA_DIR: path.join(root, 'data'),
    VFAB_CONFIG: path.join(root, 'config.yaml'),
  };
  fs.writeFileSync(env.VFAB_CONFIG, 'camera:\n  enabled: false\n');
  const engine = openEngine({ env });
  cleanups.push(() => engine.close());
  const service = createApiService(engine, { env, camera: null, autoBackupCheckMs: 0, ...opts });
  cleanups.push(() => service.close());
  return { root, engine, service, jobDir: (id) => path.join(engine.paths.jobsDir, id) };
}

const lastEntry = (r: Rig, id: string) =>
  readJournal(path.join(r.jobDir(id), 'journal.jsonl')).records.at(-1)!.entry;
/** writeFileAtomic's temp files: a write cut short must not leave one behind. */
const leftovers = (r: Rig, id: string) =>
  fs.readdirSync(r.jobDir(id)).filter((n) => n.endsWith('.tmp'));

async function until(what: string, ms: number, probe: () => boolean): Promise<void> {
  await waitFor(what, probe, { timeoutMs: ms });
}

describe('the planning pool', () => {
  it('runs at most maxWorkers plans at once: the others wait their turn', async () => {
    const r = rig();
    const pool = new PlanPool({ maxWorkers: 1 });
    const file = path.join(r.root, 'strokes.svg');
    writeStrokes(file, 20_000);
    const seen: string[] = [];
    const ids = ['a', 'b', 'c'];
    for (const id of ids) await r.engine.jobs.add({ file, id });
    const ctx = { jobs: r.engine.jobs, store: r.engine.store, logger: r.engine.logger };
    const plans = ids.map((id) =>
      prepareJob(ctx, id, {
        settings: planSettings(r.engine.config, { fit: 'scale' }),
        device: r.engine.config.device,
        pool,
        onProgress: (stage) => stage === 'reading' && seen.push(`${id} reading`),
      }).then((p) => seen.push(`${id} ${p.state}`)),
    );
    await Promise.all(plans);
    expect(seen).toEqual(['a reading', 'a READY', 'b reading', 'b READY', 'c reading', 'c READY']);
    expect(new PlanPool().maxWorkers).toBeLessThanOrEqual(2);
  });
});

describe('a planning worker that dies', () => {
  it('fails its job with the reason (out of memory); the service stays up and plans the next job', async () => {
    // A heap far too small for the drawing: the worker runs out of memory, as a huge drawing would on a small machine.
    const r = rig({ planPool: new PlanPool({ resourceLimits: { maxOldGenerationSizeMb: 16 } }) });
    const big = path.join(r.root, 'strokes.svg');
    writeStrokes(big, 200_000);
    const added = (await r.service.call('jobs.add', { source: { path: big }, id: 'big' })) as {
      plan: { state: string; error: string };
    };
    expect(added.plan).toMatchObject({
      state: 'FAILED',
      error: expect.stringMatching(
        /^Planning ran out of memory: the drawing is too large to plan here/,
      ),
    });
    expect(lastEntry(r, 'big')).toMatchObject({
      type: 'state_change',
      to_state: 'FAILED',
      reason: added.plan.error,
      metadata: { error: 'planning_failed', file: 'strokes.svg' },
    });
    expect(leftovers(r, 'big')).toEqual([]);
    expect(
      fs.readFileSync(path.join(r.jobDir('big'), 'src.svg')).equals(fs.readFileSync(big)),
    ).toBe(true);

    const small = path.join(r.root, 'small.svg');
    fs.writeFileSync(
      small,
      '<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="100mm" viewBox="0 0 100 100"><path d="M10 10 L90 90" stroke="black"/></svg>',
    );
    expect(
      await r.service.call('jobs.add', { source: { path: small }, id: 'small' }),
    ).toMatchObject({ plan: { state: 'READY' } });
    expect(await r.service.call('jobs.list', {})).toMatchObject({
      jobs: expect.arrayContaining([
        expect.objectContaining({ id: 'big', state: 'FAILED' }),
        expect.objectContaining({ id: 'small', state: 'READY' }),
      ]),
    });
  });
});

describe('closing the service while a job is planned', () => {
  it('stops the worker: the job keeps its state (ANALYZED), no plan and no temp file are left; meanwhile it cannot be removed', async () => {
    const r = rig();
    const big = path.join(r.root, 'strokes.svg');
    writeStrokes(big, 150_000);
    const added = r.service.call('jobs.add', { source: { path: big }, id: 'big' });
    const outcome = added.then(
      () => 'planned',
      (err: { code: string; message: string }) => err,
    );
    await until(
      'the drawing analyzed',
      60_000,
      () => fs.existsSync(r.jobDir('big')) && r.engine.jobs.state('big') === 'ANALYZED',
    );
    // Its folder stays put while it is planned.
    await expect(r.service.call('jobs.remove', { id: 'big', force: true })).rejects.toMatchObject({
      code: 'BUSY',
      message: expect.stringMatching(/'big' is being planned/),
    });
    await r.service.close();
    expect(await outcome).toMatchObject({
      code: 'BUSY',
      message: expect.stringMatching(
        /vfab is closing: planning was stopped and the job keeps its state/,
      ),
    });
    expect(r.engine.jobs.state('big')).toBe('ANALYZED');
    expect(lastEntry(r, 'big')).toMatchObject({ type: 'state_change', to_state: 'ANALYZED' });
    expect(fs.existsSync(path.join(r.jobDir('big'), 'plan.json'))).toBe(false);
    expect(leftovers(r, 'big')).toEqual([]);
  });
});
