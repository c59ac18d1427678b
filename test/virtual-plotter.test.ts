/** The virtual plotter through the real `serialport` library on a socat PTY (docs/ebb-protocol.md "The virtual plotter"). */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { controlRequest } from '../src-main/plotter/virtual/control';
import {
  runVirtualPlotter,
  type VirtualPlotterHandle,
  type VirtualPlotterOptions,
} from '../src-main/plotter/virtual/main';
import { readPaper } from '../src-main/plotter/virtual/paper';
import { endWithTest } from './helpers/processes';
import { waitFor } from './helpers/wait';

/** A minimal host: writes commands and collects the reply bytes up to a terminator pattern. */
class Host {
  private buf = '';
  private wake: (() => void) | undefined;
  readonly events: string[] = [];
  constructor(readonly port: SerialPort) {
    port.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      this.wake?.();
    });
    port.on('close', () => this.events.push('close'));
    port.on('error', () => this.events.push('error'));
  }
  static async open(path: string): Promise<Host> {
    const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    return new Host(port);
  }
  write(text: string): void {
    this.port.write(text);
  }
  /** Waits for the buffer to match `until` and takes everything up to the end of the match. */
  async read(until: RegExp = /OK\r\n|![^\r\n]*\r\n/, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = until.exec(this.buf);
      if (m) {
        const out = this.buf.slice(0, m.index + m[0].length);
        this.buf = this.buf.slice(m.index + m[0].length);
        return out;
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no reply matching ${until}; have ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, left);
      });
    }
  }
  pendingText(): string {
    return this.buf;
  }
  async cmd(text: string, until?: RegExp): Promise<string> {
    this.write(`${text}\r`);
    return this.read(until);
  }
  async waitIdle(): Promise<void> {
    await waitFor(
      'the motion queue to empty',
      async () => (await this.cmd('QM', /\n\r/)) === 'QM,0,0,0,0\n\r',
    );
  }
  async steps(): Promise<[number, number]> {
    const r = await this.cmd('QS');
    const [a, b] = r
      .split(/[\r\n]/)[0]!
      .split(',')
      .map(Number);
    return [a!, b!];
  }
  close(): Promise<void> {
    return new Promise((r) => (this.port.isOpen ? this.port.close(() => r()) : r()));
  }
}

let plotter: VirtualPlotterHandle | undefined;
let hosts: Host[] = [];
let children: ChildProcess[] = [];

async function start(
  opts: VirtualPlotterOptions = {},
): Promise<{ p: VirtualPlotterHandle; host: Host }> {
  plotter = await runVirtualPlotter({ speed: 50, ...opts });
  const host = await Host.open(plotter.portPath);
  hosts.push(host);
  return { p: plotter, host };
}

const ctl = <T = Record<string, unknown>>(op: string, args: Record<string, unknown> = {}) =>
  plotter!.control<T>(op, args);

afterEach(async () => {
  for (const h of hosts) await h.close().catch(() => {});
  hosts = [];
  await plotter?.stop();
  if (plotter) fs.rmSync(path.dirname(plotter.paperFile), { recursive: true, force: true });
  plotter = undefined;
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  children = [];
});

