import { useEffect, useRef } from 'react';
import { useModal } from '../dialog/useModal';
import { useConfirm } from '../store/confirm';

/**
 * The question before a destructive action. Modal, so nothing behind it takes the click; Go back
 * has the focus, so Enter or a stray tap keeps things as they are; Escape cancels. A click that is
 * the second half of a double click (the first opened this dialog) confirms nothing.
 */
export function ConfirmDialog() {
  const open = useConfirm((s) => s.open);
  const dialog = useModal(open);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), [open]);
  if (!open) return null;
  return (
    <dialog
      ref={dialog}
      className="dialog confirm-dialog"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-body"
      data-testid="confirm"
      // Escape answers this question only: the detail panel behind it stays open.
      onKeyDown={(e) => e.key === 'Escape' && e.stopPropagation()}
      onCancel={(e) => {
        e.preventDefault();
        open.answer(false);
      }}
    >
      <h2 id="confirm-title">{open.title}</h2>
      <p id="confirm-body">{open.body}</p>
      <div className="dialog-actions">
        <button ref={cancel} type="button" className="btn" onClick={() => open.answer(false)}>
          Go back
        </button>
        <button
          type="button"
          className="btn btn-danger"
          onClick={(e) => e.detail <= 1 && open.answer(true)}
        >
          {open.confirm}
        </button>
      </div>
    </dialog>
  );
}
