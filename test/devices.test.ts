import fs from 'node:fs';
import path from 'node:path';
import { SerialPortMock } from 'serialport';
import { openMockBoard } from './helpers/mock-board';
import { afterEach, describe, expect, it } from 'vitest';
import {
  hasExecutable,
  openEbb,
  probeNickname,
  type PortOpener,
  isEbbPort,
  listPorts,
  listSysfsPorts,
  portError,
  resolveDevice,
  usbNickname,
  type PortInfo,
} from '../src-main/plotter/devices';
import { VfabError } from '../src-main/errors';
import { useTempDirs } from './helpers/tmp';

const tempDir = useTempDirs('vfab-devices-');

/**
 * Builds a sysfs tree like Linux's: /class/tty/<name>/device links to the USB interface directory,
 * whose parent (the USB device) holds idVendor, idProduct, manufacturer, product and serial.
 */
function fakeSysfs(ttys: Record<string, Record<string, string> | null>): string {
  const root = tempDir();
  let bus = 1;
  for (const [name, usb] of Object.entries(ttys)) {
    const classDir = path.join(root, 'class', 'tty', name);
    fs.mkdirSync(classDir, { recursive: true });
    if (usb === null) continue; // a virtual console: no device link
    const usbDevice = path.join(root, 'devices', 'pci0000:00', `usb${bus}`, `${bus}-1`);
    const iface = path.join(usbDevice, `${bus}-1:1.0`);
    fs.mkdirSync(iface, { recursive: true });
    for (const [attr, value] of Object.entries(usb))
      fs.writeFileSync(path.join(usbDevice, attr), `${value}\n`);
    fs.symlinkSync(iface, path.join(classDir, 'device'));
    bus++;
  }
  return root;
}

const EBB_NAMED = {
  idVendor: '04d8',
  idProduct: 'fd92',
  manufacturer: 'SchmalzHaus',
  product: 'EiBotBoard,Left',
  serial: 'Left',
};
const EBB_PLAIN = {
  idVendor: '04d8',
  idProduct: 'fd92',
  manufacturer: 'SchmalzHaus',
  product: 'EiBotBoard',
};
const FTDI = {
  idVendor: '0403',
  idProduct: '6001',
  manufacturer: 'FTDI',
  product: 'FT232R USB UART',
  serial: 'A10K',
};

describe('sysfs listing (no udevadm)', () => {
  it('reads USB identity from the parent of the tty device', () => {
    const root = fakeSysfs({ ttyACM1: EBB_PLAIN, ttyACM0: EBB_NAMED, ttyUSB0: FTDI, tty0: null });
    expect(listSysfsPorts(root)).toEqual([
      {
        path: '/dev/ttyACM0',
        vendorId: '04d8',
        productId: 'fd92',
        manufacturer: 'SchmalzHaus',
        product: 'EiBotBoard,Left',
        serialNumber: 'Left',
      },
      {
        path: '/dev/ttyACM1',
        vendorId: '04d8',
        productId: 'fd92',
        manufacturer: 'SchmalzHaus',
        product: 'EiBotBoard',
        serialNumber: undefined,
      },
      {
        path: '/dev/ttyUSB0',
        vendorId: '0403',
        productId: '6001',
        manufacturer: 'FTDI',
        product: 'FT232R USB UART',
        serialNumber: 'A10K',
      },
    ]);
  });

  it('lists non-USB serial ports without identity, and nothing for a missing tree', () => {
    const root = tempDir();
    const platform = path.join(root, 'devices', 'platform', 'serial8250');
    fs.mkdirSync(platform, { recursive: true });
    fs.mkdirSync(path.join(root, 'class', 'tty', 'ttyS0'), { recursive: true });
    fs.symlinkSync(platform, path.join(root, 'class', 'tty', 'ttyS0', 'device'));
    expect(listSysfsPorts(root)).toEqual([{ path: '/dev/ttyS0' }]);
    expect(listSysfsPorts(path.join(root, 'nope'))).toEqual([]);
  });

  it('is what listPorts uses on Linux when udevadm is not on PATH', async () => {
    if (process.platform !== 'linux') return;
    const root = fakeSysfs({ ttyACM0: EBB_NAMED });
    const ports = await listPorts({ sysfsRoot: root, envPath: tempDir() });
    expect(ports.map((p) => p.path)).toEqual(['/dev/ttyACM0']);
  });

  it('finds udevadm on PATH only when it is executable', () => {
    const dir = tempDir();
    const tool = path.join(dir, 'udevadm');
    fs.writeFileSync(tool, '#!/bin/sh\n', { mode: 0o644 });
    // root may execute anything with some x bit; without any x bit it cannot.
    expect(hasExecutable('udevadm', `/nonexistent${path.delimiter}${dir}`)).toBe(false);
    fs.chmodSync(tool, 0o755);
    expect(hasExecutable('udevadm', `/nonexistent${path.delimiter}${dir}`)).toBe(true);
    expect(hasExecutable('udevadm', '')).toBe(false);
  });
});

