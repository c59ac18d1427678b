/**
 * The job operations every face (CLI, IPC, web) calls: create, transition, inspect, remove,
 * and the one way a plot writes its journal (transitions, checkpoints, interruptions). Each
 * transition is checked against the table, journaled (flushed) and only then applied to the
 * index: journal before action (docs/recovery.md, invariant 1).
 */
import fs from 'node:fs';
import path from 'node:path';
import { VfabError } from '../errors';
import type { Logger } from '../log';
import { refusal, type ReadOnlyMode } from '../read-only';
import {
  appendEntry,
  readJournal,
  summarizeJournal,
  type EmergencyShutdownEntry,
  type JournalRead,
  type RecoveryEntry,
  type StateChangeEntry,
} from './journal';
import type { Checkpoint } from './checkpoint';
import { withFileLock } from './lock';
import { reconcile, type ReconcileReport } from './reconcile';
import { ACTIVE_STATES, assertTransition, type JobState, type TransitionKind } from './states';
import type { IndexedJob, Store } from './store';
import {
  checkJobId,
  createJobFolder,
  deleteJobFolder,
  deriveJobId,
  jobExists,
  jobFiles,
  readJobMeta,
  type JobFiles,
  type JobMeta,
} from './workspace';

export interface JobDetail {
  id: string;
  /** From the journal, not the index. */
  state: JobState | undefined;
  meta: JobMeta | undefined;
  journal: JournalRead;
  files: JobFiles;
  hasPlan: boolean;
  indexed: IndexedJob | undefined;
}

export interface AddJobRequest {
  file: string;
  /** Derived from the file name when omitted. */
  id?: string;
  /** Replace an existing job of that id. */
  force?: boolean;
}

export class JobService {
  /** Ids of jobs this service is creating now. */
  private readonly creating = new Set<string>();

  constructor(
    private readonly store: Store,
    readonly jobsDir: string,
    private readonly logger: Logger,
    /** Set when the data folder or the index cannot be written (engine.ts): changes are refused. */
    private readonly readOnly?: ReadOnlyMode,
  ) {}

  /** Refuses, before anything is touched, a change that could not be kept. */
  assertWritable(): void {
    if (this.readOnly) throw refusal(this.readOnly);
  }

  async add(req: AddJobRequest): Promise<JobMeta> {
    this.assertWritable();
    const id =
      req.id !== undefined
        ? checkJobId(req.id)
        : deriveJobId(req.file, (c) => jobExists(this.jobsDir, c) || this.creating.has(c));
    // Two adds of one file at once (serve, the app) derive different ids: the first is taken while it is copied.
    this.creating.add(id);
    let meta: JobMeta;
    try {
      meta = await createJobFolder(this.jobsDir, id, req.file, { replace: req.force });
    } finally {
      this.creating.delete(id);
    }
    this.logger.info(`job created from ${meta.source_path} (${meta.source_size} bytes)`, id);
    this.reindex(id);
    return meta;
  }

  /**
   * Moves a job to `to`. The current state is read from the journal under the job's transition
   * lock, so two processes cannot both act on the same old state.
   */
  transition(
    id: string,
    to: JobState,
    reason: string,
    metadata: Record<string, unknown> = {},
    kind: TransitionKind = 'normal',
  ): StateChangeEntry {
    this.assertWritable();
    const files = this.existing(id);
    const entry = withFileLock(path.join(files.dir, 'transition.lock'), () => {
      const from = this.currentState(id, files);
      assertTransition(id, from, to, kind);
      return appendEntry(files.journal, {
        type: 'state_change',
        from_state: from,
        to_state: to,
        reason,
        metadata,
      });
    });
    this.logger.info(`${entry.from_state} -> ${to}: ${reason}`, id);
    this.reindex(id);
    return entry;
  }

  /**
   * Journals a plot's checkpoint. No state changes, so neither the transition lock nor the index
   * is touched: a plot writes a few a second. A read-only mode does not stop it: a plot under way
   * keeps its record while the disk takes it.
   */
  checkpoint(id: string, progress: Checkpoint): void {
    appendEntry(jobFiles(this.jobsDir, id).journal, {
      type: 'progress',
      progress: { ...progress },
    });
  }

  /** Journals how a plot was interrupted or recovered; the state stays what it is. */
  note(
    id: string,
    entry:
      Omit<EmergencyShutdownEntry, 'timestamp' | 'seq'> | Omit<RecoveryEntry, 'timestamp' | 'seq'>,
  ): void {
    appendEntry(jobFiles(this.jobsDir, id).journal, entry);
  }

  /** The authoritative state: the journal's. */
  state(id: string): JobState {
    return this.currentState(id, this.existing(id));
  }

  detail(id: string): JobDetail {
    const files = this.existing(id);
    const journal = readJournal(files.journal);
    return {
      id,
      state: journal.state,
      meta: readJobMeta(this.jobsDir, id),
      journal,
      files,
      hasPlan: fs.existsSync(files.plan),
      indexed: this.store.get(id),
    };
  }

  list(filter: { states?: readonly JobState[] } = {}): IndexedJob[] {
    const rows = this.store.all();
    return filter.states
      ? rows.filter((r) => (filter.states as readonly string[]).includes(r.state))
      : rows;
  }

  remove(id: string, opts: { force?: boolean } = {}): JobState | undefined {
    // Removing is how a full disk gets room again; the index on disk catches up at the next start.
    if (this.readOnly?.kind !== 'full') this.assertWritable();
    const files = this.existing(id);
    const state = summarizeJournal(files.journal).state;
    if (!opts.force && state && (ACTIVE_STATES.includes(state) || state === 'QUEUED')) {
      throw new VfabError(
        'INVALID_STATE',
        `Job '${id}' is ${state}; removing it loses its place and progress. Pass --force to remove it anyway.`,
      );
    }
    deleteJobFolder(this.jobsDir, id);
    this.store.remove(id);
    this.logger.info(`job removed (was ${state ?? 'unreadable'})`, id);
    return state;
  }

  /** Re-reads one job's journal into the index after a change. */
  reindex(id: string): ReconcileReport {
    return reconcile(
      { store: this.store, jobsDir: this.jobsDir, logger: this.logger },
      { ids: [id] },
    );
  }

  private existing(id: string): JobFiles {
    checkJobId(id);
    const files = jobFiles(this.jobsDir, id);
    if (!fs.existsSync(files.dir)) {
      throw new VfabError(
        'NOT_FOUND',
        `Job '${id}' not found. 'vfab list jobs' shows the jobs there are.`,
      );
    }
    return files;
  }

  private currentState(id: string, files: JobFiles): JobState {
    const state = summarizeJournal(files.journal).state;
    if (!state) {
      throw new VfabError(
        'DATA',
        `Job '${id}' has no readable state in ${files.journal}. Run 'vfab system journal validate ${id}' and 'vfab system journal repair ${id}'.`,
      );
    }
    return state;
  }
}
