/**
 * The archive pieces in-process: the streaming tar against GNU tar in both directions, the reader's
 * refusals and limits, member-name safety, the free-space bound and the two passes, an imported
 * config's local paths, foreign owners, the swap's rollback and crash recovery, and the
 * scheduled-backup rules.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  archivesToPrune,
  listBackups,
  runAutoBackupIfDue,
  startBackupSchedule,
} from '../src-main/backup/auto';
import { exportSystem } from '../src-main/backup/export';
import { stageArchive, verifyArchive } from '../src-main/backup/extract';
import { describeKept, localizeConfig } from '../src-main/backup/local-config';
import { diskBytes, freeBytes, SPACE_MARGIN_BYTES, spaceProblem } from '../src-main/backup/space';
import { recoverInterruptedImport, runSwap, SWAP_MARKER } from '../src-main/backup/swap';
import {
  ArchiveError,
  END_OF_ARCHIVE,
  entryHeader,
  padding,
  readTar,
  safeMemberPath,
  type TarEntryHeader,
} from '../src-main/backup/tar';
import { defaultConfig, parseConfig } from '../src-main/config/config';
import { openEngine } from '../src-main/engine';
import { createJobFolder } from '../src-main/jobs/workspace';
import { claimPlot, FOREIGN_OWNER_STALE_MS, readOwner } from '../src-main/jobs/owner';
import { FIXTURES } from './helpers/cli';
import { gz, manifestArchive, rawHeader, tarOf } from './helpers/tar-fixtures';
import { useTempDirs } from './helpers/tmp';
import { waitFor } from './helpers/wait';

const tmp = useTempDirs('vfab-backup-unit-');

function tarBuffer(members: { header: TarEntryHeader; body?: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    parts.push(entryHeader(m.header));
    if (m.body) parts.push(m.body, padding(m.body.length));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

async function readAll(
  data: Buffer,
  limits?: Parameters<typeof readTar>[2],
): Promise<{ path: string; type: string; body: Buffer }[]> {
  const out: { path: string; type: string; body: Buffer }[] = [];
  // Odd chunk sizes: headers and bodies straddle chunk boundaries.
  const chunks = Array.from({ length: Math.ceil(data.length / 777) }, (_, i) =>
    data.subarray(i * 777, (i + 1) * 777),
  );
  for await (const e of readTar(Readable.from(chunks), 'test.tar', limits)) {
    const parts: Buffer[] = [];
    for await (const c of e.body()) parts.push(c);
    out.push({ path: e.path, type: e.type, body: Buffer.concat(parts) });
  }
  return out;
}

const LONG = `workspace/jobs/${'a'.repeat(90)}/snapshots/${'very-long-snapshot-name-'.repeat(4)}.jpg`;
const UNICODE = 'workspace/jobs/dessin/snapshots/début-été-✓.jpg';

describe('tar writer and reader', () => {
  const files = [
    { path: 'workspace/jobs/a/empty.txt', body: Buffer.alloc(0) },
    { path: 'workspace/jobs/a/block.bin', body: crypto.randomBytes(512) },
    { path: 'workspace/jobs/a/odd.bin', body: crypto.randomBytes(100_003) },
    { path: LONG, body: Buffer.from('long name') },
    { path: UNICODE, body: Buffer.from('unicode name') },
  ];
  const archive = () =>
    tarBuffer([
      {
        header: {
          path: 'workspace/jobs/a',
          type: 'dir',
          size: 0,
          mode: 0o755,
          mtime: 1_700_000_000,
        },
      },
      ...files.map((f) => ({
        header: {
          path: f.path,
          type: 'file' as const,
          size: f.body.length,
          mode: 0o640,
          mtime: 1_700_000_000,
        },
        body: f.body,
      })),
    ]);

  it('reads back what it wrote, long and non-ASCII names included', async () => {
    const got = await readAll(archive());
    expect(got.map((g) => g.path)).toEqual(['workspace/jobs/a', ...files.map((f) => f.path)]);
    for (const f of files) expect(got.find((g) => g.path === f.path)!.body).toEqual(f.body);
  });

  it('writes archives GNU tar extracts, PAX names included', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'a.tar'), archive());
    const r = spawnSync('tar', ['-xf', 'a.tar'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    for (const f of files) expect(fs.readFileSync(path.join(dir, f.path))).toEqual(f.body);
    expect(fs.statSync(path.join(dir, files[0]!.path)).mode & 0o777).toBe(0o640);
  });

  it('reads what GNU tar writes in POSIX format', async () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'workspace', 'jobs', 'b'), { recursive: true });
    const body = crypto.randomBytes(3000);
    fs.writeFileSync(path.join(dir, 'workspace', 'jobs', 'b', `${'n'.repeat(120)}.bin`), body);
    expect(
      spawnSync('tar', ['--format=posix', '-cf', 'g.tar', 'workspace'], { cwd: dir }).status,
    ).toBe(0);
    const got = await readAll(fs.readFileSync(path.join(dir, 'g.tar')));
    expect(got.find((g) => g.path.endsWith('.bin'))?.body).toEqual(body);
  });

  it('refuses a symlink made by GNU tar', async () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'workspace'));
    fs.symlinkSync('/etc/passwd', path.join(dir, 'workspace', 'link'));
    expect(
      spawnSync('tar', ['--format=posix', '-cf', 'l.tar', 'workspace'], { cwd: dir }).status,
    ).toBe(0);
    await expect(readAll(fs.readFileSync(path.join(dir, 'l.tar')))).rejects.toThrow(
      /is a symbolic link \(to '\/etc\/passwd'\)/,
    );
  });

  it('checks the total and per-member caps from headers, and PAX header size', async () => {
    const limits = { maxMemberBytes: 1000, maxTotalBytes: 1500, maxPaxBytes: 100 };
    await expect(
      readAll(tarOf([{ name: 'workspace/a', body: Buffer.alloc(1001) }]), limits),
    ).rejects.toThrow(/claims 1001 bytes, more than the 1000/);
    await expect(
      readAll(
        tarOf([
          { name: 'workspace/a', body: Buffer.alloc(800) },
          { name: 'workspace/b', body: Buffer.alloc(800) },
        ]),
        limits,
      ),
    ).rejects.toThrow(/more than the 1500 bytes allowed in total/);
    const big = Buffer.from(`${'x'.repeat(200)}`);
    await expect(
      readAll(
        tarOf([
          { name: 'p', type: 'x', body: big },
          { name: 'workspace/a', body: 'x' },
        ]),
        limits,
      ),
    ).rejects.toThrow(/PAX extended header of 200 bytes/);
  });

  it('refuses damage: a bad header checksum, a cut-short body, a missing end marker', async () => {
    const good = tarOf([{ name: 'workspace/a', body: Buffer.alloc(2000, 1) }]);
    const badSum = Buffer.from(good);
    badSum[10] = 0x41;
    await expect(readAll(badSum)).rejects.toThrow(/not a tar archive/);
    await expect(readAll(good.subarray(0, 1500))).rejects.toThrow(
      /cut short inside member 'workspace\/a'/,
    );
    await expect(readAll(good.subarray(0, 512 + 2048))).rejects.toThrow(
      /end-of-archive marker is missing/,
    );
    await expect(readAll(Buffer.alloc(0))).rejects.toThrow(/is empty/);
  });
});

describe('safeMemberPath', () => {
  it.each([
    ['workspace/jobs/a/src.svg', 'workspace/jobs/a/src.svg'],
    ['./workspace//jobs/./a/', 'workspace/jobs/a'],
  ])('keeps %j as %j', (raw, want) => expect(safeMemberPath(raw)).toBe(want));

  it.each([
    ['../x', /climbs out/],
    ['workspace/../../x', /climbs out/],
    ['/etc/passwd', /absolute path/],
    ['C:/Windows/x', /absolute path/],
    ['workspace\\..\\x', /backslash/],
    ['workspace/a\0b', /NUL byte/],
    ['./', /empty name/],
  ])('refuses %j', (raw, why) => {
    expect(() => safeMemberPath(raw)).toThrow(ArchiveError);
    expect(() => safeMemberPath(raw)).toThrow(why);
  });
});

/** An installation in a temp folder, found through the same variables the CLI reads. */
function installation(config = ''): {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  configFile: string;
} {
  const root = tmp();
  const env = {
    ...process.env,
    HOME: root,
    VFAB_DATA_DIR: path.join(root, 'data'),
    VFAB_CONFIG: path.join(root, 'cfg', 'config.yaml'),
  };
  fs.mkdirSync(path.dirname(env.VFAB_CONFIG), { recursive: true });
  fs.writeFileSync(env.VFAB_CONFIG, config);
  return { env, dataDir: env.VFAB_DATA_DIR, configFile: env.VFAB_CONFIG };
}

