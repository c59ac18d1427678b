/**
 * What a vfab archive holds and how it is laid out. The layout is the one the recovery guide's
 * hand commands expect (`tar -xzf F "workspace/jobs/<id>/"`, `tar -xzf F "config/config.yaml"`),
 * and `manifest.json` at the root lists every file with its size and sha256, so an import can
 * prove the archive is whole before it touches anything.
 */
import { isValidJobId } from '../jobs/workspace';
import { ArchiveError, safeMemberPath } from './tar';

export const MANIFEST_NAME = 'manifest.json';
export const CONFIG_MEMBER = 'config/config.yaml';
export const DATABASE_MEMBER = 'vfab.db';
export const WORKSPACE_ROOT = 'workspace';
export const JOBS_ROOT = 'workspace/jobs';

export const MANIFEST_FORMAT = 'vfab-backup';
/** Bumped when the layout changes incompatibly; an import refuses a newer one. */
export const MANIFEST_VERSION = 1;
/** The manifest is parsed in memory: one line per file, so this is millions of files. */
export const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  format_version: number;
  vfab_version: string;
  created_at: string;
  host: string;
  /** Where the data came from (informational). */
  source: { config_file: string; data_dir: string; workspace_dir: string };
  /** Job folders in the archive. */
  jobs: number;
  /** The database snapshot is present (it is only an index: an import without it rebuilds it). */
  database: boolean;
  /** Things the exporter wants a reader to know (a journal cut at its last complete line, a skipped file). */
  notes: string[];
  files: ManifestFile[];
}

/** Where a member may live in the archive; anything else is refused on import. */
export function isKnownMember(p: string, type: 'file' | 'dir'): boolean {
  if (type === 'file')
    return (
      p === MANIFEST_NAME ||
      p === DATABASE_MEMBER ||
      p === CONFIG_MEMBER ||
      p.startsWith(`${WORKSPACE_ROOT}/`)
    );
  return p === 'config' || p === WORKSPACE_ROOT || p.startsWith(`${WORKSPACE_ROOT}/`);
}

/** The job a member belongs to (`workspace/jobs/<id>/...`), if any. */
export function jobOfMember(p: string): string | undefined {
  if (!p.startsWith(`${JOBS_ROOT}/`)) return undefined;
  const name = p.slice(JOBS_ROOT.length + 1).split('/')[0];
  // Files beside the job folders (.queue-order.json) and staging folders are not jobs.
  return name && isValidJobId(name) ? name : undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks a manifest; every problem is an ArchiveError that names `label`. */
export function parseManifest(text: string, label: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ArchiveError(
      `${label}: ${MANIFEST_NAME} is not valid JSON (${(err as Error).message}); the archive is damaged.`,
    );
  }
  if (!isRecord(raw) || raw.format !== MANIFEST_FORMAT)
    throw new ArchiveError(`${label}: ${MANIFEST_NAME} is not a vfab backup manifest.`);
  const version = raw.format_version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    throw new ArchiveError(`${label}: ${MANIFEST_NAME} has no valid format_version.`);
  if (version > MANIFEST_VERSION) {
    throw new ArchiveError(
      `${label} was written by a newer vfab (${String(raw.vfab_version)}, archive format ${version}); this vfab reads format ${MANIFEST_VERSION}. Update vfab and import again.`,
    );
  }
  if (!Array.isArray(raw.files))
    throw new ArchiveError(`${label}: ${MANIFEST_NAME} has no file list.`);
  const seen = new Set<string>();
  const files: ManifestFile[] = raw.files.map((f: unknown, i: number) => {
    if (
      !isRecord(f) ||
      typeof f.path !== 'string' ||
      typeof f.size !== 'number' ||
      !Number.isSafeInteger(f.size) ||
      f.size < 0 ||
      typeof f.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(f.sha256)
    ) {
      throw new ArchiveError(
        `${label}: ${MANIFEST_NAME} entry ${i + 1} is not {path, size, sha256}.`,
      );
    }
    const p = safeMemberPath(f.path);
    if (!isKnownMember(p, 'file') || p === MANIFEST_NAME)
      throw new ArchiveError(
        `${label}: ${MANIFEST_NAME} lists '${f.path}', which has no place in a vfab archive.`,
      );
    if (seen.has(p)) throw new ArchiveError(`${label}: ${MANIFEST_NAME} lists '${p}' twice.`);
    seen.add(p);
    return { path: p, size: f.size, sha256: f.sha256 };
  });
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const source = isRecord(raw.source) ? raw.source : {};
  return {
    format: MANIFEST_FORMAT,
    format_version: version,
    vfab_version: str(raw.vfab_version),
    created_at: str(raw.created_at),
    host: str(raw.host),
    source: {
      config_file: str(source.config_file),
      data_dir: str(source.data_dir),
      workspace_dir: str(source.workspace_dir),
    },
    jobs: typeof raw.jobs === 'number' ? raw.jobs : 0,
    database: raw.database === true,
    notes: Array.isArray(raw.notes)
      ? raw.notes.filter((n): n is string => typeof n === 'string')
      : [],
    files,
  };
}

/**
 * Compares what the archive held with what its manifest promised. Returns the problems, each
 * naming the member: a changed or missing file, or one the manifest does not know.
 */
export function compareWithManifest(
  manifest: Manifest,
  found: ReadonlyMap<string, { size: number; sha256: string }>,
): string[] {
  const problems: string[] = [];
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    const got = found.get(f.path);
    if (!got) problems.push(`'${f.path}' is listed in the manifest but missing from the archive`);
    else if (got.size !== f.size)
      problems.push(`'${f.path}' is ${got.size} bytes, the manifest says ${f.size}`);
    else if (got.sha256 !== f.sha256)
      problems.push(
        `'${f.path}' does not match its checksum (sha256 ${got.sha256.slice(0, 12)}…, manifest ${f.sha256.slice(0, 12)}…)`,
      );
  }
  for (const p of found.keys())
    if (!listed.has(p)) problems.push(`'${p}' is in the archive but not in its manifest`);
  return problems;
}
