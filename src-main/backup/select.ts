/**
 * Which workspace files belong in an archive. Locks, owner files, pause requests and the hidden
 * folders of unfinished creates, replaces and deletes describe a moment, not the data: restoring
 * them would make a restored job look busy or half-deleted.
 */

const TRANSIENT_FILES = new Set(['plot.owner', 'pause.request']);
const TRANSIENT_DIR_PREFIXES = ['.staging-', '.replaced-', '.deleted-'];

export function isTransientFile(name: string): boolean {
  return TRANSIENT_FILES.has(name) || name.endsWith('.lock') || name.endsWith('.break') || (name.startsWith('.') && name.endsWith('.tmp'));
}

export function isTransientDir(name: string): boolean {
  return TRANSIENT_DIR_PREFIXES.some((p) => name.startsWith(p));
}

/** A job's journal is append-only and may grow while it is copied: it is cut at a complete line. */
export function isJournalMember(archivePath: string): boolean {
  return /^workspace\/jobs\/[^/]+\/journal\.jsonl$/.test(archivePath);
}
