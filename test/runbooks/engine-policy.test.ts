import { describe, expect, it } from 'vitest';
import type { CanaryState, StandaloneRollbackState } from '../../src/runbooks/types.ts';
import {
  ADMIN,
  APPROVERS,
  BAD_REVISION,
  DEPLOYER_2,
  ENV,
  ON_CALL,
  OUTSIDER,
  REQUESTER,
  SERVICE,
  STABLE_REVISION,
  startAtB,
  testConfig,
  useEngineWorld,
} from '../helpers/engine-world.ts';

// Who may do what (src/runbooks/roles.ts), checked by the engine at the moment of the action, and the
// manual rollback policy: a deployer's /rollback waits for an approver, break-glass and admins act alone.

const world = useEngineWorld('engine-policy');

async function auditWhat(): Promise<string[]> {
  return (await world.store.audit.read({ limit: 100 })).entries.map((e) => `${e.who} ${e.what}`);
}

// seedBadRelease has no history of promoted rollouts: these rollbacks name their target (--to).
async function askRollback(requestedBy: string, extra: { toRevision?: string } = {}) {
  const engine = world.engine();
  const asked = await engine.startRollback({
    service: SERVICE,
    env: ENV,
    requestedBy,
    reason: '5xx',
    toRevision: STABLE_REVISION,
    ...extra,
  });
  return { engine, asked };
}

describe('roles', () => {
  it('only deployers and admins start a canary; the refusal says who may, and is audited', async () => {
    world.seed();
    const engine = world.engine();
    const refused = await engine.startCanary({
      service: SERVICE,
      env: ENV,
      tag: 'v2',
      requestedBy: OUTSIDER,
    });
    expect(refused).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(JSON.stringify(refused)).toContain(`<@${REQUESTER}>`);
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
    expect(world.patches()).toHaveLength(0);
    expect(await auditWhat()).toContain(`${OUTSIDER} rollout.start.refused`);
  });

  it('pause, resume and abort: the requester or an admin; promote-now: admins only', async () => {
    const engine = world.engine();
    const { id } = await startAtB(world, engine, 'v2');
    for (const type of ['pause', 'abort', 'promote-now'] as const) {
      const refused = await engine.send(id, { type, by: DEPLOYER_2 });
      expect(refused, type).toMatchObject({ ok: false, reason: 'not-allowed' });
    }
    expect(await engine.send(id, { type: 'promote-now', by: REQUESTER })).toMatchObject({
      ok: false,
      message: expect.stringContaining('only admins may promote now'),
    });
    expect((await engine.get(id))?.status).toBe('awaiting-approval');
    // An admin may pause someone else's rollout; its requester may resume it.
    expect(await engine.send(id, { type: 'pause', by: ADMIN })).toMatchObject({ ok: true, status: 'paused' });
    expect(await engine.send(id, { type: 'resume', by: REQUESTER })).toMatchObject({ ok: true });
    expect(await auditWhat()).toEqual(
      expect.arrayContaining([
        `${DEPLOYER_2} rollout.pause.refused`,
        `${REQUESTER} rollout.promote-now.refused`,
      ]),
    );
  });
});

