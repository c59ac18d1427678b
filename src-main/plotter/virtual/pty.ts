/**
 * The USB cable: socat makes a pseudo-terminal (the port the app opens, at `link`) and bridges
 * it to a Unix socket this process listens on, so the simulator never shares an event loop or a
 * file descriptor with the app (docs/ebb-protocol.md "The virtual plotter": the PTY↔TCP variant over a Unix socket,
 * which only this user can reach). Unplugging kills socat: the link vanishes and the app's port
 * sees EIO/close, as with a pulled cable. socat survives the app closing and reopening the port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export interface CableOptions {
  /** Path of the port the app opens (a symlink to /dev/pts/N). */
  link: string;
  /** Unix socket path for the socat bridge. */
  bridge: string;
  socat?: string;
}

export class Cable {
  onData: (bytes: Buffer) => void = () => {};
  /** socat died without being asked to (killed from outside): the cable is out. */
  onLost: () => void = () => {};

  private server: net.Server | undefined;
  private socket: net.Socket | undefined;
  private child: ChildProcess | undefined;
  private ptyPath: string | undefined;

  constructor(private readonly opts: CableOptions) {}

  get plugged(): boolean {
    return this.socket !== undefined;
  }

  /** The /dev/pts/N behind the link while plugged. */
  get pty(): string | undefined {
    return this.ptyPath;
  }

  async plug(): Promise<void> {
    if (this.child) return;
    const { link, bridge } = this.opts;
    if (fs.existsSync(link) && !fs.lstatSync(link).isSymbolicLink())
      throw new Error(
        `${link} exists and is not a symlink left by a virtual plotter; choose another --link`,
      );
    fs.rmSync(link, { force: true });
    fs.rmSync(bridge, { force: true });
    const server = net.createServer({ pauseOnConnect: false });
    this.server = server;
    const connected = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(bridge, () => resolve());
    });
    const child = spawn(
      this.opts.socat ?? 'socat',
      ['-d', '-d', `pty,raw,echo=0,link=${link}`, `unix-connect:${bridge}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /PTY is (\S+)/.exec(stderr);
      if (m) this.ptyPath = m[1];
    });
    const exited = new Promise<never>((_, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'ENOENT'
            ? new Error(
                'socat is not installed (Debian/Ubuntu: apt-get install socat; macOS: brew install socat)',
              )
            : err,
        ),
      );
      child.once('exit', (code) =>
        reject(
          new Error(
            `socat exited (${code}) before the port was ready: ${stderr.trim().split('\n').at(-1) ?? ''}`,
          ),
        ),
      );
    });
    // Only awaited while plugging; a late failure is reported through onLost instead.
    exited.catch(() => {});
    try {
      const socket = await Promise.race([connected, exited]);
      server.close();
      socket.setNoDelay(true);
      socket.on('data', (d) => this.onData(d));
      socket.on('error', () => {});
      this.socket = socket;
      // The link appears just after socat connects (20–50 ms measured); wait so callers can open it.
      const deadline = Date.now() + 5000;
      while (!fs.existsSync(link)) {
        if (Date.now() > deadline) throw new Error(`socat did not create ${link}`);
        await Promise.race([new Promise((r) => setTimeout(r, 5)), exited]);
      }
    } catch (err) {
      await this.unplug();
      throw err;
    }
    child.removeAllListeners('exit');
    child.once('exit', () => {
      if (this.child !== child) return;
      this.dropped();
      this.onLost();
    });
  }

  write(text: string): void {
    this.socket?.write(text, 'latin1');
  }

  /** Stop reading the app's bytes (USB stall / busy board); they wait in the kernel buffers. */
  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }

  async unplug(): Promise<void> {
    const child = this.child;
    this.dropped();
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    // socat removes its link on a clean exit; make sure after a hard kill too.
    fs.rmSync(this.opts.link, { force: true });
    fs.rmSync(this.opts.bridge, { force: true });
  }

  private dropped(): void {
    this.child = undefined;
    this.ptyPath = undefined;
    this.socket?.destroy();
    this.socket = undefined;
    this.server?.close();
    this.server = undefined;
  }
}
