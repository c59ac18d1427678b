/** What can be dropped: said below the rows and in the empty queue. */
const KINDS = (
  <>
    SVG drawings (<code>.svg</code>) from Inkscape, Illustrator or any vector tool. Inkscape layers
    named like “1-black”, “2-red” plot as separate pens.
  </>
);

/** Below the rows: the space left there is where files go. */
export function DropHint() {
  return (
    <div className="drop-hint" data-testid="drop-hint">
      <p className="drop-hint-title">Drop SVG files here to add them</p>
      <p className="muted">{KINDS}</p>
    </div>
  );
}

/** An empty queue says what to do first. */
export function FirstSteps() {
  return (
    <div className="drop-hint first-steps" data-testid="first-steps">
      <p className="empty-title">No jobs yet</p>
      <ol>
        <li>
          Drop an SVG file anywhere on this window, or choose one with{' '}
          <strong>Add SVG files…</strong> above. Each file becomes a job, fitted to your paper and
          timed.
        </li>
        <li>
          Press <strong>Plot</strong> on its row, or <strong>Queue</strong> it to have the plotters
          draw the queue in turn.
        </li>
      </ol>
      <p className="muted">{KINDS}</p>
      <p className="muted">
        Just looking? Run <code>vfab demo</code> in a terminal: virtual plotters draw sample
        drawings from a queue of their own, and your jobs stay untouched.
      </p>
    </div>
  );
}
