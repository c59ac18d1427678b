/**
 * The data folder on a full disk, on a read-only mount, not writable by the user, and a folder
 * where vfab.db belongs: the built `vfab` says which folder and what to do (exit 8), reading
 * commands keep working, and no data is left half written.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendEntry, JournalError } from '../src-main/jobs/journal';
import { FIXTURES, ROOT, sandbox, type Sandbox } from './helpers/cli';
import {
  CAN_MOUNT,
  privateTmpfs,
  type PrivateMount,
  type RunResult,
} from './helpers/private-mount';

const TRIVIAL = path.join(FIXTURES, 'AxiDraw_trivial.svg');
const KIB = 1024;
/** A user without rights to the sandbox's data (nobody). */
const NOBODY = 65534;

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'out', 'main', 'cli.js')))
    throw new Error('Build first: npm run build (npm test does it).');
});

let sb: Sandbox;
let mount: PrivateMount | undefined;
beforeEach(() => {
  sb = sandbox();
});
afterEach(async () => {
  await mount?.close();
  mount = undefined;
  sb.cleanup();
});

/** What a user must never see: a stack trace or "unexpected error". */
function expectClean(r: RunResult): void {
  expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
}

/** 12,000 short strokes: a 690 KiB source whose plan.json is about 360 KiB. */
function bigDrawing(): string {
  const strokes = Array.from({ length: 12_000 }, (_, i) => {
    const x = (i % 100) * 2;
    const y = Math.floor(i / 100) * 1.5;
    return `<path d="M${x} ${y} L${x + 1.5} ${y + 1} L${x + 0.3} ${y + 1.2}" stroke="black"/>`;
  });
  const file = path.join(sb.root, 'big.svg');
  fs.writeFileSync(
    file,
    `<svg xmlns="http://www.w3.org/2000/svg" width="297mm" height="210mm" viewBox="0 0 297 210">\n${strokes.join('\n')}\n</svg>`,
  );
  return file;
}

