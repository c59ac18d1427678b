/** jobs.*: adding, planning, queueing, inspecting and removing jobs. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jobCondition, markDone, planJob, removeJob } from '../../app/jobs';
import { listSnapshots, readSnapshot } from '../../camera/snapshots';
import { VfabError } from '../../errors';
import { addCopies, copyIds } from '../../jobs/copies';
import { jobsBeingPlanned } from '../../jobs/prepare';
import { reorderQueue } from '../../jobs/queue';
import { jobFiles } from '../../jobs/workspace';
import { readPlan, readPlanOverview } from '../../plan/plan-file';
import { planPreview } from '../../plan/preview';
import { jobThumbnail } from '../../plan/thumbnail-file';
import { queueJobs } from '../../queue/edit';
import { parseModel } from '../../queue/target';
import { restartJob } from '../../recovery/restart';
import { refuseNonSvg } from '../../svg/upload';
import { MAX_UPLOAD_BYTES, type Params, type PlanOutcome, type Results } from '../contract';
import { snapshotsDir, type HandlersFor, type ServiceParts } from './context';

export function jobHandlers(parts: ServiceParts): HandlersFor<'jobs'> {
  const { engine, hub, changed, plots, opts, planning } = parts;

  /** Refuses a change to a job this service plots now: `then` says what to do first. */
  const refusePlotted = (id: string, then: string) => {
    if (plots.has(id)) throw new VfabError('BUSY', `Job '${id}' is being plotted; ${then}.`);
  };

  // Planning runs in a worker while this loop goes on feeding plots and answering.
  const planOutcome = async (
    id: string,
    p: Omit<Params<'jobs.plan'>, 'id'>,
  ): Promise<PlanOutcome> => {
    let r;
    try {
      r = await planJob(engine, id, p, { pool: opts.planPool, signal: planning });
    } finally {
      changed(id);
    }
    return {
      id,
      state: r.state,
      error: r.error ?? null,
      warnings: r.warnings,
      summary: r.summary ?? null,
    };
  };

  const refuseReplacingPlanned = (ids: string[]) => {
    const planningNow = ids.filter((id) => jobsBeingPlanned().includes(id));
    if (planningNow.length)
      throw new VfabError(
        'BUSY',
        `Job '${planningNow[0]}' is being planned; replace it once that has finished.`,
      );
  };

  const addJobCopies = async (
    file: string,
    p: Params<'jobs.add'> & { copies: number },
  ): Promise<Results['jobs.add']> => {
    if (p.force && p.id !== undefined) refuseReplacingPlanned(copyIds(p.id, p.copies));
    let plan: PlanOutcome | null = null;
    const made = await addCopies(
      engine.jobs,
      { file, id: p.id, copies: p.copies, force: p.force },
      p.plan === false ? undefined : async (first) => (plan = await planOutcome(first, p)).state,
    );
    for (const id of made.ids) changed(id);
    return { job: made.first, plan, copies: made.ids };
  };

  return {
    'jobs.list': (p) => ({
      jobs: engine.jobs
        .list({ states: p.states })
        .sort((a, b) => b.created_at.localeCompare(a.created_at) || a.id.localeCompare(b.id)),
    }),

    'jobs.get': (p) => {
      const d = engine.jobs.detail(p.id);
      const plan = d.hasPlan ? readPlanOverview(d.files.plan) : undefined;
      return {
        id: p.id,
        state: d.state ?? null,
        meta: d.meta ?? null,
        indexed: d.indexed ?? null,
        plan: plan
          ? {
              createdAt: plan.createdAt,
              settings: plan.settings,
              summary: plan.summary,
              layers: plan.layers,
            }
          : null,
        journal: {
          entries: d.journal.records.length,
          lastSeq: d.journal.lastSeq,
          problems: d.journal.problems,
          history: d.journal.records.filter((r) => r.entry.type !== 'progress').map((r) => r.entry),
        },
        condition: jobCondition(engine, p.id) ?? null,
      };
    },

    'jobs.add': async (p) => {
      if (p.force && p.id !== undefined) refuseReplacingPlanned([p.id]);
      let upload: string | undefined;
      try {
        let file: string;
        if ('path' in p.source) {
          refuseNonSvg(p.source.path);
          file = p.source.path;
        } else {
          const data = Buffer.from(p.source.base64, 'base64');
          if (data.length > MAX_UPLOAD_BYTES)
            throw new VfabError(
              'INVALID_INPUT',
              `'${p.source.name}' is larger than the ${MAX_UPLOAD_BYTES / 2 ** 20} MiB a dropped file may be.`,
            );
          refuseNonSvg(p.source.name, data);
          upload = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-upload-'));
          file = path.join(upload, p.source.name);
          fs.writeFileSync(file, data);
        }
        if (p.copies !== undefined && p.copies > 1)
          return await addJobCopies(file, { ...p, copies: p.copies });
        const job = await engine.jobs.add({ file, id: p.id, force: p.force });
        changed(job.id);
        return { job, plan: p.plan === false ? null : await planOutcome(job.id, p) };
      } finally {
        if (upload) fs.rmSync(upload, { recursive: true, force: true });
      }
    },

    'jobs.plan': (p) => planOutcome(p.id, p),

    'jobs.queue': (p) => {
      const t = p.target;
      queueJobs(
        engine,
        [p.id],
        t === undefined || t === 'any' ? 'any' : 'model' in t ? { model: parseModel(t.model) } : t,
      );
      changed(p.id);
      return { id: p.id, state: engine.jobs.state(p.id) };
    },

    'jobs.remove': (p) => {
      refusePlotted(p.id, 'pause or abort it before removing it');
      const was = removeJob(engine, p.id, { force: p.force }) ?? null;
      hub.emit('job.removed', { id: p.id, was });
      return { id: p.id, was };
    },

    'jobs.restart': async (p) => {
      refusePlotted(p.id, 'pause or abort it before restarting it');
      const outcome = await restartJob(engine, p.id, { pool: opts.planPool, signal: planning });
      changed(p.id);
      return { id: p.id, ...outcome };
    },

    'jobs.preview': (p) => {
      const d = engine.jobs.detail(p.id);
      if (!d.hasPlan)
        throw new VfabError(
          'NOT_FOUND',
          `Job '${p.id}' is ${d.state ?? 'unreadable'} and has no plan yet: plan it first.`,
        );
      return planPreview(p.id, readPlan(d.files.plan));
    },

    'jobs.thumbnail': (p) => {
      const thumbnail = jobThumbnail(p.id, jobFiles(engine.paths.jobsDir, p.id));
      if (thumbnail) return thumbnail;
      const state = engine.jobs.state(p.id); // NOT_FOUND for a job that is not there
      throw new VfabError(
        'NOT_FOUND',
        `Job '${p.id}' is ${state} and has no plan yet: plan it first.`,
      );
    },

    'jobs.snapshots': (p) => ({
      id: p.id,
      snapshots: listSnapshots(snapshotsDir(engine, p.id)),
    }),

    'jobs.snapshot': (p) => {
      const { data, info } = readSnapshot(snapshotsDir(engine, p.id), p.name, p.id);
      return {
        id: p.id,
        name: info.name,
        mime: 'image/jpeg',
        base64: data.toString('base64'),
        takenAt: info.takenAt,
      };
    },

    'jobs.markDone': (p) => {
      refusePlotted(p.id, 'pause it before marking it done');
      const state = markDone(engine, p.id);
      changed(p.id);
      return { id: p.id, state };
    },

    'jobs.reorder': (p) => {
      engine.jobs.assertWritable();
      const queue = reorderQueue(engine.store, engine.paths.jobsDir, p.id, p.before, engine.logger);
      changed(p.id);
      return { id: p.id, queue };
    },
  };
}
