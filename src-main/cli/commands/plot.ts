/**
 * `vfab plot <job> [--device NAME|PORT|virtual] [--speed N]`: plots a READY job, or resumes a
 * PAUSED (or interrupted) one from its last checkpoint. SIGINT/SIGTERM pause the plot: the pen
 * is lifted once the queued motion has run, and `vfab plot <job>` resumes it.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { ERROR_CODES, VfabError } from '../../errors';
import { jobFiles } from '../../jobs/workspace';
import { motionProfile } from '../../plan/motion';
import { openEbb, resolveDevice } from '../../plotter/devices';
import { runPlot, type PlotProgress } from '../../plotter/runner';
import { runVirtualPlotter, type VirtualPlotterHandle } from '../../plotter/virtual/main';
import type { Io } from '../output';
import type { CliContext } from './jobs';

/** `vfab pause` asks the process plotting a job to pause by creating this file in the job folder. */
export function pauseRequestFile(jobsDir: string, id: string): string {
  return `${jobFiles(jobsDir, id).dir}/pause.request`;
}

const PAUSE_POLL_MS = 250;
/** How long `vfab pause` waits for the plotting process to finish the queued motion and lift the pen. */
const PAUSE_WAIT_MS = 15_000;

interface PlotFlags {
  device?: string;
  speed: string;
}

