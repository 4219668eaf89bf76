import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import { defineScript } from './scripts.ts';
import { claimWorker, holdWorker } from './workers.lua.ts';

/**
 * Who is working a rollout's steps right now. A replica holds a short lease on every rollout whose step it
 * is running and renews it every few seconds while it lives; a replica killed mid-step stops renewing, and
 * its lease ends within one TTL. The sweep redrives an unsettled step only once no lease is running, so a
 * dead worker is noticed in seconds while a live (slow) one is left alone.
 */
export interface Workers {
  /** Holds or renews `owner`'s lease on each rollout. */
  hold(rolloutIds: readonly string[], owner: string, ttlMs: number): Promise<void>;
  /** Takes the lease when nobody else's is running; false when another replica works the rollout. */
  claim(rolloutId: string, owner: string, ttlMs: number): Promise<boolean>;
  release(rolloutId: string, owner: string): Promise<void>;
}

export function createWorkers(redis: Redis, keys: Keys): Workers {
  const run = { hold: defineScript(redis, holdWorker), claim: defineScript(redis, claimWorker) };
  return {
    async hold(rolloutIds, owner, ttlMs) {
      await Promise.all(rolloutIds.map((id) => run.hold([keys.workers(id)], [owner, ttlMs])));
    },
    async claim(rolloutId, owner, ttlMs) {
      return (await run.claim([keys.workers(rolloutId)], [owner, ttlMs])) === 1;
    },
    async release(rolloutId, owner) {
      await redis.hdel(keys.workers(rolloutId), owner);
    },
  };
}
