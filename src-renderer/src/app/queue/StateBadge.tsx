/** The job's state, big enough to read from across the studio; its colour comes from the state's class. */
export function StateBadge({ state }: { state: string }) {
  return (
    <span className={`badge badge-${state.toLowerCase()}`} data-testid="state">
      {state}
    </span>
  );
}