describe('a manual rollback', () => {
  it('by a deployer waits for an approver other than the requester, then runs the whole procedure', async () => {
    world.seedBadRelease();
    const { engine, asked } = await askRollback(REQUESTER);
    if (!asked.ok || !('pending' in asked)) throw new Error(JSON.stringify(asked));
    const { request } = asked;
    expect(request).toMatchObject({ status: 'pending', required: 1, requestedBy: REQUESTER, reason: '5xx' });
    expect(request.approvers).toContain(`<@${APPROVERS[0]}>`);
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined(); // nothing held while it waits
    expect(world.split()).toEqual({ [BAD_REVISION]: 100 });

    expect(await engine.approveRollback(request.id, REQUESTER)).toMatchObject({
      ok: false,
      reason: 'not-allowed',
      message: 'you requested this rollback: someone else has to approve it',
    });
    expect(await engine.approveRollback(request.id, OUTSIDER)).toMatchObject({
      ok: false,
      reason: 'not-allowed',
    });
    expect(world.split()).toEqual({ [BAD_REVISION]: 100 });

    const approved = await engine.approveRollback(request.id, APPROVERS[0]);
    expect(approved).toMatchObject({ ok: true, status: 'started', request: { status: 'started' } });
    const done = await world.until(engine, request.id, (v) => expect(v.status).toBe('rolled-back'));
    expect((done.state as StandaloneRollbackState).rollback).toMatchObject({
      toRevision: STABLE_REVISION,
      fromRevision: BAD_REVISION,
    });
    expect(world.split()).toEqual({ [STABLE_REVISION]: 100 });

    // A late click is answered, not applied again.
    expect(await engine.approveRollback(request.id, APPROVERS[1])).toMatchObject({
      ok: false,
      reason: 'decided',
      message: `this rollback request was already started as ${request.id}`,
    });
    expect(world.patches()).toHaveLength(1);
    expect(await engine.rollbackRequest(request.id)).toMatchObject({
      status: 'started',
      rolloutId: request.id,
      decidedBy: APPROVERS[0],
      approvals: [{ userId: APPROVERS[0] }],
    });
    expect(await auditWhat()).toEqual(
      expect.arrayContaining([
        `${REQUESTER} rollback.request.created`,
        `${REQUESTER} rollback.request.approve.refused`,
        `${APPROVERS[0]} rollback.request.approved`,
        `${APPROVERS[0]} rollback.request.started`,
      ]),
    );
  });

  it('whose last approval was counted by a replica that died before starting it: the next click starts it', async () => {
    world.seedBadRelease();
    const { engine, asked } = await askRollback(REQUESTER);
    if (!asked.ok || !('pending' in asked)) throw new Error(JSON.stringify(asked));
    const id = asked.request.id;
    // What the dying replica wrote: the approval, and its claim to decide the request; nothing after.
    await world.store.approvals.add(id, 'rollback', { userId: APPROVERS[0], at: new Date().toISOString() });
    expect(await world.store.idempotency.claim(`rollback-request:${id}`, 60_000)).toBe(true);

    // While the claim stands (the replica might still be starting it), a click changes nothing.
    expect(await engine.approveRollback(id, APPROVERS[0])).toMatchObject({
      ok: false,
      reason: 'already-approved',
    });
    expect(world.split()).toEqual({ [BAD_REVISION]: 100 });

    // The claim lapses (60 s): the approval is not asked for again; the same click starts the rollback.
    await world.store.idempotency.release(`rollback-request:${id}`);
    expect(await engine.approveRollback(id, APPROVERS[0])).toMatchObject({ ok: true, status: 'started' });
    await world.until(engine, id, (v) => expect(v.status).toBe('rolled-back'));
    expect(world.split()).toEqual({ [STABLE_REVISION]: 100 });
    expect(world.patches()).toHaveLength(1);
    expect(await engine.rollbackRequest(id)).toMatchObject({
      status: 'started',
      approvals: [{ userId: APPROVERS[0] }],
    });
  });

  it('counts distinct approvers up to the required number, and starts once when two approve at once', async () => {
    world.seedBadRelease();
    const engine = world.engine({ config: testConfig({ rollbackRequired: 2 }) });
    const other = world.engine({ config: testConfig({ rollbackRequired: 2 }) });
    const asked = await engine.startRollback({
      service: SERVICE,
      env: ENV,
      requestedBy: REQUESTER,
      reason: 'x',
      toRevision: STABLE_REVISION,
    });
    if (!asked.ok || !('pending' in asked)) throw new Error(JSON.stringify(asked));
    const id = asked.request.id;
    expect(await engine.approveRollback(id, APPROVERS[0])).toMatchObject({ ok: true, status: 'pending' });
    expect(await engine.approveRollback(id, APPROVERS[0])).toMatchObject({ reason: 'already-approved' });
    expect(world.split()).toEqual({ [BAD_REVISION]: 100 });
    // The second approver clicks on two replicas at once (a retried request): one start.
    const both = await Promise.all([
      engine.approveRollback(id, APPROVERS[1]),
      other.approveRollback(id, APPROVERS[1]),
    ]);
    expect(both.filter((d) => d.ok && d.status === 'started')).toHaveLength(1);
    await world.until(engine, id, (v) => expect(v.status).toBe('rolled-back'));
    expect(world.patches()).toHaveLength(1);
  });

  it('expires: a late approval is refused and nothing changes', async () => {
    world.seedBadRelease();
    let offset = 0;
    const engine = world.engine({
      config: testConfig({ expiresAfter: '10m' }),
      now: () => new Date(Date.now() + offset),
    });
    const asked = await engine.startRollback({
      service: SERVICE,
      env: ENV,
      requestedBy: REQUESTER,
      reason: 'x',
      toRevision: STABLE_REVISION,
    });
    if (!asked.ok || !('pending' in asked)) throw new Error(JSON.stringify(asked));
    offset = 11 * 60_000;
    expect(await engine.approveRollback(asked.request.id, APPROVERS[0])).toMatchObject({
      ok: false,
      reason: 'expired',
      message: expect.stringContaining('ask again with /rollback'),
    });
    expect(world.patches()).toHaveLength(0);
  });

  it('can be cancelled by its requester (not by others); a cancelled request is not started', async () => {
    world.seedBadRelease();
    const { engine, asked } = await askRollback(REQUESTER);
    if (!asked.ok || !('pending' in asked)) throw new Error(JSON.stringify(asked));
    const id = asked.request.id;
    expect(await engine.cancelRollback(id, DEPLOYER_2)).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(await engine.cancelRollback(id, REQUESTER)).toMatchObject({ ok: true, status: 'cancelled' });
    expect(await engine.approveRollback(id, APPROVERS[0])).toMatchObject({
      ok: false,
      reason: 'decided',
      message: `this rollback request was already cancelled by <@${REQUESTER}>`,
    });
    expect(world.patches()).toHaveLength(0);
  });

  it('by break-glass or an admin runs at once; by someone with no role is refused', async () => {
    world.seedBadRelease();
    const { engine, asked } = await askRollback(ON_CALL);
    if (!asked.ok || 'pending' in asked) throw new Error(JSON.stringify(asked));
    await world.until(engine, asked.rolloutId, (v) => expect(v.status).toBe('rolled-back'));
    expect(world.split()).toEqual({ [STABLE_REVISION]: 100 });
    await engine.idle();

    const refused = await engine.startRollback({
      service: SERVICE,
      env: ENV,
      requestedBy: OUTSIDER,
      reason: 'x',
    });
    expect(refused).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(JSON.stringify(refused)).toContain(`<@${ON_CALL}>`); // says who may
    expect(await auditWhat()).toContain(`${OUTSIDER} rollback.start.refused`);
  });

  it('to a revision that does not exist is refused before anyone is asked', async () => {
    world.seedBadRelease();
    const { asked } = await askRollback(REQUESTER, { toRevision: 'web-prod-99999-zzz' });
    expect(asked).toMatchObject({
      ok: false,
      reason: 'invalid',
      message: 'no ready revision web-prod-99999-zzz of web-prod',
    });
  });

  it('of an active canary, once approved, is that canary own rollback', async () => {
    const engine = world.engine();
    const { id, stable } = await startAtB(world, engine, 'v3');
    const asked = await engine.startRollback({
      service: SERVICE,
      env: ENV,
      requestedBy: DEPLOYER_2,
      reason: 'x',
    });
    if (!asked.ok || !('pending' in asked)) throw new Error(JSON.stringify(asked));
    // Sending the rollback to the canary directly does not get round the policy.
    expect(await engine.send(id, { type: 'rollback', by: DEPLOYER_2, reason: 'x' })).toMatchObject({
      ok: false,
      reason: 'needs-approval',
    });
    expect(await engine.approveRollback(asked.request.id, APPROVERS[1])).toMatchObject({
      status: 'started',
      run: { ok: true, via: 'rollout', rolloutId: id },
    });
    const done = await world.until(engine, id, (v) => expect(v.status).toBe('rolled-back'));
    expect((done.state as CanaryState).rollback).toMatchObject({ trigger: 'manual', by: DEPLOYER_2 });
    expect(world.split()).toEqual({ [stable]: 100 });
  });
});

