/**
 * `vfab system export` / `vfab system import` through the built CLI: a full round trip is byte
 * for byte, and every bad archive is refused with its reason while the installation stays
 * exactly as it was (whole data folder and config hashed before and after).
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { appendEntry } from '../src-main/jobs/journal';
import { FIXTURES } from './helpers/cli';
import { useSandbox } from './helpers/cli-sandbox';
import { gz, paxBody, rawHeader, tamperedCopy, tarOf, treeHash } from './helpers/tar-fixtures';

const TRIVIAL = path.join(FIXTURES, 'AxiDraw_trivial.svg');
const MULTI = path.join(FIXTURES, 'test_svg__misc__multilayer.svg');
const FIRST = path.join(FIXTURES, 'AxiDraw_First.svg');

const sb = useSandbox();

function ok(args: string[]): string {
  const r = sb.run(args);
  expect(r.code, `vfab ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function journalTo(id: string, ...states: string[]): void {
  const journal = path.join(sb.jobsDir, id, 'journal.jsonl');
  let from = JSON.parse(fs.readFileSync(journal, 'utf8').trim().split('\n').at(-1)!).to_state;
  for (const to of states) {
    appendEntry(journal, {
      type: 'state_change',
      from_state: from,
      to_state: to as never,
      reason: `test ${to}`,
      metadata: {},
    });
    from = to;
  }
}

/** A small but varied installation: config, jobs in several states, a snapshot, and transient files. */
function makeInstallation(): void {
  ok(['setup', '--yes']);
  ok(['add', 'job', 'ready', TRIVIAL]);
  ok(['add', 'job', '--no-plan', 'new', MULTI]);
  ok(['add', 'job', 'done', FIRST]);
  journalTo('done', 'QUEUED', 'ARMED', 'PLOTTING', 'PAUSED', 'PLOTTING', 'COMPLETED');
  ok(['add', 'job', 'dropped', TRIVIAL]);
  journalTo('dropped', 'ABORTED');
  const snaps = path.join(sb.jobsDir, 'done', 'snapshots');
  fs.mkdirSync(snaps);
  fs.writeFileSync(path.join(snaps, 'complete.jpg'), crypto.randomBytes(5000));
  // Things that describe a moment, not the data: never archived.
  fs.writeFileSync(
    path.join(sb.jobsDir, 'ready', 'plot.owner'),
    JSON.stringify({
      job: 'ready',
      device: 'virtual',
      pid: 999999,
      host: os.hostname(),
      since: '',
      refreshed: '',
    }),
  );
  fs.writeFileSync(path.join(sb.jobsDir, 'ready', 'pause.request'), '1\n');
  fs.writeFileSync(path.join(sb.jobsDir, 'ready', 'transition.lock'), '{}');
  fs.writeFileSync(path.join(sb.jobsDir, 'ready', '.plan.json.1.2.tmp'), 'half');
  fs.mkdirSync(path.join(sb.jobsDir, '.staging-ghost-1-2'));
  fs.writeFileSync(path.join(sb.jobsDir, '.staging-ghost-1-2', 'src.svg'), 'x');
}

/** The files a round trip must keep byte for byte: every journal, source, plan, job.json and snapshot, and the config. */
function dataFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const id of fs.readdirSync(sb.jobsDir).filter((n) => !n.startsWith('.'))) {
    const walk = (dir: string) => {
      for (const name of fs.readdirSync(dir)) {
        const p = path.join(dir, name);
        if (fs.statSync(p).isDirectory()) walk(p);
        else if (
          !['plot.owner', 'pause.request', 'transition.lock'].includes(name) &&
          !name.endsWith('.tmp')
        ) {
          out[path.relative(sb.jobsDir, p)] = crypto
            .createHash('sha256')
            .update(fs.readFileSync(p))
            .digest('hex');
        }
      }
    };
    walk(path.join(sb.jobsDir, id));
  }
  out['config.yaml'] = crypto
    .createHash('sha256')
    .update(fs.readFileSync(sb.configFile))
    .digest('hex');
  return out;
}

function listing(): string {
  return ok(['list', 'jobs']);
}

function installationHash(): Record<string, string> {
  return treeHash(sb.dataDir, sb.configFile);
}

