/**
 * The journal as a chain (docs/recovery.md, invariant 1): every entry records what happened to the job in
 * the state the valid entries before it left it in, with a higher seq than theirs. A line that
 * breaks the chain (appended by hand, pasted from another job, forged) is damage like a torn line:
 * reported with its reason and not applied; the chain goes on from the last valid entry. Later
 * lines are judged against that chain too, so what only makes sense after a rejected line (the
 * checkpoints of a forged PLOTTING, a transition out of it) is rejected as well, each line for its
 * own reason, while entries vfab writes afterwards, from the state the valid chain gives, are kept.
 *
 * Besides the edges of the transition table (either kind), the chain takes what vfab and the
 * recovery guide really write:
 *  - its first valid entry as given: a creation entry (`from_state: null`), or the first line left
 *    by a cut head (`tail -n 50`), whose from_state has nothing before it to be checked against;
 *  - `NEW → NEW`, the guide's "Journal reconstruction";
 *  - the forced transition reconcile journals for a state written into the database by hand;
 *  - `recovery` in the job's state ("Crash recovery" is PLOTTING → PLOTTING), or along the table;
 *  - `emergency_shutdown` naming the job's state, and `progress` while it is PLOTTING.
 */
import type { JournalEntry, RecoveryEntry, StateChangeEntry } from './journal';
import { allowedTargets, hasEdge, type JobState } from './states';

export const FORCED_REASON = 'forced via database';

/** Where the valid entries so far leave the job: its state (undefined before the first one) and the last seq. */
export interface Chain {
  state: JobState | undefined;
  seq: number;
}

export interface ChainBreak {
  kind: 'seq_not_increasing' | 'state_mismatch' | 'illegal_transition';
  message: string;
}

export function chainStart(): Chain {
  return { state: undefined, seq: 0 };
}

/** The transition reconcile journals when someone wrote a state into the `jobs` table by hand. */
export function forcedTransition(
  from: JobState,
  to: JobState,
  dbValue: string,
): Omit<StateChangeEntry, 'timestamp' | 'seq'> {
  return {
    type: 'state_change',
    from_state: from,
    to_state: to,
    reason: FORCED_REASON,
    metadata: { forced: true, db_value: dbValue },
  };
}

/** Why `e` cannot follow the chain; undefined when it can. */
export function chainBreak(chain: Chain, e: JournalEntry): ChainBreak | undefined {
  if (e.seq !== undefined && e.seq <= chain.seq) {
    return {
      kind: 'seq_not_increasing',
      message: `seq ${e.seq} is not above ${chain.seq}, the seq of the valid entry before it`,
    };
  }
  const at = chain.state;
  switch (e.type) {
    case 'progress':
      return at === undefined || at === 'PLOTTING'
        ? undefined
        : mismatch('a checkpoint (written only while PLOTTING)', at);
    case 'emergency_shutdown':
      return at === undefined || e.state === at
        ? undefined
        : mismatch(`an emergency shutdown in ${e.state}`, at);
    case 'state_change':
      if (e.from_state === null)
        return at === undefined ? undefined : mismatch('a creation entry (no from_state)', at);
      return changeBreak(e, e.from_state, at);
    case 'recovery':
      return changeBreak(e, e.from_state, at);
  }
}

/** Moves the chain past a valid entry. */
export function follow(chain: Chain, e: JournalEntry): void {
  chain.state = stateTold(e);
  if (e.seq !== undefined) chain.seq = e.seq;
}

/**
 * The state an entry leaves the job in. A state_change or recovery sets it; an emergency_shutdown
 * records it; a checkpoint is only ever written while PLOTTING, which is what a head cut down to
 * checkpoints (a long plot's `tail -50`) still tells.
 */
export function stateTold(e: JournalEntry): JobState {
  switch (e.type) {
    case 'state_change':
    case 'recovery':
      return e.to_state;
    case 'emergency_shutdown':
      return e.state;
    case 'progress':
      return 'PLOTTING';
  }
}

function changeBreak(
  e: StateChangeEntry | RecoveryEntry,
  from: JobState,
  at: JobState | undefined,
): ChainBreak | undefined {
  if (at !== undefined && from !== at)
    return mismatch(`${e.type === 'recovery' ? 'a recovery' : 'a transition'} from ${from}`, at);
  const to = e.to_state;
  if (hasEdge(from, to)) return undefined;
  if (e.type === 'recovery' ? to === from : (from === 'NEW' && to === 'NEW') || isForced(e))
    return undefined;
  const targets = [
    ...new Set([...allowedTargets(from, 'normal'), ...allowedTargets(from, 'restart')]),
  ];
  return {
    kind: 'illegal_transition',
    message: `${from} -> ${to} is not a transition a job can make (from ${from}: ${targets.join(', ') || 'none'})`,
  };
}

function isForced(e: StateChangeEntry): boolean {
  return e.reason === FORCED_REASON && e.metadata.forced === true;
}

function mismatch(what: string, at: JobState): ChainBreak {
  return { kind: 'state_mismatch', message: `${what}, but the job is ${at} at this point` };
}
