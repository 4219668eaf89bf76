import { Redis, type RedisOptions } from 'ioredis';

/**
 * Options for the one Redis connection factory. `keyPrefix` is left out on purpose: BullMQ refuses
 * connections that carry it, and the store builds prefixed keys itself (keys.ts).
 */
export type CreateRedisOptions = Omit<RedisOptions, 'keyPrefix'>;

/**
 * Opens an ioredis connection to `url` (redis://, rediss://).
 *
 * - `enableAutoPipelining` stays off by default: ioredis keeps only one auto-pipeline batch in flight
 *   per connection, while plain commands already stream back to back on the socket. The store
 *   benchmark measured about half the cycle throughput and 4x the p99 with it on (docs/benchmarks.md).
 * - `maxRetriesPerRequest` keeps ioredis' default (20) unless given; BullMQ workers need `null`, so
 *   they call `createRedis(url, { maxRetriesPerRequest: null })`.
 */
export function createRedis(url: string, options: CreateRedisOptions = {}): Redis {
  if ('keyPrefix' in options)
    throw new TypeError('createRedis: keyPrefix is not supported; use the store prefix');
  return new Redis(url, { enableAutoPipelining: false, connectionName: 'shiftgate', ...options });
}

/** Ends a connection after its pending replies; safe to call twice. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    // Already closing or never connected: nothing left to flush.
    redis.disconnect();
  }
}

/** Deletes every key under `prefix` (SCAN + UNLINK); returns how many. For a prefix of its own on a shared Redis. */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) deleted += await redis.unlink(...found);
  } while (cursor !== '0');
  return deleted;
}