describe('round trip', () => {
  it('export, wipe, import: every file byte-identical, the same jobs in the same states', () => {
    makeInstallation();
    const before = dataFiles();
    const jobsBefore = listing();
    expect(
      jobsBefore
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t').slice(0, 2).join(' '))
        .sort(),
    ).toEqual(['done COMPLETED', 'dropped ABORTED', 'new NEW', 'ready READY']);
    const archive = path.join(sb.root, 'backups', 'full.tar.gz');

    const exp = sb.run(['system', 'export', '--output', archive]);
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stdout.trim()).toBe(archive);
    expect(exp.stderr).toMatch(/Exported 4 job\(s\)/);
    // The transient files stayed out; the layout is the one the recovery guide's tar commands use.
    const members = spawnSync('tar', ['-tzf', archive], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    expect(members).toContain('config/config.yaml');
    expect(members).toContain('vfab.db');
    expect(members).toContain('manifest.json');
    expect(members).toContain('workspace/jobs/done/snapshots/complete.jpg');
    expect(
      members.filter((m) => /plot\.owner|pause\.request|\.lock$|\.tmp$|\.staging-/.test(m)),
    ).toEqual([]);
    const manifest = JSON.parse(
      spawnSync('tar', ['-xzOf', archive, 'manifest.json'], { encoding: 'utf8' }).stdout,
    );
    expect(manifest).toMatchObject({
      format: 'vfab-backup',
      format_version: 1,
      jobs: 4,
      database: true,
    });
    expect(manifest.files.length).toBe(
      members.filter((m) => !m.endsWith('/') && m !== 'manifest.json').length,
    );

    fs.rmSync(sb.dataDir, { recursive: true, force: true });
    fs.rmSync(sb.configFile);
    expect(sb.run(['list', 'jobs']).stdout).toBe('');

    const imp = sb.run(['system', 'import', '--backup', archive]);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'done\tCOMPLETED',
      'dropped\tABORTED',
      'new\tNEW',
      'ready\tREADY',
    ]);
    expect(dataFiles()).toEqual(
      Object.fromEntries(Object.entries(before).filter(([k]) => !k.includes('.staging-'))),
    );
    expect(listing()).toBe(jobsBefore);
    expect(ok(['info', 'job', 'done', '--state-only'])).toBe('COMPLETED\n');
    expect(sb.run(['system', 'journal', 'validate']).code).toBe(0);
    expect(fs.existsSync(path.join(sb.jobsDir, 'ready', 'plot.owner'))).toBe(false);
    expect(fs.statSync(sb.configFile).mode & 0o777).toBe(0o600);
  });

  it('importing over a working installation keeps the previous state in backups/pre-import-*', () => {
    makeInstallation();
    const archive = path.join(sb.root, 'a.tar.gz');
    ok(['system', 'export', '--output', archive]);
    const jobsThen = listing();
    ok(['add', 'job', 'later', TRIVIAL]);
    ok(['remove', 'job', 'dropped', '--force']);
    const laterJournal = fs.readFileSync(path.join(sb.jobsDir, 'later', 'journal.jsonl'));

    const imp = sb.run(['system', 'import', '--backup', archive]);
    expect(imp.code, imp.stderr).toBe(0);
    expect(listing()).toBe(jobsThen);
    const kept = imp.stderr.match(/kept in (\S+pre-import-\S+?)\./)?.[1];
    expect(kept).toBeDefined();
    expect(path.dirname(kept!)).toBe(path.join(sb.dataDir, 'backups'));
    expect(
      fs.readFileSync(path.join(kept!, 'workspace', 'jobs', 'later', 'journal.jsonl')),
    ).toEqual(laterJournal);
    expect(fs.existsSync(path.join(kept!, 'vfab.db'))).toBe(true);
    expect(fs.existsSync(path.join(kept!, 'config.yaml'))).toBe(true);
    expect(fs.readdirSync(sb.dataDir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('--verify checks a good archive and changes nothing', () => {
    makeInstallation();
    const archive = path.join(sb.root, 'v.tar.gz');
    ok(['system', 'export', '--output', archive]);
    const before = installationHash();
    const r = sb.run(['system', 'import', '--backup', archive, '--verify']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/complete vfab backup .*4 job\(s\)/);
    expect(installationHash()).toEqual(before);
  });

  it('--job imports one job, refuses an id clash, and --as renames it', () => {
    makeInstallation();
    const archive = path.join(sb.root, 'j.tar.gz');
    ok(['system', 'export', '--output', archive]);
    const journal = fs.readFileSync(path.join(sb.jobsDir, 'done', 'journal.jsonl'));

    const clash = sb.run(['system', 'import', '--backup', archive, '--job', 'done']);
    expect(clash.code).toBe(4);
    expect(clash.stderr).toMatch(/Job 'done' already exists.*--as/);

    const r = sb.run([
      'system',
      'import',
      '--backup',
      archive,
      '--job',
      'done',
      '--as',
      'done-again',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('done-again\tCOMPLETED\n');
    expect(fs.readFileSync(path.join(sb.jobsDir, 'done-again', 'journal.jsonl'))).toEqual(journal);
    expect(
      JSON.parse(fs.readFileSync(path.join(sb.jobsDir, 'done-again', 'job.json'), 'utf8')).id,
    ).toBe('done-again');
    expect(ok(['info', 'job', 'done-again', '--state-only'])).toBe('COMPLETED\n');
    expect(fs.readdirSync(sb.jobsDir).filter((n) => n.startsWith('.staging-import'))).toEqual([]);

    ok(['remove', 'job', 'new', '--force']);
    const back = sb.run(['system', 'import', '--backup', archive, '--job', 'new']);
    expect(back.code, back.stderr).toBe(0);
    expect(ok(['info', 'job', 'new', '--state-only'])).toBe('NEW\n');

    const missing = sb.run(['system', 'import', '--backup', archive, '--job', 'nope']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/has no job 'nope'\. Jobs in it: done, dropped, new, ready/);
  });
});

describe('bad archives change nothing', () => {
  let archive: string;
  let before: Record<string, string>;
  beforeEach(() => {
    makeInstallation();
    archive = path.join(sb.root, 'good.tar.gz');
    ok(['system', 'export', '--output', archive]);
    before = installationHash();
  });

  function refused(file: string, reason: RegExp, code = 5): string {
    const r = sb.run(['system', 'import', '--backup', file]);
    expect(r.stderr).toMatch(reason);
    expect(r.code).toBe(code);
    expect(installationHash()).toEqual(before);
    return r.stderr;
  }

  function write(name: string, data: Buffer): string {
    const file = path.join(sb.root, name);
    fs.writeFileSync(file, data);
    return file;
  }

  it('one byte changed inside a member', () => {
    const bad = path.join(sb.root, 'tampered.tar.gz');
    tamperedCopy(archive, 'workspace/jobs/done/journal.jsonl', bad);
    refused(
      bad,
      /does not match its manifest: 'workspace\/jobs\/done\/journal\.jsonl' does not match its checksum/,
    );
  });

  it('random bytes named .tar.gz', () => {
    refused(
      write('random.tar.gz', crypto.randomBytes(8192)),
      /is not a gzip-compressed vfab archive/,
    );
  });

  it('an archive cut short', () => {
    const full = fs.readFileSync(archive);
    refused(
      write('cut.tar.gz', full.subarray(0, Math.floor(full.length / 2))),
      /not a gzip-compressed vfab archive, or it is damaged|cut short/,
    );
  });

  it('a tar without a manifest', () => {
    refused(
      write(
        'nomanifest.tar.gz',
        gz(tarOf([{ name: 'workspace/jobs/x/journal.jsonl', body: '{}\n' }])),
      ),
      /has no manifest\.json/,
    );
  });

  it('a member named ../evil', () => {
    refused(
      write('dotdot.tar.gz', gz(tarOf([{ name: '../evil', body: 'pwned' }]))),
      /'\.\.\/evil' climbs out of the archive/,
    );
    expect(fs.existsSync(path.join(sb.dataDir, '..', 'evil'))).toBe(false);
    refused(
      write('dotdot2.tar.gz', gz(tarOf([{ name: 'workspace/jobs/../../../evil', body: 'pwned' }]))),
      /climbs out/,
    );
  });

  it('an absolute path', () => {
    const target = path.join(sb.root, 'abs-evil');
    refused(
      write('abs.tar.gz', gz(tarOf([{ name: target, body: 'pwned' }]))),
      /has an absolute path/,
    );
    expect(fs.existsSync(target)).toBe(false);
  });

  it('a symbolic link and a hard link', () => {
    refused(
      write(
        'symlink.tar.gz',
        gz(tarOf([{ name: 'workspace/jobs/x/journal.jsonl', type: '2', linkname: '/etc/passwd' }])),
      ),
      /is a symbolic link \(to '\/etc\/passwd'\); links are refused/,
    );
    refused(
      write(
        'hardlink.tar.gz',
        gz(
          tarOf([{ name: 'workspace/jobs/x/src.svg', type: '1', linkname: 'config/config.yaml' }]),
        ),
      ),
      /is a hard link/,
    );
  });

  it('devices and FIFOs', () => {
    refused(
      write('fifo.tar.gz', gz(tarOf([{ name: 'workspace/jobs/x/fifo', type: '6' }]))),
      /is a FIFO/,
    );
    refused(
      write('dev.tar.gz', gz(tarOf([{ name: 'workspace/jobs/x/sda', type: '4' }]))),
      /is a block device/,
    );
  });

  it('a member claiming 10 GB is refused from its header, at once', () => {
    // Only the header and a few bytes exist: the size is refused before any body is read.
    const t = Date.now();
    const huge = Buffer.concat([
      rawHeader('workspace/jobs/x/src.svg', 10_000_000_000),
      Buffer.alloc(4096),
    ]);
    refused(
      write('huge.tar.gz', gz(huge)),
      /'workspace\/jobs\/x\/src\.svg' claims 10000000000 bytes, more than the 2147483648 bytes allowed per member/,
    );
    expect(Date.now() - t).toBeLessThan(5000);
  });

  it('PAX headers that try the same: a huge size, a ../ path, a link path', () => {
    const paxed = (records: Record<string, string>, name = 'workspace/jobs/x/src.svg') => {
      const body = paxBody(records);
      return gz(
        Buffer.concat([
          rawHeader('PaxHeaders/x', body.length, 'x'),
          body,
          Buffer.alloc((512 - (body.length % 512)) % 512),
          rawHeader(name, 4),
          Buffer.alloc(512),
        ]),
      );
    };
    refused(write('pax-size.tar.gz', paxed({ size: '10000000000' })), /claims 10000000000 bytes/);
    refused(write('pax-path.tar.gz', paxed({ path: '../../pax-evil' })), /climbs out/);
    refused(write('pax-abs.tar.gz', paxed({ path: '/tmp/pax-evil' })), /absolute path/);
    refused(
      write('pax-link.tar.gz', paxed({ linkpath: '/etc/passwd' })),
      /PAX linkpath.*links are refused/,
    );
  });

  it('a member the manifest does not list, and an unexpected top-level member', () => {
    const tar = zlib.gunzipSync(fs.readFileSync(archive));
    // Insert an extra member just before the end-of-archive blocks.
    const body = tar.subarray(0, tar.length - 1024);
    const extra = tarOf([{ name: 'workspace/jobs/ready/extra.txt', body: 'sneaked in' }], {
      end: false,
    });
    refused(
      write('extra.tar.gz', gz(Buffer.concat([body, extra, Buffer.alloc(1024)]))),
      /'workspace\/jobs\/ready\/extra\.txt' is in the archive but not in its manifest/,
    );
    refused(
      write('etc.tar.gz', gz(tarOf([{ name: 'etc/cron.d/evil', body: 'x' }]))),
      /'etc\/cron\.d\/evil' has no place in a vfab archive/,
    );
  });

  it('a missing file is NOT_FOUND', () => {
    refused(path.join(sb.root, 'nope.tar.gz'), /Backup file '.*nope\.tar\.gz' not found/, 3);
  });
});

describe('vfab system backup and progress', () => {
  it('backs up into <data>/backups, and --if-due skips while the newest is younger than the interval', () => {
    makeInstallation();
    const r = sb.run(['system', 'backup']);
    expect(r.code, r.stderr).toBe(0);
    const file = r.stdout.trim();
    expect(path.dirname(file)).toBe(path.join(sb.dataDir, 'backups'));
    expect(path.basename(file)).toMatch(/^vfab-backup-\d{8}T\d{6}\.tar\.gz$/);
    expect(sb.run(['system', 'import', '--backup', file, '--verify']).code).toBe(0);

    const due = sb.run(['system', 'backup', '--if-due', '--json']);
    expect(due.code, due.stderr).toBe(0);
    expect(JSON.parse(due.stdout).backup).toMatchObject({ ran: false });
    expect(fs.readdirSync(path.join(sb.dataDir, 'backups'))).toEqual([path.basename(file)]);
  });

  it('prints a progress line every 10 % for a large workspace, and a JSON summary with --json', () => {
    ok(['setup', '--yes']);
    // 80 jobs of 3 files each, written directly: the export does not care how they were made.
    for (let i = 0; i < 80; i++) {
      const dir = path.join(sb.jobsDir, `bulk-${i}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(TRIVIAL, path.join(dir, 'src.svg'));
      fs.writeFileSync(path.join(dir, 'job.json'), '{}\n');
      fs.writeFileSync(
        path.join(dir, 'journal.jsonl'),
        `${JSON.stringify({ type: 'state_change', from_state: null, to_state: 'NEW', reason: 'bulk', metadata: {}, seq: 1 })}\n`,
      );
    }
    const r = sb.run(['system', 'export', '--output', path.join(sb.root, 'bulk.tar.gz'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const steps = r.stderr.split('\n').filter((l) => l.startsWith('export: '));
    expect(steps.length).toBeGreaterThanOrEqual(9);
    expect(steps.at(-1)).toMatch(/^export: 100% \(\d+\/\d+ files/);
    expect(JSON.parse(r.stdout).export).toMatchObject({
      jobs: 80,
      database: true,
      files: 80 * 3 + 2,
    });
  });
});
