/**
 * A running virtual plotter: the EBB machine behind a socat PTY, its paper file, and the
 * control channel. `vfab virtual-plotter` runs one as its own process, so it outlives any
 * client — the position, pen and paper survive an app crash as they would on the hardware.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { controlRequest, serveControl, type ControlServer } from './control';
import { EbbMachine, type MachineOptions } from './machine';
import { PaperWriter } from './paper';
import { Cable } from './pty';

export interface VirtualPlotterOptions extends Omit<MachineOptions, 'clock'> {
  /** Port path the app opens (default `<private dir>/ttyEBB`). */
  link?: string;
  /** Paper file (default `<private dir>/paper.jsonl`). */
  paper?: string;
  /** Control socket path (default `<private dir>/control.sock`). */
  control?: string;
  socat?: string;
}

export interface VirtualPlotterHandle {
  portPath: string;
  controlAddress: string;
  paperFile: string;
  machine: EbbMachine;
  /** One control request (see README.md), as another process would send it. */
  control<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/** Control operations; arguments are the other fields of the request. */
export const OPS = [
  'status',
  'stats',
  'log',
  'unplug',
  'replug',
  'reboot',
  'errorReply',
  'dropReply',
  'slowReplies',
  'stall',
  'extraLine',
  'garbage',
  'pressButton',
  'motorPowerLoss',
  'motorPowerRestore',
  'servoPowerOff',
  'servoPowerOn',
  'futureModeLeftOn',
  'parseCost',
  'firmware',
  'portBusy',
  'limitSwitch',
  'carriageHome',
] as const;

/** A full-speed USB bulk packet: what the board's receive buffer holds while its parser waits. */
const USB_PACKET_BYTES = 64;
const num = (v: unknown, fallback: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export async function runVirtualPlotter(
  opts: VirtualPlotterOptions = {},
): Promise<VirtualPlotterHandle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-virtual-'));
  const portPath = path.resolve(opts.link ?? path.join(dir, 'ttyEBB'));
  const paperFile = path.resolve(opts.paper ?? path.join(dir, 'paper.jsonl'));
  const controlAddress = path.resolve(opts.control ?? path.join(dir, 'control.sock'));
  const machine = new EbbMachine(opts);
  const paper = new PaperWriter(paperFile);
  machine.onSegment = (seg) => paper.write(seg);
  const cable = new Cable({
    link: portPath,
    bridge: path.join(dir, 'bridge.sock'),
    ...(opts.socat ? { socat: opts.socat } : {}),
  });

  // Replies go out in order; a slow-replies fault delays each one (with jitter) without reordering.
  let slow = { delayMs: 0, jitterMs: 0 };
  let lastSendAt = 0;
  const pending = new Set<NodeJS.Timeout>();
  machine.onOutput = (text) => {
    if (!slow.delayMs && !slow.jitterMs && pending.size === 0) return cable.write(text);
    const at = Math.max(lastSendAt, Date.now() + slow.delayMs + Math.random() * slow.jitterMs);
    lastSendAt = at;
    const t = setTimeout(() => {
      pending.delete(t);
      cable.write(text);
    }, at - Date.now());
    pending.add(t);
  };
  cable.onData = (bytes) => {
    machine.feed(bytes);
    reading();
  };
  cable.onLost = () => machine.unplug();

  // While its parser is blocked the board holds the packet it has received and takes no more, and
  // neither do we: the app's writes then back up through socat into the PTY, as they would into the
  // USB stack. The held packet is parsed the moment a slot frees, as on the board: were it left in
  // the kernel, our own read latency would show up as the app starving the board.
  let stalled = false;
  let parserBlocked = false;
  const reading = () =>
    stalled || (parserBlocked && machine.pendingInput() >= USB_PACKET_BYTES)
      ? cable.pause()
      : cable.resume();
  machine.onBlocked = (blocked) => {
    parserBlocked = blocked;
    reading();
  };

  // Faults armed with {"afterCommands": n} fire right after the n-th command the board accepts.
  const armed: { remaining: number; op: string; args: Record<string, unknown> }[] = [];
  machine.onCommand = () => {
    for (const a of [...armed]) {
      if (--a.remaining > 0) continue;
      armed.splice(armed.indexOf(a), 1);
      handle(a.op, a.args).catch((err: Error) =>
        process.stderr.write(`virtual plotter: armed '${a.op}' failed: ${err.message}\n`),
      );
    }
  };

  const unplug = async () => {
    for (const t of pending) clearTimeout(t);
    pending.clear();
    machine.unplug();
    await cable.unplug();
  };
  const replug = async (resetState: boolean) => {
    if (cable.plugged) throw new Error('the plotter is plugged in; unplug first');
    await cable.plug();
    machine.replug(resetState);
    reading();
  };
  machine.onReboot = () => {
    // RB: no reply, the board drops off USB and re-enumerates after its boot time.
    unplug()
      .then(() => new Promise((r) => setTimeout(r, 300)))
      .then(() => replug(true))
      .catch((err: Error) =>
        process.stderr.write(`virtual plotter: reboot failed: ${err.message}\n`),
      );
  };

  const handle = async (op: string, a: Record<string, unknown>): Promise<unknown> => {
    const after = num(a.afterCommands, 0);
    if (after > 0 && !['status', 'stats', 'log'].includes(op)) {
      const { afterCommands: _n, ...args } = a;
      armed.push({ remaining: after, op, args });
      return { armed: op, afterCommands: after };
    }
    switch (op) {
      case 'status':
        return {
          ...machine.status(),
          port: portPath,
          pty: cable.pty ?? null,
          paper: paperFile,
          // Replies a slow-replies fault still holds back.
          delayedReplies: pending.size,
        };
      case 'stats':
        return machine.getStats();
      case 'log':
        return machine.getLog(num(a.last, 200));
      case 'unplug':
        await unplug();
        return machine.status();
      case 'replug':
        await new Promise((r) => setTimeout(r, num(a.delayMs, 0)));
        await replug(a.resetState !== false);
        return machine.status();
      case 'reboot':
        await unplug();
        await replug(true);
        return machine.status();
      case 'errorReply':
        machine.errorReplies(num(a.count, 1), {
          code: num(a.code, 8),
          text: str(a.text),
          match: str(a.match),
          skip: num(a.skip, 0),
        });
        return null;
      case 'dropReply':
        machine.dropReplies(num(a.count, 1), { match: str(a.match), skip: num(a.skip, 0) });
        return null;
      case 'slowReplies':
        slow = { delayMs: num(a.delayMs, 0), jitterMs: num(a.jitterMs, 0) };
        return null;
      case 'stall':
        stalled = true;
        reading();
        setTimeout(
          () => {
            stalled = false;
            reading();
          },
          num(a.ms, 1000),
        );
        return null;
      case 'extraLine':
        machine.extraLine(str(a.text) ?? 'Limit switch triggered. PortB=00');
        return null;
      case 'garbage':
        machine.garbage(str(a.text) ?? '\u00ff\u00fe#~');
        return null;
      case 'pressButton':
        machine.pressButton(typeof a.afterPenDownMm === 'number' ? a.afterPenDownMm : undefined);
        return null;
      case 'motorPowerLoss':
        machine.motorPowerLoss();
        return machine.status();
      case 'motorPowerRestore':
        machine.motorPowerRestore();
        return machine.status();
      case 'carriageHome':
        machine.carriageHome();
        return machine.status();
      case 'servoPowerOff':
      case 'servoPowerOn':
        machine.servoPower(op === 'servoPowerOn');
        return null;
      case 'parseCost':
        machine.setParseMs(num(a.ms, 0));
        return null;
      case 'futureModeLeftOn':
        machine.futureModeLeftOn();
        return null;
      case 'firmware': {
        const version = str(a.version);
        if (!version) throw new Error('firmware needs "version", e.g. "2.8.1"');
        machine.setFirmware(version, str(a.versionLine));
        return null;
      }
      case 'portBusy':
        return holdPort(portPath, num(a.ms, 1000));
      case 'limitSwitch':
        machine.limitSwitch(a.packet === true);
        return machine.status();
      default:
        throw new Error(`unknown op '${op}'; ops: ${OPS.join(', ')}`);
    }
  };

  let control: ControlServer;
  try {
    await cable.plug();
    control = await serveControl(controlAddress, handle);
  } catch (err) {
    await cable.unplug();
    if (
      fs
        .readdirSync(dir)
        .every((f) => f === 'paper.jsonl' && fs.statSync(path.join(dir, f)).size === 0)
    )
      fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    portPath,
    controlAddress,
    paperFile,
    machine,
    control: (op, args) => controlRequest(controlAddress, op, args),
    stop: async () => {
      machine.stop();
      for (const t of pending) clearTimeout(t);
      await control.close();
      await cable.unplug();
      // A drawing stays, even on the default paper inside dir; a blank default sheet goes with dir.
      if (!opts.paper && fs.statSync(paperFile).size === 0) fs.rmSync(paperFile);
      if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
    },
  };
}

/** "Another program has the port": hold serialport's exclusive lock on the link for `ms`. */
async function holdPort(portPath: string, ms: number): Promise<null> {
  const port = new SerialPort({ path: portPath, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  // Never read: the bytes stay for the owner of the port after the lock is gone.
  port.pause();
  setTimeout(() => port.close(() => {}), ms);
  return null;
}