describe('export and staged verification in-process', () => {
  it('an export verifies into staging, and a changed manifest entry is caught', async () => {
    const inst = installation('logging:\n  level: DEBUG\n');
    const engine = openEngine({ env: inst.env });
    try {
      await createJobFolder(
        engine.paths.jobsDir,
        'one',
        path.join(FIXTURES, 'AxiDraw_trivial.svg'),
      );
      const out = path.join(tmp(), 'x.tar.gz');
      const summary = await exportSystem({ paths: engine.paths, output: out });
      expect(summary).toMatchObject({ jobs: 1, database: true });
      const staging = tmp();
      const x = await verifyArchive(out, { stagingParent: staging });
      await stageArchive(x, staging);
      expect(x.manifest.files.map((f) => f.path)).toEqual([
        'config/config.yaml',
        'vfab.db',
        'workspace/jobs/one/job.json',
        'workspace/jobs/one/journal.jsonl',
        'workspace/jobs/one/src.svg',
      ]);
      expect(fs.readFileSync(path.join(staging, 'workspace/jobs/one/src.svg'))).toEqual(
        fs.readFileSync(path.join(FIXTURES, 'AxiDraw_trivial.svg')),
      );
    } finally {
      engine.close();
    }
  });

  it('a journal being appended to is cut at its last complete line', async () => {
    const inst = installation();
    const engine = openEngine({ env: inst.env });
    try {
      await createJobFolder(
        engine.paths.jobsDir,
        'torn',
        path.join(FIXTURES, 'AxiDraw_trivial.svg'),
      );
      const journal = path.join(engine.paths.jobsDir, 'torn', 'journal.jsonl');
      const whole = fs.readFileSync(journal);
      fs.appendFileSync(journal, '{"type":"progress","progr');
      const out = path.join(tmp(), 't.tar.gz');
      const summary = await exportSystem({ paths: engine.paths, output: out });
      expect(summary.notes.join('\n')).toMatch(
        /journal\.jsonl': the last 25 byte\(s\) were an incomplete line/,
      );
      const staging = tmp();
      await stageArchive(await verifyArchive(out, { stagingParent: staging }), staging);
      expect(fs.readFileSync(path.join(staging, 'workspace/jobs/torn/journal.jsonl'))).toEqual(
        whole,
      );
    } finally {
      engine.close();
    }
  });

  it('refuses a member inside what an earlier member made a file', async () => {
    const file = path.join(tmp(), 'nest.tar.gz');
    fs.writeFileSync(
      file,
      manifestArchive([
        { name: 'workspace/a', body: 'file' },
        { name: 'workspace/a/b', body: 'inside a file' },
      ]),
    );
    const staging = tmp();
    await expect(
      verifyArchive(file, { stagingParent: staging }).then((v) => stageArchive(v, staging)),
    ).rejects.toThrow(/'workspace\/a\/b' lies inside something that is a file/);
  });

  it('refuses an archive with a duplicated member', async () => {
    const file = path.join(tmp(), 'dup.tar.gz');
    fs.writeFileSync(
      file,
      gz(
        tarOf([
          { name: 'workspace/a', body: 'one' },
          { name: 'workspace/a', body: 'two' },
        ]),
      ),
    );
    await expect(verifyArchive(file, { stagingParent: tmp() })).rejects.toThrow(
      /'workspace\/a' appears twice/,
    );
  });
});

