/**
 * Where `vfab demo` keeps its world: a folder of its own, beside the user's data folder and never
 * inside it (config.yaml, data/ with the workspace, the log and the index), so a demo can never
 * touch the user's config, jobs or backups. A marker file says vfab demo made the folder; only a
 * folder carrying it is wiped, at the next start. The marker also names the demo process, so a
 * second `vfab demo` does not wipe the folder under one that runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { xdgDataHome } from '../config/paths';
import { VfabError } from '../errors';
import { holderMayBeAlive, readLockHolder, thisProcess } from '../jobs/lock';

export const DEMO_MARKER = '.vfab-demo';

export interface DemoFolder {
  dir: string;
  configFile: string;
  dataDir: string;
  /** The environment that points vfab at the demo (VFAB_CONFIG, VFAB_DATA_DIR). */
  env: { VFAB_CONFIG: string; VFAB_DATA_DIR: string };
}

/** `$XDG_DATA_HOME/vfab-demo` (default ~/.local/share/vfab-demo); VFAB_CONFIG and VFAB_DATA_DIR do not move it. */
export function demoFolder(env: NodeJS.ProcessEnv): DemoFolder {
  const dir = path.join(xdgDataHome(env), 'vfab-demo');
  const configFile = path.join(dir, 'config.yaml');
  const dataDir = path.join(dir, 'data');
  return { dir, configFile, dataDir, env: { VFAB_CONFIG: configFile, VFAB_DATA_DIR: dataDir } };
}

export type DemoStart = 'new' | 'wiped' | 'kept';

function isEmptyDir(dir: string): boolean {
  return fs.readdirSync(dir).length === 0;
}

/**
 * Makes the folder ready for this process: a fresh one, or (keep) the last demo's as it is.
 * Refuses a folder vfab demo did not make (ALREADY_EXISTS) and one a running demo uses (BUSY).
 */
export function prepareDemoFolder(folder: DemoFolder, opts: { keep: boolean }): DemoStart {
  const marker = path.join(folder.dir, DEMO_MARKER);
  try {
    let start: DemoStart = 'new';
    if (fs.existsSync(folder.dir)) {
      if (!fs.existsSync(marker)) {
        if (!fs.statSync(folder.dir).isDirectory() || !isEmptyDir(folder.dir)) {
          throw new VfabError(
            'ALREADY_EXISTS',
            `${folder.dir} exists and was not made by vfab demo (it has no ${DEMO_MARKER} file). vfab demo wipes its folder at each start, so it leaves this one alone: move it away or remove it, then run vfab demo again.`,
          );
        }
      } else {
        const holder = readLockHolder(marker);
        if (holder && holder.pid !== process.pid && holderMayBeAlive(holder)) {
          throw new VfabError(
            'BUSY',
            `A vfab demo is running in ${folder.dir} (pid ${holder.pid} on ${holder.host}, since ${holder.since}): stop it first (Ctrl-C in its terminal, or kill ${holder.pid}).`,
          );
        }
        if (opts.keep) start = 'kept';
        else {
          fs.rmSync(folder.dir, { recursive: true, force: true });
          start = 'wiped';
        }
      }
    }
    fs.mkdirSync(folder.dataDir, { recursive: true });
    const note =
      'Made by vfab demo, which wipes this folder at its next start. Nothing of yours belongs here.';
    fs.writeFileSync(marker, `${JSON.stringify({ ...thisProcess(), note })}\n`);
    return start;
  } catch (err) {
    if (err instanceof VfabError) throw err;
    throw new VfabError(
      'DATA',
      `Cannot prepare the demo folder ${folder.dir}: ${(err as Error).message}. Check that you may write there (XDG_DATA_HOME, HOME), then run vfab demo again.`,
    );
  }
}
