import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import type { Clock } from './time.ts';

/**
 * First-wins claims for Slack event ids (the Events API retries up to 3 times over 5 minutes) and
 * button clicks. Never state of record: every claim carries a TTL.
 */
export interface Idempotency {
  /** True for the first claim of `key` within `ttlMs`, false for every later one. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Gives a claim back (the work it guarded failed and may be tried again). */
  release(key: string): Promise<void>;
}

export function createIdempotency(redis: Redis, keys: Keys, clock: Clock): Idempotency {
  return {
    async claim(key, ttlMs) {
      if (!Number.isInteger(ttlMs) || ttlMs < 1)
        throw new TypeError('idempotency ttlMs must be a positive integer');
      // The value (claim time) is only there for whoever inspects the key by hand.
      return (await redis.set(keys.idempotency(key), String(clock()), 'PX', ttlMs, 'NX')) === 'OK';
    },
    async release(key) {
      await redis.del(keys.idempotency(key));
    },
  };
}
