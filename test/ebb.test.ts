import { Duplex } from 'node:stream';
import { SerialPortMock } from 'serialport';
import { openMockBoard } from './helpers/mock-board';
import { afterEach, describe, expect, it } from 'vitest';
import {
  capabilitiesFor,
  Ebb,
  EbbError,
  lmDurationMs,
  parseFirmwareVersion,
  servoPosition,
  servoRate,
  type FirmwareVersion,
} from '../src-main/plotter/ebb';
import { servoTravelMs } from '../src-main/plan/motion';
import { waitFor } from './helpers/wait';

/** A reply: bytes at once, or chunks sent one after another, optionally after a delay. */
type Reply = string | { chunks: string[]; delayMs?: number } | null;

/**
 * A scripted EBB: every CR-terminated command written is passed to `script`, whose reply is sent
 * back. `written` records commands in order.
 */
class FakeEbb extends Duplex {
  readonly written: string[] = [];
  private input = '';
  /** When the link is free again: replies go out in order, as over a real serial line. */
  private freeAt = 0;

  constructor(private readonly script: (cmd: string) => Reply) {
    super();
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.input += chunk.toString('latin1');
    let cr: number;
    while ((cr = this.input.indexOf('\r')) >= 0) {
      const cmd = this.input.slice(0, cr);
      this.input = this.input.slice(cr + 1);
      this.written.push(cmd);
      this.reply(this.script(cmd));
    }
    done();
  }

  /** Sends bytes as the device. */
  send(data: string): void {
    this.push(Buffer.from(data, 'latin1'));
  }

  private reply(reply: Reply): void {
    if (reply === null) return;
    if (typeof reply === 'string') {
      this.send(reply);
      return;
    }
    const { chunks, delayMs = 0 } = reply;
    for (const chunk of chunks) {
      this.freeAt = Math.max(this.freeAt, Date.now() + delayMs) + 2;
      setTimeout(() => this.send(chunk), this.freeAt - Date.now());
    }
  }
}

/** Legacy-syntax replies of firmware 2.8.1 (docs/ebb-protocol.md "Replies"). */
function legacy281(cmd: string): Reply {
  const name = cmd.split(',')[0]!.toUpperCase();
  switch (name) {
    case 'V':
      return 'EBBv13_and_above EB Firmware Version 2.8.1\r\n';
    case 'QM':
      return 'QM,1,0,1,1\n\r';
    case 'QG':
      return '3E\r\n';
    case 'QB':
      return '1\r\nOK\r\n';
    case 'QS':
      return '-1200,3400\n\rOK\r\n';
    case 'QE':
      return '16,16\n\rOK\r\n';
    case 'QT':
      return 'Left\r\nOK\r\n';
    case 'ES':
      return '1,50,1200,18634,9848\n\rOK\r\n';
    case 'RB':
      return null;
    default:
      return 'OK\r\n';
  }
}

const ebbs: Ebb[] = [];
function connect(fake: Duplex, options?: ConstructorParameters<typeof Ebb>[1]): Ebb {
  const ebb = new Ebb(fake, options);
  ebbs.push(ebb);
  return ebb;
}
afterEach(() => {
  for (const ebb of ebbs.splice(0)) ebb.dispose();
});

async function rejection(p: Promise<unknown>): Promise<EbbError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EbbError);
  return err as EbbError;
}

