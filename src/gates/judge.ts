import { clockOf, renderGate } from './render.ts';
import type { GateResult } from './result.ts';

// The stage judge: pure aggregation of a stage's ticks (each tick: the results of the stage's gates at
// one interval) into what the engine does next. It tolerates noise without hiding trouble:
//
// 1. fail-fast: a `fail` whose result is marked failFast (prometheus any-increase, seed 003's
//    golden_mismatch) or whose gate is named critical fails the stage at once, whatever the limit.
// 2. failure limit: a tick fails when at least one of its gates failed. More failed ticks in the stage
//    than judge.failureLimit (runbooks.ts: "failed ticks tolerated in a stage; one more rolls back")
//    fails it. Counted over the stage, not consecutively, so a gate that fails every other tick still
//    rolls back. 0 means the first fail rolls back.
// 3. inconclusive never fails and never counts as a failure (too little traffic is not a regression).
// 4. error is distinct from fail: a gate whose source could not be reached never rolls back. One error
//    is a warning and the stage continues (seed 003: "Prometheus unavailable: continue (warn)"), but
//    consecutiveErrorLimit errors in a row from one gate (Argo Rollouts' default: 4) mean nobody is
//    watching it: needs-attention, and people decide.
// 5. A fail outranks everything else: when a gate failed beyond the limit, the stage rolls back even if
//    another gate also stopped answering.
// 6. Before the window is complete and nothing above applies: continue.
// 7. At window end (7a: once every gate's data reaches it, or the data wait is over: inconclusive):
//    - a gate that only ever answered error (fewer ticks than the error limit) was never watched:
//      needs-attention;
//    - no gate ever passed (all inconclusive, skipped or error): not a pass. The window is extended
//      while extensionsUsed < maxExtensions (verdict `extend`), then the verdict is `inconclusive`
//      and the engine asks people;
//    - otherwise pass, with a warning for each gate that never passed (e.g. p95 against stable at
//      100 %, where stable serves nothing and the absolute gates decide).
// The engine asks after every tick and acts on the first verdict other than continue (and extend).

export interface JudgeOptions {
  /** The runbook's judge.failureLimit: failed ticks tolerated in the stage. */
  failureLimit: number;
  /** Errors in a row from one gate before the stage needs attention; default 4 (Argo Rollouts). */
  consecutiveErrorLimit?: number;
  /** Times a stage with nothing but inconclusive results may be extended; default 1. */
  maxExtensions?: number;
  /** Gates whose first fail fails the stage, like failFast results. */
  critical?: readonly string[];
}

export interface StageTicks {
  /** The results of the stage's gates, one array per tick, oldest first. */
  ticks: readonly (readonly GateResult[])[];
  /** True once the watch window (with any extension) has elapsed. */
  windowComplete: boolean;
  /** How many times the window has already been extended; default 0. */
  extensionsUsed?: number;
  /**
   * ISO end of the watch window. A gate whose latest result judged data ending before it (`dataThrough`,
   * Cloud Monitoring's late data) has not seen the whole window: the stage waits for it (rule 7a).
   */
  windowEnd?: string;
  /** The stage waited as long as it may for late data: what is still incomplete is inconclusive. */
  dataWaitOver?: boolean;
}

export type StageVerdict = 'continue' | 'pass' | 'fail' | 'needs-attention' | 'extend' | 'inconclusive';

export interface StageJudgement {
  verdict: StageVerdict;
  /** One sentence: why this verdict. */
  reason: string;
  /** The gates the verdict is about: failing, erroring or never judged. */
  gates: string[];
  /** `gate: line` of the results behind the verdict (the latest of each gate named). */
  lines: string[];
  /** Things a person should know even when the stage goes on: errors below the limit, gates never judged. */
  warnings: string[];
  failedTicks: number;
  ticks: number;
}

export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;
export const DEFAULT_MAX_EXTENSIONS = 1;

