/**
 * Where an export may write. Never over an existing file unless asked (`--force`), and never, even
 * then, over vfab's own files: the config, anything in the workspace or the logs, or anything in
 * the data folder except a new archive in its backups folder. Folders are compared by their real
 * paths, so a symbolic link (the target itself or a folder on the way) cannot smuggle one in.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { VfabPaths } from '../config/paths';
import { VfabError } from '../errors';

/** The real path of `p`, resolving the part that exists; the rest is appended as written. */
function realPathOf(p: string): string {
  const abs = path.resolve(p);
  try {
    return fs.realpathSync(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(realPathOf(parent), path.basename(abs));
  }
}

function inside(folder: string, p: string): boolean {
  const rel = path.relative(folder, p);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** Where an archive may go: `free`, `taken` (an archive of the backups folder, never replaced), or why never. */
type Placement = { kind: 'free' } | { kind: 'taken' } | { kind: 'protected'; reason: string };

/**
 * Whether an archive may be written at `real` (a real path). `exists`: something is there now. A
 * new file directly in the backups folder is the one place in the data folder allowed.
 */
function placementOf(
  real: string,
  exists: boolean,
  paths: VfabPaths,
  backupsDir: string,
): Placement {
  if (real === realPathOf(paths.configFile))
    return { kind: 'protected', reason: "is vfab's config file" };
  if (inside(realPathOf(paths.workspaceDir), real))
    return { kind: 'protected', reason: "is in vfab's workspace (the jobs and their journals)" };
  if (inside(realPathOf(paths.logsDir), real))
    return { kind: 'protected', reason: "is in vfab's logs folder" };
  if (path.dirname(real) === realPathOf(backupsDir))
    return exists && inside(realPathOf(paths.dataDir), real) ? { kind: 'taken' } : { kind: 'free' };
  if (inside(realPathOf(paths.dataDir), real))
    return {
      kind: 'protected',
      reason: "is in vfab's data folder (the database, locks and import backups)",
    };
  return { kind: 'free' };
}

/** What is at `p` itself (a link is not followed), or undefined. */
export function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

/**
 * The file an export to `output` writes (in its folder's real path), or a refusal: INVALID_INPUT
 * for a folder or one of vfab's own files (whatever `force` says), ALREADY_EXISTS for anything
 * else already there unless `force`.
 */
export function exportTarget(
  output: string,
  paths: VfabPaths,
  backupsDir: string,
  force: boolean,
): string {
  const asked = path.resolve(output);
  const file = path.join(realPathOf(path.dirname(asked)), path.basename(asked));
  const there = lstatOrUndefined(file);
  if (there?.isDirectory())
    throw new VfabError(
      'INVALID_INPUT',
      `${asked} is a folder; give a file name such as ${path.join(asked, 'vfab-backup.tar.gz')}.`,
    );
  // A link is judged by where it leads as well as where it is.
  const leadsTo = there?.isSymbolicLink() ? realPathOf(file) : file;
  for (const p of new Set([file, leadsTo])) {
    const placement = placementOf(p, there !== undefined, paths, backupsDir);
    const shown = p === asked ? asked : `${asked} (${p})`;
    if (placement.kind === 'protected') {
      throw new VfabError(
        'INVALID_INPUT',
        `${shown} ${placement.reason}; an export never writes there, even with --force. Nothing was written. Choose a file outside vfab's folders, e.g. --output ~/vfab-backup.tar.gz.`,
      );
    }
    if (placement.kind === 'taken')
      throw new VfabError(
        'ALREADY_EXISTS',
        `${shown} already exists in the backups folder, where an export never replaces an archive; nothing was written. Choose another name.`,
      );
  }
  if (there && !force) {
    throw new VfabError(
      'ALREADY_EXISTS',
      `${asked} already exists; nothing was written. Choose another name, or add --force to replace it.`,
    );
  }
  return file;
}
