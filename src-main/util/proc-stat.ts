/**
 * Linux's view of a process (/proc/<pid>/stat). `kill(pid, 0)` succeeds for a zombie, a process
 * that has died but that its parent has not reaped yet: only its state tells it is gone.
 */
import fs from 'node:fs';

/**
 * The state letter of a /proc/<pid>/stat line ('R', 'S', 'Z', …), or undefined if the text is
 * not one. The command name (field 2) is in parentheses and may itself hold spaces and ')':
 * the state is the first field after the last ')'.
 */
export function statState(stat: string): string | undefined {
  const open = stat.indexOf('('),
    close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  return /^ (\S)(?: |$)/.exec(stat.slice(close + 1))?.[1];
}

/** 'Z' (zombie) and 'X' (dead): the process has ended even though its pid still answers. */
export function isEndedState(state: string): boolean {
  return state === 'Z' || state === 'X';
}

/**
 * The state letter /proc shows for a pid; undefined when it cannot be read: the pid is gone, there
 * is no /proc on this platform, or the mount's hidepid option hides other users' processes.
 */
export function processState(pid: number): string | undefined {
  try {
    return statState(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True when /proc shows this pid has ended; false when it runs or /proc cannot tell (the caller's own check stands). */
export function procShowsEnded(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && isEndedState(state);
}
