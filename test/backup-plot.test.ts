/**
 * Backups next to a running plot on the virtual plotter: an export taken mid-plot is consistent
 * and its import resumes the drawing; an import is refused (BUSY) while a plot owns a job.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJournal } from '../src-main/jobs/journal';
import { ROOT, sandbox, type Sandbox } from './helpers/cli';
import { endWithTest } from './helpers/processes';
import { treeHash } from './helpers/tar-fixtures';
import { waitFor } from './helpers/wait';

let sb: Sandbox;
const children: ChildProcess[] = [];
beforeEach(() => {
  sb = sandbox();
});
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGTERM');
      await new Promise((r) => c.once('exit', r));
    }
  }
  sb.cleanup();
});

/** 40 long strokes: about ten seconds of plotting at --speed 20. */
function zigzag(): string {
  const d = Array.from({ length: 40 }, (_, i) => `M 10 ${10 + i * 4} H 250`).join(' ');
  const file = path.join(sb.root, 'zigzag.svg');
  fs.writeFileSync(
    file,
    `<svg xmlns="http://www.w3.org/2000/svg" width="297mm" height="210mm" viewBox="0 0 297 210"><path d="${d}" stroke="black"/></svg>`,
  );
  return file;
}

function startPlot(id: string): {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | string>;
} {
  const child = endWithTest(
    spawn(
      process.execPath,
      [path.join(ROOT, 'bin', 'vfab.js'), 'plot', id, '--device', 'virtual', '--speed', '20'],
      { env: sb.env, cwd: sb.root },
    ),
  );
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b) => (out += String(b)));
  child.stderr!.on('data', () => undefined);
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, out: () => out, exited };
}

async function until(what: string, test: () => boolean, ms = 15_000): Promise<void> {
  await waitFor(what, test, { timeoutMs: ms, everyMs: 50 });
}