describe.skipIf(!CAN_MOUNT)('a full disk', () => {
  const journals = (m: PrivateMount) =>
    Object.fromEntries(
      fs
        .readdirSync(m.host(sb.jobsDir))
        .map((id) => [id, fs.readFileSync(m.host(path.join(sb.jobsDir, id, 'journal.jsonl')))]),
    );

  it('refuses a new job and a plan, naming the full folder (exit 8); nothing is half written, and freeing space makes both work again', async () => {
    const m = (mount = await privateTmpfs(sb.dataDir, 8 * KIB * KIB));
    const vfab = (...args: string[]) =>
      m.run([process.execPath, path.join(ROOT, 'bin', 'vfab.js'), ...args], {
        env: sb.env,
        cwd: sb.root,
      });
    const big = bigDrawing();
    expect(vfab('add', 'job', 'a', TRIVIAL).code).toBe(0);
    expect(vfab('add', 'job', '--no-plan', 'big', big).code).toBe(0);
    const before = journals(m);
    const filler = m.host(path.join(sb.dataDir, 'filler'));
    const leave = (bytes: number) =>
      fs.appendFileSync(filler, Buffer.alloc(Math.max(0, m.free() - bytes)));

    leave(400 * KIB);
    const add = vfab('add', 'job', 'big2', big);
    expectClean(add);
    expect(add.stderr).toMatch(
      new RegExp(
        `^vfab: The disk holding ${sb.jobsDir} is full \\(\\d+\\.\\d KiB free, 690\\.\\d KiB needed\\)\\. Free some space there \\(vfab cleanup`,
      ),
    );
    expect(add.code).toBe(8);
    // No staging folder or temp file left behind.
    expect(
      fs
        .readdirSync(m.host(sb.jobsDir))
        .filter((n) => n !== '.queue-order.json')
        .sort(),
    ).toEqual(['a', 'big']);
    expect(journals(m)).toEqual(before);

    leave(150 * KIB);
    const plan = vfab('plan', 'big');
    expectClean(plan);
    expect(plan.stderr).toMatch(
      /^vfab: The disk holding .*\/jobs\/big is full \(\d+\.\d KiB free, 3\d\d\.\d KiB needed\)/,
    );
    expect(plan.code).toBe(8);
    // Analyzed but not planned: no plan.json, no temp file, and a journal that only grew by whole lines.
    expect(fs.readdirSync(m.host(path.join(sb.jobsDir, 'big'))).sort()).toEqual([
      'job.json',
      'journal.jsonl',
      'src.svg',
    ]);
    expect(vfab('info', 'job', 'big', '--state-only').stdout).toBe('ANALYZED\n');
    const grown = journals(m).big!;
    expect(grown.subarray(0, before.big!.length)).toEqual(before.big);
    expect(grown.at(-1)).toBe(0x0a);
    expect(journals(m).a).toEqual(before.a);

    leave(0);
    const none = vfab('add', 'job', 'c', TRIVIAL);
    expectClean(none);
    expect(none.stderr).toBe(
      `vfab: Nothing was changed: the disk holding ${sb.dataDir} is full (0 B free). Free some space there (vfab cleanup --jobs --older-than 30d removes finished jobs) and retry.\n`,
    );
    expect(none.code).toBe(8);
    const list = vfab('list', 'jobs');
    expect(list.code).toBe(0);
    expect(
      list.stdout
        .split('\n')
        .map((l) => l.split('\t')[0])
        .filter(Boolean)
        .sort(),
    ).toEqual(['a', 'big']);
    expect(list.stderr).toContain(
      `note: the disk holding ${sb.dataDir} is full (0 B free), so vfab only reads and removes jobs.`,
    );
    expect(journals(m).a).toEqual(before.a);
    // Removing is how the user makes room, so a full disk lets it through.
    const removed = vfab('remove', 'job', 'a', '--yes');
    expectClean(removed);
    expect(removed.code).toBe(0);
    expect(fs.existsSync(m.host(path.join(sb.jobsDir, 'a')))).toBe(false);

    fs.rmSync(filler);
    expect(vfab('add', 'job', 'c', TRIVIAL).code).toBe(0);
    expect(vfab('plan', 'big').code).toBe(0);
    expect(vfab('info', 'job', 'big', '--state-only').stdout).toBe('READY\n');
    expect(vfab('system', 'journal', 'validate').code).toBe(0);
  }, 120_000);

  it('a journal line the disk cuts short is taken back: the journal ends as it did', async () => {
    const m = (mount = await privateTmpfs(sb.dataDir, 256 * KIB));
    const dir = m.host(path.join(sb.dataDir, 'job'));
    fs.mkdirSync(dir);
    const journal = path.join(dir, 'journal.jsonl');
    appendEntry(journal, {
      type: 'state_change',
      from_state: null,
      to_state: 'NEW',
      reason: 'created',
      metadata: {},
    });
    const before = fs.readFileSync(journal);
    // One page left, which the journal's lock file takes; the page holding the journal's end
    // still has room for part of a long line, and the disk for none of the rest.
    fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(m.free() - 4 * KIB));
    const reason = 'x'.repeat(8 * KIB);
    const err = (() => {
      try {
        appendEntry(journal, {
          type: 'state_change',
          from_state: 'NEW',
          to_state: 'ANALYZED',
          reason,
          metadata: {},
        });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(JournalError);
    expect((err as JournalError).code).toBe('DATA');
    expect((err as Error).message).toMatch(
      /^The disk holding .*\/job is full \([\d.]+ (B|KiB) free, 8\.\d KiB needed\)\..* was left as it was\.$/,
    );
    expect(fs.readFileSync(journal)).toEqual(before);
  });
});

describe.skipIf(!CAN_MOUNT)('a read-only data folder', () => {
  it('lists and shows jobs (saying why nothing can change); changes are refused with exit 8 naming the folder', async () => {
    const m = (mount = await privateTmpfs(sb.dataDir, 8 * KIB * KIB));
    const vfab = (...args: string[]) =>
      m.run([process.execPath, path.join(ROOT, 'bin', 'vfab.js'), ...args], {
        env: sb.env,
        cwd: sb.root,
      });
    expect(vfab('add', 'job', 'a', TRIVIAL).code).toBe(0);
    expect(vfab('add', 'job', '--no-plan', 'b', TRIVIAL).code).toBe(0);
    m.remount('ro');

    const list = vfab('list', 'jobs');
    expectClean(list);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^b\tNEW\t.*\na\tREADY\t/);
    expect(list.stderr).toContain(
      `note: ${sb.dataDir} is on a read-only file system, so vfab only reads and changes nothing. To change jobs again: remount it read-write`,
    );
    for (const args of [
      ['info', 'job', 'a'],
      ['info', 'queue'],
      ['info', 'system'],
    ]) {
      const r = vfab(...args);
      expectClean(r);
      expect({ args, code: r.code }).toEqual({ args, code: 0 });
    }
    expect(vfab('info', 'job', 'a', '--state-only').stdout).toBe('READY\n');

    const check = vfab('check', 'self');
    expectClean(check);
    expect(check.code).toBe(2);
    expect(check.stdout).toMatch(
      new RegExp(
        `fail\\s+workspace\\s+${sb.dataDir} is on a read-only file system: vfab only reads\\n\\s+fix: remount it read-write`,
      ),
    );

    for (const args of [
      ['add', 'job', 'c', TRIVIAL],
      ['plan', 'b'],
      ['remove', 'job', 'a', '--yes'],
    ]) {
      const r = vfab(...args);
      expectClean(r);
      expect({ args, code: r.code }).toEqual({ args, code: 8 });
      expect(r.stderr).toBe(
        `vfab: Nothing was changed: ${sb.dataDir} is on a read-only file system. Remount it read-write, or point VFAB_DATA_DIR (paths.data_dir in config.yaml) at a writable folder.\n`,
      );
    }
  }, 60_000);

  it.skipIf(process.getuid?.() !== 0)(
    'lists and shows jobs for a user who may not write there; a change is refused naming the folder',
    () => {
      expect(sb.run(['add', 'job', 'a', TRIVIAL]).code).toBe(0);
      // Readable by everyone, writable only by its owner (root): the permissions of a shared install.
      for (const p of [
        sb.root,
        ...fs
          .readdirSync(sb.root, { recursive: true, encoding: 'utf8' })
          .map((f) => path.join(sb.root, f)),
      ]) {
        const stat = fs.lstatSync(p);
        if (!stat.isSymbolicLink()) fs.chmodSync(p, stat.isDirectory() ? 0o755 : 0o644);
      }
      const nobody = (...args: string[]): RunResult => {
        const argv = [
          `--reuid=${NOBODY}`,
          `--regid=${NOBODY}`,
          '--clear-groups',
          process.execPath,
          path.join(ROOT, 'bin', 'vfab.js'),
          ...args,
        ];
        const r = spawnSync('setpriv', argv, {
          env: sb.env,
          cwd: sb.root,
          input: '',
          encoding: 'utf8',
        });
        return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
      };
      const list = nobody('list', 'jobs');
      expectClean(list);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/^a\tREADY\t/);
      expect(nobody('info', 'job', 'a', '--state-only').stdout).toBe('READY\n');
      const check = nobody('check', 'self');
      expect(check.code).toBe(2);
      expect(check.stdout).toContain(
        `fail  workspace  this user may not write to ${sb.dataDir} (permission denied): vfab only reads`,
      );
      const add = nobody('add', 'job', 'b', TRIVIAL);
      expectClean(add);
      expect(add.code).toBe(8);
      expect(add.stderr).toMatch(
        new RegExp(
          `^vfab: Nothing was changed: this user may not write to ${sb.dataDir} \\(permission denied\\)\\. Give this user write access`,
        ),
      );
    },
    60_000,
  );
});

