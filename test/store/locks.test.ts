import { afterAll, describe, expect, it } from 'vitest';
import type { AcquireResult } from '../../src/store/index.ts';
import { openTestStore } from '../helpers/redis.ts';

const t = openTestStore('locks');
const { locks, audit } = t.store;
afterAll(() => t.cleanup());

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
let serial = 0;
/** A service name no other test in this file uses. */
const freshService = () => `svc-${++serial}`;
const rollout = (rolloutId: string, at = T0) =>
  ({ rolloutId, author: 'U_ALICE', reason: 'v1.42.0', kind: 'rollout', now: at }) as const;

async function acquired(result: Promise<AcquireResult>) {
  const r = await result;
  if (!r.ok) throw new Error(`expected the lock, got ${JSON.stringify(r)}`);
  return r.lock;
}

describe('locks', () => {
  it('gives 200 concurrent acquires exactly one winner, and every loser sees that winner', async () => {
    const service = freshService();
    // Several connections, so the attempts really interleave on the server.
    const stores = [t.store, t.openAnother(), t.openAnother(), t.openAnother()];
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (stores[i % stores.length] ?? t.store).locks.acquire(service, 'prod', rollout(`r-${i}`)),
      ),
    );
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    const winner = winners[0]?.ok ? winners[0].lock : undefined;
    for (const r of results.filter((r) => !r.ok)) {
      expect(r).toEqual({ ok: false, reason: 'held', holder: winner });
    }
    expect(await locks.get(service, 'prod')).toEqual(winner);
  });

  it('records who holds the lock, why, since when, with which token and kind', async () => {
    const service = freshService();
    const lock = await acquired(locks.acquire(service, 'staging', rollout('r-1')));
    expect(lock).toEqual({
      service,
      env: 'staging',
      rolloutId: 'r-1',
      author: 'U_ALICE',
      reason: 'v1.42.0',
      since: '2026-11-20T10:00:00.000Z',
      token: 1,
      kind: 'rollout',
    });
    expect(await locks.get(service, 'staging')).toEqual(lock);
    expect(await locks.get(service, 'prod')).toBeUndefined();
  });

  it('refuses a release with a stale token and keeps the lock', async () => {
    const service = freshService();
    const first = await acquired(locks.acquire(service, 'prod', rollout('r-1')));
    await locks.release(service, 'prod', first.token);
    const second = await acquired(locks.acquire(service, 'prod', rollout('r-2')));

    expect(await locks.release(service, 'prod', first.token)).toEqual({
      ok: false,
      reason: 'stale-token',
      holder: second,
    });
    expect(await locks.get(service, 'prod')).toEqual(second);
    expect(await locks.release(service, 'prod', second.token)).toEqual({ ok: true, released: second });
    expect(await locks.release(service, 'prod', second.token)).toEqual({ ok: false, reason: 'not-held' });
  });

  it('hands out strictly increasing fencing tokens across acquire/release and force-unlock', async () => {
    const service = freshService();
    const tokens: number[] = [];
    for (let i = 0; i < 10; i++) {
      const lock = await acquired(locks.acquire(service, 'prod', rollout(`r-${i}`)));
      tokens.push(lock.token);
      if (i % 3 === 2) await locks.forceUnlock(service, 'prod', { by: 'U_ADMIN', reason: 'test' });
      else expect((await locks.release(service, 'prod', lock.token)).ok).toBe(true);
    }
    expect(tokens).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Tokens are per (service, environment).
    expect((await acquired(locks.acquire(service, 'staging', rollout('r-x')))).token).toBe(1);
  });

  it('force-unlocks whoever holds the lock and records who did it in the audit stream', async () => {
    const service = freshService();
    const held = await acquired(locks.acquire(service, 'prod', rollout('r-stuck')));
    const at = T0 + 60_000;

    const result = await locks.forceUnlock(service, 'prod', {
      by: 'U_ADMIN',
      reason: 'replica died',
      now: at,
    });
    expect(result).toEqual({ ok: true, previous: held, auditId: expect.any(String) });
    expect(await locks.get(service, 'prod')).toBeUndefined();

    const { entries } = await audit.read({ limit: 100 });
    const entry = entries.find((e) => result.ok && e.id === result.auditId);
    expect(entry).toEqual({
      id: expect.any(String),
      who: 'U_ADMIN',
      what: 'lock.force-unlock',
      at: '2026-11-20T10:01:00.000Z',
      rolloutId: 'r-stuck',
      service,
      env: 'prod',
      reason: 'replica died',
      before: {
        rolloutId: 'r-stuck',
        author: 'U_ALICE',
        reason: 'v1.42.0',
        since: held.since,
        token: held.token,
        kind: 'rollout',
      },
    });
    expect(await locks.forceUnlock(service, 'prod', { by: 'U_ADMIN', reason: 'again' })).toEqual({
      ok: false,
      reason: 'not-held',
    });
  });

  it('lets a freeze block a rollout acquire but never a rollback acquire', async () => {
    const service = freshService();
    const frozen = await locks.freeze(service, 'prod', { author: 'U_SRE', reason: 'holiday', now: T0 });
    expect(frozen).toMatchObject({ ok: true, freeze: { author: 'U_SRE', reason: 'holiday' } });
    const freeze = {
      service,
      env: 'prod',
      author: 'U_SRE',
      reason: 'holiday',
      since: '2026-11-20T10:00:00.000Z',
    };

    expect(await locks.acquire(service, 'prod', rollout('r-1'))).toEqual({
      ok: false,
      reason: 'frozen',
      freeze,
    });
    expect(await locks.get(service, 'prod')).toBeUndefined();

    const rollback = await acquired(
      locks.acquire(service, 'prod', {
        rolloutId: 'r-rb',
        author: 'U_BOB',
        reason: '5xx spike',
        kind: 'rollback',
      }),
    );
    expect(rollback.kind).toBe('rollback');
    // Another environment of the same service is not frozen.
    expect((await locks.acquire(service, 'staging', rollout('r-2'))).ok).toBe(true);

    expect(await locks.getFreeze(service, 'prod')).toEqual(freeze);
    expect(await locks.freeze(service, 'prod', { author: 'U_X', reason: 'again' })).toEqual({
      ok: false,
      reason: 'already-frozen',
      freeze,
    });
  });

  it('audits freeze and unfreeze, and unfreezing lets rollouts through again', async () => {
    const service = freshService();
    const frozen = await locks.freeze(service, 'prod', { author: 'U_SRE', reason: 'incident', now: T0 });
    const lifted = await locks.unfreeze(service, 'prod', { by: 'U_LEAD', now: T0 + 1000 });
    expect(lifted).toMatchObject({ ok: true, previous: { author: 'U_SRE', reason: 'incident' } });
    expect(await locks.unfreeze(service, 'prod', { by: 'U_LEAD' })).toEqual({
      ok: false,
      reason: 'not-frozen',
    });
    expect((await locks.acquire(service, 'prod', rollout('r-1'))).ok).toBe(true);

    const { entries } = await audit.read({ limit: 100 });
    const byId = new Map(entries.map((e) => [e.id, e]));
    expect(frozen.ok && byId.get(frozen.auditId)).toMatchObject({
      who: 'U_SRE',
      what: 'deploy.freeze',
      service,
      env: 'prod',
      reason: 'incident',
      after: { author: 'U_SRE', reason: 'incident', since: '2026-11-20T10:00:00.000Z' },
    });
    expect(lifted.ok && byId.get(lifted.auditId)).toMatchObject({
      who: 'U_LEAD',
      what: 'deploy.unfreeze',
      at: '2026-11-20T10:00:01.000Z',
      before: { author: 'U_SRE', reason: 'incident', since: '2026-11-20T10:00:00.000Z' },
    });
  });

  it('lists held locks and freezes from their indexes', async () => {
    const [a, b] = [freshService(), freshService()];
    const lockA = await acquired(locks.acquire(a, 'prod', rollout('r-a')));
    const lockB = await acquired(locks.acquire(b, 'staging', rollout('r-b')));
    await locks.freeze(b, 'prod', { author: 'U_SRE', reason: 'audit' });

    const listed = await locks.listLocks();
    expect(listed).toContainEqual(lockA);
    expect(listed).toContainEqual(lockB);
    expect((await locks.listFreezes()).map((f) => `${f.service}:${f.env}`)).toContain(`${b}:prod`);

    await locks.release(a, 'prod', lockA.token);
    await locks.unfreeze(b, 'prod', { by: 'U_SRE' });
    expect(await locks.listLocks()).not.toContainEqual(lockA);
    expect((await locks.listFreezes()).map((f) => `${f.service}:${f.env}`)).not.toContain(`${b}:prod`);
  });

  it('rejects names that would make keys ambiguous', async () => {
    await expect(locks.acquire('Bad:name', 'prod', rollout('r-1'))).rejects.toThrow(TypeError);
    await expect(locks.acquire('ok', 'prod', rollout('r:1'))).rejects.toThrow(TypeError);
  });
});
