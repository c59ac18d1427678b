import { useJobs } from '../store/jobs';

/** What a row drag carries: not Files, so the window's file drop (drop/DropZone.tsx) ignores it. */
export const JOB_DRAG_TYPE = 'application/x-vfab-job';

/** Grab a queued job by this to move it in the queue; with the keyboard, Alt+↑ / Alt+↓ move it one place. */
export function DragHandle({ id, name }: { id: string; name: string }) {
  const moveBy = useJobs((s) => s.moveBy);
  return (
    <button
      type="button"
      className="drag-handle"
      draggable
      aria-label={`Move ${name}`}
      aria-keyshortcuts="Alt+ArrowUp Alt+ArrowDown"
      title="Drag to change the plot order (or Alt+↑ / Alt+↓)"
      onDragStart={(e) => {
        e.dataTransfer.setData(JOB_DRAG_TYPE, id);
        e.dataTransfer.effectAllowed = 'move';
        // The whole row follows the pointer, not just the handle.
        const row = e.currentTarget.closest('.job-row');
        if (row) {
          const r = row.getBoundingClientRect();
          e.dataTransfer.setDragImage(row, e.clientX - r.left, e.clientY - r.top);
        }
      }}
      onKeyDown={(e) => {
        if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
        e.preventDefault();
        // The focus stays here: the row keeps its node (keyed by job id), and React gives the focus back to a node it moved.
        void moveBy(id, e.key === 'ArrowUp' ? -1 : 1);
      }}
    >
      <svg viewBox="0 0 10 16" width="10" height="16" aria-hidden="true">
        {[3, 8, 13].flatMap((y) => [
          <circle key={`a${y}`} cx="2.5" cy={y} r="1.5" />,
          <circle key={`b${y}`} cx="7.5" cy={y} r="1.5" />,
        ])}
      </svg>
    </button>
  );
}