describe('a folder where vfab.db belongs', () => {
  it('reads from the journals, refuses changes naming the path and the fix (exit 8), and rebuild-db sets it aside', () => {
    expect(sb.run(['add', 'job', 'a', TRIVIAL]).code).toBe(0);
    for (const f of fs.readdirSync(sb.dataDir).filter((f) => f.startsWith('vfab.db')))
      fs.rmSync(path.join(sb.dataDir, f));
    fs.mkdirSync(sb.dbFile);
    const say = `${sb.dbFile} is a folder, not vfab's index database`;

    const list = sb.run(['list', 'jobs']);
    expectClean(list);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^a\tREADY\t/);
    expect(list.stderr).toContain(
      `note: ${say}, so vfab only reads and changes nothing. To change jobs again: move it away (mv ${sb.dbFile} ${sb.dbFile}.moved)`,
    );
    expect(sb.run(['info', 'job', 'a', '--state-only']).stdout).toBe('READY\n');

    const check = sb.run(['check', 'self']);
    expect(check.code).toBe(2);
    expect(check.stdout).toContain(
      `fail  database   ${say}; the index was built in memory from the journals`,
    );

    const add = sb.run(['add', 'job', 'b', TRIVIAL]);
    expectClean(add);
    expect(add.code).toBe(8);
    expect(add.stderr).toBe(
      `vfab: Nothing was changed: ${say}. Move it away (mv ${sb.dbFile} ${sb.dbFile}.moved) or run 'vfab system rebuild-db', which sets it aside; vfab then rebuilds the index from the journals.\n`,
    );

    const rebuilt = sb.run(['system', 'rebuild-db']);
    expect(rebuilt.stderr).toBe('');
    expect(rebuilt.code).toBe(0);
    expect(fs.statSync(sb.dbFile).isFile()).toBe(true);
    expect(sb.run(['add', 'job', 'b', TRIVIAL]).code).toBe(0);
    expect(sb.run(['list', 'jobs']).stdout.split('\n').filter(Boolean)).toHaveLength(2);
  }, 60_000);
});
