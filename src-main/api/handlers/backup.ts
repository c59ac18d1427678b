/** backup.*: exporting, importing and listing backups, and the scheduled one run now. */
import fs from 'node:fs';
import path from 'node:path';
import { backupDir, listBackups, runAutoBackupIfDue } from '../../backup/auto';
import { exportSystem } from '../../backup/export';
import { importSystem, recoverInterruptedImportIfIdle } from '../../backup/import';
import { openEngine } from '../../engine';
import { VfabError } from '../../errors';
import { jobsBeingPlanned } from '../../jobs/prepare';
import { previewBackup } from '../backup-preview';
import type { HandlersFor, ServiceParts } from './context';

export function backupHandlers(parts: ServiceParts): HandlersFor<'backup'> {
  const { engine, opts, changed, queue, plotting } = parts;
  const env = opts.env ?? process.env;
  return {
    'backup.export': async (p) => {
      const recovered = recoverInterruptedImportIfIdle(engine.paths);
      const dir = backupDir(engine);
      const summary = await exportSystem({
        paths: engine.paths,
        output: path.join(dir, p.name),
        backupsDir: dir,
        nativeBinding: opts.nativeBinding,
        notes: [],
      });
      if (recovered) summary.notes.push(recovered);
      engine.logger.info(
        `system export to ${summary.file}: ${summary.jobs} job(s), ${summary.files} file(s), ${summary.archiveBytes} bytes`,
      );
      return summary;
    },

    'backup.import': async (p) => {
      if (plotting().length)
        throw new VfabError(
          'BUSY',
          `Cannot import a backup while plotting ${plotting().join(', ')}; let the plot finish or pause it first.`,
        );
      if (queue.status().running)
        throw new VfabError(
          'BUSY',
          'Cannot import a backup while the queue runs; stop the queue first.',
        );
      if (jobsBeingPlanned().length)
        throw new VfabError(
          'BUSY',
          `Cannot import a backup while planning ${jobsBeingPlanned().join(', ')}; try again once that has finished.`,
        );
      const summary = await importSystem({
        archive: p.archive,
        env,
        nativeBinding: opts.nativeBinding,
        verifyOnly: p.verifyOnly,
      });
      if (!summary.verifyOnly) {
        // The import replaced the database and workspace under the open engine. Every face holds
        // this one object, so its parts are swapped in place rather than handing out a new one.
        const closeOld = engine.close;
        Object.assign(engine, openEngine({ env, nativeBinding: opts.nativeBinding }));
        closeOld();
        for (const j of summary.jobs) changed(j.id);
      }
      return summary;
    },

    'backup.preview': (p) => previewBackup(p.archive),

    'backup.list': () => {
      const b = engine.config.backups;
      const dir = backupDir(engine);
      const archives = listBackups(dir).map((a) => ({
        file: a.file,
        name: path.basename(a.file),
        bytes: fs.statSync(a.file, { throwIfNoEntry: false })?.size ?? 0,
        createdAt: new Date(a.mtimeMs).toISOString(),
      }));
      const nextDue = b.auto
        ? new Date(
            archives.length
              ? Date.parse(archives[0]!.createdAt) + b.interval_hours * 3_600_000
              : Date.now(),
          ).toISOString()
        : null;
      return {
        dir,
        auto: b.auto,
        intervalHours: b.interval_hours,
        keep: b.keep,
        nextDue,
        archives,
      };
    },

    'backup.run': async () => {
      const r = await runAutoBackupIfDue(engine, {
        force: true,
        nativeBinding: opts.nativeBinding,
      });
      return { ...r.export!, pruned: r.pruned };
    },
  };
}
