/**
 * What `vfab demo` sets up: virtual plotters named for where they would stand, their config, and
 * the bundled drawings (resources/demo/, MIT, see its SOURCES.txt) queued for them.
 */
import path from 'node:path';
import { stringify } from 'yaml';

export const MAX_DEMO_PLOTTERS = 4;
export const DEFAULT_DEMO_PLOTTERS = 2;
/** Fast enough to watch a drawing finish in a minute or two. */
export const DEFAULT_DEMO_SPEED = 4;
/** Unattended: seconds each plotter shows "waiting for paper" before its next page. */
export const DEMO_PAGE_DELAY_S = 3;

const NAMES: Record<number, string[]> = {
  1: ['desk'],
  2: ['left', 'right'],
  3: ['left', 'middle', 'right'],
  4: ['left', 'middle', 'right', 'back'],
};

export function demoPlotterNames(count: number): string[] {
  return NAMES[count] ?? [];
}

/** config.yaml of the demo: the plotters, virtual, with A4 loaded, and every drawing planned for A4; no camera (there is none). */
export function demoConfigYaml(plotters: readonly string[], speed: number): string {
  const config = {
    camera: { enabled: false },
    paper: { default_size: 'A4' },
    devices: plotters.map((name) => ({
      name,
      port: 'virtual',
      model: 'V3/A4',
      paper: 'A4',
      speed,
    })),
  };
  return `# Written by vfab demo; wiped with its folder at the next vfab demo. Your own config.yaml is elsewhere.\n${stringify(config)}`;
}

export interface DemoDrawing {
  id: string;
  file: string;
  copies?: number;
  /** Queued for one plotter only (the last one), to show a job's target. */
  pinned?: boolean;
}

/** In queue order. Planned to fit A4 within the margins. */
export const DEMO_DRAWINGS: readonly DemoDrawing[] = [
  { id: 'bunny', file: 'bunny.svg' },
  { id: 'rings', file: 'rings.svg' },
  { id: 'voronoi', file: 'voronoi.svg', pinned: true },
  { id: 'circles', file: 'circles.svg', copies: 2 },
];

/** resources/demo of the checkout or app: two folders up from out/main (the build) or src-main/demo (sources). */
export function bundledDrawingsDir(here = __dirname): string {
  const outMain = path.basename(here) === 'chunks' ? path.dirname(here) : here;
  return path.join(outMain, '..', '..', 'resources', 'demo');
}
