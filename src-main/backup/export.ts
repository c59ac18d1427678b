/**
 * `vfab system export`: config, a consistent database snapshot and the workspace, streamed into a
 * .tar.gz with a manifest of every file's size and sha256. Safe while the app runs and plots:
 * the database is copied with SQLite's backup API on its own read-only connection, and each
 * journal is copied up to the size it had when its copy began, cut at the last complete line.
 * Memory stays flat: files are read in 64 KiB chunks straight into gzip. The archive never lands
 * on an existing file unless asked, nor ever on vfab's own files (target.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import type { VfabPaths } from '../config/paths';
import { VfabError } from '../errors';
import { isValidJobId } from '../jobs/workspace';
import { fsyncDir } from '../util/atomic';
import { VERSION } from '../version';
import {
  CONFIG_MEMBER,
  DATABASE_MEMBER,
  JOBS_ROOT,
  MANIFEST_FORMAT,
  MANIFEST_NAME,
  MANIFEST_VERSION,
  WORKSPACE_ROOT,
  type Manifest,
  type ManifestFile,
} from './manifest';
import { isJournalMember, isTransientDir, isTransientFile } from './select';
import { exportTarget, lstatOrUndefined } from './target';
import { DEFAULT_LIMITS, END_OF_ARCHIVE, entryHeader, padding } from './tar';

const CHUNK = 64 * 1024;

export interface ExportProgress {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

export interface ExportOptions {
  paths: VfabPaths;
  /** The archive to write, appearing whole under its name only once complete: a failed export leaves nothing there. */
  output: string;
  /** Replace a file already at `output` (never one of vfab's own). */
  force?: boolean;
  /** The backups folder (config backups.dir), the one place in the data folder an archive may be written; default <data>/backups. */
  backupsDir?: string;
  /** The Electron shell's better-sqlite3 build, when called from the app. */
  nativeBinding?: string;
  /** Said in the manifest's notes (e.g. that config.yaml could not be parsed). */
  notes?: string[];
  onProgress?: (p: ExportProgress) => void;
}

export interface ExportSummary {
  file: string;
  /** Size of the .tar.gz. */
  archiveBytes: number;
  /** Files in the archive (manifest.json not counted) and their total size. */
  files: number;
  dataBytes: number;
  jobs: number;
  database: boolean;
  notes: string[];
  ms: number;
}

interface Walked {
  abs: string;
  /** Archive path. */
  rel: string;
  kind: 'file' | 'dir';
}

/** The workspace in a fixed (sorted) order, one folder listing in memory at a time. */
async function* walk(abs: string, rel: string, notes: string[]): AsyncGenerator<Walked> {
  let entries: fs.Dirent[];
  try {
    entries = await fsp.readdir(abs, { withFileTypes: true });
  } catch (err) {
    // A job deleted while we export it is simply not in the archive.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of entries) {
    const childAbs = path.join(abs, d.name);
    const childRel = `${rel}/${d.name}`;
    if (d.isDirectory()) {
      if (isTransientDir(d.name)) continue;
      yield { abs: childAbs, rel: childRel, kind: 'dir' };
      yield* walk(childAbs, childRel, notes);
    } else if (d.isFile()) {
      if (!isTransientFile(d.name)) yield { abs: childAbs, rel: childRel, kind: 'file' };
    } else {
      notes.push(
        `'${childRel}' is not a regular file or folder (a link, socket or device); left out`,
      );
    }
  }
}

/** Counts what the export will read, for progress; stat only. */
async function measure(paths: VfabPaths): Promise<{ files: number; bytes: number }> {
  const total = { files: 0, bytes: 0 };
  const add = async (file: string) => {
    try {
      const st = await fsp.stat(file);
      total.files++;
      total.bytes += st.size;
    } catch {
      // gone: not counted
    }
  };
  await add(paths.configFile);
  await add(paths.dbFile);
  for await (const w of walk(paths.workspaceDir, WORKSPACE_ROOT, []))
    if (w.kind === 'file') await add(w.abs);
  return total;
}

