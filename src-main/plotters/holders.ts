/**
 * Which job's sheet is on which plotter, read from the journals (the truth): a job that reached
 * ARMED names its plotter and port there, and again when it is PLOTTING. A job still ARMED,
 * PLOTTING or PAUSED holds that plotter's sheet: a live process plots it, or it waits for a
 * resume (a pen change, a crash). Journals from before plotters had names carry only `device`
 * (the port or nickname), which then decides.
 */
import { readJournal, type JournalEntry } from '../jobs/journal';
import type { Store } from '../jobs/store';
import { jobFiles } from '../jobs/workspace';
import { classifyJobs, type JobCondition } from '../recovery/classify';
import type { PlotterSpec } from './plotters';

/** What a journal says about where a job plots. */
export interface PlotterMark {
  plotter?: string;
  /** The port opened: a path, or `virtual`. */
  port?: string;
  /** The device as named then: nickname or path (all a journal from before plotter names has). */
  device?: string;
}

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** The last ARMED or PLOTTING entry (or recovery) that names a plotter or a device. */
export function lastPlotterMark(entries: readonly JournalEntry[]): PlotterMark | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.type === 'state_change' && e.to_state === 'QUEUED') return undefined;
    const named =
      (e.type === 'state_change' && (e.to_state === 'ARMED' || e.to_state === 'PLOTTING')) ||
      e.type === 'recovery';
    if (!named) continue;
    const m = e.metadata ?? {};
    const mark = { plotter: text(m.plotter), port: text(m.port), device: text(m.device) };
    if (mark.plotter || mark.port || mark.device)
      return Object.fromEntries(Object.entries(mark).filter(([, v]) => v)) as PlotterMark;
  }
  return undefined;
}

export function jobPlotterMark(jobsDir: string, id: string): PlotterMark | undefined {
  return lastPlotterMark(readJournal(jobFiles(jobsDir, id).journal).records.map((r) => r.entry));
}

/**
 * Is the plotter the journal names this one? By name; a name the config no longer lists (or a
 * journal without names) by port: the configured port or nickname, or the path it resolved to.
 */
export function markIsPlotter(
  mark: PlotterMark,
  plotter: PlotterSpec,
  knownNames: readonly string[],
  resolvedPort?: string,
): boolean {
  if (mark.plotter && knownNames.includes(mark.plotter)) return mark.plotter === plotter.name;
  const ports = [plotter.port, resolvedPort].filter((p): p is string => !!p);
  return [mark.port, mark.device].some((p) => p !== undefined && ports.includes(p));
}

/** A job whose sheet is on a plotter. */
export interface SheetHolder extends JobCondition {
  mark: PlotterMark | undefined;
}

/** Every ARMED, PLOTTING or PAUSED job, with where its journal says it plots. */
export function sheetHolders(
  store: Store,
  opts: { jobsDir: string; stuckAfterS: number },
): SheetHolder[] {
  return classifyJobs(store, opts).map((c) => ({ ...c, mark: jobPlotterMark(opts.jobsDir, c.id) }));
}

export function holdersOf(
  holders: readonly SheetHolder[],
  plotter: PlotterSpec,
  knownNames: readonly string[],
  resolvedPort?: string,
): SheetHolder[] {
  return holders.filter((h) => h.mark && markIsPlotter(h.mark, plotter, knownNames, resolvedPort));
}
