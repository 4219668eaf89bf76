import { Redis, type RedisOptions } from 'ioredis';

/** Where a connection says it went down or came back: one line per change of state, not per retry. */
export interface ConnectionLog {
  warn(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Options for the one Redis connection factory. `keyPrefix` is left out on purpose: BullMQ refuses
 * connections that carry it, and the store builds prefixed keys itself (keys.ts). `log` receives the
 * connection's state changes (default: console.warn).
 */
export type CreateRedisOptions = Omit<RedisOptions, 'keyPrefix'> & { log?: ConnectionLog };

const consoleLog: ConnectionLog = {
  warn: (message, fields) => console.warn(message, fields ? JSON.stringify(fields) : ''),
};

/**
 * Opens an ioredis connection to `url` (redis://, rediss://).
 *
 * - `enableAutoPipelining` stays off by default: ioredis keeps only one auto-pipeline batch in flight
 *   per connection, while plain commands already stream back to back on the socket. The store
 *   benchmark measured about half the cycle throughput and 4x the p99 with it on (docs/benchmarks.md).
 * - `maxRetriesPerRequest` keeps ioredis' default (20) unless given; BullMQ workers need `null`, so
 *   they call `createRedis(url, { maxRetriesPerRequest: null })`.
 * - Every connection has an 'error' listener (watchState): without one ioredis prints "Unhandled error
 *   event" with a stack for every failed reconnect during an outage.
 */
export function createRedis(url: string, options: CreateRedisOptions = {}): Redis {
  if ('keyPrefix' in options)
    throw new TypeError('createRedis: keyPrefix is not supported; use the store prefix');
  const { log = consoleLog, ...redisOptions } = options;
  const redis = new Redis(url, { enableAutoPipelining: false, connectionName: 'shiftgate', ...redisOptions });
  watchState(redis, log);
  return redis;
}

/**
 * Logs a connection going down (the first failed attempt: its error, and that ioredis keeps
 * reconnecting), coming back (after how long), and giving up; the errors of every retry in between are
 * absorbed. Commands that fail meanwhile reject on their own and are handled where they were made.
 */
export function watchState(redis: Redis, log: ConnectionLog): void {
  const name = redis.options.connectionName ?? 'redis';
  let state: 'new' | 'up' | 'down' = 'new';
  let lastError: string | undefined;
  let downSince = 0;
  redis.on('error', (error: Error) => {
    lastError = error.message;
  });
  redis.on('ready', () => {
    if (state === 'down') {
      const seconds = Math.round((Date.now() - downSince) / 100) / 10;
      (log.info ?? log.warn).call(log, `Redis connection ${name} is back after ${seconds} s`, {
        connection: name,
        downSeconds: seconds,
      });
    }
    state = 'up';
    lastError = undefined;
  });
  redis.on('reconnecting', () => {
    if (state === 'down') return;
    const was = state;
    state = 'down';
    downSince = Date.now();
    const why = lastError ? `: ${lastError}` : ' (the connection closed)';
    log.warn(
      `Redis connection ${name} ${was === 'new' ? 'cannot reach Redis' : 'lost'}${why}; reconnecting`,
      { connection: name, ...(lastError ? { error: lastError } : {}) },
    );
  });
  redis.on('end', () => {
    // A close we asked for (quit, disconnect) ends without an error and without being down.
    if (state !== 'down' && lastError === undefined) return;
    log.warn(
      `Redis connection ${name} closed, no more reconnect attempts${lastError ? `: ${lastError}` : ''}`,
      {
        connection: name,
      },
    );
  });
}

/** Ends a connection after its pending replies; safe to call twice. */
export async function closeRedis(redis: Redis, quitWithinMs = 2_000): Promise<void> {
  if (redis.status === 'end') return;
  // QUIT on a connection that is not up waits in the offline queue until Redis is back, which during an
  // outage is never: a replica told to stop would hang. Not up: drop it. Up: QUIT, but not for ever.
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), quitWithinMs);
  });
  try {
    if ((await Promise.race([redis.quit(), late])) === 'late') redis.disconnect();
  } catch {
    // Already closing or never connected: nothing left to flush.
    redis.disconnect();
  } finally {
    clearTimeout(timer);
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
