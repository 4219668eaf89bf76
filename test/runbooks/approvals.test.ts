import { describe, expect, it } from 'vitest';
import { canaryRunbook } from '../../src/config/runbooks.ts';
import { approvalRefusal, checkApprover, needsApproval } from '../../src/runbooks/approvals.ts';
import type { StageProgress } from '../../src/runbooks/types.ts';

const policy = {
  approvers: { users: ['U0APPROVE1', 'U0APPROVE2'], groups: ['@release-approvers', 'S0614TZR7'] },
  allowSelfApproval: false,
};

describe('checkApprover: who may approve', () => {
  const check = (userId: string, groupsOfUser: string[] = [], p = policy) =>
    checkApprover({ policy: p, requestedBy: 'U0REQUEST', userId, groupsOfUser });

  it('accepts a listed user', () => {
    expect(check('U0APPROVE1')).toEqual({ ok: true });
  });

  it('accepts a member of a listed group, by handle (with or without @) or by id', () => {
    expect(check('U0OTHER', ['@release-approvers'])).toEqual({ ok: true });
    expect(check('U0OTHER', ['release-approvers'])).toEqual({ ok: true });
    expect(check('U0OTHER', ['@Release-Approvers'])).toEqual({ ok: true });
    expect(check('U0OTHER', ['S0614TZR7'])).toEqual({ ok: true });
  });

  it('refuses anyone else, naming who may', () => {
    expect(check('U0OTHER', ['@sre-oncall'])).toEqual({
      ok: false,
      reason:
        'you are not an approver here: approvers are <@U0APPROVE1>, <@U0APPROVE2>, members of @release-approvers, members of S0614TZR7',
    });
    expect(
      check('U0OTHER', [], { approvers: { users: [], groups: [] }, allowSelfApproval: false }),
    ).toMatchObject({
      reason: 'you are not an approver here: approvers are nobody (none are configured)',
    });
  });

  it('refuses self-approval by default, even to an approver, and allows it when the policy does', () => {
    const self = (p = policy) =>
      checkApprover({ policy: p, requestedBy: 'U0APPROVE1', userId: 'U0APPROVE1', groupsOfUser: [] });
    expect(self()).toEqual({
      ok: false,
      reason: 'you requested this rollout: someone else has to approve it',
    });
    expect(self({ ...policy, allowSelfApproval: true })).toEqual({ ok: true });
    // Allowed to approve their own rollout still means being an approver.
    expect(
      checkApprover({
        policy: { ...policy, allowSelfApproval: true },
        requestedBy: 'U0REQUEST',
        userId: 'U0REQUEST',
        groupsOfUser: [],
      }),
    ).toMatchObject({ ok: false });
  });
});

describe('needsApproval', () => {
  const runbook = canaryRunbook.parse({
    kind: 'canary',
    stages: [
      { name: 'A', traffic: 0, approval: true },
      { name: 'B', traffic: 5 },
      { name: 'C', traffic: 50, approval: false },
      { name: 'E', traffic: 100 },
    ],
  });

  it('asks before every traffic increase unless the stage says otherwise, never at stage A', () => {
    expect([0, 1, 2, 3].map((i) => needsApproval(runbook, i))).toEqual([false, true, false, true]);
  });
});

describe('approvalRefusal: does this approval count now', () => {
  const stage: StageProgress = {
    index: 1,
    name: 'B',
    traffic: 5,
    approvals: [{ userId: 'U0APPROVE1', at: '2026-11-02T10:01:00.000Z' }],
    approvalExpiresAt: '2026-11-02T10:30:00.000Z',
    ticks: [],
    extensionsUsed: 0,
  };
  const refusal = (userId: string, at = '2026-11-02T10:05:00.000Z', allowSelfApproval = false) =>
    approvalRefusal({ stage, userId, at, requestedBy: 'U0REQUEST', allowSelfApproval });

  it('counts a new approver', () => {
    expect(refusal('U0APPROVE2')).toBeUndefined();
  });

  it('refuses the requester, a second click by the same person, and a click after expiry', () => {
    expect(refusal('U0REQUEST')).toMatch(/someone else/);
    expect(refusal('U0REQUEST', undefined, true)).toBeUndefined();
    expect(refusal('U0APPROVE1')).toBe('already approved stage B');
    expect(refusal('U0APPROVE2', '2026-11-02T10:30:00.000Z')).toMatch(/expired/);
  });
});
