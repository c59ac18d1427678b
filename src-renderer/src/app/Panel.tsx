import type { ReactNode } from 'react';

interface Props {
  title: string;
  /** Where the panel sits: each panel has its own place on screen. */
  className: string;
  testId: string;
  onClose(): void;
  children: ReactNode;
}

/** A panel beside the queue that the header's toggle opens: its title and a close button, then its content. */
export function Panel({ title, className, testId, onClose, children }: Props) {
  return (
    <aside className={className} aria-label={title} data-testid={testId}>
      <header className="detail-head">
        <h2>{title}</h2>
        <button
          type="button"
          className="btn btn-quiet"
          aria-label={`Close ${title.toLowerCase()}`}
          onClick={onClose}
        >
          ×
        </button>
      </header>
      {children}
    </aside>
  );
}
