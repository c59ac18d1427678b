import type { JournalEntry } from '../../../../src-main/jobs/journal';

function describe(e: JournalEntry): string {
  switch (e.type) {
    case 'state_change':
      return `${e.from_state ?? 'created'} → ${e.to_state}: ${e.reason}`;
    case 'recovery':
      return `recovery ${e.from_state} → ${e.to_state}: ${e.reason}`;
    case 'emergency_shutdown':
      return `stopped while ${e.state}: ${e.reason}`;
    case 'progress':
      return 'checkpoint';
  }
}

/** The journal as a timeline; checkpoints (several a second while plotting) are counted, not listed. */
export function Timeline({ history }: { history: JournalEntry[] }) {
  const items: { key: number; when?: string; text: string; kind: string }[] = [];
  let checkpoints = 0;
  history.forEach((e, i) => {
    if (e.type === 'progress') {
      checkpoints++;
      return;
    }
    if (checkpoints)
      items.push({
        key: i - 0.5,
        text: `${checkpoints} checkpoint${checkpoints === 1 ? '' : 's'}`,
        kind: 'progress',
      });
    checkpoints = 0;
    items.push({ key: i, when: e.timestamp, text: describe(e), kind: e.type });
  });
  if (checkpoints)
    items.push({
      key: history.length,
      text: `${checkpoints} checkpoint${checkpoints === 1 ? '' : 's'}`,
      kind: 'progress',
    });
  return (
    <ol className="timeline" data-testid="timeline">
      {items.map((it) => (
        <li key={it.key} className={`tl tl-${it.kind}`}>
          {it.when ? <time dateTime={it.when}>{new Date(it.when).toLocaleString()}</time> : null}
          <span>{it.text}</span>
        </li>
      ))}
    </ol>
  );
}
