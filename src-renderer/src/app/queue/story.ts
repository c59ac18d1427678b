import type { IndexedJob } from '../../../../src-main/jobs/store';
import type { JobCondition } from '../../../../src-main/recovery/classify';
import { CAUSE_TEXT } from '../recovery/causes';

/** How a row's line about its state reads: a problem, something waiting for the artist, or a plain fact. */
export type StoryTone = 'error' | 'warn' | 'muted';

export interface Story {
  text: string;
  tone: StoryTone;
  /** The whole of what the engine said, when `text` is a shortening of it. */
  title: string;
}

/** The engine's messages start with the file's name, which the row shows just above. */
function withoutFileName(message: string, fileName: string | null): string {
  return fileName && message.startsWith(`${fileName}: `)
    ? message.slice(fileName.length + 2)
    : message;
}

/**
 * The heart of src-main/plan/paper.ts placeDrawing's misfit message ("1.7 mm beyond the bottom
 * edge of A4 landscape"), which otherwise starts with the drawing's size and is cut off in a row.
 */
export function misfitWords(message: string): string | undefined {
  const over = /does not fit (.+?) on an AxiDraw [^:]*: (.+?)\. Use /.exec(message);
  // When the plotter reaches less than the paper, the edge passed is its reach, not the sheet's.
  if (over)
    return `${over[2]} of ${/The plotter reaches only/.test(message) ? `what the plotter reaches on ${over[1]}` : over[1]}`;
  const larger = /is larger than (.+?) on an AxiDraw [^(]*\(drawable ([^)]+)\)/.exec(message);
  return larger ? `larger than ${larger[1]} (drawable ${larger[2]})` : undefined;
}

/** How far an interrupted plot got, by the ink on paper against the plan's. */
function share(job: Pick<IndexedJob, 'pen_down_mm'>, condition: JobCondition): number | undefined {
  const drawn = condition.checkpoint?.pen_down_mm;
  if (typeof drawn !== 'number' || !job.pen_down_mm) return undefined;
  return Math.min(100, Math.max(0, Math.round((drawn / job.pen_down_mm) * 100)));
}

/**
 * What a paused plot waits for, the instruction first: src-main/plotter/runner.ts journals a layer's
 * pause as "pen change before layer 2 (red, pen 2): load pen 2 (red)", cut off in a row before the pen.
 */
export function pauseWords(reason: string | undefined): string {
  const layer = reason && /^(pen change|pause) before layer .*?\): (.+)$/.exec(reason);
  if (layer) return `${layer[1] === 'pen change' ? 'Pen change' : 'Layer pause'}: ${layer[2]}`;
  return reason ? `Paused: ${reason}` : 'Paused';
}

const fact = (text: string): Story => ({ text, tone: 'muted', title: text });

/**
 * The row's line about why the job is where it is: what did not fit or failed, what a paused plot
 * waits for, how far an interrupted one got. `problem`: what this page was told went wrong with
 * the job (a plan that did not fit, an action refused), newer than the journal's last reason.
 */
export function rowStory(
  job: Pick<IndexedJob, 'state' | 'last_reason' | 'pen_down_mm' | 'source_name'>,
  condition: JobCondition | undefined,
  problem: string | undefined,
): Story | undefined {
  const said = problem && withoutFileName(problem, job.source_name);
  const misfit = said && misfitWords(said);
  // A plan that did not fit is old news once another plan did.
  if (said && (!misfit || job.state === 'ANALYZED'))
    return { text: misfit ? `Does not fit: ${misfit}` : said, tone: 'error', title: problem };
  if (condition?.kind === 'interrupted' && condition.cause !== 'paused') {
    const pct = share(job, condition);
    const why = condition.cause ? CAUSE_TEXT[condition.cause] : 'the plot stopped';
    return {
      text: `Interrupted${pct !== undefined ? ` at ${pct} %` : ''} — needs recovery`,
      tone: 'warn',
      title: `${why}${condition.detail ? ` (${condition.detail})` : ''}`,
    };
  }
  const reason = job.last_reason ?? undefined;
  switch (job.state) {
    case 'NEW':
      return fact('Not read yet: it is planned when added');
    case 'ANALYZED':
      return {
        text: 'Not planned: choose paper and fit with Plan…',
        tone: 'warn',
        title: reason ?? 'Read, not planned',
      };
    case 'OPTIMIZED':
      return fact('Planned, being estimated');
    case 'ARMED':
      return fact('Pre-flight: getting the plotter ready');
    case 'PAUSED':
      return { text: pauseWords(reason), tone: 'warn', title: reason ?? 'Paused' };
    case 'FAILED': {
      const why = reason ? withoutFileName(reason, job.source_name) : 'failed';
      const misfit = misfitWords(why);
      return {
        text: misfit ? `Does not fit: ${misfit}` : why,
        tone: 'error',
        title: reason ?? why,
      };
    }
    case 'ABORTED':
      return fact(reason ? `Stopped: ${reason}` : 'Stopped');
    default:
      return undefined;
  }
}
