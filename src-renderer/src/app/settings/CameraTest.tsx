import { useState } from 'react';
import type { Results } from '../../../../src-main/api/contract';
import { api, errorText } from '../../client';
import { dataUrl } from '../snapshots/pictures';

type Outcome =
  | { state: 'testing' }
  | { state: 'done'; result: Results['camera.test'] }
  | { state: 'failed'; error: string };

/** Tries a camera URL before it is saved: a frame from it, its size and rate, or why not. */
export function CameraTest({ url }: { url: string }) {
  const [outcome, setOutcome] = useState<Outcome>();
  const test = () => {
    setOutcome({ state: 'testing' });
    api.call('camera.test', { url: url.trim() }).then(
      (result) => setOutcome({ state: 'done', result }),
      (err: unknown) => setOutcome({ state: 'failed', error: errorText(err) }),
    );
  };
  const r = outcome?.state === 'done' ? outcome.result : undefined;
  return (
    <div className="camera-test" data-testid="camera-test">
      <button
        type="button"
        className="btn"
        disabled={!url.trim() || outcome?.state === 'testing'}
        onClick={test}
      >
        {outcome?.state === 'testing' ? 'Testing…' : 'Test camera'}
      </button>
      {r?.ok ? (
        <p className="ok-note" role="status">
          Camera works: {r.width}×{r.height}
          {r.fps ? `, ${r.fps} fps` : ''}.
        </p>
      ) : r || outcome?.state === 'failed' ? (
        <p className="row-error" role="alert">
          {r ? r.error : outcome?.state === 'failed' ? outcome.error : ''}
        </p>
      ) : null}
      {r?.picture ? (
        <img
          className="thumb-picture"
          src={dataUrl(r.picture)}
          alt="A frame from the camera under test"
          draggable={false}
        />
      ) : null}
    </div>
  );
}
