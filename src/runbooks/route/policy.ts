import type { Environment } from '../../config/environments.ts';
import { checkApprover } from '../approvals.ts';
import { describePrincipals, isMember, type Person } from '../principals.ts';

// Who may change the route split by hand (DESIGN.md: "route-split overrides always follow the approval
// policy"), pure. Deployers and approvers may ask; the environment's approvers decide, N distinct ones,
// not the asker unless the policy allows it. Break-glass and admins act alone (the reason is mandatory for
// everyone). A rollback's own override is not a person's change: it keeps the rollback's rules.

export type RouteRight = { ok: true; alone: boolean } | { ok: false; reason: string };

export function mayChangeRoute(env: Environment, person: Person): RouteRight {
  if (isMember(env.rollback.breakGlass, person) || isMember(env.admins, person))
    return { ok: true, alone: true };
  if (isMember(env.deployers, person) || isMember(env.approval.approvers, person))
    return { ok: true, alone: false };
  return {
    ok: false,
    reason: `you may not change the route split here: changes are asked for by ${describePrincipals(env.deployers, env.approval.approvers)} and made alone by ${describePrincipals(env.rollback.breakGlass, env.admins)}`,
  };
}

export function mayApproveRoute(env: Environment, person: Person, requestedBy: string) {
  return checkApprover({
    policy: { approvers: env.approval.approvers, allowSelfApproval: env.approval.allowSelfApproval },
    requestedBy,
    userId: person.userId,
    groupsOfUser: person.groups,
    subject: 'route change',
  });
}