describe('virtual plotter: protocol', () => {
  it('answers V, queries and errors byte-exact like firmware 3.0.3', async () => {
    const { host } = await start();
    expect(await host.cmd('V', /\r\n/)).toBe('EBBv13_and_above EB Firmware Version 3.0.3\r\n');
    expect(await host.cmd('qs')).toBe('0,0\n\rOK\r\n');
    expect(await host.cmd('QG', /\r\n/)).toBe('10\r\n');
    expect(await host.cmd('QP')).toBe('1\n\rOK\r\n');
    expect(await host.cmd('QC')).toBe('0394,0300\r\nOK\r\n');
    expect(await host.cmd('QU,2', /OK\r\n/)).toBe('QU,32\r\nOK\r\n');
    expect(await host.cmd('ZZ')).toBe("!8 Err: Unknown command 'ZZ:5A5A'\r\n");
    expect(await host.cmd('SM,10')).toBe('!4 Err: Missing parameter(s)\r\n');
    expect(await host.cmd('SM,1,100,0')).toBe('!0 Err: <axis1> step rate too high\r\n');
    expect(await host.cmd('SL,7,3')).toBe('OK\r\n');
    expect(await host.cmd('QL,3')).toBe('7\r\nOK\r\n');
    // Future syntax (CU,10,1) answers "\n" to the switch, then NAME[,data]\n.
    expect(await host.cmd('CU,10,1', /\n/)).toBe('\n');
    expect(await host.cmd('QG', /\n/)).toBe('QG,10\n');
    expect(await host.cmd('CU,10,0', /\r\n/)).toBe('CUOK\r\n');
  });

  it('a 2.8.1 profile rejects v3 commands and reports ES with step counts', async () => {
    const { host } = await start({ firmware: '2.8.1' });
    expect(await host.cmd('V', /\r\n/)).toBe('EBBv13_and_above EB Firmware Version 2.8.1\r\n');
    expect(await host.cmd('QU,2')).toBe("!8 Err: Unknown command 'QU:5155'\r\n");
    expect(await host.cmd('EM,1,1')).toBe('OK\r\n');
    expect(await host.cmd('SM,10000,2000,1000')).toBe('OK\r\n');
    expect(await host.cmd('SM,1000,500,0')).toBe('OK\r\n');
    const es = await host.cmd('ES');
    const [interrupted, q1, q2, r1, r2] = es.split('\n')[0]!.split(',').map(Number);
    expect([interrupted, q1, q2]).toEqual([1, 500, 0]);
    expect(r1! + (await host.steps())[0]).toBe(2000);
    expect(r2).toBeGreaterThan(0);
    expect(await host.cmd('QM', /\n\r/)).toBe('QM,0,0,0,0\n\r');
  });
});

