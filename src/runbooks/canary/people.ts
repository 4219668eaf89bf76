import { formatDuration } from '../../config/duration.ts';
import { attentionOf } from '../hold.ts';
import { cancelRetry } from '../in-flight.ts';
import { reasonOf } from '../rollback.ts';
import { addMs, msBetween, note } from '../timeline.ts';
import type { CanaryState, StepContext } from '../types.ts';
import { decideAsk, staleAsk } from './advisory.ts';
import { resumeAttention } from './attention.ts';
import { inPostPromotion } from './post-promotion-stage.ts';
import {
  evaluateGates,
  failRollout,
  finishWatch,
  passStage,
  requestApproval,
  scheduleTick,
  shift,
} from './procedure.ts';
import { startRollback } from './rolling-back.ts';
import {
  attentionCause,
  type CanaryDraft,
  cancelTimers,
  cancelWait,
  current,
  type Ev,
  expiryKey,
  hasTraffic,
  notify,
  type Outcome,
  tickKey,
} from './shared.ts';

// What people do to a rollout besides approving it: pause, resume, abort, promote now, roll back. Who may
// is the caller's check (the engine's roles); when is the runbook's: at the wrong moment an action is
// refused with a reason and changes nothing.

/**
 * Pause holds the rollout where it waits: for approval, or between gate ticks. Not while an effect is in
 * flight (deploy, traffic change, checks): those finish in seconds, so it is refused with a reason rather
 * than deferred. Gates still being evaluated when it pauses are recorded, and a fail still rolls back.
 */
export function pause(d: CanaryDraft, e: Ev<'pause'>): Outcome {
  const s = d.s;
  const from = s.status;
  if (from === 'paused') return 'already paused';
  if (from === 'needs-attention') return 'it already waits for people';
  if (from !== 'awaiting-approval' && from !== 'watching') {
    return `cannot pause while ${from === 'shifting' ? 'traffic is changing' : from}: try again in a moment`;
  }
  // An evaluation in flight (and its retry) goes on: its results are recorded while paused.
  cancelWait(d);
  s.hold = { kind: 'paused', from, at: e.at, by: e.by };
  s.status = 'paused';
  note(s, e.at, `paused (${from})`, e.by);
  notify(d, { kind: 'paused', by: e.by });
  return undefined;
}

/** Resume from a pause, or from needs-attention (what it does depends on why: attention.ts). */
export function resume(d: CanaryDraft, e: Ev<'resume'>, ctx: StepContext): Outcome {
  const s = d.s;
  const stale = staleAsk(s, e.advisory);
  if (stale !== undefined) return stale;
  if (s.status === 'paused') return resumePaused(d, e, ctx);
  if (s.status !== 'needs-attention') return `nothing to resume: the rollout is ${s.status}`;
  return resumeAttention(d, e, ctx);
}

function resumePaused(d: CanaryDraft, e: Ev<'resume'>, ctx: StepContext): Outcome {
  const s = d.s;
  const hold = s.hold?.kind === 'paused' ? s.hold : undefined;
  const from = hold?.from ?? 'watching';
  const pausedFor = hold === undefined ? 0 : Math.max(0, msBetween(hold.at, e.at));
  s.status = from;
  s.hold = undefined;
  note(s, e.at, `resumed after ${formatDuration(pausedFor)}`, e.by);
  notify(d, { kind: 'resumed', by: e.by });
  if (from === 'awaiting-approval') {
    // Approvals given before the pause still count; the request gets a fresh expiry.
    requestApproval(d, ctx, e.at);
    return undefined;
  }
  // The paused time does not count towards the watch window: it is extended by as much.
  const stage = current(s);
  if (stage.windowEndsAt !== undefined) stage.windowEndsAt = addMs(stage.windowEndsAt, pausedFor);
  if (s.pending?.effect !== 'evaluate') scheduleTick(d, e.at);
  return undefined;
}

/**
 * Abort. Before the canary had any traffic: the rollout ends `aborted` at once. After: traffic must go back
 * to stable first, so the rollback procedure runs in mode traffic-only with no incident (nothing failed;
 * /rollback is the full incident procedure), then the rollout ends `aborted`. With a failed gate waiting
 * for its one click, abort is that click: the full procedure with its incident, ending `aborted`.
 */
