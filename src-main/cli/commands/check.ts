/**
 * `vfab check servo [--device D] [--force-detect] [--reconnect]`: is the plotter there, and does the pen move?
 * `vfab check self`: the installation's health, a line per part.
 */
import type { Command } from 'commander';
import { VfabError } from '../../errors';
import { openEbb, resolveDevice } from '../../plotter/devices';
import { servoPercent } from '../../plotter/preflight';
import { runVirtualPlotter, type VirtualPlotterHandle } from '../../plotter/virtual/main';
import { checkSelf, HEALTH_EXIT, worst } from '../../recovery/health';
import { printFields, printJson } from '../output';
import type { CliContext } from './jobs';

interface CheckFlags {
  device?: string;
  forceDetect?: boolean;
  reconnect?: boolean;
  json?: boolean;
}

export function registerCheckCommands(program: Command, ctx: CliContext): void {
  const check = program.command('check').description('check hardware and installation');
  check
    .command('self')
    .description(
      'config, workspace, disk, database, journals, jobs, plotter and camera: ok / warn / fail each, with the fix',
    )
    .option(
      '--device <device>',
      'plotter to check (default: config device.port, else the first AxiDraw)',
    )
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExit status: 0 all ok, 1 warnings, 2 failures.')
    .action(async (flags: { device?: string; json?: boolean }) => {
      const engine = ctx.engine();
      const checks = await checkSelf(engine, { device: flags.device ?? null });
      const overall = worst(checks);
      ctx.exitCode = HEALTH_EXIT[overall];
      engine.logger.info(
        `check self: ${overall} (${
          checks
            .filter((c) => c.status !== 'ok')
            .map((c) => `${c.name} ${c.status}`)
            .join(', ') || 'all ok'
        })`,
      );
      if (flags.json) return printJson(ctx.io, { self: { status: overall, checks } });
      const width = Math.max(...checks.map((c) => c.name.length));
      for (const c of checks) {
        ctx.io.out(
          `${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}${c.fix ? `\n${' '.repeat(width + 8)}fix: ${c.fix}` : ''}`,
        );
      }
    });
  check
    .command('servo')
    .description('find the plotter, read its firmware, and cycle the pen up, down and up')
    .option(
      '--device <device>',
      "AxiDraw nickname, serial port path, or 'virtual' (default: config device.port, else the first AxiDraw)",
    )
    .option('--force-detect', 'ignore device.port and look for an AxiDraw by its USB id')
    .option(
      '--reconnect',
      'resynchronise with a board left mid-conversation by another program before checking',
    )
    .option('--json', 'machine-readable output')
    .action(async (flags: CheckFlags) => {
      const engine = ctx.engine();
      const device = engine.config.device;
      const request = flags.forceDetect ? null : (flags.device ?? device.port ?? null);
      const target = await resolveDevice(request);
      let virtual: VirtualPlotterHandle | undefined;
      try {
        if (target.kind === 'virtual') virtual = await runVirtualPlotter({ speed: 50 });
        const port = virtual ? virtual.portPath : target.kind === 'serial' ? target.path : '';
        const conn = await openEbb(port);
        try {
          if (flags.reconnect) await conn.ebb.resync();
          await conn.ebb.configureServo(servoPercent(device));
          const cycle = [
            await conn.ebb.penUp(device.pen_delay_up),
            await conn.ebb.penDown(device.pen_delay_down),
            await conn.ebb.penUp(device.pen_delay_up),
          ];
          const result = {
            port: virtual ? 'virtual' : port,
            nickname: target.kind === 'serial' ? target.nickname : null,
            firmware: conn.version.raw,
            pen_cycle_ms: cycle,
            pen_pos_up: device.pen_pos_up,
            pen_pos_down: device.pen_pos_down,
          };
          engine.logger.info(
            `check servo: ${result.port}, firmware ${result.firmware}, pen cycled`,
          );
          if (flags.json) return printJson(ctx.io, { servo: { ok: true, ...result } });
          printFields(ctx.io, [
            ['Port', `${result.port}${result.nickname ? ` (${result.nickname})` : ''}`],
            ['Firmware', result.firmware],
            [
              'Pen',
              `up ${device.pen_pos_up}% / down ${device.pen_pos_down}%: cycled up, down, up (${cycle.join(' + ')} ms)`,
            ],
            ['Result', 'ok'],
          ]);
        } finally {
          await conn.close();
        }
      } catch (err) {
        if (err instanceof VfabError) throw err;
        throw new VfabError(
          'NOT_FOUND',
          `check servo: ${(err as Error).message}. Check the USB cable and the plotter's power, or try --reconnect.`,
        );
      } finally {
        if (virtual) await virtual.stop();
      }
    });
}
