/**
 * Black-box: lines that break a journal's chain (forged, edited, pasted) change nothing a user sees
 * and are named by `vfab system journal validate`; what the recovery guide does to journals by hand
 * stays valid.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './helpers/cli';
import { usePlotterSandbox } from './helpers/plotter-sandbox';

const TRIVIAL = path.join(FIXTURES, 'AxiDraw_trivial.svg');
const FIRST = path.join(FIXTURES, 'AxiDraw_First.svg');

const rig = usePlotterSandbox();

const journalOf = (id: string) => path.join(rig.sb.jobsDir, id, 'journal.jsonl');
const lineCount = (id: string) => fs.readFileSync(journalOf(id), 'utf8').trim().split('\n').length;

/** A READY job, as `vfab add job` leaves it. */
function readyJob(id: string): void {
  expect(rig.sb.run(['add', 'job', id, TRIVIAL]).code).toBe(0);
  expect(rig.sb.run(['info', 'job', id, '--state-only']).stdout).toBe('READY\n');
}

/** Appends a line by hand, as `echo ... >> journal.jsonl` does; returns its line number. */
function appendByHand(id: string, fields: Record<string, unknown>): number {
  fs.appendFileSync(journalOf(id), `${JSON.stringify(fields)}\n`);
  return lineCount(id);
}

function validateRows(id: string): { code: number; rows: string[][] } {
  const r = rig.sb.run(['system', 'journal', 'validate', id]);
  return {
    code: r.code,
    rows: r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')),
  };
}

describe('a line that breaks the chain', () => {
  it('a forged NEW -> PLOTTING appended to a READY job: still READY everywhere, not interrupted, named by validate (exit 8), dropped by repair', () => {
    readyJob('demo');
    const seq = lineCount('demo') + 1;
    const forged = appendByHand('demo', {
      type: 'state_change',
      from_state: 'NEW',
      to_state: 'PLOTTING',
      reason: 'crash',
      metadata: {},
      timestamp: new Date().toISOString(),
      seq,
    });
    appendByHand('demo', {
      type: 'progress',
      progress: { move: 12, layer: 0, path: 3, point: 1, steps: [10, 20], pen_down_mm: 4 },
      timestamp: new Date().toISOString(),
      seq: seq + 1,
    });

    expect(rig.sb.run(['info', 'job', 'demo', '--state-only']).stdout).toBe('READY\n');
    const info = rig.sb.run(['info', 'job', 'demo']);
    expect(info.stdout).toMatch(/^State: +READY$/m);
    expect(info.stderr).toContain(
      `journal line ${forged}: error: a transition from NEW, but the job is READY at this point; not applied`,
    );
    expect(rig.sb.run(['info', 'queue', '--interrupted']).stdout).toBe('');
    expect(
      rig.sb.sh(`sqlite3 "$VFAB_DATA_DIR/vfab.db" "SELECT state FROM jobs WHERE id = 'demo'"`)
        .stdout,
    ).toBe('READY\n');
    // Nothing to resume: the job never started.
    const resume = rig.sb.run(['resume', 'demo', '--device', 'virtual']);
    expect(resume.code).toBe(7);
    expect(resume.stderr).toContain("Job 'demo' is READY, not interrupted");

    const { code, rows } = validateRows('demo');
    expect(code).toBe(8);
    expect(rows).toEqual([
      [
        'demo',
        String(forged),
        'error',
        'state_mismatch',
        'a transition from NEW, but the job is READY at this point; not applied',
      ],
      [
        'demo',
        String(forged + 1),
        'error',
        'state_mismatch',
        'a checkpoint (written only while PLOTTING), but the job is READY at this point; not applied',
      ],
    ]);

    // The index rebuilt from the journals agrees.
    expect(rig.sb.run(['system', 'rebuild-db']).code).toBe(0);
    expect(
      rig.sb.sh(`sqlite3 "$VFAB_DATA_DIR/vfab.db" "SELECT state FROM jobs WHERE id = 'demo'"`)
        .stdout,
    ).toBe('READY\n');

    const repair = rig.sb.run(['system', 'journal', 'repair', 'demo']);
    expect(repair.code).toBe(0);
    expect(repair.stderr).toContain(`demo: dropped line ${forged} (a transition from NEW`);
    expect(lineCount('demo')).toBe(forged - 1);
    expect(
      fs
        .readdirSync(path.join(rig.sb.jobsDir, 'demo'))
        .some((f) => f.startsWith('journal.jsonl.bak-')),
    ).toBe(true);
    expect(validateRows('demo')).toEqual({ code: 0, rows: [] });
    expect(rig.sb.run(['info', 'job', 'demo', '--state-only']).stdout).toBe('READY\n');
  });

  it('a backward seq, a timestamp that is no date, an edge the table lacks: each rejected with its line and reason (exit 8), the state from the valid chain', () => {
    const cases = [
      {
        id: 'backward',
        kind: 'seq_not_increasing',
        reason: /^seq 2 is not above \d+, the seq of the valid entry before it; not applied$/,
        line: () => ({
          from_state: 'READY',
          to_state: 'QUEUED',
          timestamp: new Date().toISOString(),
          seq: 2,
        }),
      },
      {
        id: 'nodate',
        kind: 'bad_timestamp',
        reason: /"timestamp" is the string 'last tuesday', not an ISO 8601 date and time/,
        line: (seq: number) => ({
          from_state: 'READY',
          to_state: 'QUEUED',
          timestamp: 'last tuesday',
          seq,
        }),
      },
      {
        id: 'illegal',
        kind: 'illegal_transition',
        reason:
          /^READY -> PLOTTING is not a transition a job can make \(from READY: QUEUED, ANALYZED, ABORTED\); not applied$/,
        line: (seq: number) => ({
          from_state: 'READY',
          to_state: 'PLOTTING',
          timestamp: new Date().toISOString(),
          seq,
        }),
      },
    ];
    for (const c of cases) {
      readyJob(c.id);
      const at = appendByHand(c.id, {
        type: 'state_change',
        reason: 'by hand',
        metadata: {},
        ...c.line(lineCount(c.id) + 1),
      });
      const { code, rows } = validateRows(c.id);
      expect(code, c.id).toBe(8);
      expect(
        rows.map((r) => r.slice(0, 4)),
        c.id,
      ).toEqual([[c.id, String(at), 'error', c.kind]]);
      expect(rows[0]![4], c.id).toMatch(c.reason);
      expect(rig.sb.run(['info', 'job', c.id, '--state-only']).stdout, c.id).toBe('READY\n');
    }
    // All three at once, as a cron job would check them.
    expect(rig.sb.run(['system', 'journal', 'validate']).code).toBe(8);
    expect(
      rig.sb
        .run(['list', 'jobs'])
        .stdout.split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t').slice(0, 2).join(' '))
        .sort(),
    ).toEqual(['backward READY', 'illegal READY', 'nodate READY']);
  });
});

