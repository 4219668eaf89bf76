import type { CanaryRunbook } from '../config/runbooks.ts';
import { describePrincipals, isMember } from './principals.ts';
import type { StageProgress } from './types.ts';

// Approval rules (DESIGN.md "Roles, locks and approvals"), pure. Two questions, asked by different callers:
//
// - checkApprover: may this person approve at all? The command handler asks it on the server at the
//   moment of the click (never trusting the button), after resolving the user's Slack groups.
// - approvalRefusal: does this approval count for this stage now? The canary runbook asks it for every
//   `approve` event: only the stage awaiting approval, not the requester unless the policy allows it,
//   each person once.

export interface ApproverPolicy {
  approvers: { users: string[]; groups: string[] };
  allowSelfApproval: boolean;
}

export type ApproverCheck = { ok: true } | { ok: false; reason: string };

export function checkApprover(input: {
  policy: ApproverPolicy;
  requestedBy: string;
  userId: string;
  groupsOfUser: string[];
  /** What was requested, for the refusal; default rollout. */
  subject?: string;
}): ApproverCheck {
  const { policy, requestedBy, userId } = input;
  if (userId === requestedBy && !policy.allowSelfApproval) {
    return {
      ok: false,
      reason: `you requested this ${input.subject ?? 'rollout'}: someone else has to approve it`,
    };
  }
  if (isMember(policy.approvers, { userId, groups: input.groupsOfUser })) return { ok: true };
  return {
    ok: false,
    reason: `you are not an approver here: approvers are ${describePrincipals(policy.approvers)}`,
  };
}

/**
 * Whether a stage asks for approval before its traffic shift: its own `approval`, else every increase of
 * traffic does. Stage A never does: starting the rollout was its decision (it shifts no traffic).
 */
export function needsApproval(runbook: CanaryRunbook, index: number): boolean {
  const stage = runbook.stages[index];
  const previous = runbook.stages[index - 1];
  if (index === 0 || stage === undefined) return false;
  return stage.approval ?? stage.traffic > (previous?.traffic ?? 0);
}

/** Why this approval does not count for the stage awaiting approval, or undefined when it does. */
export function approvalRefusal(input: {
  stage: StageProgress;
  userId: string;
  at: string;
  requestedBy: string;
  allowSelfApproval: boolean;
}): string | undefined {
  const { stage, userId } = input;
  if (userId === input.requestedBy && !input.allowSelfApproval) {
    return 'you requested this rollout: someone else has to approve it';
  }
  if (stage.approvals.some((a) => a.userId === userId)) return `already approved stage ${stage.name}`;
  if (stage.approvalExpiresAt !== undefined && Date.parse(input.at) >= Date.parse(stage.approvalExpiresAt)) {
    return `the approval request for stage ${stage.name} expired at ${stage.approvalExpiresAt}`;
  }
  return undefined;
}
