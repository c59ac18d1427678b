/** `vfab list devices`: every plotter of the config, with what it is doing now. */
import type { Command } from 'commander';
import { deviceStatuses } from '../../plotters/status';
import { printJson, printRows } from '../output';
import type { CliContext } from './jobs';

export function registerDeviceCommands(program: Command, ctx: CliContext): void {
  const list =
    program.commands.find((c) => c.name() === 'list') ??
    program.command('list').description('list things');
  list
    .command('devices')
    .description(
      'every plotter (config devices:, or the device section): port, model, paper loaded, and what it is doing',
    )
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const devices = await deviceStatuses(ctx.engine());
      if (opts.json) return printJson(ctx.io, { devices });
      printRows(
        ctx.io,
        ['NAME', 'PORT', 'MODEL', 'PAPER', 'STATE', 'DETAIL'],
        devices.map((d) => [
          d.name,
          d.found && d.found !== d.port ? `${d.port ?? 'auto'} (${d.found})` : (d.port ?? 'auto'),
          d.model,
          d.paper ?? 'any',
          d.job ? `${d.state} ${d.job}` : d.state,
          d.detail ?? '',
        ]),
        'No plotters configured.',
      );
    });
}
