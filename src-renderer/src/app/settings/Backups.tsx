import { useEffect, useState } from 'react';
import type { BackupPreview, BackupsInfo } from '../../../../src-main/api/contract';
import { api, errorText } from '../../client';
import { useJobs } from '../store/jobs';
import { useSettings } from '../store/settings';

const size = (bytes: number) =>
  bytes < 2 ** 20
    ? `${Math.max(1, Math.round(bytes / 1024))} KB`
    : `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MB`;

type Busy = { what: 'backup' } | { what: 'preview' | 'restore'; file: string };

/** The backups folder: back up now, and restore one (checked first, the current state kept aside). */
export function Backups() {
  const [info, setInfo] = useState<BackupsInfo>();
  const [busy, setBusy] = useState<Busy>();
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [preview, setPreview] = useState<BackupPreview>();
  const refreshJobs = useJobs((s) => s.refresh);
  const loadSettings = useSettings((s) => s.load);
  const autoSetting = useSettings((s) => s.settings?.config.backups.auto);

  const load = () =>
    api.call('backup.list', {}).then(
      (i) => setInfo(i),
      (err: unknown) =>
        setMessage({ ok: false, text: `Cannot list the backups: ${errorText(err)}` }),
    );
  useEffect(() => void load(), [autoSetting]);

  async function act(b: Busy, work: () => Promise<string | void>) {
    setBusy(b);
    setMessage(undefined);
    try {
      const text = await work();
      if (text) setMessage({ ok: true, text });
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    } finally {
      setBusy(undefined);
      void load();
    }
  }

  const backUpNow = () =>
    act({ what: 'backup' }, async () => {
      const r = await api.call('backup.run', {});
      return `Saved ${r.file} (${r.jobs} jobs, ${size(r.archiveBytes)})${r.pruned.length ? `; ${r.pruned.length} older backups deleted (keeping ${info?.keep ?? ''})` : ''}.`;
    });
  const check = (file: string) =>
    act({ what: 'preview', file }, async () => {
      setPreview(await api.call('backup.preview', { archive: file }));
    });
  const restore = (file: string) =>
    act({ what: 'restore', file }, async () => {
      const r = await api.call('backup.import', { archive: file });
      setPreview(undefined);
      await Promise.all([refreshJobs(), loadSettings()]);
      const kept = r.keptSettings.length
        ? ` This computer's ${r.keptSettings.map((k) => k.key).join(', ')} were kept: a backup's paths are never used.`
        : '';
      return `Restored ${r.jobs.length} jobs from ${file}.${r.backupDir ? ` What was here before is kept in ${r.backupDir}.` : ''}${kept}`;
    });

  return (
    <section className="backups" aria-label="Backups" data-testid="backups">
      <h3>Backups</h3>
      {info ? (
        <p className="muted">
          In {info.dir}.{' '}
          {info.auto
            ? `Automatic every ${info.intervalHours} h, keeping ${info.keep}; next ${info.nextDue ? new Date(info.nextDue).toLocaleString() : 'soon'}.`
            : 'Automatic backups are off (turn them on above).'}
        </p>
      ) : null}
      <div className="dialog-actions">
        <button
          type="button"
          className="btn"
          disabled={busy !== undefined}
          onClick={() => void backUpNow()}
        >
          {busy?.what === 'backup' ? 'Backing up…' : 'Back up now'}
        </button>
      </div>
      {message ? (
        <p className={message.ok ? 'ok-note' : 'row-error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      ) : null}
      {info?.archives.length ? (
        <ul className="backup-list">
          {info.archives.map((a) => (
            <li key={a.file} data-testid="backup" data-file={a.name}>
              <span className="backup-name">{a.name}</span>
              <span className="muted">
                {new Date(a.createdAt).toLocaleString()} · {size(a.bytes)}
              </span>
              {preview?.file === a.file ? (
                <div className="backup-confirm">
                  <p>
                    Made {new Date(preview.createdAt).toLocaleString()} on {preview.host} by vfab{' '}
                    {preview.vfabVersion}: {preview.jobs.length} jobs
                    {preview.config ? ', settings' : ''}
                    {preview.database ? ', database' : ''}. Restoring replaces the jobs and settings
                    here; what is here now is kept aside first.
                  </p>
                  <button
                    type="button"
                    className="btn btn-danger"
                    disabled={busy !== undefined}
                    onClick={() => void restore(a.file)}
                  >
                    {busy?.what === 'restore' ? 'Restoring…' : 'Restore this backup'}
                  </button>
                  <button
                    type="button"
                    className="btn btn-quiet"
                    disabled={busy !== undefined}
                    onClick={() => setPreview(undefined)}
                  >
                    Cancel
                  </button>
                </div>
              ) : (
                <button
                  type="button"
                  className="btn"
                  disabled={busy !== undefined}
                  onClick={() => void check(a.file)}
                >
                  {busy?.what === 'preview' && busy.file === a.file ? 'Checking…' : 'Restore…'}
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : info ? (
        <p className="muted">No backups yet.</p>
      ) : null}
    </section>
  );
}
