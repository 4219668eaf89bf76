import type { GateMode, PinnedModes } from '../config/gates.ts';
import { type JudgeOptions, judgeStage } from './judge.ts';
import type { GateResult } from './result.ts';

// Gate modes (README "Shadow and advisory gates"). A mode changes what a gate's failure does, never how
// the gate is judged:
//
// - enforce (the default): the stage judge sees it; a failure beyond the limit rolls back.
// - shadow: evaluated, shown and recorded; the stage judge never sees it, so it neither rolls back nor
//   holds the stage (its errors and inconclusive results included).
// - advisory: like shadow for the judge, but when it would have failed the stage the canary stops and
//   asks people for one click: continue, or roll back.
//
// "Would have failed the stage" is the same test for every mode: the gate judged alone, with the stage's
// failure limit (judge.ts rules 1 and 2). The track record (runbooks/gate-record.ts) counts it.

export function modeOf(result: Pick<GateResult, 'mode'>): GateMode {
  return result.mode ?? 'enforce';
}

/** Results stamped with their gate's pinned mode; enforce results are left as they are. */
export function withModes(
  results: readonly GateResult[],
  modes: Readonly<PinnedModes> | undefined,
): GateResult[] {
  if (!modes) return [...results];
  return results.map((r) => {
    const mode = modes[r.gate];
    return mode === undefined ? r : { ...r, mode };
  });
}

/** Only the results that enforce: what the stage judge decides on. */
export function enforcedTicks(ticks: readonly (readonly GateResult[])[]): GateResult[][] {
  return ticks.map((tick) => tick.filter((r) => r.mode === undefined));
}

/**
 * The gates that, each judged alone over these ticks, fail the stage: the latest failing result of each,
 * in the order the gates first appear. For checks (one tick, no limit) pass `{ failureLimit: 0 }`.
 */
export function failingAlone(ticks: readonly (readonly GateResult[])[], options: JudgeOptions): GateResult[] {
  const names = [...new Set(ticks.flat().map((r) => r.gate))];
  return names.flatMap((name) => {
    const own = ticks.map((tick) => tick.filter((r) => r.gate === name));
    const judged = judgeStage({ ticks: own, windowComplete: false }, options);
    if (judged.verdict !== 'fail') return [];
    const latest = own.flat().findLast((r) => r.status === 'fail');
    return latest ? [latest] : [];
  });
}
