import type { Redis } from 'ioredis';
import { markRolledBackLater, recordRollout } from './gate-records.lua.ts';
import type { Keys } from './keys.ts';
import { defineScript } from './scripts.ts';

/**
 * The gates' track record of each service (runbooks/gate-record.ts says what an entry holds): its
 * finished rollouts by end time, the newest `keep` of them (500 by default), each with its entry and, for
 * a promoted one, the /rollback that took its revision away later. JSON is written and read here only
 * (no JSON in Lua, docs/store.md).
 */
export interface GateRecords {
  /** Records a finished rollout, or rewrites it with the same content (a redriven end counts once). */
  record(service: string, rolloutId: string, endedAtMs: number, entry: object): Promise<void>;
  /** Marks a recorded rollout rolled back later; false when it is not recorded (or was marked before). */
  markLater(service: string, rolloutId: string, later: object): Promise<boolean>;
  /** The newest `limit` rollouts, newest first, each with its later rollback when it has one. */
  list<E, L>(service: string, limit: number): Promise<{ entry: E; later?: L }[]>;
}

export const DEFAULT_GATE_RECORD_KEEP = 500;

export function createGateRecords(redis: Redis, keys: Keys, keep = DEFAULT_GATE_RECORD_KEEP): GateRecords {
  const run = {
    record: defineScript(redis, recordRollout),
    later: defineScript(redis, markRolledBackLater),
  };
  return {
    async record(service, rolloutId, endedAtMs, entry) {
      await run.record(
        [keys.gateRecord(service), keys.gateRecordEntries(service), keys.gateRecordLater(service)],
        [rolloutId, endedAtMs, JSON.stringify(entry), keep],
      );
    },
    async markLater(service, rolloutId, later) {
      const marked = await run.later(
        [keys.gateRecord(service), keys.gateRecordLater(service)],
        [rolloutId, JSON.stringify(later)],
      );
      return marked === 1;
    },
    async list<E, L>(service: string, limit: number) {
      const ids = await redis.zrevrange(keys.gateRecord(service), 0, Math.max(0, limit - 1));
      if (ids.length === 0) return [];
      const [entries, laters] = await Promise.all([
        redis.hmget(keys.gateRecordEntries(service), ...ids),
        redis.hmget(keys.gateRecordLater(service), ...ids),
      ]);
      // A rollout trimmed between the two reads has no entry left: it is left out.
      return ids.flatMap((_, i) => {
        const entry = entries[i];
        if (entry === null || entry === undefined) return [];
        const later = laters[i];
        return [
          {
            entry: JSON.parse(entry) as E,
            ...(later === null || later === undefined ? {} : { later: JSON.parse(later) as L }),
          },
        ];
      });
    },
  };
}