describe('staging is bounded by the free space', () => {
  it('judges declared sizes with a margin, in whole blocks', () => {
    expect(diskBytes(0)).toBe(4096);
    expect(diskBytes(4097)).toBe(3 * 4096);
    expect(spaceProblem(10 * 2 ** 20, 10 * 2 ** 20 + SPACE_MARGIN_BYTES, 'here')).toBeUndefined();
    expect(spaceProblem(10 * 2 ** 20, 10 * 2 ** 20 + SPACE_MARGIN_BYTES - 1, 'here')).toMatch(
      /unpacks to at least 10\.0 MiB, and here has 74\.0 MiB free \(64\.0 MiB of which must stay free\)/,
    );
    expect(freeBytes(path.join(tmp(), 'not', 'made', 'yet'))).toBeGreaterThan(0);
  });

  it('a header claiming more than the disk holds is refused before its body is read, whatever the size limits', async () => {
    const file = path.join(tmp(), 'claims.tar.gz');
    // Only the header and a few bytes exist: reading the body would report the archive cut short.
    fs.writeFileSync(
      file,
      gz(Buffer.concat([rawHeader('workspace/jobs/x/src.svg', 2 ** 50), Buffer.alloc(4096)])),
    );
    const staging = tmp();
    const limits = { maxMemberBytes: 2 ** 52, maxTotalBytes: 2 ** 52, maxPaxBytes: 1024 * 1024 };
    await expect(verifyArchive(file, { stagingParent: staging, limits })).rejects.toThrow(
      /cannot be imported: it unpacks to at least 1073741824\.0 MiB, and the disk holding .* has .* free .*at member 'workspace\/jobs\/x\/src\.svg'.*nothing was written/,
    );
    expect(fs.readdirSync(staging)).toEqual([]);
  });

  it('the second pass refuses an archive that changed since the first, writing no more than the manifest allows', async () => {
    const file = path.join(tmp(), 'swapped.tar.gz');
    fs.writeFileSync(file, manifestArchive([{ name: 'workspace/a.txt', body: 'short' }]));
    const staging = tmp();
    const verified = await verifyArchive(file, { stagingParent: staging });
    fs.writeFileSync(
      file,
      manifestArchive([{ name: 'workspace/a.txt', body: 'x'.repeat(100_000) }]),
    );
    await expect(stageArchive(verified, staging)).rejects.toThrow(
      /changed while it was imported \('workspace\/a\.txt' is now 100000 bytes, the manifest says 5\)/,
    );
    expect(fs.existsSync(path.join(staging, 'workspace', 'a.txt'))).toBe(false);
  });
});

