import { useEffect, useRef, useState, type DragEvent, type ReactNode } from 'react';

/** Rows can be dropped between: `accepts` tells a drag of ours from its types, `onDrop` gets the slot (0…items.length) the drop goes before. */
export interface DropTarget {
  accepts(types: readonly string[]): boolean;
  onDrop(slot: number, data: DataTransfer): void;
}

interface Props<T> {
  items: readonly T[];
  rowHeight: number;
  /** Rows rendered beyond each edge, so a fast scroll shows no blank band. */
  overscan?: number;
  itemKey(item: T): string;
  renderRow(item: T): ReactNode;
  label: string;
  drop?: DropTarget;
}

/** The slot a pointer `y` pixels into the list means: before the row under it, or the end from the lower half of the last row on. */
function slotAt(y: number, rowHeight: number, count: number): number {
  if (y >= (count - 0.5) * rowHeight) return count;
  return Math.max(0, Math.min(count - 1, Math.floor(y / rowHeight)));
}

/** A scrolling list that mounts only the rows in view: ten thousand jobs cost what thirty do. */
export function VirtualList<T>({
  items,
  rowHeight,
  overscan = 6,
  itemKey,
  renderRow,
  label,
  drop,
}: Props<T>) {
  const ref = useRef<HTMLDivElement>(null);
  // The first row in view, not the pixel offset: the list re-renders only when a row enters or leaves.
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(0);
  const [slot, setSlot] = useState<number | null>(null);

  useEffect(() => {
    const el = ref.current!;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    setHeight(el.clientHeight);
    return () => observer.disconnect();
  }, []);

  // From the list's geometry, not the row under the pointer: the row a drag started from or
  // points at may be scrolled out and unmounted while the drag goes on.
  const slotOf = (e: DragEvent<HTMLDivElement>) => {
    const el = e.currentTarget;
    return slotAt(
      e.clientY - el.getBoundingClientRect().top - el.clientTop + el.scrollTop,
      rowHeight,
      items.length,
    );
  };
  const over = (e: DragEvent<HTMLDivElement>) => {
    if (!drop?.accepts(e.dataTransfer.types)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    setSlot(slotOf(e));
  };
  const dragHandlers = drop && {
    // Entering each row counts as much as moving over it: a quick drag that crosses a row per
    // pointer event gets dragenter only, and the drop is refused unless that was cancelled.
    onDragEnter: over,
    onDragOver: over,
    // Also what a cancelled drag (Escape) ends with, whose relatedTarget is null.
    onDragLeave(e: DragEvent<HTMLDivElement>) {
      if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setSlot(null);
    },
    onDrop(e: DragEvent<HTMLDivElement>) {
      if (!drop.accepts(e.dataTransfer.types)) return;
      e.preventDefault();
      setSlot(null);
      drop.onDrop(slotOf(e), e.dataTransfer);
    },
  };

  const first = Math.max(0, top - overscan);
  const last = Math.min(items.length, top + Math.ceil(height / rowHeight) + 1 + overscan);
  const rows = [];
  for (let i = first; i < last; i++) {
    const item = items[i]!;
    rows.push(
      <div
        key={itemKey(item)}
        className="vlist-row"
        role="listitem"
        style={{ transform: `translateY(${i * rowHeight}px)`, height: rowHeight }}
      >
        {renderRow(item)}
      </div>,
    );
  }
  return (
    <div
      ref={ref}
      className="vlist"
      role="list"
      aria-label={label}
      onScroll={(e) => setTop(Math.floor(e.currentTarget.scrollTop / rowHeight))}
      {...dragHandlers}
    >
      <div className="vlist-body" style={{ height: items.length * rowHeight }}>
        {rows}
        {slot !== null ? (
          <div
            className="vlist-drop-line"
            data-testid="drop-line"
            aria-hidden="true"
            style={{
              top: Math.min(Math.max(0, slot * rowHeight - 2), items.length * rowHeight - 4),
            }}
          />
        ) : null}
      </div>
    </div>
  );
}
