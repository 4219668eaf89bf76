import { describe, expect, it, vi } from 'vitest';
import { readTrackRecord } from '../../src/runbooks/track-record.ts';
import type { Store } from '../../src/store/index.ts';
import { ENV, REQUESTER, SERVICE, useEngineWorld } from '../helpers/engine-world.ts';

// The track record is written with the rollout's report, by the write-report effect of its last step.
// A replica that dies right after writing it leaves that step unsettled: another replica's sweep runs
// the step's effects again, and the rollout still counts once.

const world = useEngineWorld('gate-record-redrive');
const TAG = 'v5.0.0';

describe('a replica that dies right after recording the gates', () => {
  it('is redriven by another replica: the lock is released, and the rollout is recorded once', async () => {
    world.seed();
    const another = world.testStore.openAnother();
    let dying = false;
    // Its store writes the record, then never answers again: the replica is gone.
    const store: Store = {
      ...another,
      gateRecords: {
        ...another.gateRecords,
        async record(...args) {
          await another.gateRecords.record(...args);
          if (dying) await new Promise(() => {});
        },
      },
    };
    const a = world.engine({ store, sweep: { intervalMs: 0, workerLeaseMs: 300 } });
    const started = await a.startCanary({ service: SERVICE, env: ENV, tag: TAG, requestedBy: REQUESTER });
    if (!started.ok) throw new Error(JSON.stringify(started));
    const id = started.rolloutId;
    world.feed(world.canaryRevision(id, TAG));
    await world.until(a, id, (v) => expect(v.status).toBe('awaiting-approval'));
    dying = true;
    expect((await a.send(id, { type: 'abort', by: REQUESTER, reason: 'not today' })).ok).toBe(true);
    await vi.waitFor(async () => expect(await world.store.gateRecords.list(SERVICE, 10)).toHaveLength(1), {
      timeout: 10_000,
      interval: 20,
    });
    await a.close({ force: true });
    expect((await world.store.locks.get(SERVICE, ENV))?.rolloutId).toBe(id);

    // The other replica counts its writes: the redrive writes the record again.
    let rewrites = 0;
    const counted: Store = {
      ...world.store,
      gateRecords: {
        ...world.store.gateRecords,
        async record(...args) {
          rewrites += 1;
          await world.store.gateRecords.record(...args);
        },
      },
    };
    const b = world.engine({ store: counted, sweep: { intervalMs: 0, workerLeaseMs: 300 } });
    await vi.waitFor(
      async () => {
        await b.sweep();
        expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
      },
      { timeout: 15_000, interval: 50 },
    );
    await b.idle();
    expect(rewrites).toBe(1);
    const listed = await world.store.gateRecords.list<{ rolloutId: string; outcome: string }, unknown>(
      SERVICE,
      10,
    );
    expect(listed.map((x) => [x.entry.rolloutId, x.entry.outcome])).toEqual([[id, 'aborted']]);
    const record = await readTrackRecord(world.store, { services: [SERVICE] });
    expect(record.rollouts).toBe(1);
    expect(record.tallies.find((x) => x.gate === 'healthz')).toMatchObject({ evaluated: 1, blocked: 0 });
  });
});
