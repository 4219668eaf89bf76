import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Lock } from '../../src/runbooks/locks.ts';
import { TERMINAL_STATUSES } from '../../src/runbooks/status.ts';
import type { RolloutPatch } from '../../src/store/index.ts';
import { openTestStore } from '../helpers/redis.ts';

const t = openTestStore('rollouts', { finishedRolloutTtlMs: 3_600_000 });
const { locks, rollouts, keys } = t.store;
afterAll(() => t.cleanup());

let serial = 0;
const freshService = () => `svc-${++serial}`;

async function lockFor(service: string, rolloutId: string, env = 'prod'): Promise<Lock> {
  const r = await locks.acquire(service, env, {
    rolloutId,
    author: 'U_ALICE',
    reason: 'test',
    kind: 'rollout',
  });
  if (!r.ok) throw new Error(`lock not acquired: ${JSON.stringify(r)}`);
  return r.lock;
}

/** A lock and a created rollout record (version 1) for a fresh service. */
async function started(id: string, data: Record<string, unknown> = {}) {
  const service = freshService();
  const lock = await lockFor(service, id);
  const created = await rollouts.create({
    id,
    service,
    env: 'prod',
    fencingToken: lock.token,
    status: 'running',
    ...data,
  });
  expect(created).toEqual({ ok: true, version: 1 });
  return { service, lock };
}

