/** `vfab add job` (with copies, and queueing), `list jobs`, `info job`, `info queue`, `remove job`. */
import type { Command } from 'commander';
import type { Engine } from '../../engine';
import { VfabError } from '../../errors';
import { addCopies, MAX_COPIES, type CopiesRequest } from '../../jobs/copies';
import type { PrepareResult } from '../../jobs/prepare';
import { TERMINAL_STATES, JOB_STATES, parseJobState, type JobState } from '../../jobs/states';
import type { IndexedJob } from '../../jobs/store';
import { queueOrder } from '../../shared/job-states';
import { queuePreview, type QueuePreview } from '../../queue/preview';
import { localTime, printFields, printJson, printRows, type Io } from '../output';
import { paperLabel, readPlanOverview, type PlanOverview } from '../../plan/plan-file';
import type { LayerCodes, SvgWarning } from '../../svg/types';
import { confirm } from '../prompt';
import { CAUSE_TEXT, classifyJobs, type JobCondition } from '../../recovery/classify';
import { jobCondition, refuseForeignOwner, removeJob } from '../../app/jobs';
import { addPlanOptions, prepareForCli, printPrepared, type PlanFlags } from './plan';

export interface CliContext {
  io: Io;
  /** Opens the engine lazily so `--help` and usage errors never touch the data folder. */
  engine(): Engine;
  /** Set by commands that succeed but must report a finding (e.g. damaged journals). */
  exitCode: number;
  /** The environment the command runs in (HOME, XDG_*, VFAB_*); default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Parses `--state plotting,PAUSED`: state names in any case, comma-separated. */
export function parseStates(value: string): JobState[] {
  return value.split(',').map((s) => {
    const state = parseJobState(s);
    if (!state)
      throw new VfabError(
        'USAGE',
        `'${s.trim()}' is not a job state. States: ${JOB_STATES.join(', ')} (any case).`,
      );
    return state;
  });
}

function jobJson(j: IndexedJob) {
  return {
    id: j.id,
    state: j.state,
    created_at: j.created_at,
    updated_at: j.updated_at,
    source_name: j.source_name,
    source_size: j.source_size,
    queue_position: j.queue_position,
    last_reason: j.last_reason,
    paper: j.paper,
    layer_count: j.layer_count,
    pen_down_mm: j.pen_down_mm,
    travel_mm: j.travel_mm,
    estimate_s: j.estimate_s,
  };
}

/** A layer's AxiDraw codes for the layers table: its speed, pen height and delay, '-' where config's apply. */
function layerCodeCells(l: LayerCodes): string[] {
  return [
    l.speedPct === null ? '-' : `${l.speedPct}%`,
    l.heightPct === null ? '-' : `${l.heightPct}%`,
    l.delayMs === null ? '-' : `${l.delayMs} ms`,
  ];
}

function printJobs(
  ctx: CliContext,
  jobs: IndexedJob[],
  json: boolean,
  empty: string,
  preview?: QueuePreview,
): void {
  const assigned = new Map(preview?.assignments.map((a) => [a.job, a]));
  /** The plotter that will take a queued job (or why none can), the one a plotting job is on. */
  const plotterOf = (j: IndexedJob) => {
    const a = assigned.get(j.id);
    if (a)
      return {
        plotter: a.plotter,
        reason: a.reason ?? null,
        target: preview!.targets.get(j.id) ?? 'any',
      };
    return { plotter: preview?.onPlotter.get(j.id) ?? null, reason: null, target: null };
  };
  if (json) {
    return printJson(ctx.io, {
      jobs: jobs.map((j) => {
        if (!preview) return jobJson(j);
        const p = plotterOf(j);
        return { ...jobJson(j), target: p.target, plotter: p.plotter, plotter_reason: p.reason };
      }),
    });
  }
  printRows(
    ctx.io,
    [
      'ID',
      'STATE',
      'SOURCE',
      'PAPER',
      'ESTIMATE',
      'CREATED',
      'UPDATED',
      ...(preview ? ['PLOTTER'] : []),
    ],
    jobs.map((j) => {
      const cells = [
        j.id,
        j.state,
        j.source_name ?? '',
        j.paper ?? '',
        j.estimate_s === null ? '' : duration(j.estimate_s),
        localTime(j.created_at),
        localTime(j.updated_at),
      ];
      if (!preview) return cells;
      const p = plotterOf(j);
      return [...cells, p.plotter ?? (p.reason ? `none: ${p.reason}` : '')];
    }),
    empty,
  );
}

function printConditions(
  ctx: CliContext,
  found: JobCondition[],
  kind: 'interrupted' | 'stuck',
  json: boolean,
): void {
  if (json) {
    return printJson(ctx.io, {
      jobs: found.map((c) => ({
        id: c.id,
        state: c.state,
        condition: c.kind,
        cause: c.cause ?? null,
        detail: c.detail ?? null,
        since: c.since ?? null,
        checkpoint: c.checkpoint ?? null,
        owner: c.owner
          ? { pid: c.owner.owner.pid, host: c.owner.owner.host, device: c.owner.owner.device }
          : null,
        silent_s: c.silentS ?? null,
      })),
    });
  }
  const where = (c: JobCondition) =>
    c.checkpoint
      ? `move ${c.checkpoint.move + 1}${c.checkpoint.layer !== null ? `, layer ${c.checkpoint.layer + 1}` : ''}, ${c.checkpoint.pen_down_mm} mm drawn`
      : 'before the first stroke';
  printRows(
    ctx.io,
    kind === 'interrupted'
      ? ['ID', 'STATE', 'CAUSE', 'CHECKPOINT', 'SINCE', 'WHAT HAPPENED']
      : ['ID', 'STATE', 'OWNER', 'CHECKPOINT', 'SILENT'],
    found.map((c) =>
      kind === 'interrupted'
        ? [
            c.id,
            c.state,
            c.cause ?? '',
            where(c),
            localTime(c.since),
            c.cause === 'paused'
              ? (c.detail ?? 'paused')
              : `${CAUSE_TEXT[c.cause ?? 'crash']}${c.detail && c.detail !== c.cause ? ` (${c.detail})` : ''}`,
          ]
        : [
            c.id,
            c.state,
            `pid ${c.owner!.owner.pid} on ${c.owner!.owner.host}`,
            where(c),
            `${c.silentS ?? 0} s`,
          ],
    ),
    kind === 'interrupted' ? 'No interrupted jobs.' : 'No stuck jobs.',
  );
}

function duration(s: number): string {
  const m = Math.floor(s / 60);
  return m >= 60
    ? `${Math.floor(m / 60)} h ${m % 60} min`
    : m > 0
      ? `${m} min ${Math.round(s % 60)} s`
      : `${Math.round(s)} s`;
}

function planLine(plan: PlanOverview): string {
  const s = plan.summary;
  return `${paperLabel(s)}, ${plan.settings.preset} preset${s.scale !== 1 ? `, scaled ×${s.scale.toFixed(3)}` : ''}; ${s.layerCount} layer(s), ${s.pathCount} path(s), pen down ${(s.penDownMm / 1000).toFixed(2)} m, pen-up travel ${(s.travelMm / 1000).toFixed(2)} m, ${s.lifts} lift(s), about ${duration(s.estimateS)}`;
}

interface AddJobFlags extends PlanFlags {
  force?: boolean;
  json?: boolean;
  plan: boolean;
  copies?: number;
  queue?: boolean;
}

function parseCopies(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_COPIES)
    throw new VfabError(
      'USAGE',
      `--copies must be a whole number from 1 to ${MAX_COPIES}, not '${value}'.`,
    );
  return n;
}

