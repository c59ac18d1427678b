/** `vfab info system`, `vfab system journal validate|repair`, `vfab system rebuild-db`. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { ERROR_CODES, VfabError } from '../../errors';
import { repairJournal, validateJournal, type JournalProblem } from '../../jobs/journal';
import { reconcile } from '../../jobs/reconcile';
import { JOB_STATES } from '../../jobs/states';
import { Store, setAsideDatabase } from '../../jobs/store';
import { checkJobId, jobFiles, listJobIds } from '../../jobs/workspace';
import { listEbbPorts, usbNickname } from '../../plotter/devices';
import { refusal } from '../../read-only';
import { livePlotOwners } from '../../jobs/owner';
import { describeSignalHandlers } from '../../recovery/signals';
import { VERSION } from '../../version';
import { printFields, printJson, printRows } from '../output';
import type { CliContext } from './jobs';

function targetIds(ctx: CliContext, id: string | undefined): string[] {
  const { jobsDir } = ctx.engine().paths;
  if (id === undefined) return listJobIds(jobsDir);
  checkJobId(id);
  if (!fs.existsSync(jobFiles(jobsDir, id).dir))
    throw new VfabError(
      'NOT_FOUND',
      `Job '${id}' not found. 'vfab list jobs' shows the jobs there are.`,
    );
  return [id];
}

function problemRows(id: string, problems: JournalProblem[]): string[][] {
  return problems.map((p) => [id, String(p.line), p.severity, p.kind, p.message]);
}

export function registerSystemCommands(program: Command, ctx: CliContext): void {
  const info = program.commands.find((c) => c.name() === 'info') ?? program.command('info');
  info
    .command('system')
    .description('versions, data locations, database and job counts')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const engine = ctx.engine();
      const counts = engine.store.countsByState();
      const detected = await listEbbPorts().catch((err: Error) => err);
      const system = {
        version: VERSION,
        node: process.versions.node,
        platform: `${process.platform}-${process.arch}`,
        paths: engine.paths,
        config: {
          file: engine.paths.configFile,
          exists: engine.configExists,
          warnings: engine.configWarnings.map((w) => w.message),
        },
        database: {
          file: engine.paths.dbFile,
          schema_version: engine.store.schemaVersion(),
          journal_mode: engine.store.journalMode(),
          created_now: engine.startup.databaseCreated,
          set_aside: engine.startup.databaseSetAside ?? null,
        },
        jobs: {
          total: Object.values(counts).reduce((a, b) => a + b, 0),
          by_state: Object.fromEntries(JOB_STATES.map((s) => [s, counts[s] ?? 0])),
        },
        devices: {
          model: engine.config.device.model,
          configured_port: engine.config.device.port ?? null,
          detected:
            detected instanceof Error
              ? []
              : detected.map((p) => ({
                  path: p.path,
                  nickname: usbNickname(p),
                  serial: p.serialNumber ?? null,
                })),
          error: detected instanceof Error ? detected.message : null,
          virtual: 'available (vfab virtual-plotter, or --device virtual)',
        },
        startup: {
          reconcile_ms: Math.round(engine.startup.reconcile.durationMs),
          unreadable_jobs: engine.startup.reconcile.unreadable,
          read_only: engine.startup.readOnly ?? null,
        },
        signal_handlers: describeSignalHandlers(),
        plots_running: livePlotOwners(engine.paths.jobsDir).map((o) => ({
          job: o.owner.job,
          pid: o.owner.pid,
          host: o.owner.host,
          device: o.owner.device,
          since: o.owner.since,
        })),
      };
      if (opts.json) return printJson(ctx.io, { system });
      printFields(ctx.io, [
        ['vfab', `${VERSION} (node ${system.node}, ${system.platform})`],
        [
          'Config',
          `${system.config.file}${system.config.exists ? '' : ' (not created yet: run vfab setup)'}`,
        ],
        ['Data', engine.paths.dataDir],
        [
          'Database',
          `${system.database.file} (schema ${system.database.schema_version}, ${system.database.journal_mode})`,
        ],
        ...(engine.startup.readOnly
          ? [
              [
                'Read-only',
                `${engine.startup.readOnly.reason}; to change jobs again: ${engine.startup.readOnly.fix}`,
              ] as [string, string],
            ]
          : []),
        ['Workspace', engine.paths.workspaceDir],
        ['Log', engine.paths.logFile],
        [
          'Jobs',
          `${system.jobs.total} (${
            JOB_STATES.filter((s) => counts[s])
              .map((s) => `${s} ${counts[s]}`)
              .join(', ') || 'none'
          })`,
        ],
        [
          'Plotter',
          `AxiDraw ${system.devices.model}, port ${system.devices.configured_port ?? 'auto (by USB id)'}`,
        ],
        [
          'Detected',
          system.devices.error ??
            (system.devices.detected
              .map((d) => `${d.path}${d.nickname ? ` (${d.nickname})` : ''}`)
              .join(', ') ||
              'no AxiDraw connected; the virtual plotter is always available'),
        ],
        [
          'Plotting',
          system.plots_running
            .map((p) => `${p.job} (pid ${p.pid} on ${p.host}, ${p.device})`)
            .join(', ') || 'nothing',
        ],
        ...system.signal_handlers.map((line) => ['Signal handler', line] as [string, string]),
      ]);
    });

  const system = program
    .command('system')
    .description('maintenance: journals and the index database');
  const journal = system.command('journal').description('check and repair job journals');
  journal
    .command('validate')
    .description(
      'report damaged journal lines and lines that break the chain of states (exit 8 when any journal has errors)',
    )
    .argument('[job_id]', 'one job (default: every job)')
    .option('--json', 'machine-readable output')
    .action((id: string | undefined, opts: { json?: boolean }) => {
      const results = targetIds(ctx, id).map((job) => ({
        job,
        ...validateJournal(jobFiles(ctx.engine().paths.jobsDir, job).journal),
      }));
      const bad = results.filter((r) => !r.ok);
      if (opts.json) printJson(ctx.io, { journals: results });
      else {
        printRows(
          ctx.io,
          ['JOB', 'LINE', 'SEVERITY', 'KIND', 'PROBLEM'],
          results.flatMap((r) => problemRows(r.job, r.problems)),
          `${results.length} journal(s) checked: no problems.`,
        );
        if (bad.length)
          ctx.io.err(
            `${bad.length} of ${results.length} journal(s) have errors; 'vfab system journal repair' keeps every valid line and backs up the original.`,
          );
      }
      if (bad.length) ctx.exitCode = ERROR_CODES.DATA;
    });
  journal
    .command('repair')
    .description('drop damaged lines (the original is backed up first) and re-index')
    .argument('[job_id]', 'one job (default: every job)')
    .option('--json', 'machine-readable output')
    .action((id: string | undefined, opts: { json?: boolean }) => {
      const engine = ctx.engine();
      engine.jobs.assertWritable();
      const failed: { job: string; error: string }[] = [];
      const results = targetIds(ctx, id).flatMap((job) => {
        try {
          return [{ job, ...repairJournal(jobFiles(engine.paths.jobsDir, job).journal) }];
        } catch (err) {
          failed.push({ job, error: (err as Error).message });
          return [];
        }
      });
      const changed = results.filter((r) => r.changed);
      if (failed.length) ctx.exitCode = ERROR_CODES.DATA;
      for (const r of changed)
        engine.logger.warning(
          `journal repaired: ${r.dropped.length} line(s) dropped, original kept as ${r.backupPath}`,
          r.job,
        );
      reconcile(
        { store: engine.store, jobsDir: engine.paths.jobsDir, logger: engine.logger },
        { ids: changed.map((r) => r.job) },
      );
      if (opts.json) return printJson(ctx.io, { repaired: results, failed });
      for (const f of failed) ctx.io.err(`${f.job}: cannot repair: ${f.error}`);
      printRows(
        ctx.io,
        ['JOB', 'KEPT', 'DROPPED', 'BACKUP'],
        changed.map((r) => [r.job, String(r.kept), String(r.dropped.length), r.backupPath ?? '']),
        `${results.length} journal(s) checked: nothing to repair.`,
      );
      for (const r of changed)
        for (const p of r.dropped) ctx.io.err(`${r.job}: dropped line ${p.line} (${p.message})`);
    });

  system
    .command('rebuild-db')
    .description('set the index database aside and rebuild it from the journals')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      const engine = ctx.engine();
      // The cure for a bad vfab.db, so refused only when the folder itself cannot be written.
      const readOnly = engine.startup.readOnly;
      if (readOnly?.part === 'workspace') throw refusal(readOnly);
      engine.store.close();
      const aside = setAsideDatabase(engine.paths.dbFile, 'bak', 'rebuild requested');
      const { store } = Store.open(engine.paths.dbFile);
      try {
        const report = reconcile({ store, jobsDir: engine.paths.jobsDir, logger: engine.logger });
        engine.logger.info(
          `index rebuilt from ${report.indexed} journals; previous database kept as ${aside.path}`,
        );
        // What made this process read-only is gone: no note saying otherwise.
        engine.startup.readOnly = undefined;
        if (opts.json)
          return printJson(ctx.io, {
            rebuilt: {
              jobs: report.indexed,
              unreadable: report.unreadable,
              previous: aside.path,
              ms: Math.round(report.durationMs),
            },
          });
        ctx.io.out(
          `Rebuilt the index from ${report.indexed} journal(s) in ${Math.round(report.durationMs)} ms. Previous database kept as ${aside.path}.`,
        );
        for (const u of report.unreadable) ctx.io.err(`job ${u.id}: ${u.reason}`);
      } finally {
        store.close();
      }
    });
}