describe('virtual plotter: motion and paper', () => {
  it('draws pen-down SM/XM/LM moves onto the paper with exact step endpoints', async () => {
    const { p, host } = await start({ speed: 100 });
    for (const c of [
      'EM,1,1',
      'SC,4,20000',
      'SC,5,15000',
      'SP,0,100',
      'SM,200,800,800',
      'XM,100,0,400',
      'LM,85899346,10,0,17180814,2,0',
      'SP,1,100',
      'SM,100,-400,-400',
      'SP,0',
      'HM,20000',
      'SP,1',
    ])
      expect(await host.cmd(c), c).toBe('OK\r\n');
    await host.waitIdle();
    expect(await host.steps()).toEqual([0, 0]);
    const paper = readPaper(p.paperFile);
    expect(paper.map((l) => [l.cmd, l.from, l.to])).toEqual([
      ['SM', [0, 0], [800, 800]],
      ['XM', [800, 800], [1200, 400]],
      ['LM', [1200, 400], [1210, 402]],
      ['HM', [810, 2], [0, 0]],
    ]);
    expect(paper[0]!.fromMm).toEqual([0, 0]);
    expect(paper[0]!.toMm).toEqual([10, 0]);
    expect(paper[1]!.toMm).toEqual([10, 5]);
    expect(paper.every((l) => !l.partial && Date.parse(l.endedAt) >= Date.parse(l.startedAt))).toBe(
      true,
    );
  });

  it('a streamed plan lands on the paper as one continuous, step-exact trace', async () => {
    const { p, host } = await start({ speed: 5 });
    expect(await host.cmd('SP,0')).toBe('OK\r\n');
    const moves: [number, number][] = [];
    for (let i = 0; i < 100; i++) moves.push([(i % 7) * 3 + 1, ((i * 5) % 11) - 5]);
    for (const [a, b] of moves) expect(await host.cmd(`XM,20,${a},${b}`)).toBe('OK\r\n');
    await host.waitIdle();
    const paper = readPaper(p.paperFile);
    expect(paper).toHaveLength(100);
    let at: [number, number] = [0, 0];
    moves.forEach(([a, b], i) => {
      expect(paper[i]!.from).toEqual(at);
      at = [at[0] + a + b, at[1] + a - b];
      expect(paper[i]!.to).toEqual(at);
    });
    expect(await host.steps()).toEqual(at);
    const stats = await ctl<{ motionCommands: number; gaps: { count: number } }>('stats');
    expect(stats.motionCommands).toBe(101);
  });

  it('QM/QG/QS report a move while it runs, then idle', async () => {
    const { host } = await start({ speed: 10 });
    expect(await host.cmd('SM,3000,3000,-3000')).toBe('OK\r\n');
    await waitFor('the move to be under way', async () => (await host.steps())[0] > 0);
    expect(await host.cmd('QM', /\n\r/)).toBe('QM,1,1,1,0\n\r');
    expect(await host.cmd('QG', /\r\n/)).toBe('1E\r\n');
    const [s1, s2] = await host.steps();
    expect(s1).toBeGreaterThan(0);
    expect(s1).toBeLessThan(3000);
    expect(s2).toBe(-s1);
    await host.waitIdle();
    expect(await host.steps()).toEqual([3000, -3000]);
    expect(await host.cmd('QE')).toBe('16,16\n\rOK\r\n');
  });

  it('a full FIFO blocks the parser, even QB and ES, until a slot frees', async () => {
    const { host } = await start({ speed: 50 });
    // 20 s of plotter time = 400 ms real: one running, one queued, the third is stuck.
    host.write('SM,20000,100,100\rSM,10,1,1\rSM,10,1,1\rQB\r');
    await waitFor('two commands answered', () => host.pendingText() === 'OK\r\nOK\r\n');
    await waitFor(
      'the parser to wait for a FIFO slot',
      async () => (await ctl<{ parserBlocked: unknown }>('status')).parserBlocked === 'slot',
    );
    expect(host.pendingText()).toBe('OK\r\nOK\r\n');
    expect(await ctl('status')).toMatchObject({
      parserBlocked: 'slot',
      fifo: { depth: 1, fill: 1 },
    });
    // Sent while it waits, a command is held in the board (a USB packet's worth), ready when the slot frees.
    host.write('SM,10,1,1\r');
    await waitFor(
      'the board to hold the second line',
      async () => (await ctl<{ pendingLines: number }>('status')).pendingLines >= 2,
      { timeoutMs: 2000 },
    );
    expect(await ctl('status')).toMatchObject({ parserBlocked: 'slot', pendingLines: 2 });
    expect(await host.read(/0\r\nOK\r\nOK\r\n/, 2000)).toBe('OK\r\nOK\r\nOK\r\n0\r\nOK\r\nOK\r\n');
    await host.waitIdle();
    expect(await host.steps()).toEqual([103, 103]);
    // Deeper FIFO on v3.
    expect(await host.cmd('CU,4,8')).toBe('OK\r\n');
    host.write(`${'SM,1000,10,10\r'.repeat(9)}`);
    await host.read(new RegExp('(OK\\r\\n){9}'), 2000);
    expect((await ctl<{ maxFifoFill: number }>('stats')).maxFifoFill).toBe(8);
  });

  it('counts starvation gaps between moves', async () => {
    const { host } = await start({ speed: 20 });
    expect(await host.cmd('SM,100,10,10')).toBe('OK\r\n');
    // 1 s of plotter time with an empty FIFO: the gap counted.
    const virtualMs = async () => (await ctl<{ virtualMs: number }>('status')).virtualMs;
    const from = await virtualMs();
    await waitFor('1 s of plotter time', async () => (await virtualMs()) >= from + 1000);
    expect(await host.cmd('SM,100,10,10')).toBe('OK\r\n');
    await host.waitIdle();
    const stats = await ctl<{ gaps: { count: number; totalMs: number; maxMs: number } }>('stats');
    expect(stats.gaps.count).toBe(1);
    expect(stats.gaps.maxMs).toBeGreaterThan(700);
  });
});