/** READY jobs go to the end of the queue, in order; returns the state the first is in then. */
function queueReady(engine: Engine, ids: readonly string[], state: JobState): JobState {
  if (state !== 'READY') return state;
  for (const id of ids) engine.jobs.transition(id, 'QUEUED', 'queued for plotting');
  return 'QUEUED';
}

/** `vfab add job … --copies N`: the first copy is planned (and reported) as a plain add is, the others take its plan. */
async function addCopiesCommand(
  ctx: CliContext,
  engine: Engine,
  req: CopiesRequest,
  opts: AddJobFlags,
): Promise<void> {
  let planned: PrepareResult | undefined;
  const made = await addCopies(
    engine.jobs,
    req,
    opts.plan
      ? async (first) => {
          planned = await prepareForCli(ctx, first, opts);
          return planned.state;
        }
      : undefined,
  );
  const [first] = made.ids;
  if (opts.plan && made.state !== 'READY') {
    ctx.io.err(
      `The other ${req.copies - 1} copies were not made: ${first} is ${made.state}. Fix it and add the copies again (--force replaces ${first}).`,
    );
  }
  const state = opts.queue ? queueReady(engine, made.ids, made.state) : made.state;
  if (opts.json) {
    return printJson(ctx.io, {
      jobs: made.ids.map((id) => ({ id, state })),
      error: planned?.error ?? null,
      warnings: planned?.warnings ?? [],
      plan: planned?.summary ?? null,
    });
  }
  if (!ctx.io.tty) {
    for (const id of made.ids) ctx.io.out(id);
    return;
  }
  if (planned) printPrepared(ctx, first!, { ...planned, state }, false);
  if (made.ids.length > 1)
    ctx.io.out(
      `Added ${made.ids.length} jobs from ${req.file}: ${first} … ${made.ids.at(-1)}, each ${state}${opts.plan ? ' (planned once)' : ''}.`,
    );
}