describe('reply shapes', () => {
  it('parses every command shape of firmware 2.8.1', async () => {
    const fake = new FakeEbb(legacy281);
    const ebb = connect(fake);
    expect(await ebb.version()).toEqual({
      major: 2,
      minor: 8,
      patch: 1,
      raw: 'EBBv13_and_above EB Firmware Version 2.8.1',
    });
    expect(await ebb.queryMotion()).toEqual({
      commandExecuting: true,
      motor1Moving: false,
      motor2Moving: true,
      fifoNotEmpty: true,
    });
    expect(await ebb.queryGeneral()).toMatchObject({
      raw: 0x3e,
      fifoNotEmpty: false,
      motor2Moving: true,
      motor1Moving: true,
      commandExecuting: true,
      penUp: true,
      buttonPressed: true,
      bit6: false,
      bit7: false,
    });
    expect(await ebb.queryButton()).toBe(true);
    expect(await ebb.querySteps()).toEqual({ motor1: -1200, motor2: 3400 });
    expect(await ebb.queryMotorEnable()).toEqual({ motor1: 16, motor2: 16 });
    expect(await ebb.nickname()).toBe('Left');
    expect(await ebb.emergencyStop(true)).toEqual({
      interrupted: true,
      queuedSteps: [50, 1200],
      remainingSteps: [18634, 9848],
    });
    await ebb.enableMotors(16);
    await ebb.enableMotors(8);
    await ebb.disableMotors();
    await ebb.stepperMove(25, 100, -100);
    await ebb.stepperMove(10, 0, 0, 3);
    await ebb.mixedMove(15, 5, -5);
    await ebb.lowLevelMove(
      { rate: 85899346, steps: 10, accel: 0 },
      { rate: 17180814, steps: 2, accel: 0 },
    );
    await ebb.lowLevelTimedMove(
      250,
      { rate: 42950000, accel: 0 },
      { rate: -42950000, accel: 0 },
      3,
    );
    await ebb.clearSteps();
    await ebb.home(4000);
    await ebb.home(4000, { target: { motor1: 10, motor2: -10 }, runMs: 5 });
    await ebb.reset();
    expect(await ebb.command('RB', 'none')).toBe('');
    expect(fake.written).toEqual([
      'V',
      'QM',
      'QG',
      'QB',
      'QS',
      'QE',
      'QT',
      'ES,1',
      'EM,1,1',
      'EM,2,2',
      'EM,0,0',
      'SM,25,100,-100',
      'SM,10,0,0,3',
      'XM,15,5,-5',
      'LM,85899346,10,0,17180814,2,0',
      'LT,250,42950000,0,-42950000,0,3',
      'CS',
      'HM,4000',
      'HM,4000,10,-10',
      'R',
      'RB',
    ]);
    expect(ebb.inFlight).toBe(0);
  });

  it('reads the 3.x ES flag, a 3-field QM, and QT without a nickname', async () => {
    const fake = new FakeEbb((cmd) =>
      cmd === 'ES'
        ? '0\n\rOK\r\n'
        : cmd === 'QM'
          ? 'QM,0,0,0\n\r'
          : cmd === 'QT'
            ? '\r\nOK\r\n'
            : 'OK\r\n',
    );
    const ebb = connect(fake);
    expect(await ebb.emergencyStop()).toEqual({ interrupted: false });
    expect(await ebb.queryMotion()).toEqual({
      commandExecuting: false,
      motor1Moving: false,
      motor2Moving: false,
      fifoNotEmpty: undefined,
    });
    expect(await ebb.nickname()).toBeNull();
  });

  it('reassembles replies split across chunks, including the reversed \\n\\r ending', async () => {
    const fake = new FakeEbb((cmd) =>
      cmd === 'QS'
        ? { chunks: ['12', '3,-4', '5\n', '\rO', 'K\r', '\n'] }
        : { chunks: ['EBBv13_and_above EB Firm', 'ware Version 3.0.3\r', '\n'] },
    );
    const ebb = connect(fake);
    expect(await ebb.querySteps()).toEqual({ motor1: 123, motor2: -45 });
    expect((await ebb.version()).patch).toBe(3);
  });
});

describe('ordering and pipelining', () => {
  it('matches replies strictly in order when many commands are in flight', async () => {
    let n = 0;
    // Replies come back in one burst after all commands were written.
    const fake = new FakeEbb((cmd) =>
      cmd === 'QS'
        ? { chunks: [`${n},${n++}\n\rOK\r\n`], delayMs: 5 }
        : { chunks: ['OK\r\n'], delayMs: 5 },
    );
    const ebb = connect(fake);
    const results = Promise.all([
      ebb.stepperMove(10, 1, 1),
      ebb.querySteps(),
      ebb.stepperMove(10, 1, 1),
      ebb.querySteps(),
      ebb.clearSteps(),
    ]);
    expect(ebb.inFlight).toBe(5);
    expect(await results).toEqual([
      undefined,
      { motor1: 0, motor2: 0 },
      undefined,
      { motor1: 1, motor2: 1 },
      undefined,
    ]);
    expect(ebb.inFlight).toBe(0);
  });

  it('handles several replies arriving in a single chunk', async () => {
    const fake = new FakeEbb(() => null);
    const ebb = connect(fake);
    const all = Promise.all([
      ebb.version(),
      ebb.queryButton(),
      ebb.stepperMove(5, 1, 2),
      ebb.queryGeneral(),
    ]);
    fake.send('EBBv13_and_above EB Firmware Version 2.6.5\r\n0\r\nOK\r\nOK\r\n01\r\n');
    const [version, button, , status] = await all;
    expect(version.minor).toBe(6);
    expect(button).toBe(false);
    expect(status.fifoNotEmpty).toBe(true);
  });
});

