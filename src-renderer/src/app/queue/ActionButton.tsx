import type { JobCondition } from '../../../../src-main/recovery/classify';
import { actionWords, type RowAction } from './actions';

/** One job action, worded for the job's state, wherever the job's actions are offered (row, detail, Now plotting bar). */
export function ActionButton({
  action,
  state,
  condition,
  busy,
  blocked,
  run,
}: {
  action: RowAction;
  state: string;
  condition?: JobCondition;
  busy?: RowAction;
  blocked?: string;
  run(a: RowAction): unknown;
}) {
  const words = actionWords(action, state, condition);
  const gated = action === 'plot' && blocked !== undefined;
  return (
    <button
      type="button"
      className={`btn btn-${action}`}
      title={gated ? blocked : words.title}
      disabled={busy !== undefined || gated}
      onClick={() => void run(action)}
    >
      {busy === action ? `${words.label.replace(/…$/, '')}…` : words.label}
    </button>
  );
}
