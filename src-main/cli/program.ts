/** The `vfab` command tree. Commands live in commands/; this file wires them and maps errors to exit codes. */
import { Command, CommanderError } from 'commander';
import { resolvePaths } from '../config/paths';
import { openEngine, type Engine } from '../engine';
import { ERROR_CODES, VfabError, type ErrorCode } from '../errors';
import { readOnlyNote } from '../read-only';
import { storageErrorAt } from '../util/storage';
import { VERSION } from '../version';
import { registerCameraCommands } from './commands/camera';
import { registerBackupCommands } from './commands/backup';
import { registerCheckCommands } from './commands/check';
import { registerDemoCommand } from './commands/demo';
import { registerDeviceCommands } from './commands/devices';
import { registerJobCommands, type CliContext } from './commands/jobs';
import { registerPlanCommand } from './commands/plan';
import { PAUSED_EXIT, registerPlotCommands } from './commands/plot';
import { registerQueueCommands } from './commands/queue';
import { registerServeCommand } from './commands/serve';
import { registerSetupCommand } from './commands/setup';
import { registerSystemCommands } from './commands/system';
import { registerVirtualPlotterCommand } from './commands/virtual';
import type { Io } from './output';

export const EXIT_CODES_HELP = `
Exit codes:
  0  success            ${ERROR_CODES.NOT_FOUND}  job or file not found     ${ERROR_CODES.CONFIG}  bad config.yaml
  ${ERROR_CODES.INTERNAL}  unexpected error   ${ERROR_CODES.ALREADY_EXISTS}  job already exists        ${ERROR_CODES.INVALID_STATE}  job not in a state for this
  ${ERROR_CODES.USAGE}  bad usage          ${ERROR_CODES.INVALID_INPUT}  invalid input (id, file)  ${ERROR_CODES.DATA}  damaged data, full disk, read-only data
  ${ERROR_CODES.BUSY}  busy (another process)   ${PAUSED_EXIT} a plot stopped at a pause (pen change, ! layer): vfab resume <job>

Files: config ~/.config/vfab/config.yaml (VFAB_CONFIG), data ~/.local/share/vfab (VFAB_DATA_DIR).`;

function codeOf(err: unknown): ErrorCode {
  return err instanceof VfabError ? err.code : 'INTERNAL';
}

export function buildProgram(
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
): { program: Command; ctx: CliContext; opened(): Engine | undefined } {
  let engine: Engine | undefined;
  const ctx: CliContext = {
    io,
    engine: () => {
      if (engine) return engine;
      engine = openEngine({ env });
      // Said on stderr by every command, so a cron job's log shows them and pipes stay clean.
      for (const w of engine.configWarnings) io.err(`config warning: ${w.message}`);
      const aside = engine.startup.databaseSetAside;
      if (aside)
        io.err(
          `The database was unusable (${aside.reason}); it is kept as ${aside.path} and the index was rebuilt from the journals.`,
        );
      for (const u of engine.startup.reconcile.unreadable)
        io.err(`job ${u.id}: ${u.reason}; see 'vfab system journal validate ${u.id}'`);
      return engine;
    },
    exitCode: 0,
    env,
  };
  const program = new Command('vfab')
    .description('vfab: pen-plotter workstation (jobs, queue, plotting, crash recovery)')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  registerJobCommands(program, ctx);
  registerDeviceCommands(program, ctx);
  registerPlanCommand(program, ctx);
  registerPlotCommands(program, ctx);
  registerQueueCommands(program, ctx);
  registerCheckCommands(program, ctx);
  registerCameraCommands(program, ctx);
  registerSystemCommands(program, ctx);
  registerBackupCommands(program, ctx);
  registerSetupCommand(program, ctx);
  registerVirtualPlotterCommand(program, ctx);
  registerServeCommand(program, ctx);
  registerDemoCommand(program, ctx);
  return { program, ctx, opened: () => engine };
}

/** Runs one command line; returns the exit code instead of exiting so tests can call it in-process. */
export async function runCli(
  argv: readonly string[],
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { program, ctx, opened } = buildProgram(io, env);
  try {
    await program.parseAsync(argv, { from: 'user' });
    const readOnly = opened()?.startup.readOnly;
    if (readOnly && ctx.exitCode === 0) io.err(readOnlyNote(readOnly));
    return ctx.exitCode;
  } catch (caught) {
    if (caught instanceof CommanderError) return caught.exitCode === 0 ? 0 : ERROR_CODES.USAGE;
    const engine = opened();
    const err =
      storageErrorAt(caught, engine?.paths.dataDir ?? resolvePaths(env).dataDir) ?? caught;
    const code = codeOf(err);
    // A VfabError's message is the whole story; anything else is a bug, and its stack says where.
    io.err(
      `vfab: ${code === 'INTERNAL' && !(err instanceof VfabError) ? `unexpected error: ${(err as Error)?.stack ?? String(err)}` : (err as Error).message}`,
    );
    // Said just above on stderr, where a read-only process's log goes too.
    if (engine?.logger.sink === 'file')
      engine.logger.error(
        `command 'vfab ${argv.join(' ')}' failed: ${(err as Error)?.message ?? String(err)}`,
      );
    return ERROR_CODES[code];
  } finally {
    opened()?.close();
  }
}
