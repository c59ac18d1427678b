import type { JobCondition } from '../../../../src-main/recovery/classify';
import { millimetres, timeAgo } from '../format';
import { CAUSE_TEXT } from './causes';

/** Causes whose detail is the board's protocol ("LM,…) got no reply"): kept for whoever debugs it, out of the sentence. */
const PROTOCOL_DETAIL = new Set(['device_lost', 'device_error']);

export type Choice = 'resume' | 'restart' | 'done' | 'abort';

interface Props {
  condition: JobCondition;
  choice: Choice;
  backUp: number;
  onChoice(choice: Choice): void;
  onBackUp(n: number): void;
}

/** What happened, where the plot stands, and what the user may do about it. */
export function Review({ condition: c, choice, backUp, onChoice, onBackUp }: Props) {
  const cp = c.checkpoint;
  return (
    <>
      <dl className="facts">
        <dt>What happened</dt>
        <dd data-testid="cause" data-cause={c.cause}>
          {c.cause ? CAUSE_TEXT[c.cause] : 'unknown'}
          {c.detail && c.detail !== c.cause && !PROTOCOL_DETAIL.has(c.cause ?? '')
            ? ` (${c.detail})`
            : ''}
          {c.detail && PROTOCOL_DETAIL.has(c.cause ?? '') ? (
            <details className="muted" data-testid="cause-detail">
              <summary>What the plotter's board said</summary>
              {c.detail}
            </details>
          ) : null}
        </dd>
        <dt>When</dt>
        <dd>{timeAgo(c.since)}</dd>
        <dt>Checkpoint</dt>
        <dd data-testid="checkpoint">
          {cp && cp.move >= 0
            ? `layer ${cp.layer != null ? cp.layer + 1 : '—'}, stroke ${cp.path != null ? cp.path + 1 : '—'} (move ${cp.move + 1}); ${millimetres(cp.pen_down_mm)} drawn`
            : 'nothing drawn yet: the plot stopped before its first confirmed stroke'}
        </dd>
      </dl>
      <fieldset className="choices">
        <legend>What now?</legend>
        <label>
          <input
            type="radio"
            name="choice"
            value="resume"
            checked={choice === 'resume'}
            onChange={() => onChoice('resume')}
          />
          Resume from the checkpoint
        </label>
        {choice === 'resume' ? (
          <label className="indent">
            Redraw the last
            <input
              type="number"
              className="narrow"
              min={0}
              max={10000}
              step={1}
              value={backUp}
              onChange={(e) =>
                onBackUp(
                  Number.isFinite(e.target.valueAsNumber)
                    ? Math.max(0, Math.trunc(e.target.valueAsNumber))
                    : 0,
                )
              }
            />
            strokes first (0: continue exactly where it stopped)
          </label>
        ) : null}
        <label>
          <input
            type="radio"
            name="choice"
            value="restart"
            checked={choice === 'restart'}
            onChange={() => onChoice('restart')}
          />
          Restart from the beginning (back to the queue; put in fresh paper)
        </label>
        {c.state === 'ARMED' ? null : (
          <label>
            <input
              type="radio"
              name="choice"
              value="done"
              checked={choice === 'done'}
              onChange={() => onChoice('done')}
            />
            Mark it done (the drawing is finished as it is, or was finished by hand)
          </label>
        )}
        <label>
          <input
            type="radio"
            name="choice"
            value="abort"
            checked={choice === 'abort'}
            onChange={() => onChoice('abort')}
          />
          Abort the job
        </label>
      </fieldset>
    </>
  );
}
