import type { StreamCutoverState } from '../../runbooks/cutover/types.ts';
import type { CanaryState, FlagCanaryState } from '../../runbooks/types.ts';

// The Slack messages that ask people for an approval, as the poster names them: (owner, purpose) is one
// message, so a retried or redriven post edits the one posted before. Built here only, so the post and
// every later edit name the same message.

/**
 * Approval request r of stage s of a rollout (owner: the rollout id): `approval:s:r`. A stage asked again
 * after its request expired gets a new message; the lapsed one stays as it was decided.
 */
export function approvalPurpose(state: CanaryState, stage: number): string {
  return `approval:${stage}:${state.stages[stage]?.approvalRequests ?? 1}`;
}

/** The ask of failed advisory gate(s), ask a of stage s of a rollout (owner: the rollout id): `advisory:s:a`. */
export function advisoryPurpose(stage: number, ask: number): string {
  return `advisory:${stage}:${ask}`;
}

/** The approval request of a train (its step index, and which request): `approval:s:r`. */
export function trainApprovalPurpose(state: StreamCutoverState | FlagCanaryState): string {
  return `approval:${state.steps.findIndex((s) => s.name === 'approval')}:${state.approvalRequests ?? 1}`;
}

/** The card of a manual rollback waiting for approval (owner: the rollback request id). */
export const ROLLBACK_REQUEST_PURPOSE = 'request';

/** The card of a /route change waiting for approval (owner: the route request id). */
export const ROUTE_REQUEST_PURPOSE = 'route-request';
