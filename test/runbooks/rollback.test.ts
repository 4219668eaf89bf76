import { describe, expect, it } from 'vitest';
import { canaryRunbook } from '../../src/config/runbooks.ts';
import type { GateResult, GateStatus } from '../../src/gates/result.ts';
import {
  newRollbackState,
  newStandaloneRollback,
  rollbackStep,
  standaloneRollbackStep,
} from '../../src/runbooks/rollback.ts';
import type {
  Effect,
  RollbackState,
  RunbookEvent,
  RunbookPolicy,
  StandaloneRollbackState,
  StepContext,
} from '../../src/runbooks/types.ts';

// The Deterministic Rollback Procedure of seed 000 on its own: the sub-machine a canary embeds, and the
// standalone /rollback that runs it with no rollout active.

const T0 = Date.parse('2026-11-02T14:00:00.000Z');
const t = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

const stages = [
  { name: 'A', traffic: 0, checks: ['healthz'] },
  { name: 'B', traffic: 100, watch: '10m', gates: ['error-rate'] },
];
const withOverride = canaryRunbook.parse({
  kind: 'canary',
  stages,
  rollback: { routeOverride: 'legacy', checks: ['healthz', 'auth-session'] },
});
const withoutOverride = canaryRunbook.parse({ kind: 'canary', stages, rollback: { checks: [] } });

const policy: RunbookPolicy = {
  requiredApprovals: 1,
  allowSelfApproval: false,
  approvalTtlMs: 3_600_000,
  onGateFailure: 'automatic',
  maxAttempts: 2,
  backoffMs: () => 5_000,
};

const ok = (gate: string, status: GateStatus = 'pass'): GateResult => ({
  gate,
  kind: 'http',
  status,
  metric: gate,
  threshold: 'status 200',
  samples: 1,
  evidence: `GET /${gate}`,
  at: t(0),
});

const rollback = (
  mode: RollbackState['mode'] = 'full',
  extra: Partial<Parameters<typeof newRollbackState>[0]> = {},
) =>
  newRollbackState({
    trigger: 'manual',
    reason: '5xx spike',
    by: 'U0ONCALL1',
    failedStage: 'C',
    toRevision: 'svc-00010-abc',
    fromRevision: 'svc-00011-def',
    mode,
    at: t(0),
    ...extra,
  });

/** Feed events in order; every one must be taken. Returns the effects of each step. */
function drive(state: RollbackState, events: RunbookEvent[], runbook = withOverride) {
  const steps: Effect[][] = [];
  let s = state;
  for (const event of events) {
    const out = rollbackStep(s, event, { runbook, stage: 2 });
    expect(out.refused, `${event.type} refused`).toBeUndefined();
    s = out.state;
    steps.push(out.effects);
  }
  return { state: s, steps };
}

