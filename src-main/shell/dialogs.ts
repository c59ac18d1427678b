/**
 * The few native dialogs main opens itself: Add job… (File menu) and About. Adding goes through
 * the typed API like a drop in the window, so the renderer hears of it by `job.changed`.
 */
import path from 'node:path';
import { dialog, type BrowserWindow } from './electron';
import type { ApiService } from '../api/service';
import { VERSION } from '../version';

/** Asks for SVG files and adds (and plans) each; failures are shown, named by file. */
export async function addJobsFromDialog(
  service: ApiService,
  win: BrowserWindow | undefined,
): Promise<void> {
  const options = {
    title: 'Add job',
    properties: ['openFile' as const, 'multiSelections' as const],
    filters: [{ name: 'SVG drawings', extensions: ['svg'] }],
  };
  const picked =
    win && !win.isDestroyed()
      ? await dialog.showOpenDialog(win, options)
      : await dialog.showOpenDialog(options);
  if (picked.canceled) return;
  const failed: string[] = [];
  for (const file of picked.filePaths) {
    try {
      await service.call('jobs.add', { source: { path: path.resolve(file) } });
    } catch (err) {
      failed.push(`${path.basename(file)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (failed.length > 0) dialog.showErrorBox('Could not add every job', failed.join('\n'));
}

export async function showAbout(win: BrowserWindow | undefined): Promise<void> {
  const options = {
    type: 'info' as const,
    title: 'About vfab',
    message: `vfab ${VERSION}`,
    detail: `Pen-plotter workstation.\nElectron ${process.versions['electron'] ?? '?'}, Node ${process.versions.node}, Chromium ${process.versions['chrome'] ?? '?'}.`,
    buttons: ['OK'],
  };
  if (win && !win.isDestroyed()) await dialog.showMessageBox(win, options);
  else await dialog.showMessageBox(options);
}