export function abort(d: CanaryDraft, e: Ev<'abort'>, ctx: StepContext): Outcome {
  const s = d.s;
  const cause = attentionCause(s);
  // A rollback stuck in needs-attention: people take over by hand; the record ends `failed`.
  if (cause === 'rollback') {
    cancelRetry(d);
    s.pending = undefined;
    s.status = 'failed';
    s.endedAt = e.at;
    note(s, e.at, `stopped while the rollback needed attention${e.reason ? `: ${e.reason}` : ''}`, e.by);
    notify(d, { kind: 'aborted', by: e.by, ...reasonOf(e.reason) });
    d.effects.push({ type: 'write-report' }, { type: 'release-lock' });
    return undefined;
  }
  // Promoted already: there is nothing to abort, only to keep (done) or to undo (rollback).
  if (inPostPromotion(s)) return afterPromotion(s);
  decideAsk(s, 'abort', e.by, e.at);
  s.aborted = { by: e.by, at: e.at, ...reasonOf(e.reason) };
  if (hasTraffic(s)) {
    const reason = `aborted: ${e.reason ?? 'no reason given'}`;
    if (cause === 'gate-failed') {
      startRollback(d, ctx, e.at, {
        trigger: 'gate',
        reason: gateFailure(s) ?? reason,
        by: e.by,
        mode: 'full',
      });
    } else {
      startRollback(d, ctx, e.at, {
        trigger: 'manual',
        reason,
        by: e.by,
        mode: 'traffic-only',
        incident: false,
      });
    }
    return undefined;
  }
  cancelTimers(d);
  cancelRetry(d);
  s.pending = undefined;
  s.status = 'aborted';
  s.endedAt = e.at;
  note(s, e.at, `aborted before any traffic moved${e.reason ? `: ${e.reason}` : ''}`, e.by);
  notify(d, { kind: 'aborted', by: e.by, ...reasonOf(e.reason) });
  d.effects.push({ type: 'write-report' }, { type: 'release-lock' });
  return undefined;
}

/**
 * promote-now (admins): no more waiting, never fewer gates. From here, no approval waits and no watch
 * windows: every remaining stage still shifts its traffic, runs its checks and its gates once, and a
 * failing check or gate still rolls back. Inconclusive gates do not hold it (a split seconds old has too
 * little traffic to judge); a gate nobody can measure still asks people.
 */
export function promoteNow(d: CanaryDraft, e: Ev<'promote-now'>, ctx: StepContext): Outcome {
  const s = d.s;
  if (inPostPromotion(s)) return afterPromotion(s);
  if (s.promoteNow !== undefined) return 'already promoting now';
  const cause = attentionCause(s);
  if (s.status === 'needs-attention' && cause !== 'approval-expired' && cause !== 'inconclusive') {
    return `it needs attention first: ${attentionOf(s)?.reason ?? 'see the thread'}`;
  }
  const wasPaused = s.status === 'paused';
  if (wasPaused) {
    s.status = s.hold?.kind === 'paused' ? s.hold.from : 'watching';
    s.hold = undefined;
  }
  s.promoteNow = { by: e.by, at: e.at };
  notify(d, { kind: 'promote-now', by: e.by });
  note(s, e.at, 'promote now: no more approval waits or watch windows; gates still run', e.by);
  const stage = current(s);
  switch (s.status) {
    case 'awaiting-approval':
      if (!wasPaused) d.effects.push({ type: 'cancel', timer: 'approval-expiry', key: expiryKey(s) });
      note(s, e.at, `stage ${stage.name}: no approval wait (promote-now)`, e.by);
      shift(d, e.at);
      return undefined;
    case 'watching':
      if (s.pending?.effect === 'evaluate') return undefined;
      if (!wasPaused) d.effects.push({ type: 'cancel', timer: 'tick', key: tickKey(s) });
      evaluateGates(d, ctx, e.at);
      return undefined;
    case 'needs-attention':
      s.hold = undefined;
      if (cause === 'inconclusive') return passStage(d, ctx, e.at, `accepted by ${e.by} (promote-now)`);
      shift(d, e.at);
      return undefined;
    default:
      // Deploying, checking or shifting: the flag takes effect at the next wait.
      return undefined;
  }
}

