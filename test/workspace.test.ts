import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEngine } from '../src-main/engine';
import { readJournal } from '../src-main/jobs/journal';
import { planSettings, prepareJob } from '../src-main/jobs/prepare';
import { queueOrderFile, reorderQueue } from '../src-main/jobs/queue';
import {
  cleanInterruptedOperations,
  createJobFolder,
  deleteJobFolder,
  deriveJobId,
  isValidJobId,
  listJobIds,
} from '../src-main/jobs/workspace';

let dir: string;
let jobsDir: string;
let svg: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-ws-'));
  jobsDir = path.join(dir, 'jobs');
  svg = path.join(dir, 'drawing.svg');
  fs.writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg"/>');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('job ids', () => {
  it('accepts the documented characters only', () => {
    for (const ok of ['a', 'job_1', 'A4-test.v2', '2026-11-25'])
      expect(isValidJobId(ok)).toBe(true);
    for (const bad of [
      '',
      '.',
      '..',
      '../x',
      'a/b',
      'a\\b',
      '.hidden',
      '-x',
      'a b',
      'é',
      'x'.repeat(129),
    ])
      expect(isValidJobId(bad)).toBe(false);
  });

  it('derives ids from file names', () => {
    const none = () => false;
    expect(deriveJobId('/tmp/My Drawing (v2).svg', none)).toBe('My-Drawing-v2');
    expect(deriveJobId('...svg', none)).toBe('job');
    expect(deriveJobId('日本.svg', none)).toBe('job');
    const taken = new Set(['a', 'a-2']);
    expect(deriveJobId('a.svg', (id) => taken.has(id))).toBe('a-3');
  });
});

describe('job folders', () => {
  it('appear whole or not at all', async () => {
    await createJobFolder(jobsDir, 'a', svg);
    expect(fs.readdirSync(path.join(jobsDir, 'a')).sort()).toEqual([
      'job.json',
      'journal.jsonl',
      'src.svg',
    ]);
    expect(readJournal(path.join(jobsDir, 'a', 'journal.jsonl')).state).toBe('NEW');
    await expect(createJobFolder(jobsDir, 'b', path.join(dir, 'missing.svg'))).rejects.toThrow(
      /not found/,
    );
    expect(fs.readdirSync(jobsDir)).toEqual(['a']);
  });

  it('ignores staging and deleted folders when listing', async () => {
    await createJobFolder(jobsDir, 'a', svg);
    fs.mkdirSync(path.join(jobsDir, '.staging-b-1-2'));
    expect(listJobIds(jobsDir)).toEqual(['a']);
  });

  it('puts back a job whose replacement was cut between its two renames, and finishes deletes', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    await createJobFolder(jobsDir, 'a', svg);
    await createJobFolder(jobsDir, 'b', svg);
    fs.renameSync(
      path.join(jobsDir, 'a'),
      path.join(jobsDir, `.replaced-a-20261125T101010-${gone}`),
    );
    fs.renameSync(
      path.join(jobsDir, 'b'),
      path.join(jobsDir, `.deleted-b-20261125T101010-${gone}`),
    );
    const fresh = path.join(jobsDir, '.staging-c-1-1');
    fs.mkdirSync(fresh);
    fs.mkdirSync(path.join(jobsDir, '.notes'));
    const result = cleanInterruptedOperations(jobsDir);
    expect(result.restored).toEqual(['a']);
    expect(result.removed).toEqual([`.deleted-b-20261125T101010-${gone}`]);
    expect(fs.readdirSync(jobsDir).sort()).toEqual(['.notes', '.staging-c-1-1', 'a']);
    expect(cleanInterruptedOperations(jobsDir, -1).removed).toEqual(['.staging-c-1-1']);
    expect(fs.existsSync(path.join(jobsDir, '.notes'))).toBe(true);
  });

  it('leaves a replace or delete to the live process carrying it out, and tolerates one that vanishes', async () => {
    await createJobFolder(jobsDir, 'a', svg);
    await createJobFolder(jobsDir, 'b', svg);
    // The parent process stands for another vfab process between its two renames.
    const replaced = `.replaced-a-20261125T101010-${process.ppid}`;
    const deleted = `.deleted-b-20261125T101010-${process.ppid}`;
    fs.renameSync(path.join(jobsDir, 'a'), path.join(jobsDir, replaced));
    fs.renameSync(path.join(jobsDir, 'b'), path.join(jobsDir, deleted));
    expect(cleanInterruptedOperations(jobsDir)).toEqual({ restored: [], removed: [] });
    expect(fs.readdirSync(jobsDir).sort()).toEqual([deleted, replaced]);
    // Past staleMs they are leftovers; a listed folder another process finished meanwhile is skipped.
    expect(cleanInterruptedOperations(jobsDir, -1, ['.staging-x-1-1', deleted, replaced])).toEqual({
      restored: ['a'],
      removed: [deleted],
    });
    expect(fs.readdirSync(jobsDir)).toEqual(['a']);
  });

  it('deletes by renaming away first', async () => {
    await createJobFolder(jobsDir, 'a', svg);
    deleteJobFolder(jobsDir, 'a');
    expect(fs.readdirSync(jobsDir)).toEqual([]);
  });
});

