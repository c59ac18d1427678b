/**
 * `vfab system export|import|backup` and `vfab cleanup`: the recovery guide's last line of
 * defence and its disk-space chores. Export and import find the installation without opening the
 * engine, so they work with a damaged database and a refused import leaves every byte as it was.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { backupDir, runAutoBackupIfDue } from '../../backup/auto';
import { cleanupJobs, cleanupLogs, parseDuration } from '../../backup/cleanup';
import { exportSystem, type ExportProgress } from '../../backup/export';
import { importJob, importSystem, recoverInterruptedImportIfIdle } from '../../backup/import';
import type { ArchivePhase } from '../../backup/extract';
import { findInstallation } from '../../backup/installation';
import { describeKept } from '../../backup/local-config';
import { defaultConfig } from '../../config/config';
import { VfabError } from '../../errors';
import type { JobState } from '../../jobs/states';
import { createLogger } from '../../log';
import { localTime, printJson, printRows, type Io } from '../output';
import { parseStates, type CliContext } from './jobs';

/** Progress lines only for work big enough to leave a terminal silent for a while. */
const PROGRESS_MIN_FILES = 200;
const PROGRESS_MIN_BYTES = 64 * 1024 * 1024;

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** One stderr line each time another 10 % is done. */
function exportProgress(io: Io): (p: ExportProgress) => void {
  let step = 0;
  return (p) => {
    if (p.totalFiles < PROGRESS_MIN_FILES && p.totalBytes < PROGRESS_MIN_BYTES) return;
    const pct =
      p.totalBytes > 0
        ? Math.floor((p.bytes / p.totalBytes) * 100)
        : Math.floor((p.files / p.totalFiles) * 100);
    if (pct < (step + 1) * 10) return;
    step = Math.floor(pct / 10);
    io.err(
      `export: ${pct}% (${p.files}/${p.totalFiles} files, ${mib(p.bytes)} of ${mib(p.totalBytes)})`,
    );
  };
}

/** The archive is read twice (checked, then written): 10 % steps of each pass. */
function importProgress(io: Io): (read: number, total: number, phase: ArchivePhase) => void {
  let step = 0;
  let current: ArchivePhase = 'check';
  return (read, total, phase) => {
    if (total < PROGRESS_MIN_BYTES / 8) return;
    if (phase !== current) {
      current = phase;
      step = 0;
    }
    const pct = Math.floor((read / total) * 100);
    if (pct < (step + 1) * 10) return;
    step = Math.floor(pct / 10);
    io.err(
      `import: ${pct}% of the archive ${phase === 'check' ? 'checked' : 'written'} (${mib(read)} of ${mib(total)})`,
    );
  };
}

function systemCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'system') ??
    program.command('system').description('maintenance')
  );
}

function olderThan(text: string | undefined): number {
  if (text === undefined)
    throw new VfabError(
      'USAGE',
      'Say how old: --older-than 30d (days; also h hours, w weeks, m minutes).',
    );
  return parseDuration(text);
}

