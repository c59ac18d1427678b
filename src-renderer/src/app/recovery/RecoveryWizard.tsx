import { useEffect, useRef, useState } from 'react';
import type { JobInfo, MethodName } from '../../../../src-main/api/contract';
import type { JobCondition } from '../../../../src-main/recovery/classify';
import { api, errorText } from '../../client';
import { plotTarget, useDevice } from '../store/device';
import { useJobs } from '../store/jobs';
import { useRecovery } from '../store/recovery';
import { carriageLoose } from '../device/checkText';
import { useModal } from '../dialog/useModal';
import { mayHaveLostPosition } from './causes';
import { LastFrame, LiveFrame, PaperState } from './Evidence';
import { Preflight } from './Preflight';
import { Review, type Choice } from './Review';
import { Watch } from './Watch';

type Step = 'review' | 'preflight' | 'watch';

/** The choices that end the wizard's work on a job at once: no pre-flight, nothing moves. */
const FINAL = {
  restart: { method: 'jobs.restart', label: 'Restart job' },
  done: { method: 'jobs.markDone', label: 'Mark done' },
  abort: { method: 'plot.abort', label: 'Abort job' },
} as const satisfies Record<Exclude<Choice, 'resume'>, { method: MethodName; label: string }>;

function JobRecovery({ condition, remaining }: { condition: JobCondition; remaining: number }) {
  const { next, close } = useRecovery();
  const { device, speed } = useDevice();
  const refreshJobs = useJobs((s) => s.refresh);
  const noteSpeed = useJobs((s) => s.noteSpeed);
  const [step, setStep] = useState<Step>('review');
  const [choice, setChoice] = useState<Choice>('resume');
  const [backUp, setBackUp] = useState(0);
  const [atHome, setAtHome] = useState(false);
  const [plotterReady, setPlotterReady] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [info, setInfo] = useState<JobInfo>();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [step]);
  useEffect(() => {
    let live = true;
    // The drawing needs the plan's identity; without it the rest of the wizard still works.
    api.call('jobs.get', { id: condition.id }).then(
      (i) => live && setInfo(i),
      () => undefined,
    );
    return () => void (live = false);
  }, [condition.id]);
  const plannedAt = info ? (info.plan?.createdAt ?? null) : undefined;

  const check = useDevice((s) => s.check);
  const needsHome = mayHaveLostPosition(condition.cause, device) || carriageLoose(check);
  const paused = condition.cause === 'paused';

  async function run(what: () => Promise<unknown>, then: () => void) {
    setBusy(true);
    setError(undefined);
    try {
      await what();
      then();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
      void refreshJobs();
    }
  }

  const resume = () => {
    const target = plotTarget(device, speed);
    noteSpeed(condition.id, target);
    return run(
      () =>
        api.call('plot.resume', {
          id: condition.id,
          ...target,
          ...(backUp ? { backUpStrokes: backUp } : {}),
          ...(needsHome ? { carriageAtHome: atHome } : {}),
        }),
      () => setStep('watch'),
    );
  };

  const title =
    step === 'watch'
      ? `Plotting ${condition.id}`
      : paused
        ? `Resume ${condition.id}`
        : `${condition.id} was interrupted`;

  return (
    <>
      <h2 id="recovery-title" ref={heading} tabIndex={-1}>
        {title}
      </h2>
      {remaining > 1 ? <p className="muted">{remaining - 1} more after this one</p> : null}
      <div className="recovery-grid">
        <div className="recovery-main">
          {step === 'review' ? (
            <Review
              condition={condition}
              choice={choice}
              backUp={backUp}
              onChoice={setChoice}
              onBackUp={setBackUp}
            />
          ) : null}
          {step === 'preflight' ? (
            <Preflight
              needsHome={needsHome}
              atHome={atHome}
              onAtHome={setAtHome}
              onReady={setPlotterReady}
            />
          ) : null}
          {step === 'watch' ? <Watch id={condition.id} /> : null}
        </div>
        <div className="recovery-evidence">
          {plannedAt !== undefined ? (
            <PaperState
              condition={condition}
              plannedAt={plannedAt}
              backUp={step === 'watch' ? 0 : backUp}
            />
          ) : null}
          {step === 'watch' ? null : (
            <div className="frames">
              <LastFrame id={condition.id} />
              <LiveFrame />
            </div>
          )}
        </div>
      </div>
      {error ? (
        <p className="row-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="dialog-actions">
        {step === 'review' && choice === 'resume' ? (
          <button type="button" className="btn btn-primary" onClick={() => setStep('preflight')}>
            Next: pre-flight
          </button>
        ) : null}
        {step === 'review' && choice !== 'resume' ? (
          <button
            type="button"
            className={`btn ${choice === 'abort' ? 'btn-danger' : 'btn-primary'}`}
            disabled={busy}
            onClick={() =>
              void run(() => api.call(FINAL[choice].method, { id: condition.id }), next)
            }
          >
            {FINAL[choice].label}
          </button>
        ) : null}
        {step === 'preflight' ? (
          <>
            <button type="button" className="btn" onClick={() => setStep('review')}>
              Back
            </button>
            <button
              type="button"
              className="btn btn-primary"
              disabled={busy || !plotterReady || (needsHome && !atHome)}
              onClick={() => void resume()}
            >
              Resume plotting
            </button>
          </>
        ) : null}
        {step === 'watch' ? (
          <button type="button" className="btn btn-primary" onClick={next}>
            {remaining > 1 ? 'Next job' : 'Done'}
          </button>
        ) : (
          // Later leaves this job as it is (the queue's "Recover…" comes back to it) and goes on to the next.
          <button type="button" className="btn btn-quiet" onClick={remaining > 1 ? next : close}>
            Later
          </button>
        )}
      </div>
    </>
  );
}

/** Walks through interrupted plots one at a time; opens by itself at start, or from a row's "Recover…". */
export function RecoveryWizard() {
  const jobs = useRecovery((s) => s.jobs);
  const close = useRecovery((s) => s.close);
  const first = jobs[0];
  // Escape is "Later".
  const dialog = useModal(first);
  if (!first) return null;
  return (
    <dialog
      ref={dialog}
      className="dialog dialog-wide"
      aria-labelledby="recovery-title"
      data-testid="recovery"
      data-job={first.id}
      onCancel={(e) => {
        e.preventDefault();
        close();
      }}
    >
      <JobRecovery key={first.id} condition={first} remaining={jobs.length} />
    </dialog>
  );
}
