import { afterEach, describe, expect, it } from 'vitest';
import type { CanaryState } from '../../src/runbooks/types.ts';
import { APPROVERS, cloudRunWith, startAtB, useEngineWorld } from '../helpers/engine-world.ts';
import { type RedisProxy, startRedisProxy } from '../helpers/redis-proxy.ts';

// Faults in the middle of a step: Redis dropping the engine's connections (CLIENT KILL) while Cloud Run
// changes traffic, and Cloud Monitoring unreachable while a stage is watched.

const world = useEngineWorld('faults-mid-step');
let proxy: RedisProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

describe('Redis drops the engine connections mid-step', () => {
  it('CLIENT KILL during a traffic change: the step finishes, traffic changed once, the rollout goes on', async () => {
    proxy = await startRedisProxy();
    const p = proxy;
    let killed = 0;
    const real = world.cloudRunAdapter;
    const cloudRun = cloudRunWith(world, {
      setSplit: async (ref, request) => {
        if (killed === 0) killed = await p.killAll(world.testStore.redis);
        return real.setSplit(ref, request);
      },
    });
    const engine = world.engine({ redisUrl: p.url, cloudRun, log: { warn: () => {}, error: () => {} } });
    const { id, stable, revision } = await startAtB(world, engine, 'v5.0.0');
    const patchesBefore = world.patches().length;
    await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
    await world.until(engine, id, (v) => {
      expect(v.status).toBe('awaiting-approval');
      expect((v.state as CanaryState).stage).toBe(2);
    });
    expect(killed).toBeGreaterThan(0);
    expect(world.split()).toEqual({ [stable]: 95, [revision]: 5 });
    expect(world.patchedSplits().slice(patchesBefore)).toEqual([{ [stable]: 95, [revision]: 5 }]);
  });
});

describe('Cloud Monitoring unreachable while a stage is watched', () => {
  it('no traffic increase: the stage stops for people instead of passing unwatched', async () => {
    const engine = world.engine();
    const { id, stable, revision } = await startAtB(world, engine, 'v6.0.0');
    world.metrics.recorder.inject({ match: 'timeSeries', status: 503, times: 10_000 });
    await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
    const stopped = await world.until(engine, id, (v) => expect(v.status).toBe('needs-attention'));
    expect((stopped.state as CanaryState).stage).toBe(1);
    expect(world.split()).toEqual({ [stable]: 95, [revision]: 5 });
  });
});
