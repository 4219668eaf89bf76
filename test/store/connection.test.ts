import { describe, expect, it } from 'vitest';
import { closeRedis, createKeys, createRedis } from '../../src/store/index.ts';
import { REDIS_URL } from '../helpers/redis.ts';

describe('connection and keys', () => {
  it('refuses ioredis keyPrefix (BullMQ forbids it; the store prefixes keys itself)', () => {
    expect(() => createRedis(REDIS_URL, { keyPrefix: 'x:' } as never)).toThrow(TypeError);
  });

  it('accepts maxRetriesPerRequest: null, as BullMQ needs', async () => {
    const redis = createRedis(REDIS_URL, { maxRetriesPerRequest: null });
    try {
      expect(redis.options.maxRetriesPerRequest).toBeNull();
      expect(await redis.ping()).toBe('PONG');
    } finally {
      await closeRedis(redis);
      await closeRedis(redis);
    }
  });

  it('builds every key under the prefix', () => {
    const keys = createKeys('acme:');
    expect([
      keys.lock('control', 'prod'),
      keys.fence('control', 'prod'),
      keys.freeze('control', 'prod'),
      keys.lockIndex(),
      keys.freezeIndex(),
      keys.rollout('r-1'),
      keys.activeRollouts('control', 'prod'),
      keys.activeRolloutsAll(),
      keys.approvals('r-1', '25'),
      keys.idempotency('event:Ev1'),
      keys.audit(),
      keys.timeline('inc-1'),
      keys.timelineEntries('inc-1'),
    ]).toEqual([
      'acme:lock:control:prod',
      'acme:fence:control:prod',
      'acme:freeze:control:prod',
      'acme:locks',
      'acme:freezes',
      'acme:rollout:r-1',
      'acme:rollouts:active:control:prod',
      'acme:rollouts:active',
      'acme:approvals:r-1:25',
      'acme:idem:event:Ev1',
      'acme:audit',
      'acme:timeline:inc-1',
      'acme:timeline:inc-1:entries',
    ]);
    expect(createKeys().audit()).toBe('shiftgate:audit');
    expect(() => keys.lock('control', 'prod:eu')).toThrow(TypeError);
    expect(() => keys.rollout('')).toThrow(TypeError);
  });
});
