import { WebClient } from '@slack/web-api';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackTwin } from '../../sandbox/twins/slack/index.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';
import { createGroupResolver } from '../../src/platform/slack/usergroups.ts';
import { testConfig } from '../helpers/engine-world.ts';
import { useTwins } from '../helpers/msw.ts';

// Role groups from Slack: handles and ids in the config resolved through usergroups.list and
// usergroups.users.list, cached; on a free workspace (plan_upgrade_required) nobody is in a group and
// explicit user ids still count.

const slack = createSlackTwin({
  usergroups: {
    S0APPROVE: { handle: 'release-approvers', users: ['UALICE', 'UBOB'] },
    S0SRE: { handle: 'sre-oncall', users: ['UCAROL'] },
  },
});
useTwins(...slack.handlers);

const base = testConfig();
const config = {
  ...base,
  environments: {
    prod: {
      ...(base.environments.prod as ShiftgateConfig['environments'][string]),
      deployers: { users: ['UDEPLOYER'], groups: [] },
      approval: {
        ...(base.environments.prod as ShiftgateConfig['environments'][string]).approval,
        approvers: { users: ['UEXPLICIT'], groups: ['@release-approvers'] },
      },
      rollback: {
        onGateFailure: 'automatic' as const,
        approval: { required: 1, allowSelfApproval: false },
        breakGlass: { users: [], groups: ['S0SRE'] },
      },
    },
  },
};

let client: WebClient;
beforeAll(() => {
  client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
});
beforeEach(() => slack.reset());

const calls = () => slack.recorder.requests.filter((r) => r.path.includes('usergroups')).length;

describe('Slack user groups', () => {
  it('finds a user in groups named by handle or id, and caches the members', async () => {
    const warnings: string[] = [];
    let now = 0;
    const groups = createGroupResolver({
      client,
      config,
      log: { warn: (m) => warnings.push(m), error: () => {} },
      ttlMs: 60_000,
      now: () => now,
    });
    expect(await groups.groupsOf('UALICE')).toEqual(['@release-approvers']);
    expect(await groups.groupsOf('UCAROL')).toEqual(['S0SRE']);
    expect(await groups.groupsOf('UNOBODY')).toEqual([]);
    const first = calls();
    expect(first).toBe(3); // list + the members of two groups, once
    now = 61_000;
    await groups.groupsOf('UALICE');
    expect(calls()).toBe(2 * first); // refreshed after the TTL
    expect(warnings).toEqual([]);
  });

  it('on a free workspace: no group members, said once in the log', async () => {
    slack.configure({ planUpgradeRequired: true });
    const warnings: string[] = [];
    const groups = createGroupResolver({
      client,
      config,
      log: { warn: (m) => warnings.push(m), error: () => {} },
      ttlMs: 0,
    });
    expect(await groups.groupsOf('UALICE')).toEqual([]);
    expect(await groups.groupsOf('UALICE')).toEqual([]);
    expect(warnings).toEqual(['Slack user groups unavailable: only explicit user ids count in role checks']);
  });
});