describe('the procedure (rollbackStep)', () => {
  it('full: route override, traffic 100 % to stable, verify, checks, incident', () => {
    const { state, steps } = drive(rollback(), [
      { type: 'start', at: t(0) },
      { type: 'route-overridden', at: t(1), target: 'legacy' },
      { type: 'traffic-set', at: t(3), traffic: { 'svc-00010-abc': 100 } },
      { type: 'checks-done', at: t(8), results: [ok('healthz'), ok('auth-session')] },
    ]);
    expect(steps).toEqual([
      [{ type: 'route-override', target: 'legacy' }],
      [{ type: 'rollback-traffic', toRevision: 'svc-00010-abc' }],
      [
        {
          type: 'evaluate',
          phase: 'rollback-checks',
          stage: 2,
          gates: ['healthz', 'auth-session'],
          window: { start: t(0), end: t(3) },
        },
      ],
      [
        {
          type: 'open-incident',
          failedStage: 'C',
          symptom: '5xx spike',
          revisions: { from: 'svc-00011-def', to: 'svc-00010-abc' },
        },
      ],
    ]);
    expect(state).toMatchObject({
      status: 'done',
      routeOverride: 'legacy',
      trafficAfter: { 'svc-00010-abc': 100 },
      endedAt: t(8),
    });
    expect(state.attention).toBeUndefined();
    expect(
      rollbackStep(state, { type: 'resume', at: t(9), by: 'U1' }, { runbook: withOverride }).refused,
    ).toBe('the rollback is already done');
  });

  it('without a route-split API (no override configured) and no checks: traffic, verify, incident', () => {
    const { steps } = drive(
      rollback(),
      [
        { type: 'start', at: t(0) },
        { type: 'traffic-set', at: t(3), traffic: { 'svc-00010-abc': 100 } },
      ],
      withoutOverride,
    );
    expect(steps.map((s) => s.map((e) => e.type))).toEqual([['rollback-traffic'], ['open-incident']]);
  });

  it('traffic-only skips the override; route-only skips the traffic', () => {
    expect(drive(rollback('traffic-only'), [{ type: 'start', at: t(0) }]).steps[0]).toEqual([
      { type: 'rollback-traffic', toRevision: 'svc-00010-abc' },
    ]);
    const routeOnly = drive(rollback('route-only'), [
      { type: 'start', at: t(0) },
      { type: 'route-overridden', at: t(1), target: 'legacy' },
    ]);
    expect(routeOnly.steps[1]?.map((e) => e.type)).toEqual(['evaluate']);
    const refused = rollbackStep(
      rollback('route-only'),
      { type: 'start', at: t(0) },
      { runbook: withoutOverride },
    );
    expect(refused.refused).toMatch(/no route-split override/);
  });

  it('verify: any split other than 100 % on the target needs attention; resume sets the traffic again', () => {
    const { state } = drive(rollback(), [
      { type: 'start', at: t(0) },
      { type: 'route-overridden', at: t(1), target: 'legacy' },
      { type: 'traffic-set', at: t(3), traffic: { 'svc-00010-abc': 90, 'svc-00011-def': 10 } },
    ]);
    expect(state).toMatchObject({ status: 'needs-attention' });
    expect(state.attention).toBe(
      'after the rollback Cloud Run reports svc-00010-abc 90 %, svc-00011-def 10 %, expected svc-00010-abc 100 %',
    );
    const resumed = rollbackStep(
      state,
      { type: 'resume', at: t(60), by: 'U0ONCALL1' },
      { runbook: withOverride },
    );
    expect(resumed.effects).toEqual([{ type: 'rollback-traffic', toRevision: 'svc-00010-abc' }]);
    expect(resumed.state.status).toBe('shifting');
  });

  it('an override the route split did not take needs attention; resume asks for it again', () => {
    const { state } = drive(rollback(), [
      { type: 'start', at: t(0) },
      { type: 'route-overridden', at: t(1), target: 'rust_shell' },
    ]);
    expect(state.status).toBe('needs-attention');
    const resumed = rollbackStep(state, { type: 'resume', at: t(60), by: 'U1' }, { runbook: withOverride });
    expect(resumed.effects).toEqual([{ type: 'route-override', target: 'legacy' }]);
  });

  it('failing rollback checks do not undo it: done, with attention, and the incident says what failed', () => {
    const { state, steps } = drive(rollback(), [
      { type: 'start', at: t(0) },
      { type: 'route-overridden', at: t(1), target: 'legacy' },
      { type: 'traffic-set', at: t(3), traffic: { 'svc-00010-abc': 100 } },
      { type: 'checks-done', at: t(8), results: [ok('healthz'), ok('auth-session', 'error')] },
    ]);
    expect(state.status).toBe('done');
    expect(state.attention).toBe('rollback checks on svc-00010-abc did not pass: auth-session (error)');
    expect(steps[3]).toEqual([
      expect.objectContaining({
        symptom: '5xx spike; rollback checks on svc-00010-abc did not pass: auth-session (error)',
      }),
    ]);
  });

  it('opens no incident when told not to (an abort)', () => {
    const { steps } = drive(rollback('traffic-only', { incident: false }), [
      { type: 'start', at: t(0) },
      { type: 'traffic-set', at: t(3), traffic: { 'svc-00010-abc': 100 } },
      { type: 'checks-done', at: t(8), results: [ok('healthz'), ok('auth-session')] },
    ]);
    expect(steps[2]).toEqual([]);
  });

  it('refuses results it is not waiting for', () => {
    const started = drive(rollback(), [{ type: 'start', at: t(0) }]).state;
    const ctx = { runbook: withOverride };
    expect(rollbackStep(started, { type: 'traffic-set', at: t(1), traffic: {} }, ctx).refused).toMatch(
      /no rollback traffic/,
    );
    expect(rollbackStep(started, { type: 'checks-done', at: t(1), results: [] }, ctx).refused).toMatch(
      /no rollback checks/,
    );
    expect(rollbackStep(started, { type: 'tick', at: t(1), stage: 1 }, ctx).refused).toMatch(
      /does not apply/,
    );
    expect(rollbackStep(started, { type: 'resume', at: t(1), by: 'U1' }, ctx).refused).toMatch(
      /does not need attention/,
    );
  });
});

