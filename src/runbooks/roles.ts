import type { Environment, Principals } from '../config/environments.ts';
import { checkApprover } from './approvals.ts';
import { describePrincipals, isMember, type Person } from './principals.ts';

// Who may do what (DESIGN.md "Roles, locks and approvals"), pure. The engine asks these on the server at
// the moment of every action, with the user's Slack groups resolved; buttons are never trusted.
//
//   start a canary             deployers, admins
//   pause, resume, abort,      the rollout's requester, admins
//   end the post-promotion
//   watch (/canary done)
//   promote now                admins
//   roll back after a gate     the requester, rollback approvers, break-glass, admins (the one click the
//   failed (policy: approve,   policy asks for: the failed gate is the evidence)
//   or an advisory gate)
//   continue past a failed     the environment's approvers, by the approval policy (the requester only
//   advisory gate              when allowSelfApproval): going on is approving the stage past the gate
//   manual /rollback           deployers, rollback approvers, break-glass, admins may ask. Break-glass
//                              and admins act alone (the reason is mandatory for everyone); the others
//                              wait for the environment's rollback approvals.

export type Refusal = { ok: true } | { ok: false; reason: string };

const rollbackApprovers = (env: Environment): Principals =>
  env.rollback.approval.approvers ?? env.approval.approvers;

export function mayStart(env: Environment, person: Person): Refusal {
  if (isMember(env.deployers, person) || isMember(env.admins, person)) return { ok: true };
  return {
    ok: false,
    reason: `you are not a deployer here: rollouts are started by ${describePrincipals(env.deployers, env.admins)}`,
  };
}

/** pause, resume, abort, end-watch: the requester's own rollout, or an admin. promote-now: admins only. */
export function mayControl(
  env: Environment,
  person: Person,
  action: 'pause' | 'resume' | 'abort' | 'promote-now' | 'end-watch',
  requestedBy: string,
): Refusal {
  if (isMember(env.admins, person)) return { ok: true };
  if (action === 'promote-now') {
    return { ok: false, reason: `only admins may promote now: ${describePrincipals(env.admins)}` };
  }
  if (person.userId === requestedBy) return { ok: true };
  return {
    ok: false,
    reason: `only <@${requestedBy}> (who started this rollout) or an admin may ${action === 'end-watch' ? 'end its post-promotion watch' : `${action} it`}`,
  };
}

export type RollbackRight = { ok: true; alone: boolean } | { ok: false; reason: string };

/**
 * May this person roll back, and alone? `gateFailed`: the rollout waits on a failed gate for the one
 * click its policy asks for.
 */
export function mayRollBack(
  env: Environment,
  person: Person,
  input: { gateFailed?: boolean; requestedBy?: string } = {},
): RollbackRight {
  const breakGlass = isMember(env.rollback.breakGlass, person) || isMember(env.admins, person);
  if (breakGlass) return { ok: true, alone: true };
  const approver = isMember(rollbackApprovers(env), person);
  if (input.gateFailed && (approver || person.userId === input.requestedBy)) return { ok: true, alone: true };
  if (approver || isMember(env.deployers, person)) return { ok: true, alone: false };
  return {
    ok: false,
    reason: `you may not roll back here: rollbacks are asked for by ${describePrincipals(env.deployers, rollbackApprovers(env))} and run alone by ${describePrincipals(env.rollback.breakGlass, env.admins)}`,
  };
}

/** May this person approve someone else's rollback request? */
export function mayApproveRollback(env: Environment, person: Person, requestedBy: string): Refusal {
  return checkApprover({
    policy: {
      approvers: rollbackApprovers(env),
      allowSelfApproval: env.rollback.approval.allowSelfApproval,
    },
    requestedBy,
    userId: person.userId,
    groupsOfUser: person.groups,
    subject: 'rollback',
  });
}

/** May this person continue a rollout past its failed advisory gate? The stage approval rules decide. */
export function mayContinuePastAdvisory(env: Environment, person: Person, requestedBy: string): Refusal {
  const check = checkApprover({
    policy: { approvers: env.approval.approvers, allowSelfApproval: env.approval.allowSelfApproval },
    requestedBy,
    userId: person.userId,
    groupsOfUser: person.groups,
  });
  if (check.ok) return check;
  return { ok: false, reason: `${check.reason} (continuing past a failed advisory gate approves the stage)` };
}
