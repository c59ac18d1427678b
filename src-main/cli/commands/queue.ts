/** `vfab queue add|remove|move`: the plot queue by hand. */
import type { Command } from 'commander';
import { VfabError } from '../../errors';
import { reorderQueue } from '../../jobs/queue';
import { queueJobs, unqueueJobs } from '../../queue/edit';
import { parseModel, targetLabel, type JobTarget } from '../../queue/target';
import type { CliContext } from './jobs';

export function registerQueueCommands(program: Command, ctx: CliContext): void {
  const queue = program.command('queue').description('the plot queue: add, remove, move jobs');

  queue
    .command('add <jobs...>')
    .description('queue READY jobs at the end of the queue, for any plotter, one plotter, or one model')
    .option('--plotter <name>', 'only this plotter takes them')
    .option('--model <model>', 'only plotters of this AxiDraw model take them')
    .action((ids: string[], flags: { plotter?: string; model?: string }) => {
      if (flags.plotter && flags.model) throw new VfabError('USAGE', 'Use --plotter or --model, not both.');
      const target: JobTarget = flags.plotter ? { plotter: flags.plotter } : flags.model ? { model: parseModel(flags.model) } : 'any';
      const engine = ctx.engine();
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
    .description('move a queued job before another one, or to the end; prints the queue in its new order')
    .option('--before <job>', 'the queued job it goes before')
    .option('--end', 'to the end of the queue')
    .action((id: string, flags: { before?: string; end?: boolean }) => {
      if (Boolean(flags.before) === Boolean(flags.end)) throw new VfabError('USAGE', 'Say where: --before <job> or --end.');
      const engine = ctx.engine();
      if (flags.before) {
        const there = engine.jobs.state(flags.before);
        if (there !== 'QUEUED') throw new VfabError('INVALID_STATE', `Job '${flags.before}' is ${there}, not in the queue: move '${id}' before a queued job, or to the end (--end).`);
      }
      const order = reorderQueue(engine.store, engine.paths.jobsDir, id, flags.before ?? null, engine.logger);
      ctx.io.out(order.join('\n'));
    });
}
