/**
 * Ready-to-plot confirmations, as config promises them: `physical_setup.require_confirmation`
 * (paper and first pen confirmed before the first plot of a session and after each paper change)
 * and `paper.require_one_per_session` (one plot per confirmed sheet). Kept per plotter in
 * `<data>/ready.json`, so `vfab plot --confirm-ready`, the API and the app share them; a
 * `vfab serve` start opens a new session and forgets them, as does a paper change.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { VfabConfig } from '../config/config';
import { VfabError } from '../errors';
import { penToLoad } from '../plan/pens';
import { readPlanOverview } from '../plan/plan-file';
import { writeFileAtomic } from '../util/atomic';

interface Confirmation {
  confirmedAt: string;
  /** The job plotted on this sheet since (paper.require_one_per_session). */
  usedBy: string | null;
}

type ReadyFile = Record<string, Confirmation>;

const fileIn = (dataDir: string) => path.join(dataDir, 'ready.json');

function read(dataDir: string): ReadyFile {
  try {
    const parsed = JSON.parse(fs.readFileSync(fileIn(dataDir), 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as ReadyFile)
      : {};
  } catch {
    // Missing or unreadable: nothing confirmed, which only means asking once more.
    return {};
  }
}

const write = (dataDir: string, all: ReadyFile) =>
  writeFileAtomic(fileIn(dataDir), `${JSON.stringify(all, null, 2)}\n`);

export const asksReady = (config: VfabConfig) =>
  config.physical_setup.require_confirmation || config.paper.require_one_per_session;

/** Why plotter `plotter` must be confirmed ready before a fresh plot, or undefined when it need not be. */
export function readyNeeded(
  config: VfabConfig,
  dataDir: string,
  plotter: string,
): string | undefined {
  if (!asksReady(config)) return undefined;
  const c = read(dataDir)[plotter];
  if (!c)
    return 'nobody has confirmed paper and pen since this session began or the paper was changed';
  if (config.paper.require_one_per_session && c.usedBy)
    return `job '${c.usedBy}' was already plotted on this sheet (paper.require_one_per_session): load a new sheet`;
  return undefined;
}

/** What the person at the plotter is asked: "Paper loaded, load pen 1 (1-black) in?" as the job's first layer names its pen. */
export function readyQuestion(planFile: string): string {
  const first = readPlanOverview(planFile)?.layers[0];
  const pen = first ? penToLoad(first).replace(/^load /, '') : 'the first pen';
  return `Paper loaded and ${pen} in?`;
}

/** INVALID_STATE naming the plotter, why, and the three ways to confirm. */
export function refuseUnready(
  config: VfabConfig,
  dataDir: string,
  plotter: string,
  job: string,
): void {
  const why = readyNeeded(config, dataDir, plotter);
  if (!why) return;
  throw new VfabError(
    'INVALID_STATE',
    `Plotter '${plotter}' is not confirmed ready for job '${job}': ${why}. Load the paper and pen, then confirm: vfab plot ${job} --confirm-ready (the app asks; API plotters.confirmReady).`,
  );
}

export function confirmReady(dataDir: string, plotter: string): string {
  const all = read(dataDir);
  const confirmedAt = new Date().toISOString();
  write(dataDir, { ...all, [plotter]: { confirmedAt, usedBy: null } });
  return confirmedAt;
}

/** A fresh plot started on the confirmed sheet. */
export function sheetUsed(config: VfabConfig, dataDir: string, plotter: string, job: string): void {
  if (!config.paper.require_one_per_session) return;
  const all = read(dataDir);
  const c = all[plotter];
  if (c && !c.usedBy) write(dataDir, { ...all, [plotter]: { ...c, usedBy: job } });
}

/** A paper change (those plotters) or a new session (all): ask again. */
export function forgetReady(dataDir: string, plotters?: readonly string[]): void {
  const all = read(dataDir);
  const kept = plotters
    ? Object.fromEntries(Object.entries(all).filter(([p]) => !plotters.includes(p)))
    : {};
  if (Object.keys(kept).length !== Object.keys(all).length) write(dataDir, kept);
}
