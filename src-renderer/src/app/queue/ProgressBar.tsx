import { duration } from '../format';

/** fraction 0–1; the ETA is plotter time left. */
export function ProgressBar({
  fraction,
  etaS,
  label,
}: {
  fraction: number;
  etaS?: number;
  label: string;
}) {
  const pct = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  return (
    <div className="progress">
      <progress max={100} value={pct} aria-label={label} data-testid="progress" />
      <span className="progress-text">
        {pct}%{etaS !== undefined ? ` · ${duration(etaS)} left` : ''}
      </span>
    </div>
  );
}
