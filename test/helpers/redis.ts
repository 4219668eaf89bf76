import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  type CreateRedisOptions,
  closeRedis,
  createRedis,
  deleteByPrefix,
} from '../../src/store/connection.ts';
import { createStore, type Store, type StoreOptions } from '../../src/store/index.ts';

/** The Redis every integration test talks to; tests isolate themselves by key prefix. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other test run shares, e.g. `sgtest:locks:3f9a0c1d2b4e:`. */
export function uniquePrefix(label: string): string {
  return `sgtest:${label}:${randomBytes(6).toString('hex')}:`;
}

export function connect(options: CreateRedisOptions = {}): Redis {
  return createRedis(REDIS_URL, { connectionName: 'shiftgate-test', ...options });
}

export { deleteByPrefix };

export interface TestStore {
  prefix: string;
  redis: Redis;
  store: Store;
  /** Another store over its own connection, same prefix (closed by cleanup). */
  openAnother(options?: Omit<StoreOptions, 'prefix'>): Store;
  /** Deletes the prefix's keys and quits every connection opened here. */
  cleanup(): Promise<void>;
}

export function openTestStore(label: string, options: Omit<StoreOptions, 'prefix'> = {}): TestStore {
  const prefix = uniquePrefix(label);
  const redis = connect();
  const extra: Redis[] = [];
  return {
    prefix,
    redis,
    store: createStore(redis, { ...options, prefix }),
    openAnother(more = options) {
      const connection = connect();
      extra.push(connection);
      return createStore(connection, { ...more, prefix });
    },
    async cleanup() {
      await deleteByPrefix(redis, prefix);
      await Promise.all([redis, ...extra].map(closeRedis));
    },
  };
}
