/**
 * The queue by hand (`vfab queue add|remove|move`) and `vfab list devices`, with the built CLI in a
 * sandbox: targets journaled with QUEUED (and kept by a rebuilt index), errors naming the job and
 * its state (exit 7) or the missing job (exit 3), and plotters shown offline or idle.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../src-main/jobs/journal';
import { FIXTURES } from './helpers/cli';
import { useSandbox } from './helpers/cli-sandbox';

const sb = useSandbox();
const FIXTURE = path.join(FIXTURES, 'AxiDraw_trivial.svg');

function config(text: string): void {
  fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
  fs.writeFileSync(sb.configFile, text);
}

function addJobs(...ids: string[]): void {
  for (const id of ids) expect(sb.run(['add', 'job', id, FIXTURE, '--fit', 'scale']).code).toBe(0);
}

const queued = () =>
  sb
    .run(['info', 'queue', '--state', 'queued'])
    .stdout.split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t')[0]);

describe('vfab queue add | remove | move', () => {
  it('queues READY jobs at the end with their target, journaled; takes them out; moves them', () => {
    config(
      'devices:\n  - name: left\n    port: virtual\n  - name: big\n    port: virtual\n    model: V3/A3\n',
    );
    addJobs('a', 'b', 'c');
    const added = sb.run(['queue', 'add', 'a', 'b']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe('a\tQUEUED\nb\tQUEUED\n');
    expect(sb.run(['queue', 'add', 'c', '--plotter', 'big']).stderr).toContain(
      'c: QUEUED for plotter big',
    );
    const entry = readJournal(path.join(sb.jobsDir, 'c', 'journal.jsonl')).records.at(-1)!.entry;
    expect(entry).toMatchObject({
      type: 'state_change',
      to_state: 'QUEUED',
      metadata: { target: { plotter: 'big' } },
    });
    expect(queued()).toEqual(['a', 'b', 'c']);

    expect(sb.run(['queue', 'move', 'c', '--before', 'a']).stdout).toBe('c\na\nb\n');
    expect(sb.run(['queue', 'move', 'c', '--end']).stdout).toBe('a\nb\nc\n');
    // The target is the journal's: a rebuilt index keeps it.
    expect(sb.run(['system', 'rebuild-db']).code).toBe(0);
    const jobs = JSON.parse(sb.run(['info', 'queue', '--json']).stdout).jobs as {
      id: string;
      target: unknown;
    }[];
    expect(jobs.find((j) => j.id === 'c')?.target).toEqual({ plotter: 'big' });

    const removed = sb.run(['queue', 'remove', 'b']);
    expect(removed.stdout).toBe('b\tREADY\n');
    expect(queued()).toEqual(['a', 'c']);
    expect(sb.run(['queue', 'add', 'b', '--model', 'v3/a3']).stderr).toContain(
      'b: QUEUED for any V3/A3',
    );
    expect(queued()).toEqual(['a', 'c', 'b']);
  });

  it('errors name the job and its state (exit 7), a missing job or plotter (exit 3); nothing changes', () => {
    config('devices:\n  - name: left\n    port: virtual\n');
    addJobs('a', 'b');
    expect(sb.run(['queue', 'add', 'a']).code).toBe(0);

    const twice = sb.run(['queue', 'add', 'b', 'a']);
    expect(twice.code).toBe(7);
    expect(twice.stderr).toContain(
      "Job 'a' is already QUEUED (for any plotter). To queue it for any plotter, take it out first: vfab queue remove a",
    );
    expect(readJournal(path.join(sb.jobsDir, 'b', 'journal.jsonl')).state).toBe('READY');

    const missing = sb.run(['queue', 'add', 'nope']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("Job 'nope' not found");
    const plotter = sb.run(['queue', 'add', 'b', '--plotter', 'right']);
    expect(plotter.code).toBe(3);
    expect(plotter.stderr).toContain("No plotter named 'right'. Plotters in config.yaml: left");
    expect(sb.run(['queue', 'add', 'b', '--model', 'V9']).code).toBe(2);

    const notQueued = sb.run(['queue', 'remove', 'b']);
    expect(notQueued.code).toBe(7);
    expect(notQueued.stderr).toContain("Job 'b' is READY, not in the queue.");
    const before = sb.run(['queue', 'move', 'a', '--before', 'b']);
    expect(before.code).toBe(7);
    expect(before.stderr).toContain("Job 'b' is READY, not in the queue");
    expect(sb.run(['queue', 'move', 'nope', '--end']).code).toBe(3);
    expect(sb.run(['queue', 'move', 'a']).code).toBe(2);
    expect(queued()).toEqual(['a']);
  });
});

describe('vfab list devices', () => {
  it('each plotter with port, model, paper and state: a missing port is offline, a virtual one never is', () => {
    const ghost = path.join(sb.root, 'ttyGHOST');
    config(
      `devices:\n  - name: ghost\n    port: ${ghost}\n    paper: A3\n  - name: dry\n    port: virtual\n    model: V3/A3\n`,
    );
    const listed = sb.run(['list', 'devices', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).devices).toEqual([
      {
        name: 'ghost',
        port: ghost,
        model: 'V3/A4',
        paper: 'A3',
        state: 'offline',
        job: null,
        detail: expect.stringContaining(`serial port ${ghost} does not exist`),
        found: null,
      },
      {
        name: 'dry',
        port: 'virtual',
        model: 'V3/A3',
        paper: null,
        state: 'idle',
        job: null,
        detail: null,
        found: 'virtual',
      },
    ]);
    const rows = sb.run(['list', 'devices']).stdout.split('\n').filter(Boolean);
    expect(rows.map((r) => r.split('\t').slice(0, 5))).toEqual([
      ['ghost', ghost, 'V3/A4', 'A3', 'offline'],
      ['dry', 'virtual', 'V3/A3', 'any', 'idle'],
    ]);
  });

  it('without devices:, the device section is one plotter named default', () => {
    config('device:\n  port: virtual\n');
    expect(sb.run(['list', 'devices']).stdout.split('\t').slice(0, 5)).toEqual([
      'default',
      'virtual',
      'V3/A4',
      'any',
      'idle',
    ]);
  });
});
