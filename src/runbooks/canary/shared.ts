import { type Stage, stageAt } from '../../config/runbooks.ts';
import { attentionOf } from '../hold.ts';
import { cancelRetry, type Draft } from '../in-flight.ts';
import { note } from '../timeline.ts';
import type {
  AttentionCause,
  CanaryState,
  Notification,
  RunbookEvent,
  StageProgress,
  StepContext,
} from '../types.ts';
import { inPostPromotion } from './post-promotion-stage.ts';

// What every file of the canary uses: the draft a step works on, state lookups, timer keys, notify,
// cancelling what the rollout waits on, and stopping to ask people.

/** The draft a step works on (in-flight.ts): `d.s` is the state it changes, `d.effects` what it emits. */
export type CanaryDraft = Draft<CanaryState>;
export type Ev<T extends RunbookEvent['type']> = Extract<RunbookEvent, { type: T }>;
/** A refusal reason, or undefined when the event was taken. */
export type Outcome = string | undefined;

export function notify(d: CanaryDraft, notification: Notification): void {
  d.effects.push({ type: 'notify', notification });
}

/**
 * Stop and ask people. The hold remembers where `resume` goes back to: the status it stopped in, or,
 * when it was paused (an evaluation still in flight failed), the status the pause was taken from.
 */
export function needsAttention(
  d: CanaryDraft,
  at: string,
  cause: AttentionCause,
  reason: string,
  message = reason,
): void {
  const s = d.s;
  const from = s.hold?.kind === 'paused' ? s.hold.from : s.status;
  s.status = 'needs-attention';
  s.hold = { kind: 'attention', cause, reason, at, from };
  note(s, at, `needs attention: ${reason}`);
  notify(d, { kind: 'needs-attention', reason: message });
}

/** The attention the rollout waits on, if it waits on one. */
export function attentionCause(s: CanaryState): AttentionCause | undefined {
  return s.status === 'needs-attention' ? attentionOf(s)?.cause : undefined;
}

/** Cancel every timer of the rollout: the one it waits on, and any retry. */
export function cancelTimers(d: CanaryDraft): void {
  cancelWait(d);
  cancelRetry(d);
}

/** Cancel the timer the rollout waits on: the next tick, or the approval request's expiry. */
export function cancelWait(d: CanaryDraft): void {
  const s = d.s;
  if (s.status === 'awaiting-approval')
    d.effects.push({ type: 'cancel', timer: 'approval-expiry', key: expiryKey(s) });
  if (s.status === 'watching' && s.pending?.effect !== 'evaluate') {
    d.effects.push({ type: 'cancel', timer: 'tick', key: tickKey(s) });
  }
}

/** Whether the canary has (or may have) traffic: reported, or a traffic change in flight or failed. */
export function hasTraffic(s: CanaryState): boolean {
  const reported = s.canaryRevision === undefined ? 0 : (s.trafficNow?.[s.canaryRevision] ?? 0);
  return reported > 0 || s.pending?.effect === 'set-traffic';
}

export function current(s: CanaryState): StageProgress {
  const stage = s.stages[s.stage];
  if (stage === undefined) throw new Error(`rollout ${s.id} has no stage ${s.stage}`);
  return stage;
}

export function stageDef(ctx: StepContext, s: CanaryState): Stage {
  const stage = stageAt(ctx.runbook, s.stage);
  if (stage === undefined) throw new Error(`the runbook has no stage ${s.stage} (rollout ${s.id})`);
  return stage;
}

/** promote-now hurries the stages up to 100 %; it never shortens the post-promotion watch. */
export function hurried(s: CanaryState): boolean {
  return s.promoteNow !== undefined && !inPostPromotion(s);
}

export function stageName(s: CanaryState, index: number): string {
  return s.stages[index]?.name ?? `#${index}`;
}

export function revisions(s: CanaryState): { stable: string; canary: string } {
  if (s.stableRevision === undefined || s.canaryRevision === undefined) {
    throw new Error(`rollout ${s.id}: revisions are not known before the deploy`);
  }
  return { stable: s.stableRevision, canary: s.canaryRevision };
}

export function windowStart(stage: StageProgress): string {
  return stage.windowStartedAt ?? stage.startedAt ?? '';
}

/**
 * Timer keys are deterministic, so a duplicate schedule collapses: tick n of stage s is `s:n`, and the
 * tick after fast tick f (which leaves no entry in `ticks` when it finds nothing) is `s:n.f`.
 */
export function tickKey(s: CanaryState): string {
  const stage = current(s);
  const fast = stage.fastTicks ? `.${stage.fastTicks}` : '';
  return `${s.stage}:${stage.ticks.length + 1}${fast}`;
}

/** Approval request r of stage s is `s:r`. */
export function expiryKey(s: CanaryState): string {
  return `${s.stage}:${current(s).approvalRequests ?? 1}`;
}
