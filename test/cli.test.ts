/** Black-box tests of the built `vfab` command in temporary data folders. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendEntry, readJournal } from '../src-main/jobs/journal';
import { FIXTURES, ROOT, sandbox, type Sandbox } from './helpers/cli';
import { spawnVfab } from './helpers/crash-rig';

const TRIVIAL = path.join(FIXTURES, 'AxiDraw_trivial.svg');
const MULTI = path.join(FIXTURES, 'test_svg__misc__multilayer.svg');

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'out', 'main', 'cli.js')))
    throw new Error('Build first: npm run build (npm test does it).');
});

let sb: Sandbox;
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

/** Moves a job along by writing its journal, as a plotting process would. */
function journalTo(id: string, ...states: string[]): void {
  const journal = path.join(sb.jobsDir, id, 'journal.jsonl');
  let from: string | undefined = readJournal(journal).state;
  for (const to of states) {
    appendEntry(journal, {
      type: 'state_change',
      from_state: from as never,
      to_state: to as never,
      reason: `test ${to}`,
      metadata: {},
    });
    from = to;
  }
}

describe('add job', () => {
  it('creates a NEW job with a byte-identical source and a journal', () => {
    const r = sb.run(['add', 'job', '--no-plan', 'demo', TRIVIAL]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('demo');
    const dir = path.join(sb.jobsDir, 'demo');
    expect(fs.readFileSync(path.join(dir, 'src.svg'))).toEqual(fs.readFileSync(TRIVIAL));
    const lines = fs.readFileSync(path.join(dir, 'journal.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      type: 'state_change',
      from_state: null,
      to_state: 'NEW',
      seq: 1,
    });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'job.json'), 'utf8'))).toMatchObject({
      id: 'demo',
      source_name: 'AxiDraw_trivial.svg',
      source_size: fs.statSync(TRIVIAL).size,
    });
    expect(sb.run(['info', 'job', 'demo', '--state-only']).stdout).toBe('NEW\n');
  });

  it('derives the id from the file name and keeps it unique', () => {
    const named = path.join(sb.root, 'My Drawing (v2).svg');
    fs.copyFileSync(TRIVIAL, named);
    expect(sb.run(['add', 'job', '--no-plan', named]).stdout.trim()).toBe('My-Drawing-v2');
    expect(sb.run(['add', 'job', '--no-plan', named]).stdout.trim()).toBe('My-Drawing-v2-2');
    expect(
      sb
        .run(['list', 'jobs'])
        .stdout.split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0])
        .sort(),
    ).toEqual(['My-Drawing-v2', 'My-Drawing-v2-2']);
  });

  it('refuses a duplicate id without --force and replaces with it', () => {
    sb.run(['add', 'job', '--no-plan', 'demo', TRIVIAL]);
    const dup = sb.run(['add', 'job', '--no-plan', 'demo', MULTI]);
    expect(dup.code).toBe(4);
    expect(dup.stderr).toContain("Job 'demo' already exists");
    expect(dup.stderr).toContain('--force');
    expect(fs.readFileSync(path.join(sb.jobsDir, 'demo', 'src.svg'))).toEqual(
      fs.readFileSync(TRIVIAL),
    );
    expect(sb.run(['add', 'job', '--no-plan', 'demo', MULTI, '--force']).code).toBe(0);
    expect(fs.readFileSync(path.join(sb.jobsDir, 'demo', 'src.svg'))).toEqual(
      fs.readFileSync(MULTI),
    );
    expect(fs.readdirSync(sb.jobsDir)).toEqual(['demo']);
  });

  it.each(['../evil', 'a/b', '..', '.hidden', '-rf', 'x'.repeat(200), 'tab\there', ''])(
    'refuses the id %j and writes nothing',
    (id) => {
      const r = sb.run(['add', 'job', '--no-plan', '--', id, TRIVIAL]);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/not a valid job id/);
      expect(fs.existsSync(sb.jobsDir) ? fs.readdirSync(sb.jobsDir) : []).toEqual([]);
      expect(fs.readdirSync(path.join(sb.dataDir, 'workspace')).sort()).toEqual(
        fs.existsSync(sb.jobsDir) ? ['jobs'] : [],
      );
    },
  );

  it('names a missing file, a folder and an unreadable file', () => {
    const missing = sb.run(['add', 'job', '--no-plan', 'x', path.join(sb.root, 'nope.svg')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('nope.svg');
    const folder = sb.run(['add', 'job', '--no-plan', 'x', sb.root]);
    expect(folder.code).toBe(5);
    expect(folder.stderr).toContain('not a regular file');
    expect(sb.run(['list', 'jobs']).stdout).toBe('');
  });

  it("refuses a file over the SVG reader's limit before a job exists: nothing left, exit 5, size and limit named", () => {
    const big = path.join(sb.root, 'huge.svg');
    // Sparse: 200 MiB on paper, nothing on disk.
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, 200 * 2 ** 20);
    const r = sb.run(['add', 'job', big]);
    expect(r.code).toBe(5);
    expect(fs.existsSync(sb.jobsDir) ? fs.readdirSync(sb.jobsDir) : []).toEqual([]);
    expect(JSON.parse(sb.run(['list', 'jobs', '--json']).stdout)).toEqual({ jobs: [] });
    expect(r.stderr).toMatch(
      /huge\.svg' is 200\.0 MiB \(209715200 bytes\); vfab reads drawings up to 64\.0 MiB/,
    );
  });

  it('rejects extra arguments as usage errors', () => {
    const r = sb.run(['add', 'job', '--no-plan', 'a', 'b', 'c']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Expected [job_id] <file.svg>');
  });
});

