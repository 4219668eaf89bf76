import { afterAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../helpers/redis.ts';

const t = openTestStore('idempotency');
const { idempotency, keys } = t.store;
afterAll(() => t.cleanup());

describe('idempotency', () => {
  it('claims a key once, with a TTL', async () => {
    expect(await idempotency.claim('event:Ev123', 60_000)).toBe(true);
    expect(await idempotency.claim('event:Ev123', 60_000)).toBe(false);
    const ttl = await t.redis.pttl(keys.idempotency('event:Ev123'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('gives exactly one of 50 concurrent claims', async () => {
    const other = t.openAnother().idempotency;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? other : idempotency).claim('click:approve:r-1:5:U_A', 60_000),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('can be claimed again once the TTL has passed', async () => {
    expect(await idempotency.claim('short', 1)).toBe(true);
    await expect.poll(() => t.redis.exists(keys.idempotency('short'))).toBe(0);
    expect(await idempotency.claim('short', 60_000)).toBe(true);
  });

  it('refuses a claim without a positive TTL', async () => {
    await expect(idempotency.claim('no-ttl', 0)).rejects.toThrow(TypeError);
  });
});