describe('an imported config keeps local paths', () => {
  const load = (text: string) => ({ text, config: parseConfig(text, 'test.yaml').config });

  it('replaces each path the archive sets differently, keeps comments and other settings, and reports each', () => {
    const archive = load(
      '# mine\nworkspace: /elsewhere # theirs\npaper:\n  default_size: A3\nlogging:\n  level: DEBUG\n  log_file: /etc/passwd\ndevice:\n  port: /dev/ttyS9\n',
    );
    const current = load('workspace: ~/plots\ndevice:\n  port: /dev/ttyACM0\n');
    const r = localizeConfig(archive, current);
    expect(r.kept).toEqual([
      { key: 'workspace', archive: '/elsewhere', kept: '~/plots' },
      { key: 'logging.log_file', archive: '/etc/passwd', kept: null },
      { key: 'device.port', archive: '/dev/ttyS9', kept: '/dev/ttyACM0' },
    ]);
    expect(r.text).toBe(
      '# mine\nworkspace: ~/plots # theirs\npaper:\n  default_size: A3\nlogging:\n  level: DEBUG\ndevice:\n  port: /dev/ttyACM0\n',
    );
    expect(describeKept(r.kept[1]!)).toMatch(
      /config logging\.log_file: this installation's unset was kept; the archive's '\/etc\/passwd' was not used/,
    );
  });

  it('leaves the text as it was when every path agrees, defaults included', () => {
    const text = 'vpype:\n  presets_file: vpype-presets.yaml\ndevice:\n  port: null\n';
    expect(localizeConfig(load(text), { text: undefined, config: defaultConfig() })).toEqual({
      text,
      kept: [],
    });
  });
});

