import { afterAll, describe, expect, it } from 'vitest';
import { closeRedis, createStore } from '../../src/store/index.ts';
import { connect, openTestStore } from '../helpers/redis.ts';

const t = openTestStore('persistence');
afterAll(() => t.cleanup());

describe('state in Redis', () => {
  it('is all visible to a new connection', async () => {
    const { locks, rollouts, approvals, idempotency, audit, timelines } = t.store;
    const lock = await locks.acquire('control', 'prod', {
      rolloutId: 'r-1',
      author: 'U_A',
      reason: 'v2',
      kind: 'rollout',
    });
    if (!lock.ok) throw new Error('lock');
    await locks.freeze('control', 'staging', { author: 'U_SRE', reason: 'freeze' });
    await rollouts.create({
      id: 'r-1',
      service: 'control',
      env: 'prod',
      fencingToken: lock.lock.token,
      status: 'running',
      stage: 0,
    });
    await rollouts.transition('r-1', 1, lock.lock, { stage: 5, traffic: { canary: 5, stable: 95 } });
    await approvals.add('r-1', 5, { userId: 'U_B' });
    await idempotency.claim('event:Ev1', 60_000);
    const auditId = await audit.append({ who: 'U_A', what: 'rollout.start', rolloutId: 'r-1' });
    await timelines.add('inc-1', { author: 'U_C', text: 'note', source: 'human', ts: '1.1' });

    // A fresh connection and store, as another replica would have.
    const redis = connect();
    try {
      const fresh = createStore(redis, { prefix: t.prefix });
      expect(await fresh.locks.get('control', 'prod')).toEqual(lock.lock);
      expect(await fresh.locks.listLocks()).toEqual([lock.lock]);
      expect(await fresh.locks.getFreeze('control', 'staging')).toMatchObject({ author: 'U_SRE' });
      expect(await fresh.locks.listFreezes()).toHaveLength(1);
      expect(await fresh.rollouts.get('r-1')).toMatchObject({
        version: 2,
        status: 'running',
        data: { stage: 5, traffic: { canary: 5, stable: 95 } },
      });
      expect((await fresh.rollouts.listActive('control', 'prod')).map((r) => r.id)).toEqual(['r-1']);
      expect((await fresh.approvals.list('r-1', 5)).map((a) => a.userId)).toEqual(['U_B']);
      expect(await fresh.idempotency.claim('event:Ev1', 60_000)).toBe(false);
      expect((await fresh.audit.read({ limit: 1 })).entries[0]?.id).toBe(auditId);
      expect((await fresh.timelines.list('inc-1')).map((e) => e.text)).toEqual(['note']);
      // The new connection also holds its own copy of the scripts and can write.
      expect((await fresh.locks.release('control', 'prod', lock.lock.token)).ok).toBe(true);
    } finally {
      await closeRedis(redis);
    }
  });

  it('survives an emptied script cache (a Redis restart): scripts are sent again', async () => {
    await t.redis.script('FLUSH');
    const lock = await t.store.locks.acquire('flushed', 'prod', {
      rolloutId: 'r-f',
      author: 'U_A',
      reason: 'x',
      kind: 'rollout',
    });
    expect(lock.ok).toBe(true);
  });
});