describe('rollouts', () => {
  it('creates version 1 and reads back data exactly (empty arrays, floats, nesting)', async () => {
    const data = {
      imageTag: 'v1.42.0',
      stages: [0, 5, 25, 50, 100],
      gates: [],
      ratio: 0.1 + 0.2,
      nested: { a: [] },
    };
    const { service, lock } = await started('r-json', data);
    expect(await rollouts.get('r-json')).toEqual({
      id: 'r-json',
      version: 1,
      fencingToken: lock.token,
      service,
      env: 'prod',
      status: 'running',
      // Pending until its `start` is applied (the sweep finds a record whose starter died).
      pending: 1,
      data,
    });
    expect(await rollouts.get('r-missing')).toBeUndefined();
  });

  it('refuses to create over an existing id or without holding the lock with that token', async () => {
    const { service, lock } = await started('r-dup');
    const again = { id: 'r-dup', service, env: 'prod', fencingToken: lock.token, status: 'running' };
    expect(await rollouts.create(again)).toEqual({ ok: false, conflict: 'exists', actualVersion: 1 });

    expect(await rollouts.create({ ...again, id: 'r-other' })).toEqual({
      ok: false,
      conflict: 'fencing',
      holder: lock,
    });
    expect(await rollouts.create({ ...again, id: 'r-free', service: freshService() })).toEqual({
      ok: false,
      conflict: 'fencing',
    });
    expect(await rollouts.get('r-other')).toBeUndefined();
  });

  it('applies a transition at the expected version and refuses a stale version, changing nothing', async () => {
    const { lock } = await started('r-cas', { stage: 0 });
    expect(await rollouts.transition('r-cas', 1, lock, { stage: 5 })).toEqual({ ok: true, version: 2 });
    const before = await rollouts.get('r-cas');

    expect(await rollouts.transition('r-cas', 1, lock, { stage: 25, status: 'aborted' })).toEqual({
      ok: false,
      conflict: 'version',
      actualVersion: 2,
    });
    expect(await rollouts.get('r-cas')).toEqual(before);
    expect(await rollouts.transition('r-none', 1, lock, { stage: 1 })).toEqual({
      ok: false,
      conflict: 'not-found',
    });
  });

  it('refuses a stale fencing token after force-unlock and re-acquire by another rollout', async () => {
    const { service, lock } = await started('r-old', { stage: 5 });
    await locks.forceUnlock(service, 'prod', { by: 'U_ADMIN', reason: 'stuck' });
    const newer = await lockFor(service, 'r-new');
    const before = await rollouts.get('r-old');

    expect(await rollouts.transition('r-old', 1, lock, { stage: 25 })).toEqual({
      ok: false,
      conflict: 'fencing',
      actualVersion: 1,
      holder: newer,
    });
    // The new holder's token does not help either: the lock belongs to another rollout.
    expect((await rollouts.transition('r-old', 1, newer, { stage: 25 })).ok).toBe(false);
    // Nor a fence for another service.
    const elsewhere = await lockFor(freshService(), 'r-old');
    expect(await rollouts.transition('r-old', 1, elsewhere, { stage: 25 })).toEqual({
      ok: false,
      conflict: 'fencing',
      actualVersion: 1,
    });
    expect(await rollouts.get('r-old')).toEqual(before);
  });

  it('accepts the token of a new lock held by the same rollout and records it', async () => {
    const { service, lock } = await started('r-resume');
    await locks.release(service, 'prod', lock.token);
    const again = await lockFor(service, 'r-resume');
    expect(await rollouts.transition('r-resume', 1, again, { note: 'resumed' })).toEqual({
      ok: true,
      version: 2,
    });
    expect((await rollouts.get('r-resume'))?.fencingToken).toBe(again.token);
  });

  it('deletes a field set to null and leaves fields set to undefined alone', async () => {
    const { lock } = await started('r-null', { canaryRevision: 'svc-00002-abc', pausedBy: 'U_BOB' });
    expect(
      await rollouts.transition('r-null', 1, lock, { pausedBy: null, canaryRevision: undefined }),
    ).toEqual({
      ok: true,
      version: 2,
    });
    expect((await rollouts.get('r-null'))?.data).toEqual({ canaryRevision: 'svc-00002-abc' });
  });

  it('drops a rollout from the active lists on a terminal status and gives it the retention TTL', async () => {
    expect(TERMINAL_STATUSES).toEqual(['promoted', 'rolled-back', 'aborted', 'failed']);
    const a = await started('r-active');
    const b = await started('r-done');
    expect((await rollouts.listActive(a.service, 'prod')).map((r) => r.id)).toEqual(['r-active']);
    expect((await rollouts.listActive()).map((r) => r.id)).toEqual(
      expect.arrayContaining(['r-active', 'r-done']),
    );
    expect(await t.redis.pttl(keys.rollout('r-done'))).toBe(-1);

    expect(await rollouts.transition('r-done', 1, b.lock, { status: 'promoted' })).toEqual({
      ok: true,
      version: 2,
    });
    expect(await rollouts.listActive(b.service, 'prod')).toEqual([]);
    expect((await rollouts.listActive()).map((r) => r.id)).not.toContain('r-done');
    expect((await rollouts.listActive(a.service)).map((r) => r.id)).toEqual(['r-active']);
    const ttl = await t.redis.pttl(keys.rollout('r-done'));
    expect(ttl).toBeGreaterThan(3_000_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
    expect((await rollouts.get('r-done'))?.status).toBe('promoted');
    // A non-terminal status keeps it active and without TTL.
    expect(await rollouts.transition('r-active', 1, a.lock, { status: 'paused' })).toEqual({
      ok: true,
      version: 2,
    });
    expect((await rollouts.listActive(a.service, 'prod')).map((r) => r.status)).toEqual(['paused']);
    expect(await t.redis.pttl(keys.rollout('r-active'))).toBe(-1);
  });

  it('lets exactly one of 50 concurrent transitions at the same version win', async () => {
    const { lock } = await started('r-race');
    const other = t.openAnother().rollouts;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? other : rollouts).transition('r-race', 1, lock, { winner: i }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect((await rollouts.get('r-race'))?.version).toBe(2);
  });

  it('rejects reserved data fields', async () => {
    const { lock } = await started('r-reserved');
    await expect(rollouts.transition('r-reserved', 1, lock, { _v: 9 })).rejects.toThrow(TypeError);
    await expect(
      rollouts.transition('r-reserved', 1, lock, { status: null } as unknown as RolloutPatch),
    ).rejects.toThrow(TypeError);
    expect((await rollouts.get('r-reserved'))?.version).toBe(1);
  });

  it('property: the final version is 1 + the number of accepted transitions', async () => {
    const step = fc.record({
      versionSkew: fc.oneof(
        { arbitrary: fc.constant(0), weight: 3 },
        { arbitrary: fc.integer({ min: -2, max: 2 }), weight: 1 },
      ),
      rightToken: fc.oneof(
        { arbitrary: fc.constant(true), weight: 3 },
        { arbitrary: fc.constant(false), weight: 1 },
      ),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), async (steps) => {
        const id = `r-prop-${++run}`;
        const { lock } = await started(id);
        let version = 1;
        let accepted = 0;
        let lastAccepted = -1;
        for (const [i, { versionSkew, rightToken }] of steps.entries()) {
          const fence = rightToken ? lock : { ...lock, token: lock.token + 1 };
          const result = await rollouts.transition(id, version + versionSkew, fence, { step: i });
          const shouldPass = versionSkew === 0 && rightToken;
          expect(result.ok).toBe(shouldPass);
          if (result.ok) {
            version = result.version;
            accepted += 1;
            lastAccepted = i;
          }
        }
        const record = await rollouts.get(id);
        expect(record?.version).toBe(1 + accepted);
        expect(record?.data.step).toBe(lastAccepted === -1 ? undefined : lastAccepted);
      }),
      { numRuns: 40 },
    );
  });
});
