import { describe, expect, it } from 'vitest';
import { attentionOf, withHold } from '../../src/runbooks/hold.ts';
import { KINDS } from '../../src/runbooks/kinds.ts';
import type { CanaryState, StandaloneRollbackState } from '../../src/runbooks/types.ts';
import { Canary, policy, runbook } from '../blocks/fixtures.ts';

// Records saved before `hold` existed (pausedFrom, pausedAt, attention) keep working after an upgrade:
// a rollout paused or needing attention at deploy time resumes where it was, and its card and report
// still say why.

function legacy(state: CanaryState, old: Record<string, unknown>): CanaryState {
  const { hold: _hold, ...rest } = state;
  return { ...rest, ...old } as CanaryState;
}

describe('records written before hold', () => {
  it('a paused canary resumes to the wait it was paused in', () => {
    const base = new Canary().deploy().state;
    const old = legacy(
      {
        ...base,
        status: 'paused',
        timeline: [...base.timeline, { at: base.startedAt, what: 'paused', by: 'UPAUSER' }],
      },
      { pausedFrom: 'awaiting-approval', pausedAt: base.startedAt },
    );
    expect(withHold(old).hold).toEqual({
      kind: 'paused',
      from: 'awaiting-approval',
      at: base.startedAt,
      by: 'UPAUSER',
    });
    expect(withHold(old)).not.toHaveProperty('pausedFrom');
    const resume = { type: 'resume', at: base.startedAt, by: base.requestedBy } as const;
    const resumed = KINDS.canary.step(old, resume, { runbook, policy: policy() });
    expect(resumed.refused).toBeUndefined();
    expect(resumed.state.status).toBe('awaiting-approval');
  });

  it('a canary that needed attention keeps its cause, and readers still see the reason', () => {
    const base = new Canary().deploy().state;
    const attention = { reason: 'Cloud Run said no', at: base.startedAt, cause: 'effect-failed' };
    const old = legacy({ ...base, status: 'needs-attention' }, { pausedFrom: 'shifting', attention });
    expect(withHold(old).hold).toEqual({
      kind: 'attention',
      cause: 'effect-failed',
      reason: 'Cloud Run said no',
      at: base.startedAt,
      from: 'shifting',
    });
    expect(attentionOf(old)?.reason).toBe('Cloud Run said no');
  });

  it('a finished standalone rollback with failing checks keeps its attention line', () => {
    const old = {
      kind: 'rollback',
      status: 'rolled-back',
      attention: { reason: 'healthz failed', at: '2026-12-01T10:00:00.000Z' },
    } as unknown as StandaloneRollbackState;
    expect(attentionOf(old)).toEqual({
      kind: 'attention',
      cause: 'rollback',
      reason: 'healthz failed',
      at: '2026-12-01T10:00:00.000Z',
    });
  });

  it('a record already in the new shape is returned as it is', () => {
    const state = new Canary().deploy().state;
    expect(withHold(state)).toBe(state);
  });
});
