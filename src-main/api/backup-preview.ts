/**
 * What a backup archive holds, read from its manifest without importing anything: the app shows
 * it before the user confirms an import. The manifest is the archive's last member, so the whole
 * archive is streamed once (bodies skipped, nothing written); member checks stay with the import.
 */
import {
  CONFIG_MEMBER,
  DATABASE_MEMBER,
  jobOfMember,
  MANIFEST_NAME,
  MAX_MANIFEST_BYTES,
  parseManifest,
} from '../backup/manifest';
import { checkArchiveFile } from '../backup/import';
import { archiveEntries } from '../backup/extract';
import { ArchiveError } from '../backup/tar';
import type { BackupPreview } from './contract';

async function manifestText(file: string): Promise<string | undefined> {
  for await (const entry of archiveEntries(file)) {
    const parts: Buffer[] = [];
    const wanted =
      entry.type === 'file' && entry.path === MANIFEST_NAME && entry.size <= MAX_MANIFEST_BYTES;
    for await (const chunk of entry.body()) if (wanted) parts.push(chunk);
    if (wanted) return Buffer.concat(parts).toString('utf8');
  }
  return undefined;
}

export async function previewBackup(archive: string): Promise<BackupPreview> {
  const file = checkArchiveFile(archive);
  const text = await manifestText(file);
  if (text === undefined)
    throw new ArchiveError(
      `${file} has no ${MANIFEST_NAME}: it was not made by 'vfab system export', or it is incomplete.`,
    );
  const m = parseManifest(text, file);
  const jobs = [
    ...new Set(m.files.map((f) => jobOfMember(f.path)).filter((j): j is string => j !== undefined)),
  ].sort();
  return {
    file,
    formatVersion: m.format_version,
    vfabVersion: m.vfab_version,
    createdAt: m.created_at,
    host: m.host,
    jobs,
    database: m.files.some((f) => f.path === DATABASE_MEMBER),
    config: m.files.some((f) => f.path === CONFIG_MEMBER),
    files: m.files.length,
    bytes: m.files.reduce((n, f) => n + f.size, 0),
    notes: m.notes,
  };
}