describe('owners on another host', () => {
  function owner(dir: string, refreshed: Date, mtime: Date): string {
    const file = path.join(dir, 'plot.owner');
    fs.writeFileSync(
      file,
      JSON.stringify({
        job: 'j',
        device: 'virtual',
        pid: 1,
        host: `not-${os.hostname()}`,
        since: refreshed.toISOString(),
        refreshed: refreshed.toISOString(),
      }),
    );
    fs.utimesSync(file, mtime, mtime);
    return file;
  }
  const ago = (ms: number) => new Date(Date.now() - ms);

  it('count as live while either clock shows a refresh within the stale limit, and as dead after', () => {
    expect(readOwner(owner(tmp(), ago(0), ago(0)))?.liveness).toBe('remote');
    // Its clock may be behind ours: a file still being rewritten is alive.
    expect(readOwner(owner(tmp(), ago(3_600_000), ago(0)))?.liveness).toBe('remote');
    expect(readOwner(owner(tmp(), ago(0), ago(3_600_000)))?.liveness).toBe('remote');
    expect(
      readOwner(
        owner(tmp(), ago(FOREIGN_OWNER_STALE_MS - 10_000), ago(FOREIGN_OWNER_STALE_MS - 10_000)),
      )?.liveness,
    ).toBe('remote');
    expect(
      readOwner(
        owner(tmp(), ago(FOREIGN_OWNER_STALE_MS + 10_000), ago(FOREIGN_OWNER_STALE_MS + 10_000)),
      )?.liveness,
    ).toBe('dead');
  });

  it('a long-silent one does not block a new claim', () => {
    const dir = tmp();
    owner(dir, ago(3_600_000), ago(3_600_000));
    const claim = claimPlot({ jobDir: dir, dataDir: tmp(), job: 'j', device: 'virtual' });
    try {
      expect(claim.owner.host).toBe(os.hostname());
    } finally {
      claim.release();
    }
  });
});

describe('swap', () => {
  function layout() {
    const data = tmp();
    const ws = path.join(data, 'workspace');
    fs.mkdirSync(path.join(ws, 'jobs', 'old'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'jobs', 'old', 'journal.jsonl'), 'old\n');
    const staging = path.join(data, '.import-x');
    fs.mkdirSync(path.join(staging, 'workspace', 'jobs', 'new'), { recursive: true });
    fs.writeFileSync(path.join(staging, 'workspace', 'jobs', 'new', 'journal.jsonl'), 'new\n');
    const backup = path.join(data, 'backups', 'pre-import-x');
    const steps = [
      { kind: 'move' as const, from: ws, to: path.join(backup, 'workspace') },
      { kind: 'move' as const, from: path.join(staging, 'workspace'), to: ws },
    ];
    return { data, ws, staging, backup, steps };
  }

  it('rolls back the steps already done when a later one fails', () => {
    const l = layout();
    fs.writeFileSync(path.join(l.data, 'blocker'), 'a file where a folder is needed');
    fs.mkdirSync(path.join(l.data, 'extra'));
    const steps = [
      ...l.steps,
      {
        kind: 'move' as const,
        from: path.join(l.data, 'extra'),
        to: path.join(l.data, 'blocker', 'x'),
      },
    ];
    expect(() => runSwap(l.data, { backup_dir: l.backup, staging: l.staging, steps })).toThrow();
    expect(fs.readdirSync(path.join(l.ws, 'jobs'))).toEqual(['old']);
    expect(
      fs.readFileSync(path.join(l.staging, 'workspace', 'jobs', 'new', 'journal.jsonl'), 'utf8'),
    ).toBe('new\n');
    expect(fs.existsSync(path.join(l.data, SWAP_MARKER))).toBe(false);
  });

  it('an import cut short by a crash is undone at the next run', () => {
    const l = layout();
    runSwap(l.data, { backup_dir: l.backup, staging: l.staging, steps: l.steps }); // never committed: the process "died"
    expect(fs.readFileSync(path.join(l.ws, 'jobs', 'new', 'journal.jsonl'), 'utf8')).toBe('new\n');
    expect(recoverInterruptedImport(l.data)).toMatch(/was interrupted and has been undone/);
    expect(fs.readdirSync(path.join(l.ws, 'jobs'))).toEqual(['old']);
    expect(fs.existsSync(path.join(l.data, SWAP_MARKER))).toBe(false);
    expect(fs.existsSync(l.staging)).toBe(false);
    expect(recoverInterruptedImport(l.data)).toBeUndefined();
  });
});

