import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CanaryState } from '../../src/runbooks/types.ts';
import { closeRedis, createRedis, createStore } from '../../src/store/index.ts';
import { APPROVERS, startAtB, useEngineWorld } from '../helpers/engine-world.ts';
import { type RedisProxy, startRedisProxy } from '../helpers/redis-proxy.ts';

// A Redis outage as the bot's connections live it: Redis goes away for a while and comes back. Every
// connection (the store's, the engine's version checks, BullMQ's queue and worker) says once that it is
// down and once that it is back; ioredis never prints "Unhandled error event"; the rollout carries on.

const world = useEngineWorld('faults-redis-outage');
let proxy: RedisProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  vi.restoreAllMocks();
});

const NAMES = ['shiftgate-store', 'shiftgate-engine', 'shiftgate-queue', 'shiftgate-worker'];

describe('a Redis outage', () => {
  it('logs one line per connection going down and one coming back, and no unhandled error event', async () => {
    const printed: string[] = [];
    const consoleError = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      printed.push(args.map(String).join(' '));
    });
    const lines: string[] = [];
    const log = {
      warn: (message: string) => lines.push(message),
      error: (message: string) => lines.push(message),
    };
    proxy = await startRedisProxy();
    const storeRedis = createRedis(proxy.url, { connectionName: 'shiftgate-store', log });
    const store = createStore(storeRedis, { prefix: world.testStore.prefix });
    let reconnects = 0;
    storeRedis.on('reconnecting', () => {
      reconnects += 1;
    });
    try {
      const engine = world.engine({ store, redisUrl: proxy.url, log });
      const { id, stable, revision } = await startAtB(world, engine, 'v9.0.0');

      await proxy.down();
      // Several failed reconnects, each of which ioredis reports as an 'error' event.
      await vi.waitFor(() => expect(reconnects).toBeGreaterThanOrEqual(4), { timeout: 10_000, interval: 20 });
      await proxy.up();
      await vi.waitFor(
        () => {
          for (const name of NAMES) expect(lines).toContainEqual(expect.stringContaining(`${name} is back`));
        },
        { timeout: 15_000, interval: 20 },
      );

      for (const name of NAMES) {
        const about = lines.filter((l) => l.includes(`Redis connection ${name} `));
        expect(about, name).toHaveLength(2);
        expect(about[0]).toMatch(
          new RegExp(`^Redis connection ${name} lost(: .+| \\(the connection closed\\)); reconnecting$`),
        );
        expect(about[1]).toMatch(new RegExp(`^Redis connection ${name} is back after [\\d.]+ s$`));
      }
      expect(printed.filter((p) => p.includes('Unhandled error event'))).toEqual([]);
      expect(consoleError).not.toHaveBeenCalled();

      // And the rollout goes on where it was.
      const approved = await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
      expect(approved.ok).toBe(true);
      await world.until(engine, id, (v) => {
        expect(v.status).toBe('awaiting-approval');
        expect((v.state as CanaryState).stage).toBe(2);
      });
      expect(world.split()).toEqual({ [stable]: 95, [revision]: 5 });
    } finally {
      await closeRedis(storeRedis);
    }
  });

  it('a connection that never reached Redis says so once, and once more when it gives up', async () => {
    const lines: string[] = [];
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    let attempts = 0;
    const redis = createRedis('redis://127.0.0.1:1', {
      connectionName: 'shiftgate-probe',
      maxRetriesPerRequest: 0,
      retryStrategy: (n) => (n <= 3 ? 5 : null),
      log: { warn: (message) => lines.push(message) },
    });
    redis.on('reconnecting', () => {
      attempts += 1;
    });
    await expect(redis.ping()).rejects.toThrow();
    await vi.waitFor(() => expect(redis.status).toBe('end'), { timeout: 5_000, interval: 10 });
    expect(attempts).toBe(3);
    expect(lines).toEqual([
      expect.stringMatching(
        /^Redis connection shiftgate-probe cannot reach Redis: .*ECONNREFUSED.*; reconnecting$/,
      ),
      expect.stringMatching(
        /^Redis connection shiftgate-probe closed, no more reconnect attempts: .*ECONNREFUSED/,
      ),
    ]);
    expect(printed).not.toHaveBeenCalled();
  });
});