function duration(s: number): string {
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** A bar with ETA and layer on a terminal (stderr); a plain line every 5 % otherwise. */
function progressPrinter(io: Io, id: string, speed: number): { update(p: PlotProgress): void; end(): void } {
  let lastAt = 0, lastStep = -1;
  const tty = io.tty && Boolean(process.stderr.isTTY);
  return {
    update(p) {
      const pct = Math.floor(p.fraction * 100);
      const layer = p.layer === null ? '-' : String(p.layer + 1);
      if (tty) {
        const now = Date.now();
        if (now - lastAt < 100 && p.fraction < 1) return;
        lastAt = now;
        const width = 30, full = Math.round(p.fraction * width);
        process.stderr.write(`\r\x1b[2K${id} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${pct}% layer ${layer} ETA ${duration(p.etaS / speed)}`);
      } else {
        const step = Math.floor(pct / 5);
        if (step === lastStep) return;
        lastStep = step;
        io.err(`${id}: ${pct}% (move ${p.move + 1}/${p.moves}, layer ${layer}, about ${duration(p.etaS / speed)} left)`);
      }
    },
    end() {
      if (tty) process.stderr.write('\r\x1b[2K');
    },
  };
}

export function registerPlotCommands(program: Command, ctx: CliContext): void {
  program
    .command('plot <job>')
    .description('plot a READY job, or resume a paused or interrupted one from its last checkpoint')
    .option('--device <device>', "AxiDraw nickname, serial port path, or 'virtual' (default: config device.port, else the first AxiDraw)")
    .option('--speed <factor>', "with --device virtual: run the simulated plotter this many times faster", '1')
    .addHelpText('after', '\nCtrl-C pauses (pen up after the queued motion); run the same command again to resume.')
    .action(async (id: string, flags: PlotFlags) => {
      const speed = Number(flags.speed);
      if (!(speed > 0)) throw new VfabError('USAGE', `--speed must be a number > 0, not '${flags.speed}'.`);
      const engine = ctx.engine();
      const state = engine.jobs.state(id);
      if (!['READY', 'QUEUED', 'PAUSED', 'PLOTTING'].includes(state)) {
        throw new VfabError('INVALID_STATE', `Job '${id}' is ${state}; 'vfab plot' takes READY, PAUSED or interrupted jobs (vfab restart ${id} plots a finished one again).`);
      }
      const target = await resolveDevice(flags.device ?? engine.config.device.port ?? null);
      let virtual: VirtualPlotterHandle | undefined;
      let portPath: string;
      if (target.kind === 'virtual') {
        virtual = await runVirtualPlotter({ speed }).catch((err: Error) => {
          throw new VfabError('NOT_FOUND', `Cannot start the virtual plotter: ${err.message}`);
        });
        portPath = virtual.portPath;
        ctx.io.out(`paper: ${virtual.paperFile}`);
      } else {
        portPath = target.path;
      }
      const ctl = new AbortController();
      const pause = () => {
        if (!ctl.signal.aborted) ctx.io.err(`\n${id}: pausing after the queued motion…`);
        ctl.abort('pause');
      };
      process.on('SIGINT', pause);
      process.on('SIGTERM', pause);
      const request = pauseRequestFile(engine.paths.jobsDir, id);
      fs.rmSync(request, { force: true });
      const watcher = setInterval(() => {
        if (fs.existsSync(request)) pause();
      }, PAUSE_POLL_MS);
      const printer = progressPrinter(ctx.io, id, target.kind === 'virtual' ? speed : 1);
      try {
        const conn = await openEbb(portPath);
        try {
          const result = await runPlot({ jobs: engine.jobs, logger: engine.logger, jobsDir: engine.paths.jobsDir }, id, {
            ebb: conn.ebb,
            capabilities: conn.capabilities,
            profile: motionProfile(engine.config.device),
            device: engine.config.device,
            deviceName: target.kind === 'virtual' ? 'virtual' : target.nickname ?? portPath,
            signal: ctl.signal,
            ...(target.kind === 'virtual' ? { speedFactor: speed } : {}),
            onProgress: (p) => printer.update(p),
          });
          printer.end();
          const at = result.checkpoint ? ` (checkpoint: move ${result.checkpoint.move + 1})` : '';
          switch (result.state) {
            case 'COMPLETED':
              ctx.io.err(`${id}: COMPLETED`);
              break;
            case 'PAUSED':
              ctx.io.err(`${id}: PAUSED${at}; resume with: vfab plot ${id}`);
              break;
            case 'ABORTED':
              ctx.io.err(`${id}: ABORTED`);
              break;
            case 'FAILED':
              ctx.io.err(`${id}: FAILED: ${result.error ?? ''}`);
              ctx.exitCode = ERROR_CODES.INVALID_STATE;
              break;
            case 'PLOTTING':
              ctx.io.err(`${id}: interrupted${at}: ${result.error}. The job stays PLOTTING; fix the connection and run: vfab plot ${id}`);
              ctx.exitCode = ERROR_CODES.INTERNAL;
              break;
          }
          ctx.io.out(`${id}\t${result.state}`);
        } finally {
          await conn.close();
        }
      } finally {
        printer.end();
        clearInterval(watcher);
        fs.rmSync(request, { force: true });
        process.off('SIGINT', pause);
        process.off('SIGTERM', pause);
        if (virtual) await virtual.stop();
      }
    });

  program
    .command('pause <job>')
    .description('pause a job being plotted by another vfab process: it finishes the queued motion and lifts the pen')
    .action(async (id: string) => {
      const engine = ctx.engine();
      const state = engine.jobs.state(id);
      if (state === 'PAUSED') return ctx.io.err(`${id}: already PAUSED; resume with: vfab plot ${id}`);
      if (state !== 'PLOTTING') throw new VfabError('INVALID_STATE', `Job '${id}' is ${state}; only a PLOTTING job can be paused.`);
      const request = pauseRequestFile(engine.paths.jobsDir, id);
      fs.writeFileSync(request, `${process.pid}\n`);
      const deadline = Date.now() + PAUSE_WAIT_MS;
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, PAUSE_POLL_MS));
        if (engine.jobs.state(id) !== 'PLOTTING') break;
      }
      const now = engine.jobs.state(id);
      if (now === 'PLOTTING') {
        fs.rmSync(request, { force: true });
        ctx.io.err(`${id}: no plotting process answered within ${PAUSE_WAIT_MS / 1000} s. If the plot was interrupted, it is already stopped; continue it with: vfab plot ${id}`);
        ctx.exitCode = ERROR_CODES.BUSY;
        return;
      }
      ctx.io.err(`${id}: ${now}${now === 'PAUSED' ? `; resume with: vfab plot ${id}` : ''}`);
      ctx.io.out(`${id}\t${now}`);
    });
}