describe('scheduled backups', () => {
  it('keep the newest N of our archives and never touch anything else', () => {
    const list = [5, 1, 4, 2, 3].map((n) => ({ file: `f${n}`, mtimeMs: n }));
    expect(archivesToPrune(list, 2).map((a) => a.file)).toEqual(['f3', 'f2', 'f1']);
    expect(archivesToPrune(list, 10)).toEqual([]);
  });

  it('respect backups.auto, the interval and keep', async () => {
    const off = installation();
    const e0 = openEngine({ env: off.env });
    try {
      const r = await runAutoBackupIfDue(e0);
      expect(r).toMatchObject({ ran: false });
      expect(r.reason).toMatch(/automatic backups are off/);
      expect(fs.existsSync(path.join(off.dataDir, 'backups'))).toBe(false);
    } finally {
      e0.close();
    }

    const inst = installation(
      'backups:\n  auto: yes\n  interval_hours: 2\n  keep: 2\n  dir: ../archives\n',
    );
    const engine = openEngine({ env: inst.env });
    try {
      const dir = path.join(path.dirname(inst.configFile), '..', 'archives');
      fs.mkdirSync(dir, { recursive: true });
      const hours = (h: number) => new Date(Date.now() - h * 3_600_000);
      for (const [name, h] of [
        ['vfab-backup-20260101T000000.tar.gz', 50],
        ['vfab-backup-20260102T000000.tar.gz', 26],
        ['vfab-backup-20260103T000000.tar.gz', 3],
        ['holiday-photos.tar.gz', 500],
      ] as const) {
        fs.writeFileSync(path.join(dir, name), 'x');
        fs.utimesSync(path.join(dir, name), hours(h), hours(h));
      }
      fs.mkdirSync(path.join(dir, 'pre-import-20260101T000000'));

      const first = await runAutoBackupIfDue(engine);
      expect(first.ran).toBe(true);
      expect(path.dirname(first.export!.file)).toBe(path.resolve(dir));
      expect(first.pruned.map((p) => path.basename(p)).sort()).toEqual([
        'vfab-backup-20260101T000000.tar.gz',
        'vfab-backup-20260102T000000.tar.gz',
      ]);
      expect(fs.readdirSync(dir).sort()).toEqual(
        [
          'holiday-photos.tar.gz',
          'pre-import-20260101T000000',
          path.basename(first.export!.file),
          'vfab-backup-20260103T000000.tar.gz',
        ].sort(),
      );

      const second = await runAutoBackupIfDue(engine);
      expect(second.ran).toBe(false);
      expect(second.reason).toMatch(/younger than 2 h/);
      const later = await runAutoBackupIfDue(engine, { now: Date.now() + 3 * 3_600_000 });
      expect(later.ran).toBe(true);
      expect(listBackups(dir)).toHaveLength(2);
      expect(listBackups(dir)[0]!.file).toBe(later.export!.file);
    } finally {
      engine.close();
    }
  });

  it("run by themselves on the app's schedule when backups.auto is on, and wait while a plot runs", async () => {
    const inst = installation('backups:\n  auto: true\n  interval_hours: 1\n');
    const engine = openEngine({ env: inst.env });
    const dir = path.join(inst.dataDir, 'backups');
    let plotting: string | undefined = 'plotting job-1';
    const ran: string[] = [];
    // Each look at the schedule asks holdOff first: counting them is counting the looks.
    let looks = 0;
    const lookedAgain = (n: number, what: string) => {
      const until = looks + n;
      return waitFor(what, () => looks >= until, { timeoutMs: 10_000 });
    };
    const stop = startBackupSchedule(engine, {
      everyMs: 40,
      holdOff: () => (looks++, plotting),
      onResult: (r) => ran.push(r.export!.file),
    });
    try {
      await lookedAgain(5, 'five looks while a plot runs');
      expect(listBackups(dir)).toEqual([]);
      plotting = undefined;
      await waitFor('the held-off backup to run', () => ran.length > 0, { timeoutMs: 10_000 });
      expect(ran).toHaveLength(1);
      // Not due again for an hour: further looks export nothing.
      await lookedAgain(5, 'five more looks, none due');
      expect(listBackups(dir).map((a) => a.file)).toEqual(ran);
    } finally {
      stop();
      engine.close();
    }
  });
});
