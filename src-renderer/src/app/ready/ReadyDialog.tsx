import { useModal } from '../dialog/useModal';
import { useReady } from '../store/ready';

/** The ready-to-plot step: "Paper loaded and pen 1 (1-black) in?" before a session's first plot and after a paper change. */
export function ReadyDialog() {
  const asking = useReady((s) => s.asking);
  const dialog = useModal(asking);
  if (!asking) return null;
  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="ready-title"
      data-testid="ready-check"
      data-plotter={asking.plotter}
      onCancel={(e) => {
        e.preventDefault();
        asking.answer(false);
      }}
    >
      <h2 id="ready-title">
        Plotter {asking.plotter}: {asking.question}
      </h2>
      <p className="muted">Asked because {asking.why}.</p>
      <div className="dialog-actions">
        <button type="button" className="btn btn-quiet" onClick={() => asking.answer(false)}>
          Not yet
        </button>
        <button type="button" className="btn btn-primary" onClick={() => asking.answer(true)}>
          Ready: plot
        </button>
      </div>
    </dialog>
  );
}
