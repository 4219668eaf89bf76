import type { WebClient } from '@slack/web-api';
import type { ShiftgateConfig } from '../../config/schema.ts';
import type { Logger } from '../../runbooks/effects.ts';

// Which of the config's Slack user groups a user belongs to, for the role checks. Members come from
// `usergroups.users.list` (Tier 2), cached for a while; handles (@release-approvers) are resolved to ids
// through `usergroups.list`. Where groups are unavailable (free workspaces answer plan_upgrade_required,
// or the scope is missing) nobody is in any group and only explicit user ids count: said once in the log.

export interface GroupResolver {
  /** The config's group names (as written there) the user is a member of. */
  groupsOf(userId: string): Promise<string[]>;
}

export function configuredGroups(config: ShiftgateConfig): string[] {
  const names = new Set<string>();
  for (const env of Object.values(config.environments)) {
    const all = [env.deployers, env.admins, env.approval.approvers, env.rollback.breakGlass];
    if (env.rollback.approval.approvers) all.push(env.rollback.approval.approvers);
    for (const principals of all) for (const group of principals.groups) names.add(group);
  }
  return [...names];
}

export function createGroupResolver(input: {
  client: WebClient;
  config: ShiftgateConfig;
  log: Logger;
  ttlMs?: number;
  now?: () => number;
}): GroupResolver {
  const ttlMs = input.ttlMs ?? 5 * 60_000;
  const now = input.now ?? Date.now;
  const names = configuredGroups(input.config);
  let members: { at: number; byName: Map<string, Set<string>> } | undefined;
  let loading: Promise<Map<string, Set<string>>> | undefined;
  let warned = false;

  async function load(): Promise<Map<string, Set<string>>> {
    const byName = new Map<string, Set<string>>();
    if (names.length === 0) return byName;
    try {
      const list = await input.client.usergroups.list({ include_disabled: false });
      const idOf = new Map<string, string>();
      for (const group of list.usergroups ?? []) {
        if (group.id && group.handle) idOf.set(group.handle.toLowerCase(), group.id);
      }
      for (const name of names) {
        const id = /^S[A-Z0-9]+$/.test(name) ? name : idOf.get(name.replace(/^@/, '').toLowerCase());
        if (!id) continue;
        const users = await input.client.usergroups.users.list({ usergroup: id });
        byName.set(name, new Set(users.users ?? []));
      }
    } catch (error) {
      if (!warned) {
        warned = true;
        input.log.warn('Slack user groups unavailable: only explicit user ids count in role checks', {
          error: (error as Error).message,
        });
      }
    }
    return byName;
  }

  return {
    async groupsOf(userId) {
      if (!members || now() - members.at > ttlMs) {
        loading ??= load().finally(() => {
          loading = undefined;
        });
        const byName = await loading;
        members = { at: now(), byName };
      }
      return names.filter((name) => members?.byName.get(name)?.has(userId));
    },
  };
}
