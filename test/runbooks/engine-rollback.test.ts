import { describe, expect, it } from 'vitest';
import type { CanaryState, Effect, PlanEntry, StandaloneRollbackState } from '../../src/runbooks/types.ts';
import {
  ADMIN,
  APPROVERS,
  BAD_REVISION,
  ENV,
  ON_CALL,
  REQUESTER,
  ran,
  SERVICE,
  STABLE_REVISION,
  useEngineWorld,
} from '../helpers/engine-world.ts';

// Manual rollbacks (standalone, during a freeze, into an active canary) and dry-runs of both runbooks.

const world = useEngineWorld('engine-rollback');

const overrides = () => world.routeSplit.recorder.requests.filter((r) => r.path.endsWith('/override'));
const describeEffect = (e: Effect): string => {
  switch (e.type) {
    case 'set-traffic':
      return `set-traffic ${e.canaryPercent}`;
    case 'evaluate':
      return `evaluate ${e.phase}`;
    case 'schedule':
    case 'cancel':
      return `${e.type} ${e.timer}`;
    case 'notify':
      return `notify ${e.notification.kind}`;
    default:
      return e.type;
  }
};

describe('a manual rollback with no rollout active', () => {
  it('goes back to the revision named, during a deploy freeze, with the full procedure', async () => {
    world.seedBadRelease();
    await world.store.locks.freeze(SERVICE, ENV, { author: APPROVERS[0], reason: 'incident' });
    const engine = world.engine();
    const started = ran(
      await engine.startRollback({
        service: SERVICE,
        env: ENV,
        requestedBy: ON_CALL,
        reason: '5xx spike',
        toRevision: STABLE_REVISION,
      }),
    );
    const done = await world.until(engine, started.rolloutId, (v) => expect(v.status).toBe('rolled-back'));
    const state = done.state as StandaloneRollbackState;
    expect(state.rollback).toMatchObject({
      toRevision: STABLE_REVISION,
      fromRevision: BAD_REVISION,
      routeOverride: 'legacy',
      trafficBefore: { [BAD_REVISION]: 100 },
      trafficAfter: { [STABLE_REVISION]: 100 },
      status: 'done',
    });
    expect(world.split()).toEqual({ [STABLE_REVISION]: 100 });
    expect(world.routeSplit.override).toBe('legacy');
    expect(state.rollback.checks?.map((r) => r.status)).toEqual(['pass']); // healthz on the public URL
    await engine.idle(); // the last step's effects: incident, report, lock
    const incident = await world.store.timelines.list(`incident-${started.rolloutId}`);
    expect(incident[0]?.text).toContain('5xx spike');
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
    expect(await world.store.locks.getFreeze(SERVICE, ENV)).toBeDefined();
  });

  it('without --to and with no promoted rollout in the history, refuses and takes no lock', async () => {
    // The bad release was deployed outside shiftgate: "the ready revision before it" is a guess.
    world.seedBadRelease();
    const engine = world.engine();
    const refused = await engine.startRollback({
      service: SERVICE,
      env: ENV,
      requestedBy: ON_CALL,
      reason: 'bad',
    });
    expect(refused).toMatchObject({ ok: false, reason: 'no-target', service: SERVICE, env: ENV });
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
    expect(world.patches()).toHaveLength(0);
  });

  it('refuses a revision that does not exist, and frees the lock', async () => {
    world.seedBadRelease();
    const engine = world.engine();
    const refused = await engine.startRollback({
      service: SERVICE,
      env: ENV,
      requestedBy: REQUESTER,
      reason: 'bad',
      toRevision: 'web-prod-99999-zzz',
    });
    expect(refused).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
    expect(world.patches()).toHaveLength(0);
  });

  it('during a canary is that canary own rollback (reconciled: traffic already on stable is not written)', async () => {
    world.seed();
    const engine = world.engine();
    const started = await engine.startCanary({
      service: SERVICE,
      env: ENV,
      tag: 'v9',
      requestedBy: REQUESTER,
    });
    if (!started.ok) throw new Error(JSON.stringify(started));
    await world.until(engine, started.rolloutId, (v) => expect(v.status).toBe('awaiting-approval'));
    const rollback = await engine.startRollback({
      service: SERVICE,
      env: ENV,
      requestedBy: ADMIN,
      reason: 'changed my mind',
    });
    expect(rollback).toMatchObject({ ok: true, via: 'rollout', rolloutId: started.rolloutId });
    const done = await world.until(engine, started.rolloutId, (v) => expect(v.status).toBe('rolled-back'));
    expect((done.state as CanaryState).rollback?.trigger).toBe('manual');
    expect(world.patches()).toHaveLength(1); // the deploy only: the split already was 100 % stable
    expect(world.split()).toEqual({ [STABLE_REVISION]: 100 });
  });
});