/** What may be done once promoted, said instead of an abort or a promote-now. */
function afterPromotion(s: CanaryState): string {
  const previous = s.postPromotion?.previousRevision ?? s.stableRevision ?? 'the previous revision';
  return `it is promoted and in its post-promotion watch: /canary done ends the watch (keeping ${s.canaryRevision ?? 'the new revision'}), /rollback returns to ${previous}`;
}

/**
 * /canary done: a person ends the post-promotion watch now. The new revision stays; the previous one is
 * released, and the rollout is done. Not while the watch's tag is changing (seconds), nor while a rollback
 * runs or is stuck; with a failed gate waiting for its one click, it is the click that keeps the new one.
 */
export function endWatch(d: CanaryDraft, e: Ev<'end-watch'>, _ctx: StepContext): Outcome {
  const s = d.s;
  if (s.postPromotion === undefined) return 'this rollout has no post-promotion watch to end';
  if (!inPostPromotion(s))
    return `the post-promotion watch has not begun: the rollout is at stage ${current(s).name}`;
  const cause = attentionCause(s);
  if (cause === 'rollback') return 'a rollback is under way: resume to retry its step, or stop it';
  if (s.status === 'shifting')
    return 'the previous revision is being tagged or released: try again in a moment';
  if (s.status !== 'watching' && s.status !== 'paused' && s.status !== 'needs-attention')
    return `nothing to end: the rollout is ${s.status}`;
  // An advisory ask open now is answered by this: the new revision stays, as a Continue would keep it.
  decideAsk(s, 'continue', e.by, e.at);
  // An evaluation in flight is dropped: its results will find the watch over.
  cancelTimers(d);
  s.pending = undefined;
  s.hold = undefined;
  s.postPromotion.endedEarly = { by: e.by, at: e.at, ...reasonOf(e.reason) };
  const kept =
    cause === 'gate-failed' || cause === 'advisory-failed'
      ? ', keeping the new revision despite the failed gate'
      : '';
  note(s, e.at, `post-promotion watch ended early${kept}${e.reason ? `: ${e.reason}` : ''}`, e.by);
  notify(d, { kind: 'watch-ended', by: e.by, ...reasonOf(e.reason) });
  return finishWatch(d, e.at);
}

/** /rollback by a person (or the one click a failed gate asked for). The caller checked the policy. */
export function rollbackRequested(d: CanaryDraft, e: Ev<'rollback'>, ctx: StepContext): Outcome {
  const s = d.s;
  const stale = staleAsk(s, e.advisory);
  if (stale !== undefined) return stale;
  const cause = attentionCause(s);
  if (cause === 'rollback') return 'a rollback is already under way: resume to retry its step';
  const to = e.toRevision ?? s.stableRevision;
  if (to === undefined) return 'the stable revision is not known yet: name the revision to roll back to';
  const mode = e.mode ?? 'full';
  if (mode === 'route-only' && ctx.runbook.rollback.routeOverride === undefined) {
    return 'this service has no route-split override: a route-only rollback has nothing to do';
  }
  if (s.canaryRevision === undefined) return 'nothing deployed yet: abort instead';
  // The click a failed gate asked for keeps the gate's reason and trigger.
  const gate = gateFailure(s);
  // A failed advisory check before any traffic moved: nothing to roll back, the rollout stops there.
  if (cause === 'advisory-failed' && !hasTraffic(s)) {
    decideAsk(s, 'roll back', e.by, e.at);
    s.hold = undefined;
    note(s, e.at, 'stopped at the advisory check', e.by);
    return failRollout(d, e.at, `${gate ?? e.reason}; stopped at the advisory click`);
  }
  // The click at an advisory gate's ask: the stage failed by that gate, as an enforce one would have.
  if (decideAsk(s, 'roll back', e.by, e.at)) current(s).verdict = 'fail';
  const reason = gate ?? e.reason;
  startRollback(d, ctx, e.at, {
    trigger: gate === undefined ? 'manual' : 'gate',
    reason,
    by: e.by,
    toRevision: to,
    mode,
  });
  return undefined;
}

/** The failed gate's reason, while it waits for its one click (policy 'approve', or an advisory gate). */
function gateFailure(s: CanaryState): string | undefined {
  const cause = attentionCause(s);
  return cause === 'gate-failed' || cause === 'advisory-failed' ? attentionOf(s)?.reason : undefined;
}