describe('recognising an EBB', () => {
  it('matches VID:PID in any case, or the maker and product names', () => {
    expect(isEbbPort({ path: 'a', vendorId: '04D8', productId: 'FD92' })).toBe(true);
    expect(isEbbPort({ path: 'a', vendorId: '04d8', productId: 'fd92' })).toBe(true);
    expect(isEbbPort({ path: 'a', vendorId: '04d8', productId: '000a' })).toBe(false);
    expect(isEbbPort({ path: 'a', manufacturer: 'SchmalzHaus LLC' })).toBe(true);
    expect(isEbbPort({ path: 'COM3', product: 'EiBotBoard,Right' })).toBe(true);
    expect(
      isEbbPort({ path: 'a', manufacturer: 'FTDI', vendorId: '0403', productId: '6001' }),
    ).toBe(false);
  });

  it('reads the nickname from the USB product string or serial number', () => {
    expect(usbNickname({ path: 'a', product: 'EiBotBoard,Left' })).toBe('Left');
    expect(usbNickname({ path: 'a', serialNumber: 'Right' })).toBe('Right');
    expect(usbNickname({ path: 'a', product: 'EiBotBoard' })).toBeNull();
  });
});

describe('resolveDevice', () => {
  const ports: PortInfo[] = [
    { path: '/dev/ttyUSB0', vendorId: '0403', productId: '6001' },
    { path: '/dev/ttyACM1', vendorId: '04d8', productId: 'fd92', manufacturer: 'SchmalzHaus' },
    { path: '/dev/ttyACM0', vendorId: '04d8', productId: 'fd92', serialNumber: 'Left' },
  ];
  const listed = { listPorts: async () => ports };

  it('returns the virtual marker', async () => {
    expect(await resolveDevice('virtual')).toEqual({ kind: 'virtual' });
    expect(await resolveDevice(' Virtual ')).toEqual({ kind: 'virtual' });
  });

  it('picks the first AxiDraw by path for auto', async () => {
    const target = await resolveDevice(null, listed);
    expect(target).toMatchObject({ kind: 'serial', path: '/dev/ttyACM0', nickname: 'Left' });
    expect(await resolveDevice('auto', listed)).toMatchObject({ path: '/dev/ttyACM0' });
    expect(await resolveDevice('axidraw:auto', listed)).toMatchObject({ path: '/dev/ttyACM0' });
  });

  it('says what to do when there is none', async () => {
    const err = await resolveDevice(null, { listPorts: async () => [ports[0]!] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VfabError);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect((err as Error).message).toMatch(
      /no AxiDraw found.*USB cable.*device\.port.*--device virtual/,
    );
  });

  it('finds a plotter by its USB nickname without opening ports', async () => {
    const probed: string[] = [];
    const target = await resolveDevice('left', {
      ...listed,
      probeNickname: async (p) => (probed.push(p), null),
    });
    expect(target).toMatchObject({ path: '/dev/ttyACM0', nickname: 'Left' });
    expect(probed).toEqual([]);
  });

  it('asks older boards for their nickname with QT', async () => {
    const probed: string[] = [];
    const probeNickname = async (p: string): Promise<string | null> => {
      probed.push(p);
      return p === '/dev/ttyACM1' ? 'Right' : null;
    };
    expect(await resolveDevice('Right', { ...listed, probeNickname })).toMatchObject({
      path: '/dev/ttyACM1',
      nickname: 'Right',
    });
    expect(probed).toEqual(['/dev/ttyACM1']);
  });

  it('lists the names it found when the wanted one is missing', async () => {
    const probeNickname = async (): Promise<string | null> => {
      throw new Error('busy');
    };
    const err = await resolveDevice('Middle', { ...listed, probeNickname }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect((err as Error).message).toBe(
      'no AxiDraw named "Middle" (found /dev/ttyACM0 ("Left"), /dev/ttyACM1): name one with the EBB\'s ST command, or set device.port',
    );
  });

  it('accepts an explicit port path, EBB or not, and names a missing one', async () => {
    expect(await resolveDevice('/dev/null')).toEqual({
      kind: 'serial',
      path: '/dev/null',
      nickname: null,
      port: null,
    });
    const err = await resolveDevice('/dev/ttyACM99').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect((err as Error).message).toContain('/dev/ttyACM99 does not exist');
    expect((err as Error).message).toContain('vfab check servo');
  });

  it('refuses a path that is a file or a folder, naming it and where to find the port', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'ttyFAKE');
    fs.writeFileSync(file, '');
    for (const [target, kind] of [
      [file, 'a regular file'],
      [dir, 'a folder'],
    ] as const) {
      const err = await resolveDevice(target).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'INVALID_INPUT' });
      expect((err as Error).message).toBe(
        `${target} is ${kind}, not a serial port: run 'vfab check servo' without --device to find an AxiDraw by its USB id, fix device.port, or plot on the virtual plotter (--device virtual)`,
      );
    }
  });
});

