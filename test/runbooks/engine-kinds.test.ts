import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RunbookKind, RunbookStateBase } from '../../src/runbooks/kind.ts';
import { KINDS } from '../../src/runbooks/kinds.ts';
import type { Effect, RunbookEvent, StepContext, StepResult } from '../../src/runbooks/types.ts';
import { APPROVERS, ENV, REQUESTER, SERVICE, useEngineWorld } from '../helpers/engine-world.ts';

// The engine hosts runbook kinds: a small kind defined only here (a timer, one approval, one platform
// effect, a report) runs through the real engine, store, BullMQ timers, roles, audit stream, dry-run and
// report writing, with nothing registered anywhere but in the engine's options. The next kinds (seeds 003
// and 004) need no engine change either.

/** Its config: which route-split target to set once approved. */
const demoRunbook = z.strictObject({ kind: z.literal('demo'), target: z.string() });
type DemoRunbook = z.infer<typeof demoRunbook>;

interface DemoState extends RunbookStateBase {
  kind: 'demo';
  note: string;
  approvedBy: string[];
  routed?: string;
}

const demo: RunbookKind<DemoState, DemoRunbook, { note: string }> = {
  schema: demoRunbook,
  lock: 'rollout',
  init: ({ at, ...base }, input) => ({
    ...base,
    kind: 'demo',
    status: 'checking',
    timeline: [],
    startedAt: at,
    note: input.note,
    approvedBy: [],
  }),
  step(state: DemoState, event: RunbookEvent, ctx: StepContext<DemoRunbook>): StepResult<DemoState> {
    const s = structuredClone(state);
    const effects: Effect[] = [];
    const refuse = (why: string) => ({ state, effects: [], refused: why });
    s.timeline.push({ at: event.at, what: event.type });
    switch (event.type) {
      case 'start': // step 1: wait a moment (a real BullMQ timer), then ask
        effects.push({
          type: 'schedule',
          timer: 'tick',
          key: 'ask',
          at: new Date(Date.parse(event.at) + 50).toISOString(),
          event: { type: 'tick', at: event.at, stage: 0 },
        });
        break;
      case 'tick': {
        if (s.status !== 'checking') return refuse('not waiting');
        s.status = 'awaiting-approval';
        const expiresAt = new Date(Date.parse(event.at) + ctx.policy.approvalTtlMs).toISOString();
        effects.push({
          type: 'notify',
          notification: {
            kind: 'approval-requested',
            stage: 0,
            required: ctx.policy.requiredApprovals,
            expiresAt,
          },
        });
        break;
      }
      case 'approve': // step 2: the approval starts the one platform effect
        if (s.status !== 'awaiting-approval') return refuse('nothing to approve');
        s.approvedBy.push(event.userId);
        if (s.approvedBy.length < ctx.policy.requiredApprovals) break;
        s.status = 'shifting';
        effects.push({ type: 'route-override', target: ctx.runbook.target });
        break;
      case 'route-overridden':
        s.routed = event.target;
        s.status = 'promoted';
        s.endedAt = event.at;
        effects.push(
          { type: 'notify', notification: { kind: 'promoted' } },
          { type: 'release-lock' },
          { type: 'write-report' },
        );
        break;
      default:
        return refuse(`${event.type} means nothing to a demo`);
    }
    return { state: s, effects };
  },
  report: (state, plan) => ({
    note: state.note,
    approvedBy: state.approvedBy,
    routed: state.routed ?? null,
    plan: plan ?? null,
  }),
  summary: (state) => ({ status: state.status, approvals: state.approvedBy.length }),
};

