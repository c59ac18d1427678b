/**
 * The EBB client against the real virtual plotter: `vfab virtual-plotter` in its own process, its
 * socat PTY opened with the real `serialport`. Every public method of `Ebb` runs here, and each
 * result is checked against what the simulated board reports through its control socket
 * (docs/ebb-protocol.md "The virtual plotter"). test/ebb.test.ts covers the same client against a
 * scripted fake, where replies can be shaped byte by byte.
 */
import fs from 'node:fs';
import type { SerialPort } from 'serialport';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VfabError } from '../src-main/errors';
import { servoTravelMs } from '../src-main/plan/motion';
import { openSerialPort } from '../src-main/plotter/devices';
import {
  capabilitiesFor,
  Ebb,
  EbbError,
  type EbbCapabilities,
  type EbbOptions,
  type Microstep,
  type ReplyShape,
} from '../src-main/plotter/ebb';
import { sandbox, type Sandbox } from './helpers/cli';
import { startPlotterProcess, type PlotterProcess } from './helpers/crash-rig';
import { waitFor } from './helpers/wait';

/** Virtual time runs this much faster than real time: long moves stay long enough to stop. */
const SPEED = 10;
const FIRMWARE = '3.0.3';
/** The accumulator an LM/LT axis steps on ("Commands vfab sends"). */
const ACC = 2 ** 31;

interface BoardStatus {
  firmware: string;
  syntax: 'legacy' | 'future';
  executing: boolean;
  fifo: { depth: number; fill: number };
  steps: [number, number];
  penUp: boolean;
  motors: [number, number];
  plugged: boolean;
  parserBlocked: string | null;
  pty: string | null;
}

let sb: Sandbox;
let plotter: PlotterProcess;

const status = () => plotter.ctl<BoardStatus>('status');
const received = async (): Promise<string[]> =>
  (await plotter.ctl<{ dir: string; text: string }[]>('log', { last: 2000 }))
    .filter((e) => e.dir === 'in')
    .map((e) => e.text);

/** The children of `pid` as the kernel lists them (field 4 of /proc/<pid>/stat is the parent). */
function childrenOf(pid: number): { pid: number; comm: string }[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === pid ? [{ pid: Number(d), comm }] : [];
      } catch {
        return [];
      }
    });
}

/** Running means it exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

beforeAll(async () => {
  sb = sandbox();
  plotter = await startPlotterProcess(sb, SPEED);
});

afterAll(async () => {
  try {
    // By pid: the plotter and the socat holding its PTY (a new one after each replug) must not
    // outlive the file.
    const socat = childrenOf(plotter.pid).filter((c) => c.comm === 'socat');
    expect(socat).toHaveLength(1);
    await plotter.stop();
    await waitFor('the plotter and its socat to end', () =>
      [plotter.pid, socat[0]!.pid].every((pid) => !running(pid)),
    );
    expect(fs.existsSync(plotter.port)).toBe(false);
  } finally {
    sb.cleanup();
  }
});

/** The test's client and its port; serialport opens a port exclusively, so one at a time. */
let ebb: Ebb;
let port: SerialPort | undefined;

async function disconnect(): Promise<void> {
  ebb?.dispose();
  const p = port;
  port = undefined;
  if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
}

/** Replaces the test's client with one on a freshly opened port. */
async function connect(options: EbbOptions = {}): Promise<Ebb> {
  await disconnect();
  port = await openSerialPort(plotter.port);
  // A write pending when the PTY vanishes fails with EIO after the client let go of the port.
  port.on('error', () => {});
  ebb = new Ebb(port, options);
  return ebb;
}

beforeEach(async () => {
  await plotter.ctl('firmware', { version: FIRMWARE });
  await connect();
  // Power-up state for every test: leftovers of the last test dropped, then R.
  await ebb.resync();
  await ebb.reset();
});

