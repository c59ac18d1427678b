/**
 * The plain-text log at `<data>/logs/vfab.log`. The recovery guide greps it and cuts fields, so
 * every entry is exactly one line: `YYYY-MM-DD HH:MM:SS LEVEL [job <id>: ]message`, local time.
 * The app and CLI processes share the file: each line is one write to a file opened for append,
 * and the file is reopened per line so a rotation done by another process is followed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { localTimestamp } from './util/time';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

const RANK: Record<LogLevel, number> = {
  DEBUG: 10,
  INFO: 20,
  WARNING: 30,
  ERROR: 40,
  CRITICAL: 50,
};

type LogMethod = (msg: string, job?: string) => void;

export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warning: LogMethod;
  error: LogMethod;
  critical: LogMethod;
  readonly file: string;
  /** Where lines go: the file, or stderr when the data folder cannot be written (see createStderrLogger). */
  readonly sink: 'file' | 'stderr';
  /** The last failure to write, kept for `vfab check self`; logging itself never throws. */
  readonly lastError?: Error;
}

export interface LoggerOptions {
  file: string;
  level?: LogLevel;
  /** Rotate before a line would take the file past this size. Default 10 MiB. */
  maxBytes?: number;
  /** Rotated files kept: vfab.log.1 (newest) .. vfab.log.<backups>. Default 5. */
  backups?: number;
  now?: () => Date;
}

const oneLine = (s: string) => s.replace(/\r\n|\r|\n/g, ' | ');

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Another process may have rotated the same file a moment ago: a missing file is not an error. */
function renameIfPresent(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** vfab.log -> .1 -> .2 ... -> .<backups>; the rename onto .<backups> drops the oldest. */
function rotate(file: string, backups: number): void {
  if (backups === 0) {
    fs.rmSync(file, { force: true });
    return;
  }
  for (let i = backups - 1; i >= 1; i--) renameIfPresent(`${file}.${i}`, `${file}.${i + 1}`);
  renameIfPresent(file, `${file}.1`);
}

function formatLine(at: Date, level: LogLevel, msg: string, job?: string): string {
  return `${localTimestamp(at)} ${level} ${job ? `job ${oneLine(job)}: ` : ''}${oneLine(msg)}\n`;
}

function loggerOf(
  file: string,
  sink: Logger['sink'],
  write: (level: LogLevel, msg: string, job?: string) => void,
  lastError: () => Error | undefined,
): Logger {
  return {
    debug: (msg, job) => write('DEBUG', msg, job),
    info: (msg, job) => write('INFO', msg, job),
    warning: (msg, job) => write('WARNING', msg, job),
    error: (msg, job) => write('ERROR', msg, job),
    critical: (msg, job) => write('CRITICAL', msg, job),
    file,
    sink,
    get lastError() {
      return lastError();
    },
  };
}

export function createLogger(opts: LoggerOptions): Logger {
  const {
    file,
    level = 'INFO',
    maxBytes = 10 * 1024 * 1024,
    backups = 5,
    now = () => new Date(),
  } = opts;
  let lastError: Error | undefined;

  const write = (lineLevel: LogLevel, msg: string, job?: string): void => {
    if (RANK[lineLevel] < RANK[level]) return;
    try {
      const line = Buffer.from(formatLine(now(), lineLevel, msg, job), 'utf8');
      // Made every time: `vfab cleanup --logs` or a user may delete the folder while the app runs.
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const size = sizeOf(file);
      if (size > 0 && size + line.length > maxBytes) rotate(file, backups);
      fs.appendFileSync(file, line);
    } catch (err) {
      // A full disk or a read-only folder must not stop a plot; the error is kept for diagnostics.
      lastError = err instanceof Error ? err : new Error(String(err));
    }
  };
  return loggerOf(file, 'file', write, () => lastError);
}

/**
 * The log of a process that cannot write the data folder (engine.ts's read-only mode): warnings
 * and worse go to stderr in the file's format; info and debug lines are dropped, since they
 * record what the command itself prints.
 */
export function createStderrLogger(opts: {
  file: string;
  now?: () => Date;
  write?: (text: string) => void;
}): Logger {
  const { now = () => new Date(), write = (text: string) => process.stderr.write(text) } = opts;
  return loggerOf(
    opts.file,
    'stderr',
    (level, msg, job) => {
      if (RANK[level] >= RANK.WARNING) write(formatLine(now(), level, msg, job));
    },
    () => undefined,
  );
}