describe('a job folder replaced while it is planned', () => {
  it('says so as BUSY, naming the job, instead of an unexpected ENOENT', async () => {
    const env = {
      ...process.env,
      VFAB_DATA_DIR: path.join(dir, 'data'),
      VFAB_CONFIG: path.join(dir, 'config.yaml'),
    };
    fs.writeFileSync(env.VFAB_CONFIG, 'camera:\n  enabled: false\n');
    fs.writeFileSync(
      svg,
      '<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="100mm" viewBox="0 0 100 100"><path d="M10 10 L90 90" stroke="black"/></svg>',
    );
    const engine = openEngine({ env });
    try {
      const job = await engine.jobs.add({ file: svg, id: 'swapped' });
      const folder = path.join(engine.paths.jobsDir, 'swapped');
      let moved = false;
      // Another process's `add job --force` moves the folder aside while this one optimizes.
      const onProgress = (stage: string) => {
        if (stage === 'optimizing' && !moved) {
          fs.renameSync(folder, `${folder}-elsewhere`);
          moved = true;
        }
      };
      await expect(
        prepareJob({ jobs: engine.jobs, store: engine.store, logger: engine.logger }, job.id, {
          settings: planSettings(engine.config),
          device: engine.config.device,
          onProgress,
        }),
      ).rejects.toMatchObject({
        code: 'BUSY',
        message: expect.stringMatching(
          /Job 'swapped' was removed or replaced by another vfab process while it was being planned/,
        ),
      });
    } finally {
      engine.close();
    }
  });
});

describe('the saved queue order', () => {
  it('cannot be written: queueing and moving still work, and the log says why', async () => {
    const env = {
      ...process.env,
      VFAB_DATA_DIR: path.join(dir, 'data'),
      VFAB_CONFIG: path.join(dir, 'config.yaml'),
    };
    fs.writeFileSync(env.VFAB_CONFIG, 'camera:\n  enabled: false\n');
    const engine = openEngine({ env });
    try {
      // A folder where the file should be: every write of it fails.
      fs.mkdirSync(queueOrderFile(engine.paths.jobsDir), { recursive: true });
      for (const id of ['a', 'b']) {
        await engine.jobs.add({ file: svg, id });
        for (const to of ['ANALYZED', 'OPTIMIZED', 'READY', 'QUEUED'] as const)
          engine.jobs.transition(id, to, 'test');
      }
      expect(reorderQueue(engine.store, engine.paths.jobsDir, 'b', 'a', engine.logger)).toEqual([
        'b',
        'a',
      ]);
      expect(engine.jobs.state('b')).toBe('QUEUED');
      expect(fs.readFileSync(engine.paths.logFile, 'utf8')).toMatch(
        /could not save the queue order to .*\.queue-order\.json/,
      );
    } finally {
      engine.close();
    }
  });
});
