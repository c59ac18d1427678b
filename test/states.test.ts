import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJournal } from '../src-main/jobs/journal';
import { JobService } from '../src-main/jobs/lifecycle';
import {
  assertPlottable,
  PLOTTABLE_STATES,
  IllegalTransitionError,
  JOB_STATES,
  TRANSITIONS,
  allowedTargets,
  assertTransition,
  isTerminal,
  parseJobState,
  type JobState,
  type TransitionKind,
} from '../src-main/jobs/states';
import { Store } from '../src-main/jobs/store';
import { createLogger } from '../src-main/log';

/** The lifecycle as docs/journal.md "Job states" and the issue state it, written out independently of the table. */
const EXPECTED: Record<TransitionKind, [JobState, JobState][]> = {
  normal: [
    ['NEW', 'ANALYZED'],
    ['NEW', 'FAILED'],
    ['NEW', 'ABORTED'],
    ['ANALYZED', 'OPTIMIZED'],
    ['ANALYZED', 'FAILED'],
    ['ANALYZED', 'ABORTED'],
    ['OPTIMIZED', 'READY'],
    ['OPTIMIZED', 'FAILED'],
    ['OPTIMIZED', 'ABORTED'],
    ['READY', 'QUEUED'],
    ['READY', 'ANALYZED'],
    ['READY', 'ABORTED'],
    ['QUEUED', 'ARMED'],
    ['QUEUED', 'READY'],
    ['QUEUED', 'ABORTED'],
    ['ARMED', 'PLOTTING'],
    ['ARMED', 'FAILED'],
    ['ARMED', 'QUEUED'],
    ['ARMED', 'ABORTED'],
    ['PLOTTING', 'PAUSED'],
    ['PLOTTING', 'COMPLETED'],
    ['PLOTTING', 'ABORTED'],
    ['PLOTTING', 'FAILED'],
    ['PAUSED', 'PLOTTING'],
    ['PAUSED', 'COMPLETED'],
    ['PAUSED', 'ABORTED'],
    ['PAUSED', 'FAILED'],
  ],
  restart: [
    ['ARMED', 'QUEUED'],
    ['PLOTTING', 'QUEUED'],
    ['PAUSED', 'QUEUED'],
    ['COMPLETED', 'QUEUED'],
    ['ABORTED', 'QUEUED'],
    ['ABORTED', 'NEW'],
    ['FAILED', 'QUEUED'],
    ['FAILED', 'NEW'],
  ],
};

describe('transition table', () => {
  for (const kind of ['normal', 'restart'] as const) {
    const allowed = new Set(EXPECTED[kind].map(([a, b]) => `${a}>${b}`));
    for (const from of JOB_STATES) {
      for (const to of JOB_STATES) {
        const legal = allowed.has(`${from}>${to}`);
        it(`${kind}: ${from} -> ${to} is ${legal ? 'legal' : 'illegal'}`, () => {
          if (legal) expect(assertTransition('j', from, to, kind).to).toBe(to);
          else expect(() => assertTransition('j', from, to, kind)).toThrow(IllegalTransitionError);
        });
      }
    }
  }

  it('has a reason for every edge and no self transitions', () => {
    for (const from of JOB_STATES) {
      for (const r of TRANSITIONS[from]) {
        expect(r.why.length).toBeGreaterThan(10);
        expect(r.to).not.toBe(from);
      }
    }
  });

  it('terminal states leave only by restart', () => {
    for (const s of JOB_STATES.filter(isTerminal)) expect(allowedTargets(s, 'normal')).toEqual([]);
    expect(JOB_STATES.filter(isTerminal)).toEqual(['COMPLETED', 'ABORTED', 'FAILED']);
  });

  it('names the job, both states and the way out in the error', () => {
    const err = (() => {
      try {
        assertTransition('drawing-7', 'COMPLETED', 'QUEUED');
      } catch (e) {
        return e as IllegalTransitionError;
      }
    })();
    expect(err).toBeInstanceOf(IllegalTransitionError);
    expect(err!.message).toContain("'drawing-7'");
    expect(err!.message).toContain('COMPLETED');
    expect(err!.message).toContain('QUEUED');
    expect(err!.message).toContain('vfab restart drawing-7');
    expect(() => assertTransition('x', 'NEW', 'PLOTTING')).toThrow(
      /From NEW it can go to: ANALYZED, FAILED, ABORTED/,
    );
  });

  it('accepts state names in any case', () => {
    expect(parseJobState('plotting')).toBe('PLOTTING');
    expect(parseJobState(' Paused ')).toBe('PAUSED');
    expect(parseJobState('RECOVERED')).toBeUndefined();
  });
});

describe('JobService.transition', () => {
  let dir: string;
  let store: Store;
  let jobs: JobService;
  let svg: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-fsm-'));
    store = Store.open(path.join(dir, 'vfab.db')).store;
    jobs = new JobService(
      store,
      path.join(dir, 'jobs'),
      createLogger({ file: path.join(dir, 'vfab.log') }),
    );
    svg = path.join(dir, 'a.svg');
    fs.writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg"/>');
  });
  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('journals a legal transition before the index shows it', async () => {
    await jobs.add({ id: 'a', file: svg });
    const entry = jobs.transition('a', 'ANALYZED', 'parsed', { layers: 2 });
    expect(entry).toMatchObject({
      type: 'state_change',
      from_state: 'NEW',
      to_state: 'ANALYZED',
      reason: 'parsed',
      metadata: { layers: 2 },
    });
    const read = readJournal(path.join(dir, 'jobs', 'a', 'journal.jsonl'));
    expect(read.records.map((r) => r.entry.seq)).toEqual([1, 2]);
    expect(read.state).toBe('ANALYZED');
    expect(store.get('a')).toMatchObject({
      state: 'ANALYZED',
      synced_state: 'ANALYZED',
      last_reason: 'parsed',
    });
  });

  it('an illegal transition writes nothing, to the journal or the index', async () => {
    await jobs.add({ id: 'a', file: svg });
    const journal = path.join(dir, 'jobs', 'a', 'journal.jsonl');
    const before = fs.readFileSync(journal);
    const row = store.get('a');
    expect(() => jobs.transition('a', 'PLOTTING', 'skip ahead')).toThrow(IllegalTransitionError);
    expect(fs.readFileSync(journal)).toEqual(before);
    expect(store.get('a')).toEqual(row);
  });

  it('restart edges need an explicit restart', async () => {
    await jobs.add({ id: 'a', file: svg });
    jobs.transition('a', 'FAILED', 'bad svg');
    expect(() => jobs.transition('a', 'NEW', 'again')).toThrow(/only an explicit restart/);
    expect(jobs.transition('a', 'NEW', 'restart', {}, 'restart').to_state).toBe('NEW');
  });
});

describe('which states a plot starts from (one rule for the CLI, the API and the runner)', () => {
  it('takes fresh and stopped jobs, and refuses the rest saying what to do', () => {
    for (const s of JOB_STATES) {
      if (PLOTTABLE_STATES.includes(s)) expect(() => assertPlottable('j', s)).not.toThrow();
      else
        expect(() => assertPlottable('j', s)).toThrow(
          expect.objectContaining({ code: 'INVALID_STATE' }),
        );
    }
    expect([...PLOTTABLE_STATES].sort()).toEqual([
      'ARMED',
      'PAUSED',
      'PLOTTING',
      'QUEUED',
      'READY',
    ]);
    expect(() => assertPlottable('j', 'COMPLETED')).toThrow(/vfab restart j/);
    expect(() => assertPlottable('j', 'NEW')).toThrow(/vfab plan j/);
  });
});
