import { afterAll, describe, expect, it } from 'vitest';
import { createGateRecords } from '../../src/store/gate-records.ts';
import { openTestStore } from '../helpers/redis.ts';

// The gates' track record in Redis: one script per write, so the ZSET of a service's rollouts and its two
// hashes never disagree; a rewrite of the same rollout counts once; the oldest beyond `keep` go with
// their hash fields; a later rollback marks only a rollout still recorded, and only the first time.

const t = openTestStore('gate-records');
afterAll(() => t.cleanup());
const { keys } = t.store;

describe('gate records', () => {
  it('records a rollout once however often its end is written again', async () => {
    const records = createGateRecords(t.redis, keys);
    await records.record('web', 'r1', 1_000, { rolloutId: 'r1', outcome: 'promoted' });
    await Promise.all(
      Array.from({ length: 5 }, () =>
        records.record('web', 'r1', 1_000, { rolloutId: 'r1', outcome: 'promoted' }),
      ),
    );
    expect(await t.redis.zcard(keys.gateRecord('web'))).toBe(1);
    expect(await records.list('web', 10)).toEqual([{ entry: { rolloutId: 'r1', outcome: 'promoted' } }]);
  });

  it('keeps the newest `keep`, newest first, and drops the trimmed ones from both hashes', async () => {
    const records = createGateRecords(t.redis, keys, 3);
    for (let i = 1; i <= 5; i++) await records.record('api', `r${i}`, i * 1_000, { rolloutId: `r${i}` });
    expect(await records.markLater('api', 'r3', { rollbackId: 'rb' })).toBe(true);
    // r3 is the oldest kept: the next record trims it, with its later mark.
    await records.record('api', 'r6', 6_000, { rolloutId: 'r6' });
    const listed = await records.list<{ rolloutId: string }, unknown>('api', 10);
    expect(listed.map((x) => x.entry.rolloutId)).toEqual(['r6', 'r5', 'r4']);
    expect(await t.redis.hkeys(keys.gateRecordEntries('api'))).toHaveLength(3);
    expect(await t.redis.hlen(keys.gateRecordLater('api'))).toBe(0);
    expect((await records.list('api', 2)).length).toBe(2);
  });

  it('marks a later rollback only on a recorded rollout, and only the first one', async () => {
    const records = createGateRecords(t.redis, keys);
    expect(await records.markLater('ops', 'nope', { rollbackId: 'rb1' })).toBe(false);
    expect(await t.redis.exists(keys.gateRecordLater('ops'))).toBe(0);
    await records.record('ops', 'r1', 1_000, { rolloutId: 'r1' });
    expect(await records.markLater('ops', 'r1', { rollbackId: 'rb1' })).toBe(true);
    expect(await records.markLater('ops', 'r1', { rollbackId: 'rb2' })).toBe(false);
    expect(await records.list('ops', 1)).toEqual([
      { entry: { rolloutId: 'r1' }, later: { rollbackId: 'rb1' } },
    ]);
  });

  it('refuses a service name that would make keys ambiguous', async () => {
    const records = createGateRecords(t.redis, keys);
    await expect(records.record('web:prod', 'r1', 1, {})).rejects.toThrow(TypeError);
  });
});