describe('what the recovery guide does by hand stays valid', () => {
  it("the guide's journal cleanup (tail -50) of a completed plot's long journal: still COMPLETED, and valid", () => {
    expect(rig.sb.run(['add', 'job', 'long', FIRST, '--fit', 'scale']).code).toBe(0);
    const plot = rig.sb.run(['plot', 'long', '--device', 'virtual', '--speed', '50']);
    expect(plot.code, plot.stderr).toBe(0);
    fs.rmSync(path.dirname(plot.stdout.match(/^paper: (.*)$/m)![1]!), {
      recursive: true,
      force: true,
    });
    expect(lineCount('long')).toBeGreaterThan(100);
    // The guide's cleanup_vfab.sh, journal part, verbatim; it only touches journals a month old.
    rig.sb.sh(`touch -d '40 days ago' "${journalOf('long')}"`);
    const cleanup = rig.sb
      .sh(`find ~/.local/share/vfab/workspace/jobs -name "journal.jsonl" -mtime +30 -exec sh -c '
    file="$1"
    backup="\${file}.backup"
    # Keep last 50 lines
    tail -50 "$file" > "$backup"
    mv "$backup" "$file"
' _ {} \\;`);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect(lineCount('long')).toBe(50);
    expect(JSON.parse(fs.readFileSync(journalOf('long'), 'utf8').split('\n')[0]!).type).toBe(
      'progress',
    );

    expect(rig.sb.run(['info', 'job', 'long', '--state-only']).stdout).toBe('COMPLETED\n');
    expect(validateRows('long')).toEqual({ code: 0, rows: [] });
    expect(rig.sb.run(['info', 'queue', '--interrupted']).stdout).toBe('');
    expect(rig.sb.run(['system', 'rebuild-db']).code).toBe(0);
    expect(rig.sb.run(['list', 'jobs']).stdout).toMatch(/^long\tCOMPLETED\t/);
  });

  it("the guide's reconstructed journal (one NEW -> NEW line) is valid, and vfab restart plans and queues the job from there", () => {
    readyJob('rebuilt');
    const r = rig.sb.sh(`cat > ~/.local/share/vfab/workspace/jobs/rebuilt/journal.jsonl << EOF
{"type": "state_change", "from_state": "NEW", "to_state": "NEW", "timestamp": "$(date -Iseconds)", "reason": "Journal reconstruction", "metadata": {}}
EOF
vfab info job rebuilt --state-only && vfab system journal validate rebuilt`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('NEW');
    const restart = rig.sb.run(['restart', 'rebuilt']);
    expect(restart.code, restart.stderr).toBe(0);
    expect(restart.stdout).toBe('rebuilt\tQUEUED\n');
    expect(validateRows('rebuilt')).toEqual({ code: 0, rows: [] });
    expect(rig.sb.run(['info', 'job', 'rebuilt', '--state-only']).stdout).toBe('QUEUED\n');
  });

  it("the guide's UPDATE jobs SET state: journaled as a forced transition that validates, from any state to any state", () => {
    readyJob('forced');
    const r = rig.sb.sh(
      `sqlite3 ~/.local/share/vfab/vfab.db "UPDATE jobs SET state = 'PLOTTING' WHERE id = 'forced'" && vfab info job forced --state-only`,
    );
    expect(r.stdout).toBe('PLOTTING\n');
    expect(
      rig.sb.sh(
        `sqlite3 ~/.local/share/vfab/vfab.db "UPDATE jobs SET state = 'READY' WHERE id = 'forced'" && vfab info job forced --state-only`,
      ).stdout,
    ).toBe('READY\n');
    const reasons = rig.sb.sh(
      `tail -2 ~/.local/share/vfab/workspace/jobs/forced/journal.jsonl | jq -r '"\\(.from_state) \\(.to_state) \\(.reason)"'`,
    ).stdout;
    expect(reasons).toBe(
      'READY PLOTTING forced via database\nPLOTTING READY forced via database\n',
    );
    expect(validateRows('forced')).toEqual({ code: 0, rows: [] });
  });
});
