/** `vfab check camera [--json] [--url URL] [--timeout S]`: does the camera stream, at what rate and size? */
import type { Command } from 'commander';
import { probeCamera, type CameraProbe } from '../../camera/check';
import { cameraSource } from '../../camera/settings';
import { VfabError } from '../../errors';
import { printFields, printJson } from '../output';
import type { CliContext } from './jobs';

interface CameraFlags {
  json?: boolean;
  url?: string;
  timeout: string;
}

const MAX_TIMEOUT_S = 600;

function parseTimeout(value: string): number {
  const s = Number(value);
  if (!Number.isFinite(s) || s <= 0 || s > MAX_TIMEOUT_S)
    throw new VfabError(
      'USAGE',
      `--timeout '${value}' must be a number of seconds above 0 and at most ${MAX_TIMEOUT_S}.`,
    );
  return s;
}

function resultFields(probe: CameraProbe): [string, string][] {
  const fields: [string, string][] = [
    ['Camera', probe.url],
    ['Result', probe.ok ? 'ok' : 'fail'],
    ['Frames', String(probe.frames)],
  ];
  if (probe.fps !== undefined) fields.push(['Rate', `${probe.fps.toFixed(1)} fps`]);
  if (probe.width !== undefined && probe.height !== undefined)
    fields.push(['Resolution', `${probe.width}x${probe.height}`]);
  return fields;
}

export function registerCameraCommands(program: Command, ctx: CliContext): void {
  const check =
    program.commands.find((c) => c.name() === 'check') ??
    program.command('check').description('check hardware and installation');
  check
    .command('camera')
    .description(
      'connect to the camera stream (config camera.url), report frame rate and resolution; fails if no frame arrives',
    )
    .option(
      '--url <url>',
      'check this stream URL instead of camera.url (also when the camera is disabled)',
    )
    .option('--timeout <seconds>', 'give up after this many seconds', '5')
    .option('--json', 'machine-readable output')
    .action(async (flags: CameraFlags) => {
      const timeoutS = parseTimeout(flags.timeout);
      const engine = ctx.engine();
      const source = cameraSource(engine.config.camera);
      if (!flags.url && !source.enabled) {
        engine.logger.info(`check camera: disabled (${source.reason})`);
        if (flags.json)
          return printJson(ctx.io, { camera: { disabled: true, reason: source.reason } });
        printFields(ctx.io, [
          ['Camera', 'disabled'],
          ['Why', `${source.reason}; vfab works fully without a camera`],
          ['Result', 'ok (nothing to check)'],
        ]);
        return;
      }
      const url = flags.url ?? engine.config.camera.url;
      const probe = await probeCamera(url, {
        timeoutMs: timeoutS * 1000,
        service: engine.config.camera.motion_service,
      });
      if (probe.ok)
        engine.logger.info(
          `check camera: ${probe.url} ok, ${probe.fps ?? '?'} fps, ${probe.width}x${probe.height}`,
        );
      else engine.logger.warning(`check camera: ${probe.error}`);
      if (flags.json) printJson(ctx.io, { camera: probe });
      else printFields(ctx.io, resultFields(probe));
      if (!probe.ok)
        throw new VfabError('NOT_FOUND', probe.error ?? `Camera at ${probe.url} sent no frame.`);
    });
}
