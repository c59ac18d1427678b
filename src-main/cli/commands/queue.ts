/**
 * `vfab queue add|remove|move` (the queue by hand) and `vfab queue run` (alias `vfab plot-all`):
 * the queue runner in the foreground. Ctrl-C, SIGTERM and SIGHUP take the signal path on every
 * plotter at once (pen up, journaled, jobs stay PLOTTING; exit 130/143/129); the next run continues them.
 */
import readline from 'node:readline';
import type { Command } from 'commander';
import { ERROR_CODES, VfabError } from '../../errors';
import { reorderQueue } from '../../jobs/queue';
import { queueJobs, refuseRequeue, unqueueJobs } from '../../queue/edit';
import {
  createQueueRunner,
  DEFAULT_PAGE_DELAY_S,
  type QueueRunner,
  type RunnerSummary,
} from '../../queue/runner';
import { parseModel, targetLabel, type JobTarget } from '../../queue/target';
import { onShutdownSignals, SHUTDOWN_SIGNALS, type ShutdownSignal } from '../../recovery/signals';
import { createRunPrinter, type RunPrinter } from '../queue-printer';
import type { CliContext } from './jobs';
import { parseSpeed } from './plot';

interface RunFlags {
  device?: string[];
  unattended?: boolean;
  pageDelay?: string;
  watch?: boolean;
  speed?: string;
  jsonEvents?: boolean;
}

/**
 * Lines typed while the runner runs: Enter confirms the paper of every plotter waiting, a
 * plotter's name confirms that one; "home" answers a carriage-at-home question.
 */
function startInput(runner: QueueRunner, printer: RunPrinter) {
  const pending: { plotter: string; resolve: (ok: boolean) => void }[] = [];
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (raw) => {
    const line = raw.trim();
    const [word, name] = line.split(/\s+/);
    if (pending.length && (word === 'home' || word === 'skip')) {
      const i = name ? pending.findIndex((p) => p.plotter === name) : 0;
      if (i < 0)
        return printer.say(
          `No plotter '${name}' waits for that answer (${pending.map((p) => p.plotter).join(', ')}).`,
        );
      pending.splice(i, 1)[0]!.resolve(word === 'home');
      return;
    }
    const waiting = runner.waitingForPaper();
    if (!waiting.length) return printer.say('No plotter is waiting for paper now.');
    if (line && !waiting.includes(line))
      return printer.say(
        `'${line}' is not waiting for paper; waiting: ${waiting.join(', ')} (Enter alone confirms all of them).`,
      );
    runner.paperChanged(line || undefined, 'enter');
  });
  return {
    confirmHome(plotter: string, job: string, message: string): Promise<boolean> {
      printer.say(`${plotter}: ${message}`);
      printer.say(
        `Type "home${pending.length ? ` ${plotter}` : ''}" + Enter once the carriage of ${plotter} is at the home corner, or "skip" to leave job ${job} for later.`,
      );
      return new Promise((resolve) => pending.push({ plotter, resolve }));
    },
    close() {
      for (const p of pending.splice(0)) p.resolve(false);
      rl.close();
    },
  };
}

function exitCode(summary: RunnerSummary, signal: ShutdownSignal | undefined): number {
  if (signal) return SHUTDOWN_SIGNALS[signal];
  if (summary.failed.length) return ERROR_CODES.INVALID_STATE;
  if (summary.interrupted.length) return ERROR_CODES.INTERNAL;
  if (summary.left.length && summary.offline.length) return ERROR_CODES.NOT_FOUND;
  return 0;
}

async function runQueue(ctx: CliContext, flags: RunFlags): Promise<void> {
  const speed = parseSpeed(flags);
  if (flags.pageDelay !== undefined && !flags.unattended)
    throw new VfabError(
      'USAGE',
      '--page-delay goes with --unattended (nobody changes the paper, the page delay passes instead).',
    );
  const pageDelayS = flags.pageDelay === undefined ? DEFAULT_PAGE_DELAY_S : Number(flags.pageDelay);
  if (!(pageDelayS >= 0))
    throw new VfabError(
      'USAGE',
      `--page-delay must be a number of seconds ≥ 0, not '${flags.pageDelay}'.`,
    );
  const engine = ctx.engine();
  const canType = !flags.unattended && Boolean(process.stdin.isTTY);
  const printer = createRunPrinter(ctx.io, {
    json: Boolean(flags.jsonEvents),
    tty: ctx.io.tty && Boolean(process.stderr.isTTY),
    canType,
  });
  let input: ReturnType<typeof startInput> | undefined;
  const runner = createQueueRunner(engine, {
    ...(flags.device?.length ? { plotters: flags.device } : {}),
    ...(speed ? { speed } : {}),
    unattended: Boolean(flags.unattended),
    pageDelayS,
    watch: Boolean(flags.watch),
    ...(canType
      ? {
          confirmHome: (plotter: string, job: string, message: string) =>
            input!.confirmHome(plotter, job, message),
        }
      : {}),
  });
  if (canType) input = startInput(runner, printer);
  const unsubscribe = runner.subscribe((e) => printer.event(e));
  let signal: ShutdownSignal | undefined;
  const uninstall = onShutdownSignals((sig) => {
    signal = sig;
    printer.say(
      `${sig}: stopping every plotter (pen up, journaled); continue later with: vfab queue run`,
    );
    void runner.shutdown(sig);
  });
  try {
    const summary = await runner.run();
    ctx.exitCode = exitCode(summary, signal);
    if (!flags.jsonEvents) {
      const n = (k: keyof RunnerSummary) => (summary[k] as unknown[]).length;
      if (!n('completed') && !n('paused') && !n('failed') && !n('interrupted') && !n('left'))
        return printer.say(
          'Nothing to plot: no job is queued. Queue jobs with: vfab queue add <job>…',
        );
      printer.say(
        `Queue runner done: ${n('completed')} completed${n('paused') ? `, ${n('paused')} paused` : ''}${n('failed') ? `, ${n('failed')} failed` : ''}${n('interrupted') ? `, ${n('interrupted')} interrupted` : ''}${n('left') ? `, ${n('left')} left in the queue` : ''}.`,
      );
    }
  } finally {
    printer.end();
    unsubscribe();
    uninstall();
    input?.close();
  }
}