describe('virtual plotter: faults', () => {
  it('unplug makes the port vanish; replug with state kept restores position', async () => {
    const { p, host } = await start();
    expect(await host.cmd('SM,100,400,400')).toBe('OK\r\n');
    await host.waitIdle();
    await ctl('unplug');
    expect(fs.existsSync(p.portPath)).toBe(false);
    // serialport 13 reports the loss as close or, on the next write, as an error (docs/ebb-protocol.md "The virtual plotter").
    await waitFor(
      'serialport to report the loss',
      () => {
        if (host.events.length === 0 && host.port.isOpen) host.port.write('V\r');
        return host.events.length > 0;
      },
      { timeoutMs: 1000, everyMs: 20 },
    );
    expect(host.events.length).toBeGreaterThan(0);
    await ctl('replug', { resetState: false });
    const again = await Host.open(p.portPath);
    hosts.push(again);
    expect(await again.steps()).toEqual([400, 400]);
    await ctl('reboot');
    await again.close();
    const third = await Host.open(p.portPath);
    hosts.push(third);
    expect(await third.steps()).toEqual([0, 0]);
    expect(await third.cmd('QE')).toBe('0,0\n\rOK\r\n');
  });

  it('error replies, dropped replies, slow replies', async () => {
    const { host } = await start();
    await ctl('errorReply', { count: 2 });
    expect(await host.cmd('SM,10,1,1')).toMatch(/^!8 Err: .*\r\n$/);
    expect(await host.cmd('QS')).toMatch(/^!8 Err: /);
    expect(await host.cmd('QS')).toBe('0,0\n\rOK\r\n');
    await ctl('errorReply', { count: 1, match: 'LM', code: 6, text: 'Invalid parameter value' });
    expect(await host.cmd('SM,10,1,1')).toBe('OK\r\n');
    expect(await host.cmd('LM,85899346,10,0,0,0,0')).toBe('!6 Err: Invalid parameter value\r\n');
    await ctl('errorReply', { match: 'SM|XM', skip: 2 });
    for (const c of ['SM,10,1,1', 'QS', 'XM,10,1,1']) expect(await host.cmd(c)).toMatch(/OK\r\n$/);
    expect(await host.cmd('SM,10,1,1')).toMatch(/^!8 /);
    expect(await host.cmd('SM,10,1,1')).toBe('OK\r\n');
    await ctl('dropReply', { count: 1 });
    host.write('V\r');
    // The board took V and said nothing: the next command's reply is the first to arrive.
    await waitFor('the board to read V', async () =>
      (await ctl<{ dir: string; text: string }[]>('log', { last: 5 })).some(
        (e) => e.dir === 'in' && e.text === 'V',
      ),
    );
    expect(host.pendingText()).toBe('');
    expect(await host.cmd('QS')).toMatch(/^-?\d+,-?\d+\n\rOK\r\n$/);
    await ctl('slowReplies', { delayMs: 300 });
    const t = Date.now();
    expect(await host.cmd('V', /\r\n/)).toMatch(/^EBB/);
    expect(Date.now() - t).toBeGreaterThanOrEqual(290);
    await ctl('slowReplies', { delayMs: 0 });
  });

  it('the pause button latches until QB or QG reads it', async () => {
    const { host } = await start();
    expect(await host.cmd('QB')).toBe('0\r\nOK\r\n');
    await ctl('pressButton');
    expect(await host.cmd('QB')).toBe('1\r\nOK\r\n');
    expect(await host.cmd('QB')).toBe('0\r\nOK\r\n');
    await ctl('pressButton');
    expect(await host.cmd('QG', /\r\n/)).toBe('30\r\n');
    expect(await host.cmd('QG', /\r\n/)).toBe('10\r\n');
  });

  it('motor power loss loses the position and reads as no power', async () => {
    const { p, host } = await start({ speed: 10 });
    expect(await host.cmd('CU,60,404')).toBe('OK\r\n');
    expect(await host.cmd('SP,0')).toBe('OK\r\n');
    expect(await host.cmd('SM,2000,2000,0')).toBe('OK\r\n');
    await waitFor('the carriage to move', async () => (await host.steps())[0] > 0);
    await ctl('motorPowerLoss');
    expect(await host.cmd('QE')).toBe('0,0\n\rOK\r\n');
    expect(await host.cmd('QC')).toBe('0394,0002\r\nOK\r\n');
    expect(parseInt((await host.cmd('QG', /\r\n/)).trim(), 16) & 0x40).toBe(0x40);
    await host.waitIdle();
    const paper = readPaper(p.paperFile);
    expect(paper).toHaveLength(1);
    expect(paper[0]!.partial).toBe(true);
    expect(paper[0]!.to[0]).toBeLessThan(2000);
    const [s1] = await host.steps();
    expect(s1).toBeLessThan(2000 - paper[0]!.to[0] + 1);
    expect(await ctl('status')).toMatchObject({ positionValid: false, motorPower: false });
  });

  it('as its own process it outlives a killed client (vfab virtual-plotter)', async () => {
    const script = `
      const { Command } = require('commander');
      const { registerVirtualPlotterCommand } = require('./src-main/cli/commands/virtual');
      const { processIo } = require('./src-main/cli/output');
      const program = new Command('vfab');
      registerVirtualPlotterCommand(program, { io: processIo, engine() { throw new Error('no engine'); }, exitCode: 0 });
      program.parseAsync(process.argv.slice(1), { from: 'user' });`;
    const child = endWithTest(
      spawn(
        process.execPath,
        ['--import', 'tsx', '-e', script, 'virtual-plotter', '--speed', '50', '--json'],
        { cwd: path.resolve(__dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
      ),
    );
    children.push(child);
    let out = '';
    const info = await new Promise<{ port: string; control: string; paper: string }>(
      (resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          try {
            resolve(JSON.parse(out));
          } catch {
            // Not all of it yet.
          }
        });
        child.on('exit', (c) => reject(new Error(`exited ${c}: ${out}`)));
      },
    );
    const first = await Host.open(info.port);
    expect(await first.cmd('EM,1,1')).toBe('OK\r\n');
    expect(await first.cmd('SM,200,1600,0')).toBe('OK\r\n');
    await first.close(); // the app "crashes" mid-move
    await waitFor('the move to go on with no host', async () => {
      const s = await controlRequest<{ steps: number[] }>(info.control, 'status');
      return s.steps[0]! > 0;
    });
    const second = await Host.open(info.port);
    hosts.push(second);
    await second.waitIdle();
    expect(await second.steps()).toEqual([1600, 0]);
    expect(await controlRequest<{ mm: number[] }>(info.control, 'status')).toMatchObject({
      mm: [10, 10],
    });
    await second.close();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    expect(fs.existsSync(info.port)).toBe(false);
    fs.rmSync(path.dirname(info.paper), { recursive: true, force: true });
  });
});

