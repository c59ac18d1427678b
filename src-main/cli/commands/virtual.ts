/** `vfab virtual-plotter`: runs the EBB simulator on a pseudo-terminal until SIGINT/SIGTERM. */
import path from 'node:path';
import type { Command } from 'commander';
import { VfabError } from '../../errors';
import { runVirtualPlotter } from '../../plotter/virtual/main';
import { printFields, printJson } from '../output';
import type { CliContext } from './jobs';

interface VirtualFlags {
  link?: string;
  speed: string;
  paper?: string;
  control?: string;
  firmware?: string;
  json?: boolean;
}

export function registerVirtualPlotterCommand(program: Command, ctx: CliContext): void {
  program
    .command('virtual-plotter')
    .description(
      'run a simulated AxiDraw (EBB protocol on a pseudo-terminal) that draws onto a paper file',
    )
    .option('--link <path>', 'port path to create (a symlink to the pseudo-terminal)')
    .option('--speed <factor>', 'run moves this many times faster than real time', '1')
    .option('--paper <file>', 'append pen-down segments to this JSON-lines file')
    .option('--control <path>', 'Unix socket for fault injection (JSON lines)')
    .option('--firmware <version>', 'EBB firmware version to emulate, e.g. 2.8.1', '3.0.3')
    .option('--json', 'print the addresses as JSON')
    .addHelpText(
      'after',
      '\nNeeds socat (Debian: apt-get install socat). Control ops: status, stats, log, unplug, replug, errorReply, slowReplies, pressButton, motorPowerLoss, … (see src-main/plotter/virtual/main.ts).',
    )
    .action(async (flags: VirtualFlags) => {
      const speed = Number(flags.speed);
      if (!(speed > 0))
        throw new VfabError('USAGE', `--speed must be a number > 0, not '${flags.speed}'.`);
      if (flags.firmware && !/^\d+\.\d+\.\d+/.test(flags.firmware))
        throw new VfabError('USAGE', `--firmware must look like 3.0.3, not '${flags.firmware}'.`);
      const plotter = await runVirtualPlotter({
        speed,
        ...(flags.link ? { link: path.resolve(flags.link) } : {}),
        ...(flags.paper ? { paper: path.resolve(flags.paper) } : {}),
        ...(flags.control ? { control: path.resolve(flags.control) } : {}),
        ...(flags.firmware ? { firmware: flags.firmware } : {}),
      }).catch((err: Error) => {
        throw new VfabError(
          /not installed/.test(err.message) ? 'NOT_FOUND' : 'BUSY',
          `Cannot start the virtual plotter: ${err.message}`,
        );
      });
      if (flags.json)
        printJson(ctx.io, {
          port: plotter.portPath,
          control: plotter.controlAddress,
          paper: plotter.paperFile,
          speed,
          firmware: flags.firmware,
        });
      else
        printFields(ctx.io, [
          ['Port', plotter.portPath],
          ['Control', plotter.controlAddress],
          ['Paper', plotter.paperFile],
          ['Speed', `×${speed}`],
        ]);
      if (!flags.json) ctx.io.err('Running; Ctrl-C stops the plotter.');
      await new Promise<void>((resolve) => {
        const done = () => {
          process.off('SIGINT', done);
          process.off('SIGTERM', done);
          resolve();
        };
        process.on('SIGINT', done);
        process.on('SIGTERM', done);
      });
      await plotter.stop();
    });
}
