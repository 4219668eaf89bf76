import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import type { Clock } from './time.ts';

/**
 * The evidence report of each finished rollout, as its kind wrote it (`report:<rolloutId>`), kept for
 * `ttlMs` (90 days by default) so the files can be rebuilt after Slack refused an upload.
 */
export interface Reports {
  /** Writes (or rewrites: a redriven step writes the same report) the report, stamped with `writtenAt`. */
  put(rolloutId: string, report: object, writtenAt?: string): Promise<void>;
  get(rolloutId: string): Promise<Record<string, unknown> | undefined>;
}

export const DEFAULT_REPORT_TTL_MS = 90 * 24 * 60 * 60 * 1000;

export function createReports(
  redis: Redis,
  keys: Keys,
  clock: Clock,
  ttlMs = DEFAULT_REPORT_TTL_MS,
): Reports {
  return {
    async put(rolloutId, report, writtenAt = new Date(clock()).toISOString()) {
      const stamped = { ...report, writtenAt };
      await redis.set(keys.report(rolloutId), JSON.stringify(stamped), 'PX', ttlMs);
    },
    async get(rolloutId) {
      const text = await redis.get(keys.report(rolloutId));
      return text === null ? undefined : (JSON.parse(text) as Record<string, unknown>);
    },
  };
}