function progressLines(journal: string): number {
  return fs
    .readFileSync(journal, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"progress"')).length;
}

/**
 * `vfab plot <id>` on a fresh virtual plotter. A plotter that was switched off since the job
 * started (as a new simulator process is) has lost the carriage position; vfab then asks for the
 * carriage-at-home confirmation, which is true for a fresh simulator.
 */
function resumePlot(id: string): { code: number; stdout: string; stderr: string } {
  const args = ['plot', id, '--device', 'virtual', '--speed', '20'];
  const first = sb.run(args);
  if (first.code === 0 || !first.stderr.includes('--carriage-at-home')) return first;
  return sb.run([...args, '--carriage-at-home']);
}

describe('export during a plot', () => {
  it('is consistent, and importing it lets vfab plot finish the drawing', async () => {
    expect(sb.run(['add', 'job', 'zz', zigzag()]).code).toBe(0);
    const journal = path.join(sb.jobsDir, 'zz', 'journal.jsonl');
    const plot = startPlot('zz');
    await until('a few checkpoints', () => fs.existsSync(journal) && progressLines(journal) >= 3);

    const archive = path.join(sb.root, 'midplot.tar.gz');
    const exp = sb.run(['system', 'export', '--output', archive]);
    expect(exp.code, exp.stderr).toBe(0);
    // Still plotting after the export: the snapshot really was taken mid-plot.
    expect(plot.child.exitCode).toBeNull();

    const busy = sb.run(['system', 'import', '--backup', archive]);
    expect(busy.code).toBe(9);
    expect(busy.stderr).toMatch(new RegExp(`job 'zz' \\(pid ${plot.child.pid}`));
    expect(busy.stderr).toContain('vfab pause zz');

    // Stop the plot as a shutdown would (pen up; the job stays resumable), and wait for the process to go.
    plot.child.kill('SIGTERM');
    await plot.exited;

    // The archived journal is whole lines only and leaves the job mid-plot.
    const x = path.join(sb.root, 'x');
    fs.mkdirSync(x);
    expect(spawnSync('tar', ['-xzf', archive, '-C', x]).status).toBe(0);
    const archived = readJournal(path.join(x, 'workspace', 'jobs', 'zz', 'journal.jsonl'));
    expect(archived.problems).toEqual([]);
    expect(archived.state).toBe('PLOTTING');
    const checkpoints = archived.records.filter((r) => r.entry.type === 'progress').length;
    expect(checkpoints).toBeGreaterThanOrEqual(3);
    expect(fs.existsSync(path.join(x, 'workspace', 'jobs', 'zz', 'plot.owner'))).toBe(false);

    fs.rmSync(sb.dataDir, { recursive: true, force: true });
    fs.rmSync(sb.configFile, { force: true });
    const imp = sb.run(['system', 'import', '--backup', archive]);
    expect(imp.code, imp.stderr).toBe(0);
    expect(sb.run(['info', 'job', 'zz', '--state-only']).stdout).toBe('PLOTTING\n');
    expect(progressLines(journal)).toBe(checkpoints);

    const resumed = resumePlot('zz');
    expect(resumed.stdout, resumed.stderr).toContain('zz\tCOMPLETED');
    expect(resumed.code).toBe(0);
    expect(sb.run(['info', 'job', 'zz', '--state-only']).stdout).toBe('COMPLETED\n');
    // The resume started from the archived checkpoint, not from the beginning.
    const after = readJournal(journal);
    expect(after.records.filter((r) => r.entry.type === 'progress').length).toBeGreaterThan(
      checkpoints,
    );
  }, 90_000);

  it('vfab plot in progress makes import BUSY (exit 9) before anything is staged or moved', async () => {
    expect(sb.run(['add', 'job', 'zz', zigzag()]).code).toBe(0);
    const archive = path.join(sb.root, 'before.tar.gz');
    expect(sb.run(['system', 'export', '--output', archive]).code).toBe(0);
    const plot = startPlot('zz');
    await until('plot.owner', () => fs.existsSync(path.join(sb.jobsDir, 'zz', 'plot.owner')));
    const r = sb.run(['system', 'import', '--backup', archive]);
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/while a plot is running: job 'zz'/);
    expect(fs.existsSync(path.join(sb.dataDir, 'backups'))).toBe(false);
    expect(fs.readdirSync(sb.dataDir).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(sb.run(['info', 'job', 'zz', '--state-only']).stdout).toBe('PLOTTING\n');
    plot.child.kill('SIGTERM');
    await plot.exited;
  }, 60_000);
});

describe('import while a job is owned by a live plotting process', () => {
  it('is refused with BUSY naming the job and pid, and nothing changes; export still works', async () => {
    expect(sb.run(['setup', '--yes']).code).toBe(0);
    expect(sb.run(['add', 'job', '--no-plan', 'busy', zigzag()]).code).toBe(0);
    const archive = path.join(sb.root, 'a.tar.gz');
    expect(sb.run(['system', 'export', '--output', archive]).code).toBe(0);

    // Another process claims the job exactly as a plot does, and holds it until stdin closes.
    const owner = path.join(ROOT, 'src-main', 'jobs', 'owner.ts');
    const script = `const mod = await import(${JSON.stringify(owner)}); const { claimPlot } = mod.claimPlot ? mod : mod.default;
      const claim = claimPlot({ jobDir: ${JSON.stringify(path.join(sb.jobsDir, 'busy'))}, dataDir: ${JSON.stringify(sb.dataDir)}, job: 'busy', device: 'virtual' });
      process.stdout.write('claimed\\n');
      process.stdin.on('end', () => { claim.release(); process.exit(0); });
      process.stdin.resume();`;
    const holder = endWithTest(
      spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    children.push(holder);
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', (b) => String(b).includes('claimed') && resolve());
      holder.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
    });

    // The holder rewrites its owner files every few seconds: everything else must stay as it was.
    const steady = () =>
      Object.fromEntries(
        Object.entries(treeHash(sb.dataDir, sb.configFile)).filter(
          ([k]) => !/plot\.owner|\/locks\//.test(k),
        ),
      );
    const before = steady();
    expect(Object.keys(before).some((k) => k.endsWith('/busy/journal.jsonl'))).toBe(true);
    const r = sb.run(['system', 'import', '--backup', archive]);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain(`job 'busy' (pid ${holder.pid}`);
    expect(r.stderr).toContain('vfab pause busy');
    expect(steady()).toEqual(before);

    const exp = sb.run(['system', 'export', '--output', path.join(sb.root, 'during.tar.gz')]);
    expect(exp.code, exp.stderr).toBe(0);
    expect(
      spawnSync('tar', ['-tzf', path.join(sb.root, 'during.tar.gz')], { encoding: 'utf8' }).stdout,
    ).not.toContain('plot.owner');

    holder.stdin!.end();
    await new Promise((r) => holder.once('exit', r));
    const after = sb.run(['system', 'import', '--backup', archive]);
    expect(after.code, after.stderr).toBe(0);
  }, 60_000);
});