describe('listing for pipes and JSON', () => {
  it('prints bare rows with the id first, and nothing on stdout when empty', () => {
    const empty = sb.run(['info', 'queue']);
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toContain('queue is empty');
    sb.run(['add', 'job', '--no-plan', 'b-job', TRIVIAL]);
    sb.run(['add', 'job', '--no-plan', 'a-job', MULTI]);
    const piped = sb.sh(`vfab info queue | awk '{print $1}'`);
    expect(piped.stdout.split('\n').filter(Boolean).sort()).toEqual(['a-job', 'b-job']);
    expect(sb.sh('vfab info queue --state plotting | wc -l').stdout.trim()).toBe('0');
    journalTo('a-job', 'ANALYZED', 'OPTIMIZED', 'READY', 'QUEUED', 'ARMED', 'PLOTTING');
    expect(sb.sh(`vfab info queue --state Plotting | awk '{print $1}'`).stdout).toBe('a-job\n');
    expect(sb.sh(`vfab info queue | head -1 | cut -f1`).stdout).toBe('a-job\n');
  });

  it('stops quietly when the reader of its output goes away (vfab … | head)', async () => {
    sb.run(['add', 'job', 'demo', MULTI]);
    for (const args of [
      ['info', 'job', 'demo'],
      ['list', 'jobs', '--json'],
    ]) {
      const p = spawnVfab(sb, args);
      p.child.stdout!.destroy();
      expect(await p.exited, p.stderr()).toBe(0);
      expect(p.stderr()).not.toMatch(/EPIPE|Error/);
    }
  });

  it('gives stable JSON', () => {
    sb.run(['add', 'job', '--no-plan', 'demo', TRIVIAL]);
    const list = JSON.parse(sb.run(['list', 'jobs', '--json']).stdout);
    expect(list.jobs).toHaveLength(1);
    expect(Object.keys(list.jobs[0])).toEqual([
      'id',
      'state',
      'created_at',
      'updated_at',
      'source_name',
      'source_size',
      'queue_position',
      'last_reason',
      'paper',
      'layer_count',
      'pen_down_mm',
      'travel_mm',
      'estimate_s',
    ]);
    const info = JSON.parse(sb.run(['info', 'job', 'demo', '--json']).stdout);
    expect(info.job).toMatchObject({
      id: 'demo',
      state: 'NEW',
      has_plan: false,
      journal: { entries: 1, last_seq: 1, problems: [] },
    });
    const system = JSON.parse(sb.run(['info', 'system', '--json']).stdout);
    expect(system.system.jobs).toMatchObject({ total: 1, by_state: { NEW: 1, PLOTTING: 0 } });
    expect(system.system.database.journal_mode).toBe('wal');
    expect(system.system.paths.dbFile).toBe(sb.dbFile);
    expect(system.system.devices).toMatchObject({
      model: 'V3/A4',
      configured_port: null,
      detected: [],
      error: null,
    });
  });

  it('rejects an unknown state name with the list of states', () => {
    const r = sb.run(['list', 'jobs', '--state', 'RUNNING']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'RUNNING' is not a job state");
  });

  it('names a missing job', () => {
    const r = sb.run(['info', 'job', 'ghost']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("Job 'ghost' not found");
  });
});

describe('remove job', () => {
  it('asks for confirmation, protects active jobs and removes with --force', () => {
    sb.run(['add', 'job', '--no-plan', 'demo', TRIVIAL]);
    expect(sb.run(['remove', 'job', 'demo']).code).toBe(2);
    journalTo('demo', 'ANALYZED', 'OPTIMIZED', 'READY', 'QUEUED', 'ARMED', 'PLOTTING');
    const active = sb.run(['remove', 'job', 'demo', '--yes']);
    expect(active.code).toBe(7);
    expect(active.stderr).toContain('PLOTTING');
    expect(fs.existsSync(path.join(sb.jobsDir, 'demo'))).toBe(true);
    expect(sb.run(['remove', 'job', 'demo', '--force']).code).toBe(0);
    expect(fs.existsSync(path.join(sb.jobsDir, 'demo'))).toBe(false);
    expect(sb.run(['list', 'jobs']).stdout).toBe('');
  });

  it('follows the guide: remove --force then add again', () => {
    sb.run(['add', 'job', '--no-plan', 'demo', TRIVIAL]);
    expect(
      sb.sh(
        `vfab remove job demo --force && vfab add job --no-plan demo ${MULTI} && vfab info job demo --state-only`,
      ).stdout,
    ).toBe('demo\nNEW\n');
  });
});

describe('config errors', () => {
  it('names the file and line of invalid YAML and exits 6', () => {
    fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
    fs.writeFileSync(sb.configFile, 'device:\n  port: [unclosed\n');
    const r = sb.run(['list', 'jobs']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('config.yaml');
    expect(r.stderr).toMatch(/:\d+/);
  });

  it('names the key and line of a wrong value', () => {
    fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
    fs.writeFileSync(sb.configFile, 'camera:\n  enabled: false\ndevice:\n  speed_pendown: fast\n');
    const r = sb.run(['info', 'system']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('device.speed_pendown');
    expect(r.stderr).toContain('4');
  });

  it('warns about an unknown key and carries on', () => {
    fs.mkdirSync(path.dirname(sb.configFile), { recursive: true });
    fs.writeFileSync(sb.configFile, 'device:\n  sped_pendown: 30\n');
    const r = sb.run(['info', 'system']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('device.sped_pendown');
  });
});

describe('setup', () => {
  it('is idempotent and recreates a deleted database from the journals', () => {
    const first = sb.run(['setup', '--yes']);
    expect(first.code).toBe(0);
    const config = fs.readFileSync(sb.configFile, 'utf8');
    expect(config).toMatch(/^#/m);
    expect(config).toMatch(/^ {2}default_size: document$/m);
    expect(fs.existsSync(sb.dbFile)).toBe(true);
    sb.run(['add', 'job', '--no-plan', 'demo', TRIVIAL]);
    journalTo('demo', 'ANALYZED', 'OPTIMIZED', 'READY');
    expect(sb.run(['setup', '--yes']).code).toBe(0);
    expect(fs.readFileSync(sb.configFile, 'utf8')).toBe(config);
    for (const f of fs.readdirSync(sb.dataDir).filter((f) => f.startsWith('vfab.db')))
      fs.rmSync(path.join(sb.dataDir, f));
    const again = sb.run(['setup', '--yes']);
    expect(again.stdout).toMatch(/created, 1 job\(s\) indexed/);
    expect(sb.run(['list', 'jobs']).stdout).toMatch(/^demo\tREADY\t/);
  });
});

describe('journal validate and repair', () => {
  it('reports damage with line numbers, repairs with a backup, then validates clean', () => {
    sb.run(['add', 'job', '--no-plan', 'demo', TRIVIAL]);
    journalTo('demo', 'ANALYZED');
    const journal = path.join(sb.jobsDir, 'demo', 'journal.jsonl');
    fs.appendFileSync(
      journal,
      'this is not json\n{"type":"state_change","from_state":"ANALYZED","to_state":"OPTIM',
    );
    const bad = sb.run(['system', 'journal', 'validate', 'demo']);
    expect(bad.code).toBe(8);
    expect(bad.stdout).toMatch(/^demo\t3\terror\tinvalid_json/m);
    expect(bad.stdout).toMatch(/^demo\t4\terror\ttorn_tail/m);
    const damaged = fs.readFileSync(journal);
    const fixed = sb.run(['system', 'journal', 'repair']);
    expect(fixed.code).toBe(0);
    const backup = fixed.stdout.trim().split('\t')[3]!;
    expect(fs.readFileSync(backup)).toEqual(damaged);
    expect(sb.run(['system', 'journal', 'validate']).code).toBe(0);
    expect(sb.run(['info', 'job', 'demo', '--state-only']).stdout).toBe('ANALYZED\n');
  });
});

describe('the index database', () => {
  function states(): string {
    return sb
      .run(['list', 'jobs'])
      .stdout.split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t').slice(0, 2).join(' '))
      .sort()
      .join('\n');
  }
  function threeJobs(): string {
    sb.run(['add', 'job', '--no-plan', 'one', TRIVIAL]);
    sb.run(['add', 'job', '--no-plan', 'two', MULTI]);
    sb.run(['add', 'job', '--no-plan', 'three', TRIVIAL]);
    journalTo('two', 'ANALYZED', 'OPTIMIZED', 'READY', 'QUEUED', 'ARMED', 'PLOTTING', 'PAUSED');
    journalTo('three', 'FAILED');
    const before = states();
    expect(before).toBe('one NEW\nthree FAILED\ntwo PAUSED');
    return before;
  }

  it(
    'many vfab processes at once (cron, a second terminal, serve) wait for each other instead of failing',
    { timeout: 120_000 },
    async () => {
      // A new data folder first (all create and migrate it together), then an existing one.
      const failures: string[] = [];
      for (let round = 0; round < 3; round++) {
        const runs = Array.from({ length: 8 }, (_, i) =>
          spawnVfab(sb, ['add', 'job', `r${round}-${i}`, TRIVIAL]),
        );
        for (const r of runs) if ((await r.exited) !== 0) failures.push(r.stderr());
      }
      expect(failures).toEqual([]);
      const listed = sb.run(['list', 'jobs']).stdout.split('\n').filter(Boolean);
      expect(listed).toHaveLength(24);
      expect(listed.every((l) => l.split('\t')[1] === 'READY')).toBe(true);
    },
  );

  it('rebuild-db keeps the old file and rebuilds the same jobs', () => {
    const before = threeJobs();
    const r = sb.run(['system', 'rebuild-db']);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(sb.dataDir).some((f) => /^vfab\.db\.bak-/.test(f))).toBe(true);
    expect(states()).toBe(before);
  });

  it('a database overwritten with random bytes is set aside and rebuilt', () => {
    const before = threeJobs();
    const garbage = Buffer.alloc(64 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
    for (const f of fs.readdirSync(sb.dataDir).filter((f) => f.startsWith('vfab.db-')))
      fs.rmSync(path.join(sb.dataDir, f));
    fs.writeFileSync(sb.dbFile, garbage);
    expect(states()).toBe(before);
    const aside = fs.readdirSync(sb.dataDir).find((f) => /^vfab\.db\.corrupt-/.test(f));
    expect(aside).toBeDefined();
    expect(fs.readFileSync(path.join(sb.dataDir, aside!))).toEqual(garbage);
    expect(fs.readFileSync(sb.logFile, 'utf8')).toMatch(/ ERROR database .* was unusable/);
  });

  it('a deleted database is rebuilt with no loss', () => {
    const before = threeJobs();
    for (const f of fs.readdirSync(sb.dataDir).filter((f) => f.startsWith('vfab.db')))
      fs.rmSync(path.join(sb.dataDir, f));
    expect(states()).toBe(before);
  });

  it("takes the guide's UPDATE as a forced, journaled transition", () => {
    threeJobs();
    const r = sb.sh(
      `sqlite3 "$VFAB_DATA_DIR/vfab.db" "UPDATE jobs SET state = 'READY' WHERE id = 'two'" && vfab info job two --state-only`,
    );
    expect(r.stdout).toBe('READY\n');
    const last = sb.sh(`tail -1 "$VFAB_DATA_DIR/workspace/jobs/two/journal.jsonl" | jq -r .reason`);
    expect(last.stdout).toBe('forced via database\n');
    expect(sb.sh(`sqlite3 "$VFAB_DATA_DIR/vfab.db" "PRAGMA integrity_check;"`).stdout).toBe('ok\n');
  });

  it("reports and ignores the guide's INSERT OR REPLACE of a non-state", () => {
    threeJobs();
    const r = sb.sh(
      `sqlite3 "$VFAB_DATA_DIR/vfab.db" "INSERT OR REPLACE INTO jobs VALUES ('one', 'RECOVERED', datetime('now'), datetime('now'));" && vfab info job one --state-only`,
    );
    expect(r.stdout).toBe('NEW\n');
    expect(sb.sh(`grep -c "RECOVERED" "$VFAB_DATA_DIR/logs/vfab.log"`).stdout.trim()).not.toBe('0');
    expect(
      sb.sh(`sqlite3 "$VFAB_DATA_DIR/vfab.db" "SELECT state FROM jobs WHERE id = 'one'"`).stdout,
    ).toBe('NEW\n');
  });

  it('drops a folder deleted by hand and adds one copied in by hand', () => {
    threeJobs();
    fs.rmSync(path.join(sb.jobsDir, 'one'), { recursive: true });
    fs.cpSync(path.join(sb.jobsDir, 'three'), path.join(sb.jobsDir, 'copied'), { recursive: true });
    expect(states()).toBe('copied FAILED\nthree FAILED\ntwo PAUSED');
  });
});

describe("the recovery guide's hand edits of journals", () => {
  it('reads a reconstructed one-line journal as NEW', () => {
    sb.run(['add', 'job', '--no-plan', 'demo', TRIVIAL]);
    const r = sb.sh(`mkdir -p "$VFAB_DATA_DIR/workspace/jobs/rebuilt"
cat > "$VFAB_DATA_DIR/workspace/jobs/rebuilt/journal.jsonl" << EOF
{"type": "state_change", "from_state": "NEW", "to_state": "NEW", "timestamp": "$(date -Iseconds)", "reason": "Journal reconstruction", "metadata": {}}
{"type": "state_change", "from_state": "NEW", "to_state": "NEW", "timestamp": "$(date -Iseconds)", "reason": "Journal reconstruction", "metadata": {}}
EOF
vfab info job rebuilt --state-only && vfab system journal validate rebuilt`);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('NEW');
  });

  it("keeps the right state after the guide's cleanup keeps only the last 50 lines", () => {
    sb.run(['add', 'job', '--no-plan', 'demo', TRIVIAL]);
    const journal = path.join(sb.jobsDir, 'demo', 'journal.jsonl');
    journalTo('demo', 'ANALYZED', 'OPTIMIZED', 'READY', 'QUEUED', 'ARMED', 'PLOTTING');
    for (let i = 0; i < 80; i++) appendEntry(journal, { type: 'progress', progress: { path: i } });
    journalTo('demo', 'PAUSED', 'PLOTTING');
    for (let i = 80; i < 120; i++)
      appendEntry(journal, { type: 'progress', progress: { path: i } });
    journalTo('demo', 'PAUSED');
    sb.sh(
      `file="$VFAB_DATA_DIR/workspace/jobs/demo/journal.jsonl"; tail -50 "$file" > "$file.backup"; mv "$file.backup" "$file"`,
    );
    expect(fs.readFileSync(journal, 'utf8').trim().split('\n')).toHaveLength(50);
    expect(sb.run(['info', 'job', 'demo', '--state-only']).stdout).toBe('PAUSED\n');
    expect(sb.run(['system', 'journal', 'validate', 'demo']).code).toBe(0);
  });
});

describe('logs', () => {
  it('writes plain lines the guide can grep and cut', () => {
    sb.run(['add', 'job', '--no-plan', 'demo', TRIVIAL]);
    sb.run(['add', 'job', '--no-plan', 'demo', TRIVIAL]);
    const lines = fs.readFileSync(sb.logFile, 'utf8').trim().split('\n');
    for (const l of lines)
      expect(l).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) /);
    expect(lines.some((l) => / INFO job demo: /.test(l))).toBe(true);
    const errors = sb.sh(
      `grep -E "ERROR|CRITICAL|emergency_shutdown" "$VFAB_DATA_DIR/logs/vfab.log" | cut -d' ' -f1-2`,
    );
    expect(errors.stdout.trim().split('\n')).toHaveLength(1);
    expect(errors.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$/);
  });
});

describe('usage', () => {
  it('prints help with exit codes and a version', () => {
    const help = sb.run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes');
    expect(help.stdout).toContain('10 a plot stopped at a pause');
    expect(sb.run(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(sb.run(['frobnicate']).code).toBe(2);
    expect(fs.existsSync(sb.dataDir)).toBe(false);
  });
});
