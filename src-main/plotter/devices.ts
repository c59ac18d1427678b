/**
 * Finding the plotter: AxiDraws on serial ports, an explicit port, a plotter chosen by its EBB
 * nickname, or the virtual plotter. See docs/ebb-protocol.md "Finding the plotter".
 *
 * `SerialPort.list()` on Linux spawns `udevadm`; without it (containers, minimal installs) the
 * spawn error escapes serialport uncaught and kills the process. So we only call it when udevadm
 * is on PATH and otherwise read the same facts from sysfs ourselves.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { VfabError } from '../errors';
import { fileKind } from '../util/storage';
import {
  capabilitiesFor,
  Ebb,
  EbbError,
  type EbbCapabilities,
  type EbbOptions,
  type EbbStream,
  type FirmwareVersion,
} from './ebb';

/** USB identity of the EiBotBoard (Microchip VID, SchmalzHaus PID). */
export const EBB_VENDOR_ID = '04d8';
export const EBB_PRODUCT_ID = 'fd92';

/** The request string that selects the simulated plotter. */
export const VIRTUAL_DEVICE = 'virtual';

export interface PortInfo {
  path: string;
  manufacturer?: string;
  /** USB product string: `EiBotBoard` or `EiBotBoard,<nickname>` on fw ≥ 2.5.4. */
  product?: string;
  /** USB serial number: the nickname on fw ≥ 2.5.5. */
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
}

export type DeviceTarget =
  /** The caller builds the virtual plotter. */
  | { kind: 'virtual' }
  | { kind: 'serial'; path: string; nickname: string | null; port: PortInfo | null };

export interface DiscoveryDeps {
  /** Root of sysfs, for the udevadm-less listing; tests point it at a fake tree. */
  sysfsRoot?: string;
  /** Lists ports; default: serialport with udevadm, sysfs without. */
  listPorts?: () => Promise<PortInfo[]>;
  /** Reads an EBB's nickname over the wire; default opens the port and sends `QT`. */
  probeNickname?: (path: string) => Promise<string | null>;
  /** PATH to look for udevadm on. */
  envPath?: string;
}

const NO_AXIDRAW =
  'no AxiDraw found: check the USB cable and that the plotter is powered, or set device.port, or plot on the virtual plotter (--device virtual; in the app: Plotter → Virtual plotter)';

export function isEbbPort(port: PortInfo): boolean {
  const ids =
    port.vendorId?.toLowerCase() === EBB_VENDOR_ID &&
    port.productId?.toLowerCase() === EBB_PRODUCT_ID;
  const names = `${port.manufacturer ?? ''} ${port.product ?? ''}`;
  return ids || /EiBotBoard|SchmalzHaus/i.test(names);
}

/** The nickname the USB descriptors carry: the product string's suffix, else the serial number. */
export function usbNickname(port: PortInfo): string | null {
  const fromProduct = /^EiBotBoard,(.+)$/i.exec(port.product?.trim() ?? '')?.[1]?.trim();
  return fromProduct || port.serialNumber?.trim() || null;
}