describe('a failed gate that asks for one click (onGateFailure: approve)', () => {
  it('is rolled back by its requester alone; someone with no role is refused', async () => {
    const engine = world.engine({ config: testConfig({ onGateFailure: 'approve' }) });
    const stable = world.seed();
    const started = await engine.startCanary({
      service: SERVICE,
      env: ENV,
      tag: 'v4',
      requestedBy: REQUESTER,
    });
    if (!started.ok) throw new Error(JSON.stringify(started));
    const id = started.rolloutId;
    world.feed(world.canaryRevision(id, 'v4'), 50);
    await world.until(engine, id, (v) => expect(v.status).toBe('awaiting-approval'));
    await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
    await world.until(engine, id, (v) =>
      expect(v.state).toMatchObject({ hold: { kind: 'attention', cause: 'gate-failed' } }),
    );

    expect(await engine.send(id, { type: 'rollback', by: OUTSIDER, reason: 'x' })).toMatchObject({
      ok: false,
      reason: 'not-allowed',
    });
    expect(await engine.send(id, { type: 'rollback', by: REQUESTER, reason: 'error rate' })).toMatchObject({
      ok: true,
    });
    await world.until(engine, id, (v) => expect(v.status).toBe('rolled-back'));
    expect(world.split()).toEqual({ [stable]: 100 });
  });
});
