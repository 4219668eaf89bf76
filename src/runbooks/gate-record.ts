import type { GateMode } from '../config/gates.ts';
import { modeOf } from '../gates/modes.ts';
import type { CanaryState, StandaloneRollbackState } from './types.ts';

// The gates' track record (README "Gate track record"): what each gate said in a finished rollout, beside
// how the rollout ended, so /gates report can say how often a gate would have blocked, and whether it
// was right. One entry per finished canary, written with its report (the write-report effect), in Redis
// per service (store/gate-records.ts). Pure: built from the final state alone, so a redriven end writes
// the very same entry again and nothing counts twice.
//
// Outcomes:
//   promoted     passed every stage (healthy, unless a /rollback later rolled its revision back)
//   rolled-back  rolled back for cause: by a gate (enforce, or a person's click at a gate's ask), or by a
//                person's /rollback or Roll back during the rollout
//   stopped      stopped at stage A by a failing check, before any traffic: a gate's block, for cause too
//   aborted      a person aborted it (traffic, if any, went back without an incident): no cause known
//   failed       ended otherwise (a rollback stuck and taken over by hand, with no gate or person cause)

export type RecordOutcome = 'promoted' | 'rolled-back' | 'stopped' | 'aborted' | 'failed';

export interface GateVerdict {
  /** The gate's mode in that rollout. */
  mode: GateMode;
  /** Stages where it would have blocked (failed as a check, or failed the stage judged alone). */
  blocked: string[];
}

export interface GateRecordEntry {
  rolloutId: string;
  service: string;
  env: string;
  tag: string;
  /** The canary revision (what a later /rollback names as rolled back from). */
  revision: string | null;
  endedAt: string;
  outcome: RecordOutcome;
  /** Every gate evaluated in the rollout (a skipped one was not). */
  gates: Record<string, GateVerdict>;
}

/** A /rollback that later took the traffic away from a promoted rollout's revision: for cause after all. */
export interface LaterRollback {
  rollbackId: string;
  at: string;
  by: string;
  reason: string;
}

/** What a finished run adds to the track record. */
export type GateRecordWrite =
  | { type: 'rollout'; entry: GateRecordEntry }
  | { type: 'rolled-back-later'; service: string; env: string; fromRevision: string; later: LaterRollback };

export function outcomeOf(s: CanaryState): RecordOutcome | undefined {
  if (s.status === 'promoted') return 'promoted';
  const rb = s.rollback;
  if (rb) {
    if (rb.trigger === 'gate') return 'rolled-back';
    // An abort's rollback returns traffic with no incident: nothing was said to be wrong.
    if (rb.incident === false) return 'aborted';
    return 'rolled-back';
  }
  if (s.status === 'aborted') return 'aborted';
  if (s.status === 'failed') return s.stages[0]?.verdict === 'fail' && s.stage === 0 ? 'stopped' : 'failed';
  return undefined;
}

/** The entry of a finished canary, or undefined when it adds nothing (a dry run, no gate evaluated). */
export function recordEntryOf(s: CanaryState): GateRecordEntry | undefined {
  if (s.dryRun || s.endedAt === undefined) return undefined;
  const outcome = outcomeOf(s);
  if (outcome === undefined) return undefined;
  const gates: Record<string, GateVerdict> = {};
  for (const stage of s.stages) {
    for (const r of [...(stage.checks ?? []), ...stage.ticks.flat()]) {
      if (r.status === 'skipped') continue;
      const verdict = gates[r.gate] ?? { mode: modeOf(r), blocked: [] };
      gates[r.gate] = verdict;
    }
    for (const gate of stage.flagged ?? []) {
      const verdict = gates[gate];
      if (verdict && !verdict.blocked.includes(stage.name)) verdict.blocked.push(stage.name);
    }
  }
  if (Object.keys(gates).length === 0) return undefined;
  return {
    rolloutId: s.id,
    service: s.service,
    env: s.env,
    tag: s.tag,
    revision: s.canaryRevision ?? null,
    endedAt: s.endedAt,
    outcome,
    gates,
  };
}

/** A finished standalone /rollback names the revision it took the traffic from: a later rollback. */
export function laterRollbackOf(s: StandaloneRollbackState): GateRecordWrite | undefined {
  const rb = s.rollback;
  if (s.dryRun || s.status !== 'rolled-back' || rb.fromRevision === undefined) return undefined;
  return {
    type: 'rolled-back-later',
    service: s.service,
    env: s.env,
    fromRevision: rb.fromRevision,
    later: {
      rollbackId: s.id,
      at: s.endedAt ?? rb.endedAt ?? rb.startedAt,
      by: s.requestedBy,
      reason: rb.reason,
    },
  };
}
