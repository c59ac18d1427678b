/**
 * How `vfab queue run` speaks: a line on stderr per runner event (job started on a plotter,
 * completed in N s, waiting for paper, …), progress per plotter (a status line on a terminal,
 * every 25 % otherwise), and on stdout one `job<TAB>STATE<TAB>plotter` row per job that ended,
 * for pipes. With --json-events, stdout carries every event as one JSON line instead.
 */
import type { PlotterState } from '../plotters/state';
import type { RunnerEvent } from '../queue/events';
import type { Io } from './output';

export interface RunPrinter {
  event(e: RunnerEvent): void;
  /** A line of the face's own (prompts, answers), kept clear of the status line. */
  say(text: string): void;
  end(): void;
}

function stateText(s: PlotterState): string {
  switch (s.kind) {
    case 'idle':
      return 'idle';
    case 'connecting':
      return 'connecting';
    case 'waiting_paper':
      return s.how === 'page_delay' ? 'next page' : 'waiting for paper';
    case 'plotting':
      return `${s.job} ${Math.floor(s.fraction * 100)}%`;
    case 'holding':
      return `holds ${s.job}`;
    case 'offline':
      return 'offline';
  }
}

export function createRunPrinter(
  io: Io,
  opts: { json: boolean; tty: boolean; canType: boolean },
): RunPrinter {
  const states = new Map<string, PlotterState>();
  const steps = new Map<string, number>();
  let status = '';
  let drawnAt = 0;
  const clear = () => {
    if (status) process.stderr.write('\r\x1b[2K');
    status = '';
  };
  const draw = (force: boolean) => {
    if (!opts.tty || opts.json) return;
    const now = Date.now();
    if (!force && now - drawnAt < 100) return;
    drawnAt = now;
    const line = [...states].map(([name, s]) => `${name}: ${stateText(s)}`).join(' | ');
    process.stderr.write(`\r\x1b[2K${line}`);
    status = line;
  };
  const say = (text: string) => {
    clear();
    io.err(text);
    draw(true);
  };
  const row = (job: string, state: string, plotter: string) => {
    if (!opts.json) io.out(`${job}\t${state}\t${plotter}`);
  };

  return {
    say,
    end: clear,
    event(e) {
      if (opts.json) io.out(JSON.stringify(e));
      switch (e.type) {
        case 'runner.started':
          for (const p of e.plotters) states.set(p.name, { kind: 'idle' });
          say(
            `Queue runner on ${e.plotters.map((p) => `${p.name} (${p.model}${p.paper ? `, ${p.paper}` : ''})`).join(', ')}${e.unattended ? ', unattended' : ''}.`,
          );
          break;
        case 'plotter.state':
          states.set(e.plotter, e.state);
          if (e.state.kind === 'offline') say(`${e.plotter}: offline: ${e.state.reason}`);
          else if (e.state.kind === 'holding')
            say(`${e.plotter} holds job ${e.state.job} (${e.state.state}): ${e.state.why}`);
          else draw(true);
          break;
        case 'plot.progress': {
          const s = states.get(e.plotter);
          if (s?.kind === 'plotting')
            states.set(e.plotter, { ...s, fraction: e.progress.fraction });
          if (opts.tty) draw(false);
          else if (!opts.json) {
            const step = Math.floor(e.progress.fraction * 4);
            if (step > (steps.get(e.plotter) ?? 0) && step < 4)
              say(`${e.job} on ${e.plotter}: ${step * 25}%`);
            steps.set(e.plotter, step);
          }
          break;
        }
        case 'paper.waiting':
          if (e.how === 'page_delay') {
            if ((e.delayS ?? 0) > 0)
              say(`${e.plotter}: next page in ${e.delayS} s (job ${e.next})`);
          } else {
            say(
              `${e.plotter}: waiting for paper (next: job ${e.next}): change the sheet, then press the plotter's PRG button${opts.canType ? ' or Enter (Enter alone confirms every plotter waiting; type a plotter name to confirm one)' : ''}`,
            );
          }
          break;
        case 'paper.changed':
          if (e.how !== 'page_delay')
            say(`${e.plotter}: paper changed (${e.how === 'button' ? 'PRG button' : e.how})`);
          break;
        case 'job.started':
          steps.set(e.plotter, 0);
          say(
            `${e.job}: ${e.resumed ? 'continues from its checkpoint' : 'started'} on ${e.plotter}`,
          );
          break;
        case 'job.completed':
          say(`${e.job}: COMPLETED on ${e.plotter} in ${e.durationS} s`);
          row(e.job, e.state, e.plotter);
          break;
        case 'job.paused':
          say(
            `${e.job}: PAUSED on ${e.plotter} (${e.reason}); resume it with: vfab resume ${e.job}`,
          );
          row(e.job, e.state, e.plotter);
          break;
        case 'job.failed':
          say(
            `${e.job}: ${e.state === 'FAILED' || e.state === 'ABORTED' ? e.state : `not plotted (stays ${e.state})`} on ${e.plotter}: ${e.error}`,
          );
          row(e.job, e.state, e.plotter);
          break;
        case 'job.interrupted':
          say(
            `${e.job}: interrupted on ${e.plotter}: ${e.error}; the job stays PLOTTING and continues at the next: vfab queue run`,
          );
          row(e.job, e.state, e.plotter);
          break;
        case 'runner.stopped':
          for (const l of e.left) say(`${l.job}: left in the queue: ${l.reason}`);
          break;
      }
    },
  };
}
