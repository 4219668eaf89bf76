import { describe, expect, it } from 'vitest';
import { ACTIONS, decodeValue } from '../../src/blocks/actions.ts';
import { approvalDecided, approvalRequest } from '../../src/blocks/approval.ts';
import { blockKitProblems } from '../../src/blocks/limits.ts';
import { APPROVERS, at, buttons, CANARY, NOW, REQUESTER, STABLE, scenario, textOf } from './fixtures.ts';

const waiting = () => scenario('awaiting-approval'); // stage B, one of two approvals in
const details = { required: 2, expiresAt: at(30), onGateFailure: 'automatic' as const };

describe('the approval request', () => {
  it('says what approving will do, who approved so far, and when it expires', () => {
    const m = approvalRequest(waiting(), 1, details, NOW);
    const text = textOf(m);
    expect(text).toContain(`Shift to *5 %* of traffic on \`${CANARY}\` (stable \`${STABLE}\` keeps 95 %)`);
    expect(text).toContain(`1 of 2: <@${APPROVERS[0]}>`);
    expect(text).toContain('|2026-11-23T10:30:00.000Z> (in 18 min)');
    expect(text).toContain(`<@${REQUESTER}>`);
    expect(m.text).toBe('Approval needed: control prod v1.42.0 stage B');
    expect(blockKitProblems(m)).toEqual([]);
  });

  it('says approving approves the rollback policy when a failing gate rolls back on its own', () => {
    expect(textOf(approvalRequest(waiting(), 1, details))).toContain(
      'Approving also approves the rollback policy: a failing gate rolls back on its own.',
    );
    const asks = textOf(approvalRequest(waiting(), 1, { ...details, onGateFailure: 'approve' }));
    expect(asks).not.toContain('rolls back on its own');
    expect(asks).toContain('asks for one click to roll back');
  });

  it('names who may approve, and that the requester may not when self-approval is off', () => {
    const text = textOf(
      approvalRequest(waiting(), 1, {
        ...details,
        approvers: 'members of @release-approvers',
        allowSelfApproval: false,
      }),
    );
    expect(text).toContain('May approve: members of @release-approvers');
    expect(text).toContain(`<@${REQUESTER}> asked for this rollout and may not approve it.`);
  });

  it('has Approve (primary) and Abort (danger), both naming the rollout and the stage', () => {
    const state = waiting();
    const [approve, abort, ...rest] = buttons(approvalRequest(state, 1, details));
    expect(rest).toEqual([]);
    expect(approve).toMatchObject({ action_id: ACTIONS.approve, style: 'primary' });
    expect(abort).toMatchObject({ action_id: ACTIONS.approvalAbort, style: 'danger' });
    expect(decodeValue(approve?.value)).toEqual({ r: state.id, s: 1 });
    expect(decodeValue(abort?.value)).toEqual({ r: state.id, s: 1 });
  });

  it('marks a dry run', () => {
    const state = scenario('dry run');
    expect(textOf(approvalRequest(state, 2, details))).toContain('Dry run');
  });
});

describe('the decided approval', () => {
  it('says who approved and when, keeps what it was about, and has no buttons', () => {
    const state = scenario('watching');
    const approvals = state.stages[1]?.approvals ?? [];
    expect(approvals).toHaveLength(2);
    const m = approvalDecided(state, 1, { kind: 'approved', by: approvals }, { required: 2 });
    const text = textOf(m);
    for (const a of approvals) expect(text).toContain(`<@${a.userId}> <!date^`);
    expect(text).toContain('*Approved* stage B (5 %)');
    expect(text).toContain('Shift to *5 %* of traffic');
    expect(text).toContain('2 of 2');
    expect(buttons(m)).toEqual([]);
    expect(blockKitProblems(m)).toEqual([]);
  });

  it('says who aborted, when it expired, or why it is no longer asked', () => {
    const state = waiting();
    const aborted = approvalDecided(state, 1, { kind: 'aborted', by: REQUESTER, at: at(5) });
    expect(textOf(aborted)).toContain(
      `*Aborted* stage B (5 %) of \`control\` in \`prod\` by <@${REQUESTER}> <!date^`,
    );
    const expired = approvalDecided(state, 1, { kind: 'expired', at: at(30) }, { required: 2 });
    expect(textOf(expired)).toContain('with 1 of 2 approvals: resume the rollout to ask again');
    const superseded = approvalDecided(state, 1, { kind: 'superseded', why: 'rolled back <!channel>' });
    expect(textOf(superseded)).toContain('No longer asked');
    expect(textOf(superseded)).toContain('rolled back &lt;!channel&gt;');
    for (const m of [aborted, expired, superseded]) {
      expect(buttons(m)).toEqual([]);
      expect(blockKitProblems(m)).toEqual([]);
    }
  });

  it('stays within limits with many approvers and a long reason', () => {
    const state = waiting();
    const many = Array.from({ length: 60 }, (_, i) => ({
      userId: `UAPPR${String(i).padStart(4, '0')}`,
      at: at(i),
    }));
    const stage = state.stages[1];
    if (stage) stage.approvals = many;
    expect(blockKitProblems(approvalRequest(state, 1, { ...details, required: 60 }))).toEqual([]);
    expect(blockKitProblems(approvalDecided(state, 1, { kind: 'approved', by: many }))).toEqual([]);
    expect(
      blockKitProblems(approvalDecided(state, 1, { kind: 'superseded', why: 'x'.repeat(20_000) })),
    ).toEqual([]);
  });
});
