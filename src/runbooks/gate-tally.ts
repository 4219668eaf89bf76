import type { GateMode } from '../config/gates.ts';
import type { GateRecordEntry, LaterRollback } from './gate-record.ts';

// The counts /gates report shows, from the track record (gate-record.ts). For each gate, over the last
// N finished rollouts in which it was evaluated (newest first; a rollout it was not evaluated in does not
// count for it):
//
//   evaluated     those rollouts (at most N)
//   blocked       of them, the ones it would have blocked: it failed as a check, or failed a stage judged
//                 alone with the stage's failure limit, whatever its mode
//   rightly       blocked, and the rollout ended for cause: rolled back (by a gate or a person, during it
//                 or by a /rollback of its revision later), or stopped at stage A by a check
//   laterCause    of `rightly`, the ones promoted first and rolled back by a /rollback afterwards
//   falseAlarms   blocked, and the rollout was promoted and never rolled back: it would have stopped a
//                 healthy rollout
//   blockedOther  blocked, and the rollout was aborted by a person (or ended otherwise): no verdict
//   forCause      rollouts ended for cause, whether it blocked them or not
//   missed        ended for cause, and it did not block: a rollback it did not see coming
//
// An enforce gate's blocks end in its own rollback, so its `rightly` is true by construction: only the
// rollouts in which it was shadow or advisory (blockedBy.shadow, blockedBy.advisory) say whether it is
// right. The renderer says so.

export const DEFAULT_LAST = 40;

export interface RecordedRollout {
  entry: GateRecordEntry;
  later?: LaterRollback;
}

export interface GateTally {
  gate: string;
  /** Its mode in the newest rollout counted. */
  mode: GateMode;
  evaluated: number;
  blocked: number;
  rightly: number;
  laterCause: number;
  falseAlarms: number;
  blockedOther: number;
  forCause: number;
  missed: number;
  /** Rollouts counted, by the mode the gate had in each. */
  modes: Record<GateMode, number>;
  /** Blocks, by the mode the gate had when it blocked. */
  blockedBy: Record<GateMode, number>;
  /** The newest counted rollout's end. */
  latestAt: string;
}

/** Whether a rollout ended for cause (see above). */
export function endedForCause(rollout: RecordedRollout): boolean {
  const { outcome } = rollout.entry;
  return outcome === 'rolled-back' || outcome === 'stopped' || rollout.later !== undefined;
}

const zeroModes = (): Record<GateMode, number> => ({ enforce: 0, shadow: 0, advisory: 0 });

/** One tally per gate, gates in order of their newest rollout; `rollouts` in any order. */
export function tallyGates(rollouts: readonly RecordedRollout[], last = DEFAULT_LAST): GateTally[] {
  const newest = [...rollouts].sort(
    (a, b) =>
      b.entry.endedAt.localeCompare(a.entry.endedAt) || b.entry.rolloutId.localeCompare(a.entry.rolloutId),
  );
  const tallies = new Map<string, GateTally>();
  for (const rollout of newest) {
    for (const [gate, verdict] of Object.entries(rollout.entry.gates)) {
      let t = tallies.get(gate);
      if (!t) {
        t = {
          gate,
          mode: verdict.mode,
          evaluated: 0,
          blocked: 0,
          rightly: 0,
          laterCause: 0,
          falseAlarms: 0,
          blockedOther: 0,
          forCause: 0,
          missed: 0,
          modes: zeroModes(),
          blockedBy: zeroModes(),
          latestAt: rollout.entry.endedAt,
        };
        tallies.set(gate, t);
      }
      if (t.evaluated >= last) continue;
      t.evaluated += 1;
      t.modes[verdict.mode] += 1;
      const blocked = verdict.blocked.length > 0;
      const cause = endedForCause(rollout);
      if (cause) t.forCause += 1;
      if (!blocked) {
        if (cause) t.missed += 1;
        continue;
      }
      t.blocked += 1;
      t.blockedBy[verdict.mode] += 1;
      if (cause) {
        t.rightly += 1;
        if (rollout.entry.outcome === 'promoted') t.laterCause += 1;
      } else if (rollout.entry.outcome === 'promoted') {
        t.falseAlarms += 1;
      } else {
        t.blockedOther += 1;
      }
    }
  }
  return [...tallies.values()];
}
