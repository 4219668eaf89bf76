import type { Principals } from '../config/environments.ts';

// Membership in a role (Slack user ids and user groups), as every role and approval check asks it.

export interface Person {
  userId: string;
  /** The user's Slack user groups (handles or ids). */
  groups: string[];
}

const groupKey = (group: string) => group.replace(/^@/, '').toLowerCase();

export function isMember(principals: Principals, person: Person): boolean {
  if (principals.users.includes(person.userId)) return true;
  const mine = new Set(person.groups.map(groupKey));
  return principals.groups.some((g) => mine.has(groupKey(g)));
}

/** `<@U1>, members of @group`, for refusals that say who may. */
export function describePrincipals(...all: Principals[]): string {
  const users = [...new Set(all.flatMap((p) => p.users))].map((u) => `<@${u}>`);
  const groups = [...new Set(all.flatMap((p) => p.groups))].map(
    (g) => `members of ${g.startsWith('@') || /^S[A-Z0-9]+$/.test(g) ? g : `@${g}`}`,
  );
  const names = [...users, ...groups];
  return names.length === 0 ? 'nobody (none are configured)' : names.join(', ');
}