export function registerJobCommands(program: Command, ctx: CliContext): void {
  const add =
    program.commands.find((c) => c.name() === 'add') ??
    program.command('add').description('add things to vfab');
  addPlanOptions(
    add
      .command('job')
      .description('create a job from an SVG file and plan it: vfab add job [<job_id>] <file.svg>')
      .argument(
        '<args...>',
        '[job_id] file.svg (the id is derived from the file name when omitted)',
      )
      .option('-f, --force', 'replace an existing job with the same id'),
  )
    .option('--no-plan', 'only create the job (NEW); plan it later with vfab plan')
    .option(
      '--copies <n>',
      `make N jobs of the drawing, <job_id>-1 … <job_id>-N, planned once (AxiDraw's copies; 1-${MAX_COPIES})`,
      parseCopies,
    )
    .option(
      '--queue',
      'queue the job(s) for plotting once planned (READY -> QUEUED, at the end of the queue)',
    )
    .option('--json', 'print the job as JSON')
    .action(async (args: string[], opts: AddJobFlags) => {
      if (args.length > 2)
        throw new VfabError(
          'USAGE',
          `Expected [job_id] <file.svg>, got ${args.length} arguments. Quote paths with spaces.`,
        );
      if (opts.queue && !opts.plan)
        throw new VfabError('USAGE', '--queue queues planned jobs: it cannot go with --no-plan.');
      const [id, file] = args.length === 2 ? [args[0], args[1]!] : [undefined, args[0]!];
      const engine = ctx.engine();
      if (opts.copies !== undefined && opts.copies > 1)
        return addCopiesCommand(
          ctx,
          engine,
          { file, id, copies: opts.copies, force: opts.force },
          opts,
        );
      const meta = await engine.jobs.add({ id, file, force: opts.force });
      if (!opts.json)
        ctx.io.out(ctx.io.tty ? `Added job ${meta.id} from ${meta.source_name}` : meta.id);
      if (opts.plan) {
        const result = await prepareForCli(ctx, meta.id, opts);
        printPrepared(
          ctx,
          meta.id,
          opts.queue ? { ...result, state: queueReady(engine, [meta.id], result.state) } : result,
          Boolean(opts.json),
        );
        return;
      }
      if (opts.json)
        printJson(ctx.io, {
          job: {
            id: meta.id,
            state: 'NEW',
            source_name: meta.source_name,
            source_size: meta.source_size,
            created_at: meta.created_at,
          },
        });
    });

  const list =
    program.commands.find((c) => c.name() === 'list') ??
    program.command('list').description('list things');
  list
    .command('jobs')
    .description('every job, newest first')
    .option('-s, --state <states>', 'only these states (comma-separated, any case)', parseStates)
    .option('--json', 'machine-readable output')
    .action((opts: { state?: JobState[]; json?: boolean }) => {
      const jobs = ctx.engine().jobs.list({ states: opts.state });
      jobs.sort((a, b) => b.created_at.localeCompare(a.created_at) || a.id.localeCompare(b.id));
      printJobs(
        ctx,
        jobs,
        Boolean(opts.json),
        opts.state
          ? `No jobs in state ${opts.state.join(', ')}.`
          : 'No jobs yet. Add one: vfab add job <file.svg>',
      );
    });

  const info =
    program.commands.find((c) => c.name() === 'info') ??
    program.command('info').description('show details');
  info
    .command('job')
    .description('one job: state, source, journal')
    .argument('<job_id>')
    .option('--state-only', 'print only the state')
    .option('--json', 'machine-readable output')
    .action((id: string, opts: { stateOnly?: boolean; json?: boolean }) => {
      const d = ctx.engine().jobs.detail(id);
      if (opts.stateOnly) {
        if (!d.state)
          throw new VfabError(
            'DATA',
            `Job '${id}' has no readable state. Run 'vfab system journal validate ${id}'.`,
          );
        return ctx.io.out(d.state);
      }
      const last = d.journal.records.at(-1)?.entry;
      const plan = d.hasPlan ? readPlanOverview(d.files.plan) : undefined;
      const analysis = d.journal.records
        .map((r) => r.entry)
        .findLast(
          (e) => e.type === 'state_change' && e.to_state === 'ANALYZED' && e.from_state === 'NEW',
        );
      const warnings =
        (analysis?.type === 'state_change'
          ? (analysis.metadata.warnings as SvgWarning[] | undefined)
          : undefined) ?? [];
      if (opts.json) {
        return printJson(ctx.io, {
          job: {
            id,
            state: d.state ?? null,
            meta: d.meta ?? null,
            has_plan: d.hasPlan,
            plan: plan
              ? { settings: plan.settings, summary: plan.summary, layers: plan.layers }
              : null,
            warnings,
            dir: d.files.dir,
            journal: {
              entries: d.journal.records.length,
              last_seq: d.journal.lastSeq,
              problems: d.journal.problems,
              history: d.journal.records
                .filter((r) => r.entry.type !== 'progress')
                .map((r) => r.entry),
            },
          },
        });
      }
      printFields(ctx.io, [
        ['Job', id],
        ['State', d.state ?? 'unreadable (see problems below)'],
        [
          'Source',
          d.meta
            ? `${d.meta.source_name} (${d.meta.source_size} bytes, sha256 ${d.meta.source_sha256.slice(0, 12)}…)`
            : 'job.json missing or unreadable',
        ],
        ['Created', localTime(d.meta?.created_at)],
        ['Updated', localTime(last?.timestamp)],
        ['Plan', plan ? planLine(plan) : 'none yet'],
        ['Folder', d.files.dir],
        ['Journal', `${d.journal.records.length} entries, ${d.journal.problems.length} problems`],
      ]);
      if (plan) {
        ctx.io.out('\nLayers:');
        printRows(
          { ...ctx.io, tty: true },
          [
            'LAYER',
            'PEN',
            'PAUSE',
            'SPEED',
            'HEIGHT',
            'DELAY',
            'PATHS',
            'PEN DOWN',
            'TRAVEL',
            'LIFTS',
            'JOINS',
            'TIME',
          ],
          plan.layers.map((l) => [
            l.name,
            l.pen === null ? '-' : String(l.pen),
            l.pause === 'pen_change' ? 'pen change' : l.pause === 'layer_pause' ? 'pause' : '',
            ...layerCodeCells(l),
            String(l.stats.pathsOut),
            `${(l.stats.penDownMm / 1000).toFixed(2)} m`,
            `${(l.stats.travelAfterMm / 1000).toFixed(2)} m`,
            String(l.stats.liftsAfter),
            String(l.stats.joins ?? 0),
            duration(l.estimate.seconds),
          ]),
          '',
        );
      }
      for (const w of warnings)
        ctx.io.err(`warning: ${w.message}${w.count > 1 ? ` (${w.count}×)` : ''}`);
      const history = d.journal.records.map((r) => r.entry).filter((e) => e.type !== 'progress');
      if (history.length) {
        ctx.io.out('\nHistory:');
        for (const entry of history.slice(-20)) {
          const what =
            entry.type === 'emergency_shutdown'
              ? `emergency shutdown in ${entry.state}`
              : `${entry.from_state ?? '(created)'} -> ${entry.to_state}`;
          ctx.io.out(`  ${localTime(entry.timestamp)}  ${what}  ${entry.reason}`);
        }
      }
      for (const p of d.journal.problems)
        ctx.io.err(`journal line ${p.line}: ${p.severity}: ${p.message}`);
    });

  info
    .command('queue')
    .description('jobs not yet finished, in plotting order (all states with --state)')
    .option('-s, --state <states>', 'only these states (comma-separated, any case)', parseStates)
    .option(
      '--interrupted',
      'only jobs whose plot was interrupted (no live vfab owns them): cause, checkpoint, time',
    )
    .option(
      '--stuck',
      `only jobs a live vfab owns that made no progress for recovery.stuck_after_s`,
    )
    .option('--json', 'machine-readable output')
    .action(
      (opts: { state?: JobState[]; interrupted?: boolean; stuck?: boolean; json?: boolean }) => {
        const engine = ctx.engine();
        if (opts.interrupted || opts.stuck) {
          if (opts.interrupted && opts.stuck)
            throw new VfabError('USAGE', 'Use --interrupted or --stuck, not both.');
          const kind = opts.interrupted ? 'interrupted' : 'stuck';
          const found = classifyJobs(engine.store, {
            jobsDir: engine.paths.jobsDir,
            stuckAfterS: engine.config.recovery.stuck_after_s,
          })
            .filter((c) => c.kind === kind && (!opts.state || opts.state.includes(c.state)))
            .sort(
              (a, b) => (a.since ?? '').localeCompare(b.since ?? '') || a.id.localeCompare(b.id),
            );
          return printConditions(ctx, found, kind, Boolean(opts.json));
        }
        const states = opts.state ?? JOB_STATES.filter((s) => !TERMINAL_STATES.includes(s));
        const jobs = engine.jobs.list({ states }).sort(queueOrder);
        printJobs(
          ctx,
          jobs,
          Boolean(opts.json),
          opts.state ? `No jobs in state ${opts.state.join(', ')}.` : 'The queue is empty.',
          queuePreview(engine),
        );
        // Said on stderr: pipes keep their rows, a person at the terminal learns what needs them.
        const crashed = classifyJobs(engine.store, {
          jobsDir: engine.paths.jobsDir,
          stuckAfterS: engine.config.recovery.stuck_after_s,
        }).filter((c) => c.kind === 'stuck' || (c.kind === 'interrupted' && c.cause !== 'paused'));
        if (crashed.length && !opts.json)
          ctx.io.err(
            `${crashed.length} plot(s) need attention: vfab info queue --interrupted / --stuck; continue with: vfab resume`,
          );
      },
    );

  const remove =
    program.commands.find((c) => c.name() === 'remove') ??
    program.command('remove').description('remove things');
  remove
    .command('job')
    .description('delete a job folder and its index entry')
    .argument('<job_id>')
    .option('-f, --force', 'also remove queued, armed, plotting or paused jobs; no confirmation')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (id: string, opts: { force?: boolean; yes?: boolean }) => {
      const engine = ctx.engine();
      const state = engine.jobs.state(id);
      refuseForeignOwner(id, jobCondition(engine, id));
      if (!opts.force && !opts.yes) {
        if (!ctx.io.tty)
          throw new VfabError(
            'USAGE',
            `Refusing to remove job '${id}' without confirmation: pass --yes (or --force).`,
          );
        if (!(await confirm(`Remove job ${id} (${state}) and all its files?`)))
          return ctx.io.err('Nothing removed.');
      }
      removeJob(engine, id, { force: opts.force });
      ctx.io.err(`Removed job ${id} (was ${state}).`);
    });
}
