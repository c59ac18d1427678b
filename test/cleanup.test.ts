/** `vfab cleanup --jobs|--logs --older-than <age>` through the built CLI, and its duration parser. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDuration } from '../src-main/backup/cleanup';
import { appendEntry } from '../src-main/jobs/journal';
import { FIXTURES, sandbox, type Sandbox } from './helpers/cli';

const TRIVIAL = path.join(FIXTURES, 'AxiDraw_trivial.svg');
const DAY = 86_400_000;

let sb: Sandbox;
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

/** Moves a job through `states`, journaling each change as if it happened `daysAgo` days ago. */
function age(id: string, daysAgo: number, ...states: string[]): void {
  const journal = path.join(sb.jobsDir, id, 'journal.jsonl');
  let from = JSON.parse(fs.readFileSync(journal, 'utf8').trim().split('\n').at(-1)!).to_state;
  const when = new Date(Date.now() - daysAgo * DAY);
  for (const to of states) {
    appendEntry(
      journal,
      {
        type: 'state_change',
        from_state: from,
        to_state: to as never,
        reason: `test ${to}`,
        metadata: {},
      },
      { now: () => when },
    );
    from = to;
  }
}

function ids(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t')[0]!)
    .sort();
}

function jobDirs(): string[] {
  return fs
    .readdirSync(sb.jobsDir)
    .filter((n) => !n.startsWith('.'))
    .sort();
}

describe('cleanup --jobs', () => {
  beforeEach(() => {
    for (const id of [
      'old-done',
      'old-aborted',
      'old-failed',
      'new-done',
      'old-paused',
      'old-ready',
    ])
      expect(sb.run(['add', 'job', id, TRIVIAL]).code).toBe(0);
    age('old-done', 40, 'QUEUED', 'ARMED', 'PLOTTING', 'COMPLETED');
    age('old-aborted', 31, 'ABORTED');
    age('old-failed', 45, 'QUEUED', 'ARMED', 'FAILED');
    age('new-done', 2, 'QUEUED', 'ARMED', 'PLOTTING', 'COMPLETED');
    // Old but unfinished: a paused drawing must never be cleaned, however old.
    age('old-paused', 90, 'QUEUED', 'ARMED', 'PLOTTING', 'PAUSED');
    age('old-ready', 60, 'QUEUED', 'READY');
  });

  it('--dry-run lists the old finished jobs and removes nothing', () => {
    const r = sb.run(['cleanup', '--jobs', '--older-than', '30d', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(ids(r.stdout)).toEqual(['old-aborted', 'old-done', 'old-failed']);
    expect(r.stdout).toMatch(/^old-done\tCOMPLETED\t/m);
    expect(r.stderr).toMatch(
      /Would remove 3 finished job\(s\) older than 30d; 3 job\(s\) kept\. Nothing was removed/,
    );
    expect(jobDirs()).toEqual([
      'new-done',
      'old-aborted',
      'old-done',
      'old-failed',
      'old-paused',
      'old-ready',
    ]);
  });

  it('removes only old terminal jobs, from the folder and the index', () => {
    const r = sb.run(['cleanup', '--jobs', '--older-than', '30d']);
    expect(r.code, r.stderr).toBe(0);
    expect(ids(r.stdout)).toEqual(['old-aborted', 'old-done', 'old-failed']);
    expect(jobDirs()).toEqual(['new-done', 'old-paused', 'old-ready']);
    expect(ids(sb.run(['list', 'jobs']).stdout)).toEqual(['new-done', 'old-paused', 'old-ready']);
    expect(sb.run(['info', 'job', 'old-paused', '--state-only']).stdout).toBe('PAUSED\n');
    expect(fs.readFileSync(sb.logFile, 'utf8')).toMatch(
      /INFO job old-done: removed by cleanup \(COMPLETED since/,
    );
    // Nothing left to do the second time.
    const again = sb.run(['cleanup', '--jobs', '--older-than', '30d']);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/Removed 0 finished job/);
  });

  it('--state narrows to some finished states; the age is the last state change', () => {
    const r = sb.run(['cleanup', '--jobs', '--older-than', '6w', '--state', 'completed,FAILED']);
    expect(r.code, r.stderr).toBe(0);
    expect(ids(r.stdout)).toEqual(['old-failed']);
    expect(jobDirs()).toContain('old-done');
    expect(
      ids(
        sb.run(['cleanup', '--jobs', '--older-than', '24h', '--state', 'COMPLETED', '-n']).stdout,
      ),
    ).toEqual(['new-done', 'old-done']);
  });

  it('refuses unfinished states and bad durations', () => {
    const s = sb.run(['cleanup', '--jobs', '--older-than', '30d', '--state', 'paused']);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(
      /only removes finished jobs \(COMPLETED, ABORTED, FAILED\); PAUSED is not one/,
    );
    const d = sb.run(['cleanup', '--jobs', '--older-than', '30x']);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/'30x' is not a duration/);
    expect(sb.run(['cleanup', '--older-than', '30d']).code).toBe(2);
    expect(sb.run(['cleanup', '--jobs']).stderr).toMatch(/--older-than 30d/);
    expect(jobDirs()).toHaveLength(6);
  });

  it('--json reports what was removed', () => {
    const r = sb.run(['cleanup', '--jobs', '--older-than', '30d', '--json']);
    const out = JSON.parse(r.stdout).cleanup;
    expect(out.dry_run).toBe(false);
    expect(out.jobs.removed.map((j: { id: string }) => j.id).sort()).toEqual([
      'old-aborted',
      'old-done',
      'old-failed',
    ]);
    expect(out.jobs.kept).toBe(3);
    expect(out.logs).toBeNull();
  });
});

describe('cleanup --logs', () => {
  it('removes rotated logs older than the limit, never the live log or other files', () => {
    expect(sb.run(['setup', '--yes']).code).toBe(0);
    const logs = path.dirname(sb.logFile);
    const set = (name: string, daysAgo: number) => {
      const file = path.join(logs, name);
      fs.writeFileSync(file, `${name}\n`);
      const t = new Date(Date.now() - daysAgo * DAY);
      fs.utimesSync(file, t, t);
    };
    set('vfab.log.1', 3);
    set('vfab.log.2', 8);
    set('vfab.log.3', 20);
    set('other.log.1', 30);
    set('vfab.log.backup', 30);
    const live = new Date(Date.now() - 30 * DAY);
    fs.utimesSync(sb.logFile, live, live);

    const dry = sb.run(['cleanup', '--logs', '--older-than', '7d', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(
      dry.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => path.basename(l.split('\t')[0]!)),
    ).toEqual(['vfab.log.2', 'vfab.log.3']);
    expect(fs.existsSync(path.join(logs, 'vfab.log.3'))).toBe(true);

    const r = sb.run(['cleanup', '--logs', '--older-than', '7d']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Removed 2 rotated log file\(s\) older than 7d; 1 kept/);
    expect(fs.readdirSync(logs).sort()).toEqual([
      'other.log.1',
      'vfab.log',
      'vfab.log.1',
      'vfab.log.backup',
    ]);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30d', 30 * DAY],
    ['12h', 12 * 3_600_000],
    ['2w', 14 * DAY],
    ['90m', 90 * 60_000],
    ['1.5d', 1.5 * DAY],
    [' 7D ', 7 * DAY],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '30', 'd', '0d', '-1d', '3y', '1e3d', 'abc'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/is not a duration/);
  });
});
