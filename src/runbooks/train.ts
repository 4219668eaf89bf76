import { formatDuration } from '../config/duration.ts';
import { type Draft, settle } from './in-flight.ts';
import { addMs, isBefore } from './timeline.ts';
import type {
  Approval,
  Attention,
  Notification,
  Pending,
  RolloutStatus,
  RunbookEvent,
  RunbookPolicy,
  TimelineEntry,
  TrainStep,
} from './types.ts';

// What the trains (stream cutover, flag canary) share: a list of steps run in order, each with its own
// log and a message in the thread, an outcome that belongs to the step and the effect in flight, and one
// approval request before the first change. Each train keeps its own order and its own rules.

export interface TrainState {
  status: RolloutStatus;
  requestedBy: string;
  steps: TrainStep[];
  step: number;
  approvals: Approval[];
  approvalRequestedAt?: string;
  approvalExpiresAt?: string;
  approvalRequests?: number;
  hold?: Attention<'approval-expired' | 'rollback'>;
  pending?: Pending;
  timeline: TimelineEntry[];
}

type Ev<T extends RunbookEvent['type']> = Extract<RunbookEvent, { type: T }>;
type Outcome = string | undefined;

export function newStep<N extends string>(name: N): TrainStep<N> {
  return { name, status: 'pending', results: [], failures: 0, log: [] };
}

export const currentStep = <S extends TrainState>(s: S): S['steps'][number] =>
  s.steps[s.step] as S['steps'][number];

export function stepNote(step: TrainStep, at: string, what: string, by?: string): void {
  step.log.push(by === undefined ? { at, what } : { at, what, by });
}

/** A line of the current step's own log. */
export function stepLog(d: Draft<TrainState>, at: string, what: string, by?: string): void {
  stepNote(currentStep(d.s), at, what, by);
}

export function notify(d: Draft<TrainState>, notification: Notification): void {
  d.effects.push({ type: 'notify', notification });
}

/** The step's message in the thread is posted, or edited to where it stands. */
export function notifyStep(d: Draft<TrainState>, index = d.s.step): void {
  notify(d, { kind: 'train-step', step: index });
}

/** An outcome that belongs to `step` and to the effect in flight; else it is stale and refused. */
export function outcomeOf(d: Draft<TrainState>, step: string, effect: string, fn: () => void): Outcome {
  const s = d.s;
  if (currentStep(s).name !== step || s.pending?.effect !== effect)
    return `no ${effect} in flight (it is at ${currentStep(s).name})`;
  settle(d);
  fn();
  return undefined;
}

export const approvalExpiryKey = (s: TrainState) => `${s.step}:${s.approvalRequests ?? 1}`;

/** The environment's approvals are asked for, before `change` (e.g. "the first change"). */
export function requestApproval(
  d: Draft<TrainState>,
  policy: RunbookPolicy,
  at: string,
  change: string,
): void {
  const s = d.s;
  s.status = 'awaiting-approval';
  s.approvalRequests = (s.approvalRequests ?? 0) + 1;
  s.approvalRequestedAt = at;
  const expiresAt = addMs(at, policy.approvalTtlMs);
  s.approvalExpiresAt = expiresAt;
  const required = policy.requiredApprovals;
  notify(d, { kind: 'approval-requested', stage: s.step, required, expiresAt });
  d.effects.push({
    type: 'schedule',
    timer: 'approval-expiry',
    at: expiresAt,
    key: approvalExpiryKey(s),
    event: { type: 'approval-expired', at: expiresAt, stage: s.step },
  });
  stepLog(d, at, `approval requested: ${required} needed before ${change}, expires ${expiresAt}`);
}

/** An approval of the step awaiting it; `approved` goes on once enough distinct people approved. */
export function approve(
  d: Draft<TrainState>,
  e: Ev<'approve'>,
  policy: RunbookPolicy,
  subject: string,
  approved: () => void,
): Outcome {
  const s = d.s;
  if (e.stage !== s.step || currentStep(s).name !== 'approval' || s.status !== 'awaiting-approval')
    return `the ${subject} is not waiting for this approval`;
  if (e.userId === s.requestedBy && !policy.allowSelfApproval)
    return `you started this ${subject}: someone else has to approve it`;
  if (s.approvals.some((a) => a.userId === e.userId)) return `you approved this ${subject} already`;
  if (s.approvalExpiresAt !== undefined && !isBefore(e.at, s.approvalExpiresAt))
    return `the approval request expired at ${s.approvalExpiresAt}`;
  s.approvals.push({ userId: e.userId, at: e.at });
  const count = s.approvals.length;
  const required = policy.requiredApprovals;
  notify(d, { kind: 'approval-recorded', stage: s.step, userId: e.userId, count, required });
  stepLog(d, e.at, `approved (${count} of ${required})`, e.userId);
  if (count < required) return undefined;
  d.effects.push({ type: 'cancel', timer: 'approval-expiry', key: approvalExpiryKey(s) });
  approved();
  return undefined;
}

/** The request lapsed: people decide (resume asks again, abort ends it). */
export function approvalExpired(
  d: Draft<TrainState>,
  e: Ev<'approval-expired'>,
  policy: RunbookPolicy,
): Outcome {
  const s = d.s;
  if (e.stage !== s.step || s.status !== 'awaiting-approval') return 'no approval request to expire';
  if (s.approvalExpiresAt !== undefined && isBefore(e.at, s.approvalExpiresAt))
    return 'the approval request has not expired yet';
  const reason = `approval expired after ${formatDuration(policy.approvalTtlMs)} with ${s.approvals.length} of ${policy.requiredApprovals} approvals`;
  s.status = 'needs-attention';
  s.hold = { kind: 'attention', cause: 'approval-expired', reason, at: e.at };
  stepLog(d, e.at, reason);
  notify(d, { kind: 'needs-attention', reason });
  return undefined;
}
