import { useEffect, useRef } from 'react';

/**
 * A <dialog> shown modal while `shown` is set: what is behind it turns inert and Tab stays inside.
 * Returns the ref to put on the <dialog>.
 */
export function useModal(shown: unknown) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const el = dialog.current;
    if (shown && el && !el.open) el.showModal();
  }, [shown]);
  return dialog;
}
