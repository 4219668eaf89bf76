import { effectFailed, redo } from '../in-flight.ts';
import { driveRollback } from '../rollback.ts';
import { addMs, earliest, msBetween, note } from '../timeline.ts';
import type { StepContext } from '../types.ts';
import { decideAsk } from './advisory.ts';
import { afterChecks, passStage, requestApproval, runChecks, scheduleTick, shift } from './procedure.ts';
import {
  type CanaryDraft,
  current,
  type Ev,
  needsAttention,
  notify,
  type Outcome,
  stageDef,
} from './shared.ts';

// Needs attention: the rollout stops and people decide; it never guesses. It gets here when an effect
// fails past its retries (below), or when the procedure cannot decide on its own: an expired approval, a
// split other than the one asked for, a check that could not run, a gate nobody could watch, an
// inconclusive window, a failed gate the policy wants one click for, a stuck rollback (procedure.ts and
// rolling-back.ts stop with needsAttention, shared.ts). People resume, roll back or abort; what resume
// does depends on the cause (AttentionCause, types.ts).

/**
 * An effect failed: retried with backoff (policy.maxAttempts attempts in all, in-flight.ts), then the
 * rollout needs attention, and resume emits the effect again.
 */
export function failed(d: CanaryDraft, e: Ev<'effect-failed'>, ctx: StepContext): Outcome {
  if (d.s.status === 'needs-attention') return 'it already waits for people';
  const outcome = effectFailed(d, e, ctx.policy);
  if (outcome.kind === 'refused') return outcome.reason;
  if (outcome.kind === 'exhausted') {
    needsAttention(d, e.at, d.s.status === 'rolling-back' ? 'rollback' : 'effect-failed', outcome.reason);
  }
  return undefined;
}

/** Resume from needs-attention: each cause takes up the procedure again where it stopped. */
export function resumeAttention(d: CanaryDraft, e: Ev<'resume'>, ctx: StepContext): Outcome {
  const s = d.s;
  const hold = s.hold?.kind === 'attention' ? s.hold : undefined;
  const cause = hold?.cause;
  if (cause === 'gate-failed') return 'a gate failed: roll back (or abort); the rollout does not go on';
  if (cause === 'advisory-failed' && hold) return continuePastAdvisory(d, e, ctx, hold);
  const stage = current(s);
  s.hold = undefined;
  note(s, e.at, `resumed (${cause ?? 'needs attention'})`, e.by);
  notify(d, { kind: 'resumed', by: e.by });
  switch (cause) {
    case 'traffic-mismatch':
      shift(d, e.at);
      return undefined;
    case 'approval-expired':
      // The lapsed request's approvals lapse with it (the timeline keeps them): ask again from zero.
      stage.approvals = [];
      requestApproval(d, ctx, e.at);
      return undefined;
    case 'checks-error':
      runChecks(d, ctx, e.at);
      return undefined;
    case 'gates': {
      // A gate nobody could watch: watch a fresh window; earlier ticks stay in the report.
      const def = stageDef(ctx, s);
      stage.windowStartedAt = e.at;
      stage.windowFromTick = stage.ticks.length;
      stage.windowEndsAt = addMs(e.at, def.watch);
      s.status = 'watching';
      scheduleTick(d, earliest(addMs(e.at, def.interval), stage.windowEndsAt));
      return undefined;
    }
    case 'inconclusive':
      // Nothing failed and nothing could judge: a person accepts the stage (the next one asks for approval).
      return passStage(d, ctx, e.at, `accepted by ${e.by}: no gate could judge the window`);
    case 'rollback': {
      s.status = 'rolling-back';
      if (s.rollback?.status === 'needs-attention') {
        const refused = driveRollback(d, e, { runbook: ctx.runbook, at: e.at, stage: s.stage });
        if (refused !== undefined) return refused;
        return undefined;
      }
      return redo(d) ? undefined : 'nothing to resume';
    }
    default:
      // An effect whose retries ran out: emit it again, with a fresh count of attempts.
      s.status = hold?.from ?? 'needs-attention';
      return redo(d) ? undefined : 'nothing to resume';
  }
}

/**
 * Continue past a failed advisory gate (the approver's click; send.ts checked who): the gate is waived for
 * the rest of the stage, and the stage goes on where it stopped. The wait for the click does not count
 * towards the watch window, as a pause does not.
 */
function continuePastAdvisory(
  d: CanaryDraft,
  e: Ev<'resume'>,
  ctx: StepContext,
  hold: { at: string; from: string },
): Outcome {
  const s = d.s;
  const ask = decideAsk(s, 'continue', e.by, e.at);
  s.hold = undefined;
  note(s, e.at, `continued past advisory ${ask?.gates.join(', ') ?? 'gate'}`, e.by);
  notify(d, { kind: 'resumed', by: e.by });
  if (hold.from === 'checking') {
    afterChecks(d, ctx, e.at);
    return undefined;
  }
  s.status = 'watching';
  const stage = current(s);
  const waited = Math.max(0, msBetween(hold.at, e.at));
  if (stage.windowEndsAt !== undefined) stage.windowEndsAt = addMs(stage.windowEndsAt, waited);
  scheduleTick(d, e.at);
  return undefined;
}
