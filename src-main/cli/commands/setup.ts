/** `vfab setup [--camera-only] [--yes]`: first run, and the repair for a deleted config or database. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { resolvePaths } from '../../config/paths';
import { updateConfigFile } from '../../config/config';
import { printFields } from '../output';
import { ask } from '../prompt';
import type { CliContext } from './jobs';

type Answers = Record<string, string | boolean>;

async function askDevice(): Promise<Answers> {
  return {
    'device.model': await ask(
      'AxiDraw model (V3/A4, V3/A3, SE/A3, V3 XLX, MiniKit, SE/A1, SE/A2)',
      'V3/A4',
    ),
    'device.port': await ask(
      "Plotter port (empty = find it by USB id, or 'virtual' for the simulator)",
      '',
    ),
    'paper.default_size': await ask(
      "Paper size ('document' = the SVG's own page; or A4, A3, Letter, …)",
      'document',
    ),
  };
}

async function askCamera(): Promise<Answers> {
  const url = await ask(
    'Camera MJPEG URL (empty = no camera)',
    'http://127.0.0.1:8881/stream.mjpeg',
  );
  return url === '-' || url.toLowerCase() === 'none'
    ? { 'camera.enabled': false }
    : { 'camera.url': url, 'camera.enabled': true };
}

/** Drops empty answers so they keep their defaults; `device.port: ''` would mean "a port named ''". */
function meaningful(answers: Answers): Answers {
  return Object.fromEntries(Object.entries(answers).filter(([, v]) => v !== ''));
}

export function registerSetupCommand(program: Command, ctx: CliContext): void {
  program
    .command('setup')
    .description('create the config file, data folders and database (safe to run again)')
    .option('--camera-only', 'only set the camera')
    .option('-y, --yes', 'no questions: keep defaults and existing values')
    .action(async (opts: { cameraOnly?: boolean; yes?: boolean }) => {
      const { configFile } = resolvePaths();
      const interactive = ctx.io.tty && Boolean(process.stdin.isTTY) && !opts.yes;
      const answers = interactive
        ? meaningful(
            opts.cameraOnly
              ? await askCamera()
              : { ...(await askDevice()), ...(await askCamera()) },
          )
        : {};
      const existed = fs.existsSync(configFile);
      // Creates the commented template when missing; validates answers before writing anything.
      if (!existed || Object.keys(answers).length) updateConfigFile(configFile, answers);
      const engine = ctx.engine();
      const { startup } = engine;
      printFields(ctx.io, [
        [
          'Config',
          `${configFile} (${existed ? (Object.keys(answers).length ? 'updated' : 'kept') : 'created'})`,
        ],
        ['Data', engine.paths.dataDir],
        [
          'Database',
          `${engine.paths.dbFile} (${startup.databaseCreated ? `created, ${startup.reconcile.indexed} job(s) indexed from journals` : 'kept'})`,
        ],
        ['Log', engine.paths.logFile],
      ]);
      engine.logger.info(
        `setup: config ${existed ? 'kept' : 'created'}, database ${startup.databaseCreated ? 'created' : 'kept'}`,
      );
    });
}