describe('errors', () => {
  it('turns a ! line into an error_reply naming the command, and later commands still match', async () => {
    const fake = new FakeEbb((cmd) =>
      cmd.startsWith('SM') ? '!0 Err: <axis1> step rate > 25K steps/second.\n\r' : legacy281(cmd),
    );
    const ebb = connect(fake);
    const failed = ebb.stepperMove(1, 100, 0);
    const steps = ebb.querySteps();
    const err = await rejection(failed);
    expect(err).toMatchObject({
      kind: 'error_reply',
      command: 'SM,1,100,0',
      reply: '!0 Err: <axis1> step rate > 25K steps/second.',
    });
    expect(err.message).toContain('SM,1,100,0');
    expect(await steps).toEqual({ motor1: -1200, motor2: 3400 });
  });

  it('fails a query whose data line is an error', async () => {
    const fake = new FakeEbb(() => "!8 Err: Unknown command 'QG:5147'\r\n");
    const ebb = connect(fake);
    const err = await rejection(ebb.queryGeneral());
    expect(err.kind).toBe('error_reply');
    expect(err.command).toBe('QG');
  });

  it("consumes the OK after an error line in 'doc' termination", async () => {
    const fake = new FakeEbb((cmd) =>
      cmd === 'ZZ' ? "!8 Err: Unknown command 'ZZ:5A5A'\r\nOK\r\n" : legacy281(cmd),
    );
    const ebb = connect(fake, { errorTermination: 'doc' });
    const bad = ebb.command('ZZ', 'ok');
    const good = ebb.queryButton();
    expect((await rejection(bad)).kind).toBe('error_reply');
    expect(await good).toBe(true);
  });

  it('drops a stray OK that arrives with nothing pending', async () => {
    const stray: string[] = [];
    const fake = new FakeEbb((cmd) =>
      cmd === 'ZZ' ? "!8 Err: Unknown command 'ZZ:5A5A'\r\nOK\r\n" : legacy281(cmd),
    );
    const ebb = connect(fake, { onUnsolicited: (line) => stray.push(line) });
    await rejection(ebb.command('ZZ', 'ok'));
    await waitFor('the stray OK', () => stray.length > 0, { timeoutMs: 1000, everyMs: 1 });
    expect(stray).toEqual(['OK']);
    expect(await ebb.queryButton()).toBe(true);
  });

  it('reports garbage and abandons the commands written after it', async () => {
    const fake = new FakeEbb((cmd) => (cmd === 'CS' ? 'W\xffAT\r\n' : legacy281(cmd)));
    const ebb = connect(fake);
    const first = ebb.clearSteps();
    const second = ebb.querySteps();
    const err = await rejection(first);
    expect(err).toMatchObject({ kind: 'garbage', command: 'CS', reply: 'W\xffAT' });
    const err2 = await rejection(second);
    expect(err2.kind).toBe('garbage');
    expect(err2.message).toMatch(/^QS was abandoned: unexpected reply to CS/);
  });

  it('recognises v3 future-syntax replies and says how to fix it', async () => {
    const fake = new FakeEbb((cmd) => `${cmd.split(',')[0]}\n`);
    const ebb = connect(fake);
    const err = await rejection(ebb.enableMotors(16));
    expect(err.kind).toBe('garbage');
    expect(err.message).toContain('future-syntax');
    expect(err.message).toContain('CU,10,0');
  });

  it('rejects a malformed data line as garbage', async () => {
    const fake = new FakeEbb((cmd) =>
      cmd === 'QS' ? '12;34\r\nOK\r\n' : cmd === 'QG' ? 'XYZ\r\n' : 'OK\r\n',
    );
    const ebb = connect(fake);
    expect((await rejection(ebb.querySteps())).kind).toBe('garbage');
    expect((await rejection(ebb.queryGeneral())).kind).toBe('garbage');
  });

  it('times out a silent command, naming it, and fails the commands behind it', async () => {
    const fake = new FakeEbb(() => null);
    const ebb = connect(fake, { timeoutMs: 30 });
    const started = Date.now();
    const first = ebb.queryButton();
    const second = ebb.clearSteps();
    const err = await rejection(first);
    expect(err).toMatchObject({ kind: 'timeout', command: 'QB', reply: null });
    expect(err.message).toContain('did not answer QB within 30 ms');
    expect((await rejection(second)).kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('does not time out a command whose deadline passed while the process was frozen: it reads the port, logs the stall, waits again', async () => {
    const fake = new FakeEbb(() => null);
    const stalls: number[] = [];
    const ebb = connect(fake, { timeoutMs: 100, onStall: (ms) => stalls.push(ms) });
    const answer = ebb.queryButton();
    setImmediate(() => {
      // A synchronous freeze well past the deadline; the reply is read only after it, in the next
      // turn's I/O, after the overdue timer has fired: as a reply that reached the port meanwhile.
      const until = performance.now() + 600;
      while (performance.now() < until);
      setImmediate(() => fake.send('1\r\nOK\r\n'));
    });
    expect(await answer).toBe(true);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]).toBeGreaterThan(200);
  });

  it('resyncs after a timeout by skipping late replies up to the version line', async () => {
    const stray: string[] = [];
    const fake = new FakeEbb((cmd) =>
      cmd === 'V'
        ? 'EBBv13_and_above EB Firmware Version 2.8.1\r\n'
        : cmd === 'QB'
          ? null
          : 'OK\r\n',
    );
    const ebb = connect(fake, { timeoutMs: 20, onUnsolicited: (l) => stray.push(l) });
    expect((await rejection(ebb.queryButton())).kind).toBe('timeout');
    // QB's reply comes late and would be taken for the next command's; resync drops it.
    const synced = ebb.resync();
    fake.send('0\r\nOK\r\n');
    expect((await synced).minor).toBe(8);
    expect(stray).toEqual(['0', 'OK']);
    await ebb.clearSteps();
  });

  it('leaves v3 future syntax, accepting either reply, and rejects others', async () => {
    const replies = ['CUOK\r\n', 'OK\r\n', 'CU\n'];
    const ebb = connect(new FakeEbb(() => replies.shift() ?? null));
    await ebb.useLegacySyntax();
    await ebb.useLegacySyntax();
    expect((await rejection(ebb.useLegacySyntax())).kind).toBe('garbage');
  });

  it('gives a FIFO command extra time while earlier motion is still running', async () => {
    // The first SM is acknowledged at once; the second is answered only when the first has run.
    const fake = new FakeEbb((cmd) =>
      cmd === 'SM,300,0,0'
        ? 'OK\r\n'
        : cmd === 'SM,5,0,0'
          ? { chunks: ['OK\r\n'], delayMs: 100 }
          : null,
    );
    const ebb = connect(fake, { timeoutMs: 40 });
    await ebb.stepperMove(300, 0, 0);
    await ebb.stepperMove(5, 0, 0);
    // An immediate query gets no such allowance.
    expect((await rejection(ebb.command('QC', 'line_ok'))).kind).toBe('timeout');
  });

  it('fails every pending command at once when the stream closes, and refuses new ones', async () => {
    const fake = new FakeEbb(() => null);
    const ebb = connect(fake);
    const pending = [ebb.queryButton(), ebb.stepperMove(100, 1, 1), ebb.version()];
    fake.destroy();
    const errors = await Promise.all(pending.map((p) => rejection(p)));
    expect(errors.map((e) => [e.kind, e.command])).toEqual([
      ['closed', 'QB'],
      ['closed', 'SM,100,1,1'],
      ['closed', 'V'],
    ]);
    expect(ebb.closed).toBe(true);
    expect((await rejection(ebb.clearSteps())).kind).toBe('closed');
  });

  it('treats a stream error as closed', async () => {
    const fake = new FakeEbb(() => null);
    const ebb = connect(fake);
    const pending = ebb.queryButton();
    fake.destroy(new Error('device disconnected'));
    const err = await rejection(pending);
    expect(err.kind).toBe('closed');
    expect(err.message).toContain('device disconnected');
  });

  it('validates arguments before sending', async () => {
    const fake = new FakeEbb(legacy281);
    const ebb = connect(fake);
    await expect(ebb.stepperMove(0, 1, 1)).rejects.toThrow(/at least 1 ms/);
    await expect(ebb.stepperMove(10, 1.5, 1)).rejects.toThrow(/steps1 must be an integer/);
    await expect(ebb.command('SM,1\r,2', 'ok')).rejects.toThrow(/not a valid EBB command/);
    await expect(ebb.penUp()).rejects.toThrow(/configure the pen servo/);
    expect(fake.written).toEqual([]);
  });

  it('passes asynchronous limit-switch notices to onUnsolicited without disturbing replies', async () => {
    const notices: string[] = [];
    const fake = new FakeEbb((cmd) =>
      cmd === 'QB' ? '0\r\nLimit switch triggered. PortB=08\r\nOK\r\n' : 'OK\r\n',
    );
    const ebb = connect(fake, { onUnsolicited: (l) => notices.push(l) });
    expect(await ebb.queryButton()).toBe(false);
    expect(notices).toEqual(['Limit switch triggered. PortB=08']);
  });
});

describe('firmware versions', () => {
  const v = (raw: string): FirmwareVersion => {
    const parsed = parseFirmwareVersion(raw);
    if (!parsed) throw new Error(`unparsed: ${raw}`);
    return parsed;
  };

  it('parses 2.5.x, 2.8.x, 3.0.x and dev strings', () => {
    expect(v('EBBv13_and_above EB Firmware Version 2.5.3')).toMatchObject({
      major: 2,
      minor: 5,
      patch: 3,
    });
    expect(v('EBBv13_and_above EB Firmware Version 2.8.1\r\n')).toMatchObject({
      major: 2,
      minor: 8,
      patch: 1,
    });
    expect(v('EBBv13_and_above EB Firmware Version 3.0.3')).toMatchObject({
      major: 3,
      minor: 0,
      patch: 3,
    });
    expect(v('EBBv13_and_above EB Firmware Version 2.9.0rc1')).toMatchObject({
      major: 2,
      minor: 9,
      patch: 0,
    });
    expect(v('EBBv11 EB Firmware Version 2.0.1')).toMatchObject({ major: 2, minor: 0, patch: 1 });
    expect(v('EBBv13_and_above Protocol emulated 2.7')).toMatchObject({
      major: 2,
      minor: 7,
      patch: 0,
    });
    expect(parseFirmwareVersion('Hello 1.2.3')).toBeNull();
    expect(parseFirmwareVersion('EBBv13_and_above EB Firmware Version x')).toBeNull();
  });

  it('rejects a V reply that is not an EBB', async () => {
    const ebb = connect(new FakeEbb(() => 'Marlin 2.1\r\n'));
    const err = await rejection(ebb.version());
    expect(err).toMatchObject({ kind: 'garbage', command: 'V', reply: 'Marlin 2.1' });
  });

  it('derives capabilities per the version matrix', () => {
    const caps = (s: string) => capabilitiesFor(v(`EBBv13_and_above EB Firmware Version ${s}`));
    expect(caps('2.5.2')).toMatchObject({
      lm: false,
      lt: false,
      qg: false,
      home: 'none',
      esReply: 'counts',
      nickname: false,
    });
    expect(caps('2.5.3')).toMatchObject({
      lm: true,
      lt: false,
      qmFields: 4,
      stepCounters: true,
      xm: true,
    });
    expect(caps('2.5.4').nickname).toBe(true);
    expect(caps('2.6.2')).toMatchObject({ qg: true, home: 'origin', servoPowerState: true });
    expect(caps('2.7.0')).toMatchObject({
      lt: true,
      moveClear: true,
      home: 'absolute',
      emQueued: false,
    });
    expect(caps('2.8.0')).toMatchObject({ emQueued: true, qe: true, cuSettings: [1, 2] });
    expect(caps('2.8.1')).toMatchObject({
      esReply: 'counts',
      fifoMax: 1,
      qgHighBits: 'pins',
      cuSettings: [1, 2, 3],
      slVariables: 1,
    });
    expect(caps('3.0.0')).toMatchObject({
      esReply: 'flag',
      fifoMax: 32,
      qgHighBits: 'power_and_limit',
      immediatePenUp: false,
      slVariables: 32,
    });
    expect(caps('3.0.3').immediatePenUp).toBe(true);
    expect(caps('3.0.3').cuSettings).toContain(10);
    expect(caps('2.2.8').esReply).toBe('flag');
    expect(caps('2.2.6').qmFields).toBe(3);
  });

  it('caches the version for capabilities()', async () => {
    const fake = new FakeEbb(legacy281);
    const ebb = connect(fake);
    expect((await ebb.capabilities()).qe).toBe(true);
    expect((await ebb.capabilities()).fifoMax).toBe(1);
    expect(fake.written).toEqual(['V']);
  });
});

describe('pen servo', () => {
  it('computes the AxiDraw software numbers', () => {
    expect(servoPosition(60)).toBe(20641);
    expect(servoPosition(30)).toBe(15248);
    expect(servoPosition(0)).toBe(9855);
    expect(servoPosition(100)).toBe(27831);
    expect(servoRate(75)).toBe(1618);
    expect(servoRate(50)).toBe(1079);
    expect(servoTravelMs(30, 75)).toBe(130);
    expect(servoTravelMs(-30, 50)).toBe(146);
    expect(servoTravelMs(0.5, 50)).toBe(0);
  });

  it('sends SC and SP and returns the delay it queued', async () => {
    const fake = new FakeEbb(legacy281);
    const ebb = connect(fake);
    expect(
      await ebb.configureServo({ upPct: 60, downPct: 30, raiseRatePct: 75, lowerRatePct: 50 }),
    ).toEqual({
      up: 20641,
      down: 15248,
      raiseRate: 1618,
      lowerRate: 1079,
    });
    expect(await ebb.penUp()).toBe(130);
    expect(await ebb.penDown(20)).toBe(166);
    expect(await ebb.penDown(-500)).toBe(0);
    expect(fake.written).toEqual([
      'SC,4,20641',
      'SC,5,15248',
      'SC,8,8',
      'SC,11,1618',
      'SC,12,1079',
      'SP,1,130,1',
      'SP,0,166,1',
      'SP,0',
    ]);
  });

  it('forgets the servo configuration after a reset', async () => {
    const ebb = connect(new FakeEbb(legacy281));
    await ebb.configureServo({
      upPct: 60,
      downPct: 30,
      raiseRatePct: 75,
      lowerRatePct: 50,
      pin: 2,
    });
    await ebb.reset();
    await expect(ebb.penUp()).rejects.toThrow(/configure the pen servo/);
  });
});

describe('LM timing', () => {
  it('matches the documented examples', () => {
    // LM,85899346,10,0,17180814,2,0 is a 10 ms move; 500→800 steps/s over 50 steps takes ~77 ms.
    expect(
      lmDurationMs({ rate: 85899346, steps: 10, accel: 0 }, { rate: 17180814, steps: 2, accel: 0 }),
    ).toBeCloseTo(10, 1);
    expect(
      lmDurationMs({ rate: 42950000, steps: 50, accel: 13400 }, { rate: 0, steps: 0, accel: 0 }),
    ).toBeCloseTo(77, 0);
  });
});

describe('with serialport', () => {
  it('talks through SerialPortMock (the real stream adapter)', async () => {
    const path = '/dev/ROBOT';
    // Answer each write as a 2.8.1 board would.
    const { port, silence } = await openMockBoard(path, (cmd) => {
      const reply = legacy281(cmd);
      return typeof reply === 'string' ? reply : null;
    });
    const ebb = connect(port);
    expect((await ebb.version()).minor).toBe(8);
    await ebb.enableMotors(16);
    expect(await ebb.querySteps()).toEqual({ motor1: -1200, motor2: 3400 });
    // The board goes silent, then the port closes: the pending query fails as 'closed'.
    silence();
    const pending = ebb.queryButton();
    await new Promise<void>((resolve) => port.close(() => resolve()));
    expect((await rejection(pending)).kind).toBe('closed');
    SerialPortMock.binding.reset();
  });
});
