import type { Redis } from 'ioredis';
import type { Keys } from '../store/keys.ts';
import type { ValidationRun } from './types.ts';

// Validation runs in Redis (keys in src/store/keys.ts, documented in docs/store.md): the run as JSON,
// rewritten after every check so a run cut short keeps what it measured; an index of each environment's
// runs; and a claim that lets one run at a time per environment (a second `/validate` is answered with
// the first one's card instead of probing production twice).

export const RUN_TTL_MS = 90 * 86_400_000;
export const RECENT_RUNS = 50;
/** The claim outlives any run (checks have their own timeouts); a dead replica's claim frees itself. */
export const CLAIM_TTL_MS = 15 * 60_000;

// Deletes the claim only if this run still holds it (a claim that expired may be someone else's now).
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface ValidationRecords {
  /** Claims the environment for a run; the id of the run holding it when another does. */
  claim(env: string, runId: string, ttlMs?: number): Promise<{ ok: true } | { ok: false; holder: string }>;
  release(env: string, runId: string): Promise<void>;
  save(run: ValidationRun): Promise<void>;
  get(runId: string): Promise<ValidationRun | undefined>;
  /** The newest runs of an environment, newest first. */
  recent(env: string, limit?: number): Promise<ValidationRun[]>;
}

export function createValidationRecords(redis: Redis, keys: Keys): ValidationRecords {
  const get = async (runId: string) => {
    const text = await redis.get(keys.validation(runId));
    return text === null ? undefined : (JSON.parse(text) as ValidationRun);
  };
  return {
    async claim(env, runId, ttlMs = CLAIM_TTL_MS) {
      const key = keys.validationRunning(env);
      const set = await redis.set(key, runId, 'PX', ttlMs, 'NX');
      if (set === 'OK') return { ok: true };
      return { ok: false, holder: (await redis.get(key)) ?? 'another run' };
    },
    async release(env, runId) {
      await redis.eval(RELEASE, 1, keys.validationRunning(env), runId);
    },
    async save(run) {
      const index = keys.validations(run.env);
      await redis
        .multi()
        .set(keys.validation(run.id), JSON.stringify(run), 'PX', RUN_TTL_MS)
        .zadd(index, Date.parse(run.startedAt), run.id)
        .zremrangebyrank(index, 0, -(RECENT_RUNS + 1))
        .pexpire(index, RUN_TTL_MS)
        .exec();
    },
    get,
    async recent(env, limit = 10) {
      const ids = await redis.zrevrange(keys.validations(env), 0, limit - 1);
      const runs = await Promise.all(ids.map(get));
      return runs.filter((r): r is ValidationRun => r !== undefined);
    },
  };
}
