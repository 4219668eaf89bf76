import { renderGate } from '../../gates/render.ts';
import type { GateResult } from '../../gates/result.ts';
import { note } from '../timeline.ts';
import type { AdvisoryAsk, AskRef, CanaryState, StageProgress } from '../types.ts';
import { attentionCause, type CanaryDraft, current, needsAttention } from './shared.ts';

// Shadow and advisory gates in the canary (gates/modes.ts says what each mode means). The procedure
// (procedure.ts) judges only the enforce gates; this file keeps what the others found:
//
// - flagged: every gate that would have blocked the stage, whatever its mode (the track record's input);
// - a shadow gate that would have blocked: one timeline line, "would have rolled back", nothing else;
// - an advisory gate that would have blocked: the canary stops (needs attention, cause advisory-failed)
//   and asks in the thread for one click. Continue (resume; an approver's click, as for a stage) waives
//   that gate for the rest of the stage; roll back runs the rollback procedure as the gate's own (with no
//   traffic yet, at stage A, it ends the rollout failed instead). Abort is an abort.

/** Adds gates to the stage's flagged list, once each, in order. */
export function flag(stage: StageProgress, gates: readonly string[]): void {
  const known = new Set(stage.flagged ?? []);
  const added = [...new Set(gates)].filter((g) => !known.has(g));
  if (added.length > 0) stage.flagged = [...(stage.flagged ?? []), ...added];
}

/** Whether a person chose to go on past this advisory gate earlier in the stage. */
export function waived(stage: StageProgress, gate: string): boolean {
  return (stage.asks ?? []).some((a) => a.decision?.choice === 'continue' && a.gates.includes(gate));
}

/** One line per shadow gate that now would have blocked the stage (each said once per stage). */
export function noteShadow(
  d: CanaryDraft,
  at: string,
  failing: readonly GateResult[],
  before: string[],
): void {
  const s = d.s;
  const stage = current(s);
  for (const r of failing) {
    if (r.mode !== 'shadow' || before.includes(r.gate)) continue;
    note(s, at, `stage ${stage.name}: shadow gate ${r.gate} would have rolled back (${renderGate(r)})`);
  }
}

/** Advisory gates that would have blocked and nobody waived yet: stop and ask for one click. */
export function askAdvisory(
  d: CanaryDraft,
  at: string,
  what: string,
  failing: readonly GateResult[],
): boolean {
  const stage = current(d.s);
  const asking = failing.filter((r) => r.mode === 'advisory' && !waived(stage, r.gate));
  if (asking.length === 0) return false;
  const reason = `stage ${stage.name}: advisory ${what} failed: ${asking.map((r) => `${r.gate}: ${renderGate(r)}`).join('; ')}`;
  stage.asks = [...(stage.asks ?? []), { gates: asking.map((r) => r.gate), reason, at }];
  needsAttention(d, at, 'advisory-failed', reason, `${reason}. Continue or roll back? (one click)`);
  return true;
}

/** The ask the rollout waits on now, if it waits on one. */
export function openAsk(s: CanaryState): AdvisoryAsk | undefined {
  if (attentionCause(s) !== 'advisory-failed') return undefined;
  const ask = current(s).asks?.at(-1);
  return ask?.decision === undefined ? ask : undefined;
}

/** Records the click that decides the open ask (no-op when none is open). */
export function decideAsk(
  s: CanaryState,
  choice: NonNullable<AdvisoryAsk['decision']>['choice'],
  by: string,
  at: string,
): AdvisoryAsk | undefined {
  const ask = openAsk(s);
  if (ask) ask.decision = { choice, by, at };
  return ask;
}

/**
 * Why a click on an advisory ask's button does not apply now (the ask was decided, or the rollout moved
 * on), or undefined when the ask it answers is the one open. A click with no ask named applies as usual.
 */
export function staleAsk(s: CanaryState, ref: AskRef | undefined): string | undefined {
  if (ref === undefined) return undefined;
  const ask = s.stages[ref.stage]?.asks?.[ref.ask];
  if (!ask) return 'no such advisory ask';
  if (ask.decision) {
    const { choice, by } = ask.decision;
    return `this advisory ask was decided already: ${choice === 'continue' ? 'continued' : choice === 'abort' ? 'aborted' : 'rolled back'} by <@${by}>`;
  }
  if (ref.stage !== s.stage || openAsk(s) !== ask)
    return `this advisory ask is no longer open: the rollout is ${s.status}`;
  return undefined;
}
