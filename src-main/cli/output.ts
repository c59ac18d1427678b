import { localTimestamp } from '../util/time';

/**
 * How the CLI speaks. On a terminal: aligned tables with headers. In a pipe: bare tab-separated
 * rows with the job id first and nothing else on stdout, so `awk '{print $1}'` yields ids and
 * `wc -l` counts (docs/user-guide.md "Output for pipes"). Notes and empty-list messages go to stderr.
 */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal: humans are reading. */
  readonly tty: boolean;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  tty: Boolean(process.stdout.isTTY),
};

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** Prints rows as a table (terminal) or bare rows (pipe); `empty` goes to stderr when there are none. */
export function printRows(
  io: Io,
  header: readonly string[],
  rows: readonly (readonly string[])[],
  empty: string,
): void {
  if (rows.length === 0) {
    io.err(empty);
    return;
  }
  if (!io.tty) {
    io.out(rows.map((r) => r.map((c) => c.replace(/\s+/g, ' ') || '-').join('\t')).join('\n'));
    return;
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  io.out([line(header), ...rows.map(line)].join('\n'));
}

/** Key/value block for `info` commands on a terminal. */
export function printFields(io: Io, fields: readonly (readonly [string, string])[]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  io.out(fields.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`).join('\n'));
}

/** ISO timestamp → local `YYYY-MM-DD HH:MM:SS`, the log's format; unparseable values pass through. */
export function localTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : localTimestamp(d);
}