describe('port errors', () => {
  const errno = (code: string, message: string): NodeJS.ErrnoException =>
    Object.assign(new Error(message), { code });

  it('names the port and the fix', () => {
    const denied = portError('/dev/ttyACM0', errno('EACCES', 'Permission denied'));
    expect(denied.code).toBe('CONFIG');
    expect(denied.message).toMatch(/\/dev\/ttyACM0.*dialout/);
    expect(
      portError('/dev/ttyACM0', new Error('Error: Permission denied, cannot open /dev/ttyACM0'))
        .message,
    ).toContain('dialout');
    const busy = portError(
      '/dev/ttyACM0',
      new Error('Error Resource temporarily unavailable Cannot lock port'),
    );
    expect(busy.code).toBe('BUSY');
    expect(busy.message).toContain('/dev/ttyACM0 is in use');
    expect(portError('COM7', new Error('Opening COM7: File not found')).code).toBe('NOT_FOUND');
    expect(portError('/dev/x', new Error('weird')).message).toBe('cannot open /dev/x: weird');
    const notTty = portError(
      '/dev/null',
      new Error('Error: Inappropriate ioctl for device setting custom baud rate of 9600'),
    );
    expect(notTty.code).toBe('INVALID_INPUT');
    expect(notTty.message).toMatch(/^\/dev\/null is not a serial port: .*--device virtual/);
  });
});

describe('opening an EBB (through SerialPortMock)', () => {
  afterEach(() => SerialPortMock.binding.reset());

  /** A mock port answering each command with `script(cmd)`; records what was written. */
  function mockBoard(script: (cmd: string) => string | null): {
    open: PortOpener;
    written: string[];
  } {
    const written: string[] = [];
    const open: PortOpener = async (portPath) =>
      (await openMockBoard(portPath, script, written)).port;
    return { open, written };
  }

  it('skips leftovers, leaves v3 future syntax, then reads the nickname', async () => {
    let future = true;
    const board = mockBoard((cmd) => {
      if (cmd === 'V')
        return future
          ? 'SM\nQG,3E\nV,EBBv13_and_above EB Firmware Version 3.0.3\n'
          : 'EBBv13_and_above EB Firmware Version 3.0.3\r\n';
      if (cmd === 'CU,10,0') return ((future = false), 'CUOK\r\n');
      if (cmd === 'QT') return 'Left\r\nOK\r\n';
      return null;
    });
    expect(await probeNickname('/dev/ttyACM0', board.open)).toBe('Left');
    expect(board.written).toEqual(['V', 'CU,10,0', 'QT']);
  });

  it('does not touch the syntax on 2.x and reports capabilities', async () => {
    const board = mockBoard((cmd) =>
      cmd === 'V' ? 'EBBv13_and_above EB Firmware Version 2.7.0\r\n' : null,
    );
    const conn = await openEbb('/dev/ttyACM0', {}, board.open);
    expect(conn.version).toMatchObject({ major: 2, minor: 7, patch: 0 });
    expect(conn.capabilities).toMatchObject({ lt: true, qe: false });
    await conn.close();
    expect(conn.ebb.closed).toBe(true);
    expect(board.written).toEqual(['V']);
  });

  it('says no EBB answered, naming the port, when the device is silent', async () => {
    const board = mockBoard(() => null);
    const err = await openEbb('/dev/ttyACM0', { timeoutMs: 20 }, board.open).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect((err as Error).message).toMatch(/^no EBB answered on \/dev\/ttyACM0 .*did not answer V/);
    expect(board.written).toEqual(['V', 'V']);
  });
});