export function registerBackupCommands(program: Command, ctx: CliContext): void {
  const system = systemCommand(program);

  system
    .command('export')
    .description(
      'write config, a database snapshot and every job into one .tar.gz (safe while plotting)',
    )
    .requiredOption(
      '-o, --output <file>',
      'the archive to write, e.g. backup.tar.gz (refused if it exists, unless --force)',
    )
    .option(
      '--force',
      "replace an existing file (never one of vfab's own: config, data folder, workspace, logs)",
    )
    .option('--json', 'print a machine-readable summary on stdout')
    .action(async (opts: { output: string; force?: boolean; json?: boolean }) => {
      const inst = findInstallation(process.env);
      const notes: string[] = [];
      if (inst.configProblem) {
        ctx.io.err(`config warning: ${inst.configProblem}`);
        notes.push(
          'config.yaml did not load when this archive was made; it is archived as it was, and the default folders were used',
        );
      }
      const recovered = recoverInterruptedImportIfIdle(inst.paths);
      if (recovered) ctx.io.err(`note: ${recovered}`);
      const backupsDir = backupDir({ config: inst.config ?? defaultConfig(), paths: inst.paths });
      const summary = await exportSystem({
        paths: inst.paths,
        output: opts.output,
        force: opts.force,
        backupsDir,
        notes,
        onProgress: exportProgress(ctx.io),
      });
      if (inst.config) {
        const log = createLogger({
          file: inst.paths.logFile,
          level: inst.config.logging.level,
          maxBytes: inst.config.logging.max_file_size,
          backups: inst.config.logging.backup_count,
        });
        log.info(
          `system export to ${summary.file}: ${summary.jobs} job(s), ${summary.files} file(s), ${summary.archiveBytes} bytes`,
        );
      }
      if (opts.json) return printJson(ctx.io, { export: summary });
      ctx.io.out(summary.file);
      ctx.io.err(
        `Exported ${summary.jobs} job(s), ${summary.files} file(s) (${mib(summary.dataBytes)}) ${summary.database ? 'with' : 'without'} the database to ${summary.file} ` +
          `(${mib(summary.archiveBytes)}) in ${(summary.ms / 1000).toFixed(1)} s.`,
      );
      for (const n of summary.notes) ctx.io.err(`note: ${n}`);
    });

  system
    .command('import')
    .description(
      'restore an archive from vfab system export; the current state is kept in <data>/backups/pre-import-<time>/',
    )
    .requiredOption('-b, --backup <file>', 'the .tar.gz to restore')
    .option('--job <id>', 'add only this job to the current workspace')
    .option('--as <newid>', 'with --job: import it under this id')
    .option('--verify', 'check the archive completely and change nothing')
    .option('--json', 'machine-readable output')
    .action(
      async (opts: {
        backup: string;
        job?: string;
        as?: string;
        verify?: boolean;
        json?: boolean;
      }) => {
        if (opts.as !== undefined && opts.job === undefined)
          throw new VfabError('USAGE', '--as needs --job <id>: it names the imported job.');
        if (opts.job !== undefined) {
          if (opts.verify)
            throw new VfabError('USAGE', '--verify checks the whole archive; leave out --job.');
          const r = await importJob({ archive: opts.backup, job: opts.job, as: opts.as });
          if (opts.json) return printJson(ctx.io, { imported: r });
          ctx.io.err(
            `Imported job '${r.from}' from ${r.archive.file}${r.id !== r.from ? ` as '${r.id}'` : ''}: ${r.state}.`,
          );
          return printRows(ctx.io, ['ID', 'STATE'], [[r.id, r.state]], 'no job');
        }
        const r = await importSystem({
          archive: opts.backup,
          verifyOnly: opts.verify,
          onProgress: importProgress(ctx.io),
        });
        if (opts.json) return printJson(ctx.io, { [r.verifyOnly ? 'verified' : 'imported']: r });
        const made = `made ${localTime(r.archive.created_at)} by vfab ${r.archive.vfab_version} on ${r.archive.host}`;
        if (r.verifyOnly) {
          ctx.io.err(
            `${r.archive.file} is a complete vfab backup (${made}): ${r.archive.files} file(s), ${r.archive.jobs} job(s), config ${r.config === 'none' ? 'absent' : 'present'}, database ${r.database === 'none' ? 'absent' : 'present'}. Nothing was changed.`,
          );
          for (const n of [
            ...r.notes,
            ...r.keptSettings.map((k) => `on import, ${describeKept(k)}`),
          ])
            ctx.io.err(`note: ${n}`);
          return;
        }
        printRows(
          ctx.io,
          ['ID', 'STATE'],
          r.jobs.map((j) => [j.id, j.state]),
          'The archive holds no jobs.',
        );
        ctx.io.err(
          `Imported ${r.archive.file} (${made}): ${r.jobs.length} job(s); config ${r.config}; database ${r.database}. ` +
            `The previous config, database and workspace are kept in ${r.backupDir}.`,
        );
        for (const n of [
          ...r.archive.notes.map((n) => `in the archive: ${n}`),
          ...r.notes,
          ...r.keptSettings.map(describeKept),
        ])
          ctx.io.err(`note: ${n}`);
      },
    );

  system
    .command('backup')
    .description(
      'export into the backups folder and keep the newest backups.keep archives (for cron or a systemd timer)',
    )
    .option('--if-due', 'only when the newest archive is older than backups.interval_hours')
    .option('--json', 'machine-readable output')
    .action(async (opts: { ifDue?: boolean; json?: boolean }) => {
      const engine = ctx.engine();
      const r = await runAutoBackupIfDue(engine, {
        force: !opts.ifDue,
        ignoreAutoSetting: true,
        onProgress: exportProgress(ctx.io),
      });
      if (opts.json) return printJson(ctx.io, { backup: r });
      if (!r.ran)
        return ctx.io.err(`No backup made: ${r.reason}. Next one due ${localTime(r.nextDue)}.`);
      ctx.io.out(r.export!.file);
      ctx.io.err(
        `Backed up ${r.export!.jobs} job(s) to ${r.export!.file} (${mib(r.export!.archiveBytes)}).${r.pruned.length ? ` Deleted ${r.pruned.length} older backup(s): ${r.pruned.map((p) => path.basename(p)).join(', ')}.` : ''}`,
      );
      for (const n of r.export!.notes) ctx.io.err(`note: ${n}`);
    });

  program
    .command('cleanup')
    .description(
      'remove finished jobs (COMPLETED, ABORTED, FAILED) or rotated logs older than a given age',
    )
    .option('--jobs', 'remove finished jobs whose last state change is older than --older-than')
    .option(
      '--logs',
      'remove rotated logs (vfab.log.N, never the live vfab.log) older than --older-than',
    )
    .option('--older-than <age>', 'e.g. 30d, 12h, 2w')
    .option(
      '-s, --state <states>',
      'with --jobs: only these finished states (comma-separated, any case)',
      parseStates,
    )
    .option('-n, --dry-run', 'list what would be removed and remove nothing')
    .option('--json', 'machine-readable output')
    .action(
      (opts: {
        jobs?: boolean;
        logs?: boolean;
        olderThan?: string;
        state?: JobState[];
        dryRun?: boolean;
        json?: boolean;
      }) => {
        if (!opts.jobs && !opts.logs)
          throw new VfabError(
            'USAGE',
            'Say what to clean: --jobs, --logs or both, e.g. vfab cleanup --jobs --older-than 30d',
          );
        if (opts.state && !opts.jobs) throw new VfabError('USAGE', '--state applies to --jobs.');
        const olderThanMs = olderThan(opts.olderThan);
        const engine = ctx.engine();
        const jobs = opts.jobs
          ? cleanupJobs(engine, { olderThanMs, states: opts.state, dryRun: opts.dryRun })
          : undefined;
        const logs = opts.logs
          ? cleanupLogs(engine.paths.logFile, { olderThanMs, dryRun: opts.dryRun })
          : undefined;
        if (jobs?.skipped.length) ctx.exitCode = 1;
        if (opts.json)
          return printJson(ctx.io, {
            cleanup: {
              dry_run: Boolean(opts.dryRun),
              older_than: opts.olderThan,
              jobs: jobs ?? null,
              logs: logs ?? null,
            },
          });
        const verb = opts.dryRun ? 'Would remove' : 'Removed';
        if (jobs) {
          if (jobs.removed.length)
            printRows(
              ctx.io,
              ['ID', 'STATE', 'SINCE'],
              jobs.removed.map((j) => [j.id, j.state, localTime(j.since)]),
              '',
            );
          ctx.io.err(
            `${verb} ${jobs.removed.length} finished job(s) older than ${opts.olderThan}; ${jobs.kept} job(s) kept.${opts.dryRun ? ' Nothing was removed (dry run).' : ''}`,
          );
          for (const s of jobs.skipped) ctx.io.err(`${s.id}: not removed: ${s.reason}`);
        }
        if (logs) {
          if (logs.removed.length)
            printRows(
              ctx.io,
              ['FILE', 'MODIFIED'],
              logs.removed.map((l) => [l.file, localTime(l.modified)]),
              '',
            );
          ctx.io.err(
            `${verb} ${logs.removed.length} rotated log file(s) older than ${opts.olderThan}; ${logs.kept} kept.${opts.dryRun ? ' Nothing was removed (dry run).' : ''}`,
          );
        }
      },
    );
}