function addRunOptions(cmd: Command, ctx: CliContext): Command {
  return cmd
    .option(
      '--device <names...>',
      "only these plotters (names from config devices:, or a port or 'virtual'); default: every plotter",
    )
    .option(
      '--unattended',
      'a roll or feeder changes the paper: nobody is waited for, the page delay passes before each page',
    )
    .option(
      '--page-delay <s>',
      `with --unattended: seconds before each page (default ${DEFAULT_PAGE_DELAY_S}, as AxiDraw's page_delay)`,
    )
    .option(
      '--watch',
      'keep running when the queue is done, and plot jobs queued later (until Ctrl-C)',
    )
    .option(
      '--speed <factor>',
      "a virtual plotter's speed factor, for every plotter (default: each plotter's speed in config)",
    )
    .option('--json-events', 'print every runner event as one JSON line on stdout')
    .addHelpText(
      'after',
      "\nBetween two jobs on one plotter (and before its first), the runner waits for a paper change: the plotter's PRG button," +
        '\nor Enter here (Enter confirms every plotter waiting; type a plotter name to confirm one).' +
        '\nCtrl-C stops every plotter at once (pen up, journaled; exit 130): the next run continues the jobs from their checkpoints.' +
        '\nExit: 0 done, 7 a job failed, 1 a plot was interrupted by its plotter, 3 jobs left for a plotter that was offline.',
    )
    .action((flags: RunFlags) => runQueue(ctx, flags));
}

export function registerQueueCommands(program: Command, ctx: CliContext): void {
  const queue = program
    .command('queue')
    .description('the plot queue: add, remove, move jobs, and run it on every plotter');

  queue
    .command('add <jobs...>')
    .description(
      'queue READY jobs at the end of the queue, for any plotter, one plotter, or one model',
    )
    .option('--plotter <name>', 'only this plotter takes them')
    .option('--model <model>', 'only plotters of this AxiDraw model take them')
    .action((ids: string[], flags: { plotter?: string; model?: string }) => {
      if (flags.plotter && flags.model)
        throw new VfabError('USAGE', 'Use --plotter or --model, not both.');
      const target: JobTarget = flags.plotter
        ? { plotter: flags.plotter }
        : flags.model
          ? { model: parseModel(flags.model) }
          : 'any';
      const engine = ctx.engine();
      refuseRequeue(engine, ids, target);
      queueJobs(engine, ids, target);
      for (const id of ids) {
        ctx.io.err(`${id}: QUEUED for ${targetLabel(target)}`);
        ctx.io.out(`${id}\tQUEUED`);
      }
    });

  queue
    .command('remove <jobs...>')
    .description('take queued jobs out of the queue (back to READY)')
    .action((ids: string[]) => {
      unqueueJobs(ctx.engine(), ids);
      for (const id of ids) {
        ctx.io.err(`${id}: READY (taken out of the queue)`);
        ctx.io.out(`${id}\tREADY`);
      }
    });

  queue
    .command('move <job>')
    .description(
      'move a queued job before another one, or to the end; prints the queue in its new order',
    )
    .option('--before <job>', 'the queued job it goes before')
    .option('--end', 'to the end of the queue')
    .action((id: string, flags: { before?: string; end?: boolean }) => {
      if (Boolean(flags.before) === Boolean(flags.end))
        throw new VfabError('USAGE', 'Say where: --before <job> or --end.');
      const engine = ctx.engine();
      if (flags.before) {
        const there = engine.jobs.state(flags.before);
        if (there !== 'QUEUED')
          throw new VfabError(
            'INVALID_STATE',
            `Job '${flags.before}' is ${there}, not in the queue: move '${id}' before a queued job, or to the end (--end).`,
          );
      }
      const order = reorderQueue(
        engine.store,
        engine.paths.jobsDir,
        id,
        flags.before ?? null,
        engine.logger,
      );
      ctx.io.out(order.join('\n'));
    });

  addRunOptions(
    queue
      .command('run')
      .description(
        'plot the queue: each job on a free plotter that can take it, several plotters at once',
      ),
    ctx,
  );
  addRunOptions(
    program
      .command('plot-all')
      .description('plot the queue on every plotter (the same as vfab queue run)'),
    ctx,
  );
}
