import { describe, expect, it } from 'vitest';
import { lockRefusal } from '../../src/blocks/index.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import {
  APPROVERS,
  DEPLOYER_2,
  ENV,
  IMAGE_REPO,
  REQUESTER,
  SERVICE,
  STABLE_REVISION,
  testConfig,
  useEngineWorld,
} from '../helpers/engine-world.ts';

// The engine end to end: real Redis, BullMQ timers, the Cloud Run, Monitoring and route-split twins behind
// the real adapters, the canary and rollback runbooks. Every check reads what the twins hold.

const world = useEngineWorld('engine');
const TAG = 'v1.1.0';

const canary = (view: { state: unknown }) => view.state as CanaryState;

describe('a canary rollout', () => {
  it('walks A to E with approvals, the twin serving each stage split after it, and is promoted', async () => {
    const stable = world.seed();
    const engine = world.engine({ config: testConfig({ watch: '2s', interval: '500ms' }) });
    const started = await engine.startCanary({
      service: SERVICE,
      env: ENV,
      tag: TAG,
      requestedBy: REQUESTER,
    });
    if (!started.ok) throw new Error(JSON.stringify(started));
    const id = started.rolloutId;
    const revision = world.canaryRevision(id, TAG);
    world.feed(revision);

    const expected = [
      { [stable]: 100 },
      { [stable]: 95, [revision]: 5 },
      { [stable]: 75, [revision]: 25 },
      { [stable]: 50, [revision]: 50 },
    ];
    for (let stage = 1; stage <= 4; stage++) {
      await world.until(engine, id, (v) => {
        expect(v.status).toBe('awaiting-approval');
        expect(canary(v).stage).toBe(stage);
      });
      // The previous stage's split serves while the next one waits for its approval.
      expect(world.split()).toEqual(expected[stage - 1]);
      const sent = await engine.send(id, { type: 'approve', userId: APPROVERS[stage % 2] as string, stage });
      expect(sent.ok).toBe(true);
    }
    const done = await world.until(engine, id, (v) => expect(v.status).toBe('promoted'));
    expect(world.split()).toEqual({ [revision]: 100 });

    const state = canary(done);
    expect(state.image).toBe(`${IMAGE_REPO}:${TAG}`);
    expect(state.stableRevision).toBe(STABLE_REVISION);
    expect(state.canaryRevision).toBe(revision);
    // Each gated stage ticked through its 2 s window at 500 ms and passed.
    for (const stage of state.stages.slice(1)) {
      expect(stage.verdict).toBe('pass');
      expect(stage.ticks.length).toBeGreaterThanOrEqual(3);
      expect(stage.ticks.flat().every((r) => r.status === 'pass')).toBe(true);
      expect(stage.approvals).toHaveLength(1);
    }
    // One deploy and four traffic changes, in order, none twice.
    expect(world.patchedSplits()).toEqual([
      { [stable]: 100 },
      { [stable]: 95, [revision]: 5 },
      { [stable]: 75, [revision]: 25 },
      { [stable]: 50, [revision]: 50 },
      { [revision]: 100 },
    ]);
    // The lock is free, the report written, and the audit trail names who did what.
    await engine.idle();
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
    const report = (await engine.report(id)) as { state: CanaryState };
    expect(report.state.status).toBe('promoted');
    const audit = (await world.store.audit.read({ limit: 100 })).entries.map((e) => `${e.who} ${e.what}`);
    expect(audit).toContain(`${REQUESTER} rollout.start`);
    expect(audit).toContain(`${APPROVERS[1]} rollout.approve`);
    expect(audit).toContain('shiftgate cloud-run.deploy');
    expect(audit.filter((a) => a === 'shiftgate cloud-run.traffic')).toHaveLength(4);
    expect(audit).toContain('shiftgate rollout.promoted');
    expect(audit).toContain('shiftgate lock.release');
    // Approvals are kept once, in the stage they approved (the card and the report read them there).
    expect(report.state.stages.find((s) => s.name === 'C')?.approvals).toEqual([
      { userId: APPROVERS[0], at: expect.any(String) },
    ]);
    expect(world.notifications.map((n) => n.notification.kind)).toContain('promoted');
    expect(world.log.errors).toEqual([]);
  });

  it('rolls back within one tick when a gate fails at stage B: route to legacy, 100 % stable, incident', async () => {
    const stable = world.seed();
    const engine = world.engine();
    const started = await engine.startCanary({
      service: SERVICE,
      env: ENV,
      tag: TAG,
      requestedBy: REQUESTER,
    });
    if (!started.ok) throw new Error(JSON.stringify(started));
    const id = started.rolloutId;
    const revision = world.canaryRevision(id, TAG);
    world.feed(revision, 50); // half the canary's requests answer 5xx

    await world.until(engine, id, (v) => expect(v.status).toBe('awaiting-approval'));
    await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
    const done = await world.until(engine, id, (v) => expect(v.status).toBe('rolled-back'));

    const state = canary(done);
    const b = state.stages[1];
    expect(b?.ticks).toHaveLength(1); // the first tick failed, and it was the last
    expect(b?.ticks[0]?.find((r) => r.gate === 'error-rate')?.status).toBe('fail');
    expect(state.rollback).toMatchObject({
      trigger: 'gate',
      failedStage: 'B',
      toRevision: stable,
      fromRevision: revision,
      routeOverride: 'legacy',
      status: 'done',
      trafficAfter: { [stable]: 100 },
    });
    expect(world.split()).toEqual({ [stable]: 100 });
    expect(world.routeSplit.override).toBe('legacy');
    // The route override came before the traffic went back, as the procedure says.
    const overrideAt = world.routeSplit.recorder.requests.find((r) => r.path.endsWith('/override'))?.at ?? 0;
    const rollbackAt = world.patches().at(-1)?.at ?? 0;
    expect(overrideAt).toBeLessThanOrEqual(rollbackAt);
    expect(world.patchedSplits()).toEqual([
      { [stable]: 100 },
      { [stable]: 95, [revision]: 5 },
      { [stable]: 100 },
    ]);

    await engine.idle();
    const incident = await world.store.timelines.list(`incident-${id}`);
    expect(incident).toHaveLength(1);
    expect(incident[0]?.text).toContain('at stage B');
    expect(incident[0]?.text).toContain(`${revision} -> ${stable}`);
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
  });

  it('refuses a second start while one runs, naming the holder', async () => {
    world.seed();
    const engine = world.engine();
    const first = await engine.startCanary({ service: SERVICE, env: ENV, tag: TAG, requestedBy: REQUESTER });
    expect(first.ok).toBe(true);
    const second = await engine.startCanary({
      service: SERVICE,
      env: ENV,
      tag: 'v2',
      requestedBy: DEPLOYER_2,
    });
    expect(second).toMatchObject({
      ok: false,
      reason: 'held',
      holder: { author: REQUESTER, kind: 'rollout' },
    });
    // The refusal is data; src/blocks says it, naming who holds the lock.
    if (second.ok || second.reason !== 'held') return;
    const said = JSON.stringify(lockRefusal({ service: SERVICE, env: ENV, holder: second.holder }));
    expect(said).toContain(`<@${REQUESTER}>`);
  });

  it('refuses to start during a deploy freeze', async () => {
    world.seed();
    await world.store.locks.freeze(SERVICE, ENV, { author: APPROVERS[0], reason: 'release freeze' });
    const frozen = await world
      .engine()
      .startCanary({ service: SERVICE, env: ENV, tag: TAG, requestedBy: REQUESTER });
    expect(frozen).toMatchObject({ ok: false, reason: 'frozen', freeze: { reason: 'release freeze' } });
    expect(world.patches()).toHaveLength(0);
  });
});