describe('a runbook kind registered by a test', () => {
  const world = useEngineWorld('engine-kinds');
  const kinds = { ...KINDS, demo };
  const start = (dryRun = false) => ({
    kind: 'demo',
    runbook: { kind: 'demo', target: 'legacy' } satisfies DemoRunbook,
    service: SERVICE,
    env: ENV,
    requestedBy: REQUESTER,
    dryRun,
    input: { note: 'hello' },
    lockReason: 'demo',
  });

  it('runs on the engine: lock, timer, approval by the policy, effect, report, audit, lock released', async () => {
    world.seed();
    const engine = world.engine({ kinds });
    const started = await engine.start(start());
    if (!started.ok) throw new Error(JSON.stringify(started));
    const id = started.rolloutId;
    expect(await world.store.locks.get(SERVICE, ENV)).toMatchObject({ rolloutId: id, reason: 'demo' });

    // The timer fires through BullMQ and the kind asks for approval.
    await world.until(engine, id, (v) => expect(v.status).toBe('awaiting-approval'));
    expect(world.notifications.map((n) => n.notification.kind)).toContain('approval-requested');

    // The environment's approval policy applies to any kind: no self-approval, no outsider.
    const self = await engine.send(id, { type: 'approve', userId: REQUESTER, stage: 0 });
    expect(self).toMatchObject({ ok: false, reason: 'not-allowed' });
    const approved = await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 0 });
    if (!approved.ok) throw new Error(approved.message);
    await approved.settled;
    await engine.idle();

    const view = await world.until(engine, id, (v) => expect(v.status).toBe('promoted'));
    expect(view.state).toMatchObject({ kind: 'demo', approvedBy: [APPROVERS[0]], routed: 'legacy' });
    expect(world.routeSplit.override).toBe('legacy');
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
    expect(await engine.report(id)).toMatchObject({
      note: 'hello',
      approvedBy: [APPROVERS[0]],
      routed: 'legacy',
    });
    const audit = (await world.store.audit.read({ limit: 100 })).entries;
    const lines = audit.map((e) => `${e.who} ${e.what}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        `${REQUESTER} rollout.start`,
        `${REQUESTER} rollout.approve.refused`,
        `${APPROVERS[0]} rollout.approve`,
        'shiftgate route-split.override',
        'shiftgate rollout.promoted',
        'shiftgate lock.release',
      ]),
    );
    // The kind's own summary is what the audit stream shows before and after.
    expect(audit.find((e) => e.what === 'rollout.promoted')?.after).toEqual({
      status: 'promoted',
      approvals: 1,
    });
    expect(world.log.errors).toEqual([]);
  });

  it('holds the deploy lock against a canary, and a canary holds it against it', async () => {
    world.seed();
    const engine = world.engine({ kinds });
    const started = await engine.start(start());
    expect(started.ok).toBe(true);
    const canary = await engine.startCanary({
      service: SERVICE,
      env: ENV,
      tag: 'v2',
      requestedBy: REQUESTER,
    });
    expect(canary).toMatchObject({ ok: false, reason: 'held', holder: { reason: 'demo' } });
  });

  it('dry-runs: the effect is planned, never performed, and the report holds the plan', async () => {
    world.seed();
    const engine = world.engine({ kinds });
    const started = await engine.start(start(true));
    if (!started.ok) throw new Error(JSON.stringify(started));
    const id = started.rolloutId;
    await world.until(engine, id, (v) => expect(v.status).toBe('awaiting-approval'));
    const approved = await engine.send(id, { type: 'approve', userId: APPROVERS[1], stage: 0 });
    if (!approved.ok) throw new Error(approved.message);
    await approved.settled;
    await world.until(engine, id, (v) => expect(v.status).toBe('promoted'));
    await engine.idle();
    expect(world.routeSplit.override).toBeNull();
    const report = (await engine.report(id)) as { plan: { effect: Effect }[] };
    expect(report.plan.map((p) => p.effect.type)).toEqual([
      'schedule',
      'notify',
      'route-override',
      'notify',
      'release-lock',
      'write-report',
    ]);
  });

  it('refuses a kind nobody registered, and a start by someone who is not a deployer', async () => {
    world.seed();
    const engine = world.engine({ kinds });
    expect(await engine.start({ ...start(), kind: 'nope' })).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await engine.start({ ...start(), requestedBy: 'USTRANGER' })).toMatchObject({
      ok: false,
      reason: 'not-allowed',
    });
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
  });
});
