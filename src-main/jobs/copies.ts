/**
 * Copies (AxiDraw's `copies`): N jobs from one drawing, `<id>-1` … `<id>-N`, each a job of its own
 * with its own source copy and journal, so a queue plots each exactly once with a paper change
 * between them. The drawing is planned once: every other copy gets that plan, its journal
 * recording ANALYZED, OPTIMIZED and READY with the same facts and listing numbers, and the plan
 * file written between the first two, as planning itself does.
 */
import { VfabError } from '../errors';
import { readPlan, writePlan } from '../plan/plan-file';
import { readJournal, type StateChangeEntry } from './journal';
import type { JobService } from './lifecycle';
import type { JobState } from './states';
import { checkJobId, deriveJobId, jobExists, jobFiles, type JobMeta } from './workspace';

/** Most copies one add makes: a day's feeder run, not a typo's million folders. */
export const MAX_COPIES = 1000;

export interface CopiesRequest {
  file: string;
  /** `<id>-1` … `<id>-N`; derived from the file name when omitted. */
  id?: string;
  copies: number;
  /** Replace jobs of those ids. */
  force?: boolean;
}

export interface CopiesOutcome {
  /** Every job made, in order: the first's plan is the others'. */
  ids: string[];
  first: JobMeta;
  /** The first job's state after planning (READY when every copy was made); NEW without planning. */
  state: JobState;
}

/** `base-1` … `base-N`. */
export function copyIds(base: string, copies: number): string[] {
  return Array.from({ length: copies }, (_, i) => `${base}-${i + 1}`);
}

/** A whole number of copies from 2 to MAX_COPIES (one copy is a plain job). */
export function checkCopies(copies: number): number {
  if (!Number.isInteger(copies) || copies < 2 || copies > MAX_COPIES) {
    throw new VfabError(
      'INVALID_INPUT',
      `copies must be a whole number from 2 to ${MAX_COPIES}, not ${copies}.`,
    );
  }
  return copies;
}

/** The ids to make: given ones must all be free (or `force`d); a derived base is the first whose ids all are. */
function idsFor(jobs: JobService, req: CopiesRequest): string[] {
  const taken = (id: string) => jobExists(jobs.jobsDir, id);
  if (req.id === undefined)
    return copyIds(
      deriveJobId(req.file, (base) => copyIds(base, req.copies).some(taken)),
      req.copies,
    );
  const ids = copyIds(req.id, req.copies);
  for (const id of ids) checkJobId(id);
  const clash = ids.filter(taken);
  if (clash.length && !req.force) {
    const named =
      clash.length > 3
        ? `${clash.slice(0, 3).join(', ')} and ${clash.length - 3} more`
        : clash.join(', ');
    throw new VfabError(
      'ALREADY_EXISTS',
      `Job${clash.length > 1 ? 's' : ''} ${named} already exist${clash.length > 1 ? '' : 's'}. Choose another id, or pass --force to replace them.`,
    );
  }
  return ids;
}

/** The planning entries of a job just planned: ANALYZED, OPTIMIZED, READY, the last three of its journal. */
function planningEntries(
  jobs: JobService,
  id: string,
): [StateChangeEntry, StateChangeEntry, StateChangeEntry] {
  const changes = readJournal(jobFiles(jobs.jobsDir, id).journal).records.flatMap((r) =>
    r.entry.type === 'state_change' ? [r.entry] : [],
  );
  const [analyzed, optimized, ready] = changes.slice(-3);
  if (
    analyzed?.to_state !== 'ANALYZED' ||
    optimized?.to_state !== 'OPTIMIZED' ||
    ready?.to_state !== 'READY'
  ) {
    throw new VfabError(
      'INVALID_STATE',
      `Job '${id}' was changed while its copies were made; add the copies again.`,
    );
  }
  return [analyzed, optimized, ready];
}

/**
 * Makes the copies: the first is added and planned by `planFirst` (the face's own planning, with
 * its progress and messages), the others only once the first is READY. Without `planFirst` every
 * copy is added NEW. A source file that changes on the way is refused rather than given a plan
 * made from other bytes.
 */
export async function addCopies(
  jobs: JobService,
  req: CopiesRequest,
  planFirst?: (id: string) => Promise<JobState>,
): Promise<CopiesOutcome> {
  jobs.assertWritable();
  const ids = idsFor(jobs, { ...req, copies: checkCopies(req.copies) });
  const first = await jobs.add({ file: req.file, id: ids[0], force: req.force });
  if (!planFirst) {
    for (const id of ids.slice(1)) await jobs.add({ file: req.file, id, force: req.force });
    return { ids, first, state: 'NEW' };
  }
  const state = await planFirst(first.id);
  if (state !== 'READY') return { ids: [first.id], first, state };
  const entries = planningEntries(jobs, first.id);
  const plan = readPlan(jobFiles(jobs.jobsDir, first.id).plan);
  for (const id of ids.slice(1)) {
    const copy = await jobs.add({ file: req.file, id, force: req.force });
    if (copy.source_sha256 !== first.source_sha256) throw changedSource(req.file, first, copy);
    const [analyzed, optimized, ready] = entries;
    jobs.transition(id, 'ANALYZED', analyzed.reason, { ...analyzed.metadata, copy_of: first.id });
    writePlan(jobFiles(jobs.jobsDir, id).plan, { ...plan, job: id });
    jobs.transition(id, 'OPTIMIZED', optimized.reason, optimized.metadata);
    jobs.transition(id, 'READY', ready.reason, ready.metadata);
  }
  return { ids, first, state };
}

function changedSource(file: string, first: JobMeta, copy: JobMeta): VfabError {
  return new VfabError(
    'INVALID_INPUT',
    `'${file}' changed while its copies were added: job ${copy.id} (NEW) differs from ${first.id}. Plan it on its own (vfab plan ${copy.id}) or remove it and add the copies again.`,
  );
}
