import { useRef } from 'react';
import { useUploads } from '../store/uploads';

/** The keyboard's way to do what a drop does. */
export function AddFilesButton() {
  const input = useRef<HTMLInputElement>(null);
  const addFiles = useUploads((s) => s.addFiles);
  return (
    <>
      <button type="button" className="btn btn-primary" onClick={() => input.current?.click()}>
        Add SVG files…
      </button>
      <input
        ref={input}
        className="visually-hidden"
        type="file"
        accept=".svg,image/svg+xml"
        multiple
        tabIndex={-1}
        aria-hidden="true"
        data-testid="file-input"
        onChange={(e) => {
          const files = Array.from(e.currentTarget.files ?? []);
          // Cleared so choosing the same file again still fires a change.
          e.currentTarget.value = '';
          if (files.length) void addFiles(files);
        }}
      />
    </>
  );
}