describe('dry-run', () => {
  it('of a canary changes nothing in Cloud Run or the route split and reports the whole plan', async () => {
    const stable = world.seed();
    const engine = world.engine();
    const started = await engine.startCanary({
      service: SERVICE,
      env: ENV,
      tag: 'v1.1.0',
      requestedBy: REQUESTER,
      dryRun: true,
    });
    if (!started.ok) throw new Error(JSON.stringify(started));
    const id = started.rolloutId;
    for (let stage = 1; stage <= 4; stage++) {
      await world.until(engine, id, (v) => {
        expect(v.status).toBe('awaiting-approval');
        expect((v.state as CanaryState).stage).toBe(stage);
      });
      await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage });
    }
    const done = await world.until(engine, id, (v) => expect(v.status).toBe('promoted'));
    await engine.idle();

    expect(world.patches()).toHaveLength(0);
    expect(overrides()).toHaveLength(0);
    expect(world.split()).toEqual({ [stable]: 100 });
    expect(world.health.probes).toBe(0); // gates were not run against anything

    const state = done.state as CanaryState;
    expect(state.canaryRevision).toBe('web-prod-dryrun');
    expect(state.stableRevision).toBe(stable);
    const plan = done.plan as PlanEntry[];
    expect(plan.map((p) => p.n)).toEqual(plan.map((_, i) => i + 1));
    const moves = plan.map((p) => describeEffect(p.effect)).filter((e) => !e.startsWith('notify'));
    expect(moves.filter((m) => m === 'deploy' || m.startsWith('set-traffic'))).toEqual([
      'deploy',
      'set-traffic 5',
      'set-traffic 25',
      'set-traffic 50',
      'set-traffic 100',
    ]);
    expect(moves.slice(-2)).toEqual(['write-report', 'release-lock']);
    // Every tick of every 1 s window at 250 ms is in the plan, though it ran in milliseconds.
    expect(moves.filter((m) => m === 'evaluate gates').length).toBeGreaterThanOrEqual(4 * 4);
    const report = (await engine.report(id)) as { plan: PlanEntry[]; state: CanaryState };
    expect(report.plan).toEqual(plan);
    expect(report.state.dryRun).toBe(true);
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
  });

  it('of a manual rollback plans the route override, the traffic and the incident, and performs none', async () => {
    world.seedBadRelease();
    const engine = world.engine();
    const started = await engine.startRollback({
      service: SERVICE,
      env: ENV,
      requestedBy: REQUESTER,
      reason: 'rehearsal',
      toRevision: STABLE_REVISION,
      dryRun: true,
    });
    // A deployer's dry-run needs no approval: it changes nothing.
    if (!started.ok || 'pending' in started) throw new Error(JSON.stringify(started));
    const done = await world.until(engine, started.rolloutId, (v) => expect(v.status).toBe('rolled-back'));
    const moves = (done.plan as PlanEntry[])
      .map((p) => describeEffect(p.effect))
      .filter((e) => !e.startsWith('notify'));
    expect(moves).toEqual([
      'route-override',
      'rollback-traffic',
      'evaluate rollback-checks',
      'open-incident',
      'write-report',
      'release-lock',
    ]);
    expect(world.patches()).toHaveLength(0);
    expect(overrides()).toHaveLength(0);
    expect(world.split()).toEqual({ [BAD_REVISION]: 100 });
    expect(await world.store.timelines.list(`incident-${started.rolloutId}`)).toEqual([]);
  });
});