describe('a standalone rollback (/rollback with no rollout active)', () => {
  const ctx: StepContext = { runbook: withOverride, policy };
  const fresh = () =>
    newStandaloneRollback({
      id: 'rb-1',
      service: 'control',
      env: 'prod',
      requestedBy: 'U0ONCALL1',
      reason: 'auth errors after deploy',
      toRevision: 'svc-00010-abc',
      fromRevision: 'svc-00011-def',
      mode: 'full',
      dryRun: false,
      at: t(0),
    });

  function send(state: StandaloneRollbackState, event: RunbookEvent) {
    const out = standaloneRollbackStep(state, event, ctx);
    expect(out.refused, `${event.type} refused`).toBeUndefined();
    return out;
  }

  it('runs the whole procedure and frees the lock', () => {
    let s = fresh();
    expect(s).toMatchObject({ kind: 'rollback', status: 'rolling-back', timeline: [] });
    let out = send(s, { type: 'start', at: t(0) });
    expect(out.effects).toEqual([
      {
        type: 'notify',
        notification: { kind: 'rolling-back', reason: 'auth errors after deploy', trigger: 'manual' },
      },
      { type: 'route-override', target: 'legacy' },
    ]);
    expect(out.state.pending).toMatchObject({ effect: 'route-override', attempts: 1 });
    expect(standaloneRollbackStep(out.state, { type: 'start', at: t(1) }, ctx).refused).toMatch(
      /already started/,
    );
    s = send(out.state, { type: 'route-overridden', at: t(1), target: 'legacy' }).state;
    s = send(s, { type: 'traffic-set', at: t(3), traffic: { 'svc-00010-abc': 100 } }).state;
    out = send(s, { type: 'checks-done', at: t(8), results: [ok('healthz'), ok('auth-session')] });
    expect(out.effects.map((e) => (e.type === 'notify' ? e.notification.kind : e.type))).toEqual([
      'open-incident',
      'rolled-back',
      'write-report',
      'release-lock',
    ]);
    expect(out.state).toMatchObject({ status: 'rolled-back', endedAt: t(8) });
    expect(out.state.pending).toBeUndefined();
    expect(out.state.timeline.map((e) => e.what)).toEqual([
      'rollback requested: auth errors after deploy',
      'route override to legacy, then traffic 100 % to svc-00010-abc',
      'route split overridden to legacy',
      'Cloud Run reports svc-00010-abc 100 %',
      'rollback checks: 2 of 2 passed',
      'rolled back to svc-00010-abc',
    ]);
    expect(standaloneRollbackStep(out.state, { type: 'resume', at: t(9), by: 'U1' }, ctx).refused).toBe(
      'rollback already done',
    );
  });

  it('retries a failing step with backoff, then needs attention; resume retries; abort hands over to people', () => {
    let s = send(fresh(), { type: 'start', at: t(0) }).state;
    s = send(s, { type: 'route-overridden', at: t(1), target: 'legacy' }).state;
    let out = send(s, {
      type: 'effect-failed',
      at: t(2),
      effect: 'rollback-traffic',
      error: '503',
      retryable: true,
    });
    expect(out.effects).toEqual([
      expect.objectContaining({
        type: 'schedule',
        timer: 'retry',
        at: t(7),
        event: { type: 'retry', at: t(7), effect: 'rollback-traffic' },
      }),
    ]);
    out = send(out.state, { type: 'retry', at: t(7), effect: 'rollback-traffic' });
    expect(out.effects).toEqual([{ type: 'rollback-traffic', toRevision: 'svc-00010-abc' }]);
    out = send(out.state, {
      type: 'effect-failed',
      at: t(8),
      effect: 'rollback-traffic',
      error: '503',
      retryable: true,
    });
    expect(out.state).toMatchObject({ status: 'needs-attention' });
    expect(out.state.hold?.reason).toBe('rollback-traffic failed after 2 attempts: 503');

    const resumed = send(out.state, { type: 'resume', at: t(60), by: 'U0ONCALL1' });
    expect(resumed.effects.map((e) => e.type)).toEqual(['notify', 'rollback-traffic']);
    expect(resumed.state.status).toBe('rolling-back');

    expect(
      standaloneRollbackStep(resumed.state, { type: 'abort', at: t(61), by: 'U1' }, ctx).refused,
    ).toMatch(/cannot be aborted/);
    const stuck = send(resumed.state, {
      type: 'traffic-set',
      at: t(62),
      traffic: { 'svc-00011-def': 100 },
    }).state;
    expect(stuck.status).toBe('needs-attention');
    const stopped = send(stuck, { type: 'abort', at: t(90), by: 'U0SRELEAD1', reason: 'doing it by hand' });
    expect(stopped.state).toMatchObject({ status: 'failed', endedAt: t(90) });
    expect(stopped.effects.map((e) => e.type)).toEqual(['notify', 'write-report', 'release-lock']);
  });
});