export function hasExecutable(name: string, envPath = process.env.PATH ?? ''): boolean {
  return envPath
    .split(path.delimiter)
    .filter((dir) => dir !== '')
    .some((dir) => {
      try {
        fs.accessSync(path.join(dir, name), fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/**
 * Serial ports as sysfs describes them: every `/sys/class/tty/<name>` with a `device` link, with
 * USB identity from the first ancestor of that device holding `idVendor` (the interface's parent).
 */
export function listSysfsPorts(sysfsRoot = '/sys', devDir = '/dev'): PortInfo[] {
  const classDir = path.join(sysfsRoot, 'class', 'tty');
  let names: string[];
  try {
    names = fs.readdirSync(classDir);
  } catch {
    return [];
  }
  const ports: PortInfo[] = [];
  for (const name of names.sort()) {
    let device: string;
    try {
      device = fs.realpathSync(path.join(classDir, name, 'device'));
    } catch {
      continue; // virtual consoles and PTYs have no device link
    }
    const port: PortInfo = { path: path.join(devDir, name) };
    const usb = usbAncestor(device, fs.realpathSync(sysfsRoot));
    if (usb) {
      port.vendorId = readAttr(usb, 'idVendor');
      port.productId = readAttr(usb, 'idProduct');
      port.manufacturer = readAttr(usb, 'manufacturer');
      port.product = readAttr(usb, 'product');
      port.serialNumber = readAttr(usb, 'serial');
    }
    ports.push(port);
  }
  return ports;
}

function usbAncestor(start: string, root: string): string | null {
  for (let dir = start; dir.startsWith(root) && dir !== root; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'idVendor'))) return dir;
  }
  return null;
}

function readAttr(dir: string, name: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dir, name), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** All serial ports, by serialport where that is safe (see the file comment), else by sysfs. */
export async function listPorts(deps: DiscoveryDeps = {}): Promise<PortInfo[]> {
  if (deps.listPorts) return deps.listPorts();
  if (process.platform === 'linux' && !hasExecutable('udevadm', deps.envPath))
    return listSysfsPorts(deps.sysfsRoot);
  const ports = await SerialPort.list();
  return ports.map((p) => ({
    path: p.path,
    manufacturer: p.manufacturer,
    serialNumber: p.serialNumber,
    vendorId: p.vendorId,
    productId: p.productId,
  }));
}

/** The EBBs attached, sorted by path so "the first" is stable. */
export async function listEbbPorts(deps: DiscoveryDeps = {}): Promise<PortInfo[]> {
  return (await listPorts(deps)).filter(isEbbPort).sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Turns a device request into a target. `request` is `--device`, config `device.port`, or config
 * `device.preferred` (whose `axidraw:` prefix is dropped): null/''/`auto` = the first AxiDraw;
 * `virtual` = the simulator; a path (`/dev/ttyACM0`, `COM3`) = that port, EBB or not; anything
 * else = the AxiDraw with that nickname (`ST`/`QT`).
 */
export async function resolveDevice(
  request: string | null,
  deps: DiscoveryDeps = {},
): Promise<DeviceTarget> {
  const wanted = (request ?? '').trim().replace(/^axidraw:/i, '');
  if (wanted.toLowerCase() === VIRTUAL_DEVICE) return { kind: 'virtual' };
  if (isPortPath(wanted)) {
    checkPortAccess(wanted);
    return { kind: 'serial', path: wanted, nickname: null, port: null };
  }
  const ebbs = await listEbbPorts(deps);
  if (ebbs.length === 0) throw new VfabError('NOT_FOUND', NO_AXIDRAW);
  if (wanted === '' || wanted.toLowerCase() === 'auto') {
    const first = ebbs[0]!;
    return { kind: 'serial', path: first.path, nickname: usbNickname(first), port: first };
  }
  // The USB descriptors carry the nickname on fw ≥ 2.5.5 without opening the port (which could
  // disturb another program's plot); older boards must be asked with QT.
  const byUsb = ebbs.find((p) => usbNickname(p)?.toLowerCase() === wanted.toLowerCase());
  if (byUsb) return { kind: 'serial', path: byUsb.path, nickname: usbNickname(byUsb), port: byUsb };
  const probe = deps.probeNickname ?? probeNickname;
  const seen: string[] = [];
  for (const port of ebbs.filter((p) => usbNickname(p) === null)) {
    const name = await probe(port.path).catch(() => null);
    if (name?.toLowerCase() === wanted.toLowerCase())
      return { kind: 'serial', path: port.path, nickname: name, port };
    seen.push(`${port.path}${name ? ` ("${name}")` : ''}`);
  }
  for (const port of ebbs)
    if (usbNickname(port) !== null) seen.push(`${port.path} ("${usbNickname(port)}")`);
  throw new VfabError(
    'NOT_FOUND',
    `no AxiDraw named "${wanted}" (found ${seen.sort().join(', ')}): name one with the EBB's ST command, or set device.port`,
  );
}

function isPortPath(request: string): boolean {
  return request.includes('/') || request.includes('\\') || /^COM\d+$/i.test(request);
}

/** What to do when a path is no plotter's port: where the user finds the right one. */
const PORT_HINT =
  "run 'vfab check servo' without --device to find an AxiDraw by its USB id, fix device.port, or plot on the virtual plotter (--device virtual)";

/** Fails early, naming the port and the fix, when a path cannot be used. */
function checkPortAccess(portPath: string): void {
  if (process.platform === 'win32') return;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(portPath);
    fs.accessSync(portPath, fs.constants.R_OK | fs.constants.W_OK);
  } catch (err) {
    throw portError(portPath, err);
  }
  if (!stat.isCharacterDevice())
    throw new VfabError(
      'INVALID_INPUT',
      `${portPath} is ${fileKind(stat)}, not a serial port: ${PORT_HINT}`,
    );
}

/** A VfabError for a failure to reach `portPath`, with what to do about it. */
export function portError(portPath: string, err: unknown): VfabError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const text = err instanceof Error ? err.message : String(err);
  if (code === 'ENOENT' || /No such file|File not found/i.test(text)) {
    return new VfabError(
      'NOT_FOUND',
      `serial port ${portPath} does not exist: check the USB cable, or ${PORT_HINT}`,
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || /Permission denied|Access denied/i.test(text)) {
    return new VfabError(
      'CONFIG',
      `no permission to open ${portPath}: add your user to the dialout group (sudo usermod -aG dialout $USER, then log in again) or install a udev rule for the AxiDraw`,
    );
  }
  if (code === 'EBUSY' || /lock|busy|temporarily unavailable/i.test(text)) {
    return new VfabError(
      'BUSY',
      `${portPath} is in use by another program (Inkscape, saxi, another vfab?): close it and retry`,
    );
  }
  // A device that is no terminal (/dev/null, a disk) refuses the serial settings.
  if (code === 'ENOTTY' || /Inappropriate ioctl/i.test(text)) {
    return new VfabError('INVALID_INPUT', `${portPath} is not a serial port: ${PORT_HINT}`);
  }
  return new VfabError('INTERNAL', `cannot open ${portPath}: ${text}`);
}

/** Opens a serial port (9600 baud; the rate is irrelevant over USB CDC), mapping errors to advice. */
export async function openSerialPort(portPath: string): Promise<SerialPort> {
  const port = new SerialPort({ path: portPath, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) => (err ? reject(portError(portPath, err)) : resolve())),
  );
  return port;
}

/** What `openEbb` needs of an opened port: serialport's `SerialPort`, or `SerialPortMock` in tests. */
export interface OpenedPort extends EbbStream {
  readonly isOpen: boolean;
  close(callback?: (err: Error | null) => void): void;
}

export type PortOpener = (portPath: string) => Promise<OpenedPort>;

export interface EbbConnection {
  ebb: Ebb;
  version: FirmwareVersion;
  capabilities: EbbCapabilities;
  /** Detaches the client and closes the port. */
  close(): Promise<void>;
}

/**
 * Opens `portPath` and checks an EBB answers there: `V` (twice, like plotink, since the first
 * reply may follow leftovers), then on fw ≥ 3.0 `CU,10,0` so replies are in the legacy syntax.
 * Sends nothing that moves the machine or resets step counters.
 */
export async function openEbb(
  portPath: string,
  options: EbbOptions = {},
  openPort: PortOpener = openSerialPort,
): Promise<EbbConnection> {
  const port = await openPort(portPath);
  const ebb = new Ebb(port, options);
  const close = async (): Promise<void> => {
    // A write still pending when the device vanished fails with EIO after the client let go:
    // without a listener that 'error' would be uncaught.
    port.on('error', () => {});
    ebb.dispose();
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  };
  try {
    const version = await ebb.resync().catch(() => ebb.resync());
    if (version.major >= 3) await ebb.useLegacySyntax();
    return { ebb, version, capabilities: capabilitiesFor(version), close };
  } catch (err) {
    await close();
    if (err instanceof EbbError && err.kind !== 'error_reply') {
      throw new VfabError(
        'NOT_FOUND',
        `no EBB answered on ${portPath} (${err.message}): check device.port and that the plotter is powered`,
      );
    }
    throw err;
  }
}

/** Opens `portPath`, checks it is an EBB, and reads its nickname if the firmware has QT. */
export async function probeNickname(
  portPath: string,
  openPort: PortOpener = openSerialPort,
): Promise<string | null> {
  const conn = await openEbb(portPath, {}, openPort);
  try {
    return conn.capabilities.nickname ? await conn.ebb.nickname() : null;
  } finally {
    await conn.close();
  }
}
