/**
 * Which workspace files belong in an archive. Locks, owner files, pause requests and the hidden
 * folders of unfinished creates, replaces and deletes describe a moment, not the data: restoring
 * them would make a restored job look busy or half-deleted. An export leaves them out, and an
 * archive that holds one was altered: its import is refused.
 */

const TRANSIENT_FILES = new Set(['plot.owner', 'pause.request']);
const TRANSIENT_DIR_PREFIXES = ['.staging-', '.replaced-', '.deleted-'];
/** vfab's device owner files live here, beside the workspace; never in an archive. */
const LOCKS_ROOT = 'locks';

export function isTransientFile(name: string): boolean {
  return (
    TRANSIENT_FILES.has(name) ||
    name.endsWith('.owner') ||
    name.endsWith('.lock') ||
    name.endsWith('.break') ||
    (name.startsWith('.') && name.endsWith('.tmp'))
  );
}

export function isTransientDir(name: string): boolean {
  return TRANSIENT_DIR_PREFIXES.some((p) => name.startsWith(p));
}

/** Why an archive member is one of the transient things above, or undefined when it is data. */
export function transientMember(archivePath: string, type: 'file' | 'dir'): string | undefined {
  const parts = archivePath.split('/');
  if (parts[0] === LOCKS_ROOT) return "is in vfab's locks folder (a running plot's device owner)";
  const folders = type === 'dir' ? parts : parts.slice(0, -1);
  if (folders.some(isTransientDir))
    return 'is inside a half-made job folder (an unfinished create, replace or delete)';
  if (type === 'file' && isTransientFile(parts[parts.length - 1]!))
    return 'is a lock, owner, pause-request or temporary file (it describes a running moment)';
  return undefined;
}

/** A job's journal is append-only and may grow while it is copied: it is cut at a complete line. */
export function isJournalMember(archivePath: string): boolean {
  return /^workspace\/jobs\/[^/]+\/journal\.jsonl$/.test(archivePath);
}
