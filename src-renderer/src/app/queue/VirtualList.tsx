import { useEffect, useRef, useState, type ReactNode } from 'react';

interface Props<T> {
  items: readonly T[];
  rowHeight: number;
  /** Rows rendered beyond each edge, so a fast scroll shows no blank band. */
  overscan?: number;
  itemKey(item: T): string;
  renderRow(item: T): ReactNode;
  label: string;
}

/** A scrolling list that mounts only the rows in view: ten thousand jobs cost what thirty do. */
export function VirtualList<T>({ items, rowHeight, overscan = 6, itemKey, renderRow, label }: Props<T>) {
  const ref = useRef<HTMLDivElement>(null);
  // The first row in view, not the pixel offset: the list re-renders only when a row enters or leaves.
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(0);

  useEffect(() => {
    const el = ref.current!;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    setHeight(el.clientHeight);
    return () => observer.disconnect();
  }, []);

  const first = Math.max(0, top - overscan);
  const last = Math.min(items.length, top + Math.ceil(height / rowHeight) + 1 + overscan);
  const rows = [];
  for (let i = first; i < last; i++) {
    const item = items[i]!;
    rows.push(
      <div key={itemKey(item)} className="vlist-row" role="listitem" style={{ transform: `translateY(${i * rowHeight}px)`, height: rowHeight }}>
        {renderRow(item)}
      </div>,
    );
  }
  return (
    <div ref={ref} className="vlist" role="list" aria-label={label} onScroll={(e) => setTop(Math.floor(e.currentTarget.scrollTop / rowHeight))}>
      <div className="vlist-body" style={{ height: items.length * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