describe('virtual plotter: more faults and checks', () => {
  it('an unplug armed after N commands cuts a pen-down move short on the paper', async () => {
    const { p, host } = await start({ speed: 10 });
    await ctl('unplug', { afterCommands: 3 });
    expect(await host.cmd('SP,0')).toBe('OK\r\n');
    expect(await host.cmd('SM,1000,1000,1000')).toBe('OK\r\n');
    host.write('SM,10,1,1\r'); // third command: queued, then the cable is pulled
    await waitFor('the port to vanish', () => !fs.existsSync(p.portPath));
    const paper = readPaper(p.paperFile);
    expect(paper).toHaveLength(1);
    expect(paper[0]).toMatchObject({ cmd: 'SM', from: [0, 0], partial: true });
    expect(paper[0]!.to[0]).toBeLessThan(1000);
    expect((await ctl<{ plugged: boolean }>('status')).plugged).toBe(false);
  });

  it('presses the button after a pen-down distance, and the limit switch aborts motion', async () => {
    const { host } = await start({ speed: 10 });
    await ctl('pressButton', { afterPenDownMm: 5 });
    expect(await host.cmd('SP,0')).toBe('OK\r\n');
    expect(await host.cmd('SM,2000,1600,1600')).toBe('OK\r\n'); // 20 mm in 200 ms real
    expect(await host.cmd('QB')).toBe('0\r\nOK\r\n');
    await waitFor(
      'the button press at 5 mm',
      async () => (await host.cmd('QB')) === '1\r\nOK\r\n',
      {
        timeoutMs: 2000,
      },
    );
    await ctl('limitSwitch', { packet: true });
    expect(await host.read(/\r\n/)).toBe('Limit switch triggered. PortB=00\r\n');
    expect(await host.cmd('QM', /\n\r/)).toBe('QM,0,0,0,0\n\r');
    expect(parseInt(await host.cmd('QG', /\r\n/), 16) & 0x80).toBe(0x80);
  });

  it('a stall holds replies back; portBusy locks the port; servo power loss drops the pen', async () => {
    const { p, host } = await start();
    await ctl('stall', { ms: 200 });
    const t = Date.now();
    expect(await host.cmd('QB')).toBe('0\r\nOK\r\n');
    expect(Date.now() - t).toBeGreaterThanOrEqual(150);
    await host.close();
    await ctl('portBusy', { ms: 300 });
    await expect(Host.open(p.portPath)).rejects.toThrow(/lock/i);
    const again = await waitFor('the port lock to lapse', () =>
      Host.open(p.portPath).catch(() => undefined),
    );
    hosts.push(again);
    await ctl('servoPowerOff');
    expect(await again.cmd('SM,100,80,80')).toBe('OK\r\n'); // pen "up", but it fell
    await again.waitIdle();
    expect(readPaper(p.paperFile).map((l) => l.to)).toEqual([[80, 80]]);
  });

  it('RB drops off USB and comes back reset; a board left in future syntax answers in it', async () => {
    const { p, host } = await start();
    expect(await host.cmd('SM,10,5,5')).toBe('OK\r\n');
    host.write('RB\r');
    await waitFor('the board to drop off USB', () => !fs.existsSync(p.portPath));
    await waitFor('the board to come back', () => fs.existsSync(p.portPath), { timeoutMs: 2000 });
    await host.close();
    const again = await Host.open(p.portPath);
    hosts.push(again);
    expect(await again.steps()).toEqual([0, 0]);
    await ctl('futureModeLeftOn');
    expect(await again.cmd('EM,1,1', /\n/)).toBe('EM\n');
    expect(await again.cmd('QS', /\n/)).toBe('QS,0,0\n');
    await ctl('firmware', { version: '2.6.5' });
    expect(await again.cmd('R', /\r\n/)).toBe('OK\r\n');
    expect(await again.cmd('LT,10,1,0,1,0')).toBe("!8 Err: Unknown command 'LT:4C54'\r\n");
    expect(await again.cmd('V', /\r\n/)).toBe('EBBv13_and_above EB Firmware Version 2.6.5\r\n');
  });

  it('says so when socat is missing', async () => {
    await expect(runVirtualPlotter({ socat: '/nonexistent/socat' })).rejects.toThrow(
      /socat is not installed/,
    );
  });

  it('times LM like the firmware (doc example: 500→800 steps/s over 50 steps ≈ 77 ms)', async () => {
    const { host } = await start({ speed: 1 });
    const t = performance.now();
    expect(await host.cmd('LM,42950000,50,13400,0,0,0')).toBe('OK\r\n');
    await host.waitIdle();
    const ms = performance.now() - t;
    expect(ms).toBeGreaterThan(70);
    expect(ms).toBeLessThan(400);
    expect(await host.steps()).toEqual([50, 0]);
    const log = await ctl<{ dir: string; text: string }[]>('log', { last: 3 });
    expect(log.at(-1)).toMatchObject({ dir: 'out', text: '50,0\n\rOK\r\n' });
  });
});