/** The length of the longest prefix of the first `size` bytes that ends with a newline. */
async function completeLinesLength(fh: fsp.FileHandle, size: number): Promise<number> {
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, size)));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - buf.length);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    const lf = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (lf !== -1) return start + lf + 1;
    end = start;
  }
  return 0;
}

class ArchiveBuilder {
  readonly files: ManifestFile[] = [];
  readonly notes: string[];
  bytes = 0;
  jobs = 0;
  database = false;

  constructor(
    private readonly opts: ExportOptions,
    private readonly total: { files: number; bytes: number },
  ) {
    this.notes = [...(opts.notes ?? [])];
  }

  private progress(): void {
    this.opts.onProgress?.({
      files: this.files.length,
      totalFiles: Math.max(this.total.files, this.files.length),
      bytes: this.bytes,
      totalBytes: Math.max(this.total.bytes, this.bytes),
    });
  }

  *dir(rel: string, stat?: fs.Stats): Generator<Buffer> {
    yield entryHeader({
      path: rel,
      type: 'dir',
      size: 0,
      mode: stat ? stat.mode & 0o777 : 0o755,
      mtime: stat ? stat.mtimeMs / 1000 : Date.now() / 1000,
    });
  }

  /** One file member; the size is fixed from the open file before the header is written. */
  async *file(abs: string, rel: string): AsyncGenerator<Buffer> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(abs, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new VfabError(
        'INTERNAL',
        `Cannot read ${abs} for the export: ${(err as Error).message}. Check its permissions and export again.`,
      );
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) return;
      let size = st.size;
      if (isJournalMember(rel)) {
        size = await completeLinesLength(fh, st.size);
        if (size < st.size)
          this.notes.push(
            `'${rel}': the last ${st.size - size} byte(s) were an incomplete line (being written, or torn) and were left out`,
          );
      }
      if (size > DEFAULT_LIMITS.maxMemberBytes) {
        this.notes.push(
          `'${rel}' is ${size} bytes, more than an import accepts per file; left out`,
        );
        return;
      }
      yield entryHeader({
        path: rel,
        type: 'file',
        size,
        mode: st.mode & 0o777,
        mtime: st.mtimeMs / 1000,
      });
      const hash = crypto.createHash('sha256');
      let pos = 0;
      let short = false;
      while (pos < size) {
        const want = Math.min(CHUNK, size - pos);
        let chunk = Buffer.allocUnsafe(want);
        const { bytesRead } = short ? { bytesRead: 0 } : await fh.read(chunk, 0, want, pos);
        if (bytesRead === 0) {
          // Shrunk under us (rewritten in place): keep the archive well-formed and say so.
          if (!short)
            this.notes.push(
              `'${rel}' shrank while it was copied; the missing bytes are zeros in the archive`,
            );
          short = true;
          chunk = Buffer.alloc(want);
        } else if (bytesRead < want) chunk = chunk.subarray(0, bytesRead);
        hash.update(chunk);
        pos += chunk.length;
        this.bytes += chunk.length;
        yield chunk;
      }
      yield padding(size);
      this.files.push({ path: rel, size, sha256: hash.digest('hex') });
      this.progress();
    } finally {
      await fh.close();
    }
  }

  /** A consistent copy of the database made with the backup API, streamed and deleted. */
  async *database_(tmp: string): AsyncGenerator<Buffer> {
    if (!fs.existsSync(this.opts.paths.dbFile)) {
      this.notes.push('no database: the index is rebuilt from the journals on import');
      return;
    }
    try {
      const db = new Database(this.opts.paths.dbFile, {
        readonly: true,
        fileMustExist: true,
        ...(this.opts.nativeBinding ? { nativeBinding: this.opts.nativeBinding } : {}),
      });
      try {
        db.pragma('busy_timeout = 5000');
        await db.backup(tmp);
      } finally {
        db.close();
      }
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      // The database is only an index: an archive of the journals is still a complete backup.
      this.notes.push(
        `the database could not be copied (${(err as Error).message}); the index is rebuilt from the journals on import`,
      );
      return;
    }
    try {
      yield* this.file(tmp, DATABASE_MEMBER);
      this.database = true;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  manifest(): Buffer[] {
    const { paths } = this.opts;
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      format_version: MANIFEST_VERSION,
      vfab_version: VERSION,
      created_at: new Date().toISOString(),
      host: os.hostname(),
      source: {
        config_file: paths.configFile,
        data_dir: paths.dataDir,
        workspace_dir: paths.workspaceDir,
      },
      jobs: this.jobs,
      database: this.database,
      notes: this.notes,
      files: this.files,
    };
    const body = Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`, 'utf8');
    return [
      entryHeader({
        path: MANIFEST_NAME,
        type: 'file',
        size: body.length,
        mode: 0o644,
        mtime: Date.now() / 1000,
      }),
      body,
      padding(body.length),
    ];
  }
}

/**
 * Puts the finished archive under its name. Without `force` a hard link does it, which fails if
 * anything appeared there meanwhile; where links are not supported (FAT, some network shares) the
 * name is checked just before the rename.
 */
function publish(tmp: string, output: string, force: boolean): void {
  if (force) return fs.renameSync(tmp, output);
  const taken = () =>
    new VfabError(
      'ALREADY_EXISTS',
      `${output} appeared while the archive was written; nothing was written there. Choose another name, or add --force to replace it.`,
    );
  try {
    fs.linkSync(tmp, output);
    fs.rmSync(tmp);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' || lstatOrUndefined(output)) throw taken();
    fs.renameSync(tmp, output);
  }
}

export async function exportSystem(opts: ExportOptions): Promise<ExportSummary> {
  const started = performance.now();
  const { paths } = opts;
  const force = opts.force ?? false;
  const output = exportTarget(
    opts.output,
    paths,
    opts.backupsDir ?? path.join(paths.dataDir, 'backups'),
    force,
  );
  const dir = path.dirname(output);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new VfabError(
      'INVALID_INPUT',
      `Cannot create the folder ${dir} for ${output}: ${(err as Error).message}. Choose another --output.`,
    );
  }
  const stem = `.${path.basename(output)}.${process.pid}.${Date.now()}`;
  const tmp = path.join(dir, `${stem}.tmp`);
  const dbTmp = path.join(dir, `${stem}.db.tmp`);
  const total = await measure(paths);
  const b = new ArchiveBuilder(opts, total);

  async function* chunks(): AsyncGenerator<Buffer> {
    if (fs.existsSync(paths.configFile)) {
      yield* b.dir('config');
      yield* b.file(paths.configFile, CONFIG_MEMBER);
    } else b.notes.push(`no config file at ${paths.configFile}: an import keeps the current one`);
    yield* b.database_(dbTmp);
    if (fs.existsSync(paths.workspaceDir)) {
      yield* b.dir(WORKSPACE_ROOT, fs.statSync(paths.workspaceDir));
      for await (const w of walk(paths.workspaceDir, WORKSPACE_ROOT, b.notes)) {
        if (w.kind === 'dir') {
          let st: fs.Stats;
          try {
            st = fs.statSync(w.abs);
          } catch {
            continue;
          }
          const parent = w.rel.slice(0, w.rel.lastIndexOf('/'));
          if (parent === JOBS_ROOT && isValidJobId(path.basename(w.abs))) b.jobs++;
          yield* b.dir(w.rel, st);
        } else yield* b.file(w.abs, w.rel);
      }
    }
    yield* b.manifest();
    yield END_OF_ARCHIVE;
  }

  try {
    await pipeline(
      Readable.from(chunks()),
      zlib.createGzip(),
      fs.createWriteStream(tmp, { mode: 0o600 }),
    );
    const fd = fs.openSync(tmp, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    publish(tmp, output, force);
    fsyncDir(dir);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    fs.rmSync(dbTmp, { force: true });
    if (err instanceof VfabError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new VfabError(
      'INTERNAL',
      `Export to ${output} failed: ${(err as Error).message}.${code === 'ENOSPC' ? ' The disk is full: free some space or export to another disk.' : ''} Nothing was written under that name.`,
    );
  }
  return {
    file: output,
    archiveBytes: fs.statSync(output).size,
    files: b.files.length,
    dataBytes: b.bytes,
    jobs: b.jobs,
    database: b.database,
    notes: b.notes,
    ms: Math.round(performance.now() - started),
  };
}
