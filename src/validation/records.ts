import type { Redis } from 'ioredis';
import type { Keys } from '../store/keys.ts';
import type { CheckResult, PlannedCheck, ValidationRun, ValidationTarget } from './types.ts';

// Validation runs in Redis (keys in src/store/keys.ts, documented in docs/store.md): the run as JSON,
// rewritten after every check so a run cut short keeps what it measured; an index of each environment's
// runs (a run over several environments is in the index of each); and a claim per environment that lets
// one run at a time in it (a second `/validate` is answered with the first one's card instead of probing
// production twice). A run over several environments claims all of theirs in one script, or none.

export const RUN_TTL_MS = 90 * 86_400_000;
export const RECENT_RUNS = 50;
/** The claim outlives any run (checks have their own timeouts); a dead replica's claim frees itself. */
export const CLAIM_TTL_MS = 15 * 60_000;

// Every environment's claim or none: the first one held is answered (its position and holder), and
// nothing is written then. ARGV: run id, TTL in ms.
const CLAIM = `for i, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder then return {i, holder} end
end
for _, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1], 'PX', ARGV[2]) end
return 0`;

// Deletes each claim only if this run still holds it (a claim that expired may be someone else's now).
const RELEASE = `local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then n = n + redis.call('DEL', key) end
end
return n`;

export type Claimed = { ok: true } | { ok: false; holder: string; env: string };

export interface ValidationRecords {
  /**
   * Claims the environments for a run, all or none; when one is held, the id of the run holding it and
   * which environment.
   */
  claim(envs: string | readonly string[], runId: string, ttlMs?: number): Promise<Claimed>;
  release(envs: string | readonly string[], runId: string): Promise<void>;
  save(run: ValidationRun): Promise<void>;
  get(runId: string): Promise<ValidationRun | undefined>;
  /** The newest runs that covered an environment, newest first. */
  recent(env: string, limit?: number): Promise<ValidationRun[]>;
}

const listOf = (envs: string | readonly string[]): readonly string[] =>
  typeof envs === 'string' ? [envs] : envs;

export function createValidationRecords(redis: Redis, keys: Keys): ValidationRecords {
  const get = async (runId: string) => {
    const text = await redis.get(keys.validation(runId));
    return text === null ? undefined : storedRun(JSON.parse(text));
  };
  return {
    async claim(envs, runId, ttlMs = CLAIM_TTL_MS) {
      const list = listOf(envs);
      const claimKeys = list.map((env) => keys.validationRunning(env));
      const held = (await redis.eval(CLAIM, claimKeys.length, ...claimKeys, runId, String(ttlMs))) as
        | 0
        | [number, string];
      if (!Array.isArray(held)) return { ok: true };
      return { ok: false, holder: held[1], env: list[held[0] - 1] ?? '' };
    },
    async release(envs, runId) {
      const claimKeys = listOf(envs).map((env) => keys.validationRunning(env));
      await redis.eval(RELEASE, claimKeys.length, ...claimKeys, runId);
    },
    async save(run) {
      const batch = redis.multi().set(keys.validation(run.id), JSON.stringify(run), 'PX', RUN_TTL_MS);
      for (const env of run.envs) {
        const index = keys.validations(env);
        batch
          .zadd(index, Date.parse(run.startedAt), run.id)
          .zremrangebyrank(index, 0, -(RECENT_RUNS + 1))
          .pexpire(index, RUN_TTL_MS);
      }
      await batch.exec();
    },
    get,
    async recent(env, limit = 10) {
      const ids = await redis.zrevrange(keys.validations(env), 0, limit - 1);
      const runs = await Promise.all(ids.map(get));
      return runs.filter((r): r is ValidationRun => r !== undefined);
    },
  };
}

/**
 * A run as kept. Runs written before runs covered several environments (kept 90 days) have one `env`, a
 * `description`, and rows and targets without an environment: they are read as runs of that one.
 */
export function storedRun(raw: unknown): ValidationRun {
  const run = raw as ValidationRun & { env?: string; description?: string };
  if (Array.isArray(run.envs)) return run;
  const { env: legacy = '', description, ...rest } = run;
  const withEnv = <T extends object>(row: T) => ({ env: legacy, ...row });
  return {
    ...rest,
    envs: [legacy],
    ...(description ? { descriptions: { [legacy]: description } } : {}),
    plan: (run.plan ?? []).map(withEnv) as PlannedCheck[],
    results: (run.results ?? []).map(withEnv) as CheckResult[],
    targets: (run.targets ?? []).map(withEnv) as ValidationTarget[],
  };
}
