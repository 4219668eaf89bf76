import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';

/**
 * Manual rollback requests waiting for approvals, one JSON document each (`rollback-request:<id>`). Their
 * approvals are kept by `approvals` (stage `rollback`); who decides a request is claimed through
 * `idempotency`, so this is a plain document store.
 */
export interface RollbackRequestDocs {
  get<T extends object>(id: string): Promise<T | undefined>;
  /** `ttlMs` sets the retention; without it the document keeps the TTL it had. */
  put(id: string, document: object, ttlMs?: number): Promise<void>;
}

export function createRollbackRequestDocs(redis: Redis, keys: Keys): RollbackRequestDocs {
  return createRequestDocs(redis, (id) => keys.rollbackRequest(id));
}

/** Route-split change requests (/route override|clear) waiting for approvals: the same kind of store. */
export function createRouteRequestDocs(redis: Redis, keys: Keys): RollbackRequestDocs {
  return createRequestDocs(redis, (id) => keys.routeRequest(id));
}

function createRequestDocs(redis: Redis, keyOf: (id: string) => string): RollbackRequestDocs {
  return {
    async get<T extends object>(id: string) {
      const text = await redis.get(keyOf(id));
      return text === null ? undefined : (JSON.parse(text) as T);
    },
    async put(id, document, ttlMs) {
      const text = JSON.stringify(document);
      if (ttlMs === undefined) await redis.set(keyOf(id), text, 'KEEPTTL');
      else await redis.set(keyOf(id), text, 'PX', ttlMs);
    },
  };
}