export function judgeStage(input: StageTicks, options: JudgeOptions): StageJudgement {
  const errorLimit = options.consecutiveErrorLimit ?? DEFAULT_CONSECUTIVE_ERROR_LIMIT;
  const maxExtensions = options.maxExtensions ?? DEFAULT_MAX_EXTENSIONS;
  const critical = new Set(options.critical ?? []);
  const ticks = input.ticks;
  const history = byGate(ticks);
  const failedTicks = ticks.filter((tick) => tick.some((r) => r.status === 'fail')).length;
  const base = { failedTicks, ticks: ticks.length };
  const warnings = errorWarnings(history);

  const line = (r: GateResult) => `${r.gate}: ${renderGate(r)}`;
  const verdict = (v: StageVerdict, reason: string, results: GateResult[], extra: string[] = warnings) => ({
    verdict: v,
    reason,
    gates: results.map((r) => r.gate),
    lines: results.map(line),
    warnings: extra,
    ...base,
  });

  // Rule 1: the first fail-fast or critical fail decides.
  const fast = ticks.flat().find((r) => r.status === 'fail' && (r.failFast || critical.has(r.gate)));
  if (fast) return verdict('fail', `${line(fast)}, and it fails the stage at once`, [fast]);

  // Rule 2 (with 5): failed ticks beyond the limit.
  if (failedTicks > options.failureLimit) {
    // The reason names each failing gate with its observed value and threshold: it becomes the rollback's
    // reason and the incident's symptom, which a person reads without opening the gate results.
    const failing = latestWith(history, 'fail');
    const names = failing.map(line).join('; ');
    const tolerated = options.failureLimit === 0 ? 'none tolerated' : `limit ${options.failureLimit}`;
    const counted = `${failedTicks} failed tick${failedTicks === 1 ? '' : 's'}`;
    return verdict('fail', `${counted} (${tolerated}): ${names}`, failing);
  }

  // Rule 4: a gate that keeps erroring is a gate nobody watches.
  const silent = [...history.values()].filter((results) => longestErrorRun(results) >= errorLimit);
  if (silent.length > 0) {
    const results = silent.map((rs) => rs.findLast((r) => r.status === 'error') as GateResult);
    const names = results.map((r) => r.gate).join(', ');
    return verdict(
      'needs-attention',
      `${names}: ${errorLimit} errors in a row, nothing is watching`,
      results,
    );
  }

  // Rule 6.
  if (!input.windowComplete) {
    return verdict(
      'continue',
      failedTicks > 0 ? `${failedTicks} failed tick(s), within limit` : 'watching',
      [],
    );
  }

  // Rule 7a: the window has elapsed, but not every gate has seen data to its end. Passing now would
  // promote on data that stops minutes early; wait for it, up to the cap, then a person decides.
  const partial = input.windowEnd === undefined ? [] : behindWindow(history, input.windowEnd);
  if (partial.length > 0) {
    const said = partial.map((r) => `${r.gate} judged data through ${clockOf(r.dataThrough as string)}`);
    const end = clockOf(input.windowEnd as string);
    if (!input.dataWaitOver) {
      return verdict('continue', `window over at ${end}; waiting for late data: ${said.join(', ')}`, []);
    }
    return verdict(
      'inconclusive',
      `the data never covered the window to ${end}: ${said.join(', ')}; a person decides`,
      partial,
    );
  }

  // Rule 7.
  if (history.size === 0) return verdict('pass', 'window complete; the stage has no gates to judge', []);
  const neverAnswered = [...history.values()].filter((rs) => rs.every((r) => r.status === 'error'));
  if (neverAnswered.length > 0) {
    const results = neverAnswered.map((rs) => rs.at(-1) as GateResult);
    const names = results.map((r) => r.gate).join(', ');
    return verdict('needs-attention', `${names} could not be measured at all in the window`, results);
  }
  const neverPassed = [...history.values()]
    .filter((rs) => !rs.some((r) => r.status === 'pass'))
    .map((rs) => rs.at(-1) as GateResult);
  if (neverPassed.length === history.size) {
    const extensionsUsed = input.extensionsUsed ?? 0;
    if (extensionsUsed < maxExtensions) {
      return verdict('extend', 'no gate could judge the window; watching longer', neverPassed);
    }
    return verdict(
      'inconclusive',
      'no gate could judge the window, even extended: a person decides',
      neverPassed,
    );
  }
  const notJudged = neverPassed.map((r) => `${line(r)} (never passed in the window)`);
  return verdict('pass', 'window complete with no failure beyond the limit', [], [...warnings, ...notJudged]);
}

/** The latest result of each gate whose data ends before the window does. */
function behindWindow(history: Map<string, GateResult[]>, windowEnd: string): GateResult[] {
  const end = Date.parse(windowEnd);
  return [...history.values()]
    .map((rs) => rs.at(-1) as GateResult)
    .filter((r) => r.dataThrough !== undefined && Date.parse(r.dataThrough) < end);
}

/** Each gate's results in tick order, in the order gates first appear. */
function byGate(ticks: StageTicks['ticks']): Map<string, GateResult[]> {
  const history = new Map<string, GateResult[]>();
  for (const tick of ticks) {
    for (const result of tick) {
      const list = history.get(result.gate) ?? [];
      list.push(result);
      history.set(result.gate, list);
    }
  }
  return history;
}

/** The latest result with this status of each gate that has one. */
function latestWith(history: Map<string, GateResult[]>, status: GateResult['status']): GateResult[] {
  return [...history.values()]
    .map((rs) => rs.findLast((r) => r.status === status))
    .filter((r): r is GateResult => r !== undefined);
}

function longestErrorRun(results: readonly GateResult[]): number {
  let longest = 0;
  let run = 0;
  for (const r of results) {
    run = r.status === 'error' ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

/** Gates whose latest result is an error: the stage goes on, but people see it. */
function errorWarnings(history: Map<string, GateResult[]>): string[] {
  return [...history.values()]
    .map((rs) => rs.at(-1))
    .filter((r): r is GateResult => r?.status === 'error')
    .map((r) => `${r.gate}: ${renderGate(r)}`);
}
