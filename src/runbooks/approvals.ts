import type { CanaryRunbook } from '../config/runbooks.ts';
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
}): ApproverCheck {
  const { policy, requestedBy, userId } = input;
  if (userId === requestedBy && !policy.allowSelfApproval) {
    return { ok: false, reason: 'you requested this rollout: someone else has to approve it' };
  }
  if (policy.approvers.users.includes(userId)) return { ok: true };
  // Config names groups by handle (@release-approvers) or id (S0614TZR7); the caller may resolve either.
  const mine = new Set(input.groupsOfUser.map(groupKey));
  if (policy.approvers.groups.some((g) => mine.has(groupKey(g)))) return { ok: true };
  return { ok: false, reason: `you are not an approver here: approvers are ${describeApprovers(policy)}` };
}

function groupKey(group: string): string {
  return group.replace(/^@/, '').toLowerCase();
}

function describeApprovers(policy: ApproverPolicy): string {
  const users = policy.approvers.users.map((u) => `<@${u}>`);
  const groups = policy.approvers.groups.map((g) =>
    g.startsWith('@') || /^S[A-Z0-9]+$/.test(g) ? g : `@${g}`,
  );
  const all = [...users, ...groups.map((g) => `members of ${g}`)];
  return all.length === 0 ? 'nobody (no approvers are configured)' : all.join(', ');
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