afterEach(async () => {
  await disconnect();
  // Every reply of the test is out before the next test opens the port.
  await waitFor('the board to be idle', async () => {
    const s = await status();
    return !s.plugged || (!s.executing && s.fifo.fill === 0 && s.parserBlocked === null);
  });
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

async function ebbError(p: Promise<unknown>, kind: EbbError['kind']): Promise<EbbError> {
  const err = await rejection(p);
  expect(err).toBeInstanceOf(EbbError);
  expect((err as EbbError).kind).toBe(kind);
  return err as EbbError;
}

/** Until the board reports nothing executing and nothing queued. */
function idle(): Promise<true> {
  return waitFor('the motion to end', async () => {
    const m = await ebb.queryMotion();
    return !m.commandExecuting && !m.fifoNotEmpty && !m.motor1Moving && !m.motor2Moving;
  });
}

describe('identity', () => {
  it('version, capabilities and the raw command escape hatch read the board as it is', async () => {
    const v = await ebb.version();
    const s = await status();
    expect(`${v.major}.${v.minor}.${v.patch}`).toBe(s.firmware);
    expect(v.raw).toBe(`EBBv13_and_above EB Firmware Version ${s.firmware}`);
    const caps = await ebb.capabilities();
    expect(caps).toEqual(capabilitiesFor(v));
    // The board's own answer to "largest FIFO" (QU,2) is the client's fifoMax.
    expect(await ebb.command('QU,2', 'line_ok')).toBe(`QU,${caps.fifoMax}`);
    expect(await ebb.command('QM', 'line')).toBe('QM,0,0,0,0');
    expect(await ebb.command('CS', 'ok')).toBe('');
  });

  it('nickname: null when unset, the ST value after ST, null again once cleared', async () => {
    expect(await ebb.nickname()).toBeNull();
    await ebb.command('ST,east-ebb', 'ok');
    expect(await ebb.nickname()).toBe('east-ebb');
    await ebb.command('ST', 'ok');
    expect(await ebb.nickname()).toBeNull();
  });

  it('useLegacySyntax takes the board out of future syntax another program left on', async () => {
    await ebb.useLegacySyntax();
    expect((await status()).syntax).toBe('legacy');
    await plotter.ctl('futureModeLeftOn');
    expect((await status()).syntax).toBe('future');
    // In future syntax V is answered `V,EBB…`, which the client still parses.
    expect((await ebb.version()).raw).toMatch(/^EBB/);
    await ebb.useLegacySyntax();
    expect((await status()).syntax).toBe('legacy');
    expect(await ebb.querySteps()).toEqual({ motor1: 0, motor2: 0 });
  });

  // Each capability the client derives from the version, probed on the board: a command it
  // claims must be accepted by that firmware, one it denies rejected.
  const probes: [string, ReplyShape, (c: EbbCapabilities) => boolean][] = [
    ['XM,10,0,0', 'ok', (c) => c.xm],
    ['QS', 'line_ok', (c) => c.stepCounters],
    ['QM', 'line', (c) => c.qmFields > 0],
    ['LT,10,0,0,0,0', 'ok', (c) => c.lt],
    ['QT', 'line_ok', (c) => c.nickname],
    ['QR', 'line_ok', (c) => c.servoPowerState],
    ['QG', 'line', (c) => c.qg],
    ['QC', 'line_ok', (c) => c.qc],
    ['HM,1000', 'ok', (c) => c.home !== 'none'],
    ['QE', 'line_ok', (c) => c.qe],
    ['QU,2', 'line_ok', (c) => c.fifoMax > 1],
    ['SP,2', 'ok', (c) => c.immediatePenUp],
  ];
  it.each(['2.2.3', '2.2.6', '2.4.3', '2.4.4', '2.5.4', '2.6.2', '2.7.0', '2.8.1', '3.0.3'])(
    'capabilities of firmware %s match the commands the board knows',
    async (version) => {
      await plotter.ctl('firmware', { version });
      await ebb.version();
      const caps = await ebb.capabilities();
      const known = await Promise.all(
        probes.map(([cmd, shape]) =>
          ebb.command(cmd, shape).then(
            () => true,
            () => false,
          ),
        ),
      );
      expect(Object.fromEntries(probes.map(([cmd], i) => [cmd, known[i]]))).toEqual(
        Object.fromEntries(probes.map(([cmd, , claims]) => [cmd, claims(caps)])),
      );
      if (caps.qmFields > 0) {
        const m = await ebb.queryMotion();
        expect(m.fifoNotEmpty === undefined).toBe(caps.qmFields === 3);
      }
    },
  );
});

describe('motors and moves', () => {
  it('enableMotors sets each microstep mode the board then reports in QE; disableMotors frees them', async () => {
    for (const micro of [16, 8, 4, 2, 1] as Microstep[]) {
      await ebb.enableMotors(micro);
      expect(await ebb.queryMotorEnable()).toEqual({ motor1: micro, motor2: micro });
      expect((await status()).motors).toEqual([micro, micro]);
    }
    await ebb.disableMotors();
    expect(await ebb.queryMotorEnable()).toEqual({ motor1: 0, motor2: 0 });
  });

  it('SM, XM, LM and LT move the step counters by their steps; CS and EM zero them', async () => {
    await ebb.enableMotors(16);
    await ebb.stepperMove(200, 400, -200);
    await idle();
    expect(await ebb.querySteps()).toEqual({ motor1: 400, motor2: -200 });

    // XM is in mixed-axis terms: motor1 = A + B, motor2 = A − B.
    await ebb.mixedMove(100, 100, 50);
    await idle();
    expect(await ebb.querySteps()).toEqual({ motor1: 550, motor2: -150 });

    await ebb.clearSteps();
    expect(await ebb.querySteps()).toEqual({ motor1: 0, motor2: 0 });

    // 1000 steps/s on motor 1, accelerating from 500 steps/s on motor 2.
    const rate = (stepsPerS: number) => Math.round(stepsPerS * ACC * 40e-6);
    await ebb.lowLevelMove(
      { rate: rate(1000), steps: 200, accel: 0 },
      { rate: rate(500), steps: -120, accel: 2000 },
    );
    await idle();
    expect(await ebb.querySteps()).toEqual({ motor1: 200, motor2: -120 });

    // 1/128 step per 40 µs for 12 800 intervals is 100 steps; the rate's sign is the direction.
    await ebb.lowLevelTimedMove(
      12_800,
      { rate: ACC / 128, accel: 0 },
      { rate: -ACC / 128, accel: 0 },
    );
    await idle();
    expect(await ebb.querySteps()).toEqual({ motor1: 300, motor2: -220 });
    expect((await status()).steps).toEqual([300, -220]);

    // The optional Clear argument reaches the board as the last field.
    await ebb.stepperMove(10, 0, 0, 3);
    expect(await received()).toContain('SM,10,0,0,3');

    // EM zeroes the counters (through the FIFO on fw ≥ 2.8).
    await ebb.enableMotors(16);
    expect(await ebb.querySteps()).toEqual({ motor1: 0, motor2: 0 });
  });

  it('home goes back to (0,0), or to a target on fw ≥ 2.7', async () => {
    await ebb.enableMotors(16);
    await ebb.stepperMove(100, 600, 300);
    await ebb.home(5000);
    await idle();
    expect(await ebb.querySteps()).toEqual({ motor1: 0, motor2: 0 });
    expect((await ebb.capabilities()).home).toBe('absolute');
    await ebb.home(5000, { target: { motor1: 300, motor2: -100 }, runMs: 100 });
    await idle();
    expect(await ebb.querySteps()).toEqual({ motor1: 300, motor2: -100 });
  });

  it('queryMotion and queryGeneral see a move run; emergencyStop halts it where it is', async () => {
    await ebb.enableMotors(16);
    await ebb.stepperMove(20_000, 2000, 1000);
    const m = await waitFor('the move to run', async () => {
      const q = await ebb.queryMotion();
      return q.motor1Moving && q;
    });
    expect(m).toEqual({
      commandExecuting: true,
      motor1Moving: true,
      motor2Moving: true,
      fifoNotEmpty: false,
    });
    const g = await ebb.queryGeneral();
    expect([g.commandExecuting, g.motor1Moving, g.motor2Moving, g.penUp]).toEqual([
      true,
      true,
      true,
      true,
    ]);

    expect(await ebb.emergencyStop()).toEqual({ interrupted: true });
    const at = await ebb.querySteps();
    expect(at.motor1).toBeGreaterThan(0);
    expect(at.motor1).toBeLessThan(2000);
    expect(await ebb.queryMotion()).toEqual({
      commandExecuting: false,
      motor1Moving: false,
      motor2Moving: false,
      fifoNotEmpty: false,
    });
    const s = await status();
    expect([s.executing, s.steps]).toEqual([false, [at.motor1, at.motor2]]);
    expect(await ebb.querySteps()).toEqual(at);
    // Nothing running now; ES,1 also lets the motors go.
    expect(await ebb.emergencyStop(true)).toEqual({ interrupted: false });
    expect(await ebb.queryMotorEnable()).toEqual({ motor1: 0, motor2: 0 });
  });

  it('on fw 2.8.1 emergencyStop reports the dropped and the unfinished steps', async () => {
    await plotter.ctl('firmware', { version: '2.8.1' });
    await ebb.version();
    expect((await ebb.capabilities()).esReply).toBe('counts');
    await ebb.enableMotors(16);
    await ebb.stepperMove(20_000, 2000, 1000);
    await ebb.stepperMove(1000, 500, 0);
    await waitFor('the move to run', async () => (await ebb.queryMotion()).motor1Moving);
    const es = await ebb.emergencyStop();
    const at = await ebb.querySteps();
    expect(es.interrupted).toBe(true);
    expect(es.queuedSteps).toEqual([500, 0]);
    expect(es.remainingSteps![0] + at.motor1).toBe(2000);
    expect(es.remainingSteps![1] + at.motor2).toBe(1000);
  });

  it('a query written behind a full FIFO is answered once the running move ends', async () => {
    await ebb.enableMotors(16);
    // Depth 1: the first move runs, the second waits in the FIFO, the third stops the parser.
    const moves = [0, 1, 2].map(() => ebb.stepperMove(500, 1000, 0));
    const steps = ebb.querySteps();
    expect(ebb.inFlight).toBe(4);
    await Promise.all(moves);
    const { motor1 } = await steps;
    expect(motor1).toBeGreaterThanOrEqual(1000);
    expect(motor1).toBeLessThan(3000);
    await idle();
    expect(ebb.inFlight).toBe(0);
    expect(await ebb.querySteps()).toEqual({ motor1: 3000, motor2: 0 });
  });
});

describe('pen', () => {
  it('configureServo sends the SC values; penDown/penUp change the pen the board reports', async () => {
    await expect(ebb.penDown()).rejects.toMatchObject({ code: 'INVALID_STATE' });
    const pct = { upPct: 60, downPct: 30, raiseRatePct: 75, lowerRatePct: 50 };
    const settings = await ebb.configureServo(pct);
    const log = await received();
    for (const cmd of [
      `SC,4,${settings.up}`,
      `SC,5,${settings.down}`,
      'SC,8,8',
      `SC,11,${settings.raiseRate}`,
      `SC,12,${settings.lowerRate}`,
    ])
      expect(log).toContain(cmd);
    expect(settings.up).toBeGreaterThan(settings.down);

    const down = await ebb.penDown(20);
    expect(down).toBe(Math.round(servoTravelMs(30, 50) + 20));
    expect(await received()).toContain(`SP,0,${down},1`);
    await waitFor('the pen to be down', async () => !(await status()).penUp);
    expect(await ebb.command('QP', 'line_ok')).toBe('0');
    expect((await ebb.queryGeneral()).penUp).toBe(false);

    const up = await ebb.penUp();
    expect(up).toBe(Math.round(servoTravelMs(30, 75)));
    await waitFor('the pen to be up', async () => (await status()).penUp);
    expect(await ebb.command('QP', 'line_ok')).toBe('1');
    expect((await ebb.queryGeneral()).penUp).toBe(true);
  });

  it('reset restores the board defaults and forgets the servo configuration', async () => {
    await ebb.configureServo({ upPct: 60, downPct: 30, raiseRatePct: 75, lowerRatePct: 50 });
    await ebb.enableMotors(8);
    await ebb.command('CU,4,8', 'ok');
    await ebb.penDown();
    await waitFor('the pen to be down', async () => !(await status()).penUp);
    await ebb.reset();
    expect(await ebb.queryMotorEnable()).toEqual({ motor1: 0, motor2: 0 });
    expect(await ebb.command('QU,3', 'line_ok')).toBe('QU,1');
    expect(await ebb.command('QP', 'line_ok')).toBe('1');
    await expect(ebb.penUp()).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });
});

describe('status inputs', () => {
  it('queryButton reads and clears the PRG latch; queryGeneral sees it too', async () => {
    expect(await ebb.queryButton()).toBe(false);
    await plotter.ctl('pressButton');
    expect(await ebb.queryButton()).toBe(true);
    expect(await ebb.queryButton()).toBe(false);
    await plotter.ctl('pressButton');
    expect((await ebb.queryGeneral()).buttonPressed).toBe(true);
    expect((await ebb.queryGeneral()).buttonPressed).toBe(false);
  });

  it('queryPower follows the motor supply', async () => {
    expect(await ebb.queryPower()).toEqual({ currentRaw: 394, voltageRaw: 300, motorPower: true });
    await plotter.ctl('motorPowerLoss');
    expect((await ebb.queryPower()).motorPower).toBe(false);
    await plotter.ctl('motorPowerRestore');
    expect((await ebb.queryPower()).motorPower).toBe(true);
  });
});

describe('CU settings', () => {
  it('every setting the client lists for fw 3 is accepted, with its effect on the board', async () => {
    const caps = await ebb.capabilities();
    for (const n of caps.cuSettings) {
      // CU,1,0 would silence OK, CU,10,1 switch to future syntax, CU,4 needs a depth ≥ 1.
      const value = n === 4 ? caps.fifoMax : n === 1 ? 1 : n === 10 ? 0 : 1;
      await ebb.command(`CU,${n},${value}`, 'ok');
    }
    expect(await ebb.command('QU,3', 'line_ok')).toBe(`QU,${caps.fifoMax}`);
    expect((await status()).fifo.depth).toBe(caps.fifoMax);

    await ebb.command('CU,60,500', 'ok');
    expect(await ebb.command('QU,60', 'line_ok')).toBe('QU,500');

    // CU,2,0 turns off the 25 kHz step-rate check.
    await ebb.enableMotors(16);
    const tooFast = await ebbError(ebb.stepperMove(1, 100, 0), 'error_reply');
    expect(tooFast.reply).toBe('!0 Err: <axis1> step rate too high');
    await ebb.command('CU,2,0', 'ok');
    await ebb.stepperMove(1, 100, 0);
    await idle();
    expect(await ebb.querySteps()).toEqual({ motor1: 100, motor2: 0 });

    // CU,50,0: motion no longer switches disabled motors on.
    await ebb.disableMotors();
    await ebb.command('CU,50,0', 'ok');
    await ebb.stepperMove(10, 10, 0);
    await idle();
    expect(await ebb.queryMotorEnable()).toEqual({ motor1: 0, motor2: 0 });
    await ebb.command('CU,50,1', 'ok');
    await ebb.stepperMove(10, 10, 0);
    await idle();
    expect(await ebb.queryMotorEnable()).toEqual({ motor1: 16, motor2: 16 });
  });

  it('fw 2.8.1 accepts only the settings the client lists for it', async () => {
    await plotter.ctl('firmware', { version: '2.8.1' });
    await ebb.version();
    const listed = (await ebb.capabilities()).cuSettings;
    expect(listed).toEqual([1, 2, 3]);
    for (const n of capabilitiesFor({ major: 3, minor: 0, patch: 3, raw: '' }).cuSettings) {
      const answer = await ebb.command(`CU,${n},1`, 'ok').then(
        () => 'OK',
        (e: EbbError) => e.reply,
      );
      expect([n, answer]).toEqual([
        n,
        listed.includes(n) ? 'OK' : '!6 Err: Invalid parameter value',
      ]);
    }
  });
});

describe('errors', () => {
  it('the board rejecting a command fails that command only, with its error line', async () => {
    const unknown = await ebbError(ebb.command('ZZ', 'ok'), 'error_reply');
    expect([unknown.command, unknown.reply]).toEqual(['ZZ', "!8 Err: Unknown command 'ZZ:5A5A'"]);
    const missing = await ebbError(ebb.command('SM,10', 'ok'), 'error_reply');
    expect(missing.reply).toBe('!4 Err: Missing parameter(s)');
    await plotter.ctl('errorReply', { match: 'QS', code: 3, text: 'injected' });
    const injected = await ebbError(ebb.querySteps(), 'error_reply');
    expect(injected.reply).toBe('!3 Err: injected');
    // Replies are still in step: the next commands get their own answers.
    expect(await ebb.querySteps()).toEqual({ motor1: 0, motor2: 0 });
    expect(await ebb.queryButton()).toBe(false);
    await expect(ebb.command('S M', 'ok')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(ebb.stepperMove(0, 1, 1)).rejects.toBeInstanceOf(VfabError);
  });

  it('a stray line fails the command it lands in as garbage; resync brings replies back in step', async () => {
    const strays: string[] = [];
    const e = await connect({ onUnsolicited: (l) => strays.push(l) });
    // The stray line goes out right after QB's reply, so QS reads it as its data line.
    await plotter.ctl('extraLine', { text: 'stray', afterCommands: 1 });
    const [button, steps] = [e.queryButton(), e.querySteps()];
    expect(await button).toBe(false);
    const err = await ebbError(steps, 'garbage');
    expect(err.command).toBe('QS');
    await e.resync();
    expect(await e.querySteps()).toEqual({ motor1: 0, motor2: 0 });
    expect(strays).toContain('OK');
  });

  it('a lost reply times out the command and those behind it', async () => {
    const e = await connect({ timeoutMs: 200 });
    // Both replies are lost: one left would be taken for QB's, which is the garbage case above.
    await plotter.ctl('dropReply', { match: '^(QB|QC)$', count: 2 });
    const [lost, behind] = [e.queryButton(), e.queryPower()];
    const err = await ebbError(lost, 'timeout');
    expect(err.command).toBe('QB');
    expect((await ebbError(behind, 'timeout')).message).toMatch(/QC was abandoned/);
    await e.resync();
    expect(await e.queryButton()).toBe(false);
  });

  it('a deadline missed because this process froze is reported to onStall, not failed', async () => {
    const stalls: string[] = [];
    const e = await connect({ timeoutMs: 100, onStall: (_ms, cmd) => stalls.push(cmd) });
    await plotter.ctl('dropReply', { match: 'QB' });
    const lost = e.queryButton();
    // The freeze is the subject: the event loop is held past the deadline, as by SIGSTOP.
    const until = performance.now() + 600;
    while (performance.now() < until);
    await ebbError(lost, 'timeout');
    expect(stalls).toEqual(['QB']);
  });
});

describe('the closed path', () => {
  /**
   * Two moves fill the board (one running, one queued); a third stops its parser. Only the close
   * may fail what is in flight: a reply timeout far beyond the moves, and moves long enough
   * (500 ms real each) that a starved plotter process cannot answer the third before the test acts.
   */
  async function blockParser(): Promise<{ blocked: Promise<void> }> {
    await connect({ timeoutMs: 60_000 });
    await ebb.enableMotors(16);
    await ebb.stepperMove(5000, 100, 0);
    await ebb.stepperMove(5000, 100, 0);
    const blocked = ebb.stepperMove(5000, 100, 0);
    await waitFor('the parser to block', async () => (await status()).parserBlocked === 'slot');
    return { blocked };
  }

  it('dispose fails what is pending and everything after it with kind closed', async () => {
    const { blocked } = await blockParser();
    expect(ebb.closed).toBe(false);
    ebb.dispose();
    expect(ebb.closed).toBe(true);
    expect((await ebbError(blocked, 'closed')).message).toMatch(/the EBB client was closed/);
    expect((await ebbError(ebb.querySteps(), 'closed')).message).toMatch(/cannot send QS/);
  });

  it('the port closing under the client fails what is in flight and what follows', async () => {
    const { blocked } = await blockParser();
    const failed = [ebbError(blocked, 'closed'), ebbError(ebb.querySteps(), 'closed')];
    expect(ebb.inFlight).toBe(2);
    const p = port!;
    await new Promise<void>((resolve) => p.close(() => resolve()));
    await waitFor('the client to see the port close', () => ebb.closed);
    for (const err of await Promise.all(failed))
      expect(err.message).toMatch(/got no reply: the connection to the EBB closed/);
    await ebbError(ebb.queryButton(), 'closed');
    expect(ebb.inFlight).toBe(0);
  });

  it('RB answers nothing; the board drops off USB and comes back reset', async () => {
    await ebb.enableMotors(16);
    expect(await ebb.command('RB', 'none')).toBe('');
    // A reboot takes the board off USB for a moment; a loaded machine makes socat slower to follow.
    // The old link is dead: its port closes, or (when the PTY is back before serialport noticed)
    // its next command goes unanswered. Either way the client says so with an EbbError.
    await waitFor(
      'the old link to fail',
      async () =>
        ebb.closed ||
        (await ebb.querySteps().then(
          () => false,
          (e: unknown) => e instanceof EbbError && ['closed', 'timeout'].includes(e.kind),
        )),
      { timeoutMs: 15_000 },
    );
    await waitFor(
      'the board to re-enumerate',
      async () => {
        const s = await status();
        return s.plugged && s.pty !== null && fs.existsSync(plotter.port);
      },
      { timeoutMs: 15_000 },
    );
    await connect();
    expect((await ebb.version()).raw).toMatch(new RegExp(`${FIRMWARE}$`));
    expect(await ebb.queryMotorEnable()).toEqual({ motor1: 0, motor2: 0 });
  });

  it('an unplugged cable fails the command in flight with kind closed', async () => {
    const { blocked } = await blockParser();
    const failed = ebbError(blocked, 'closed');
    try {
      await plotter.ctl('unplug');
      await failed;
      expect(ebb.closed).toBe(true);
      await ebbError(ebb.queryButton(), 'closed');
    } finally {
      await plotter.ctl('replug');
    }
    await connect();
    expect(await ebb.querySteps()).toEqual({ motor1: 0, motor2: 0 });
  });
});
