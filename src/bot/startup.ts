import { type Env, loadConfig, loadEnv, SECRET_VARIABLES, type ShiftgateConfig } from '../config/index.ts';
import { closeRedis, createRedis } from '../store/index.ts';

// The checks every start makes before taking work: environment, runbook config, Redis. Each failure
// is one clear line; nothing later runs on a half-valid start.

export interface Started {
  env: Env;
  config: ShiftgateConfig;
}

/** Throws EnvError or ConfigError, or an Error naming what could not be reached. */
export async function checkStartup(source: NodeJS.ProcessEnv = process.env): Promise<Started> {
  const env = loadEnv(source);
  const unresolved = SECRET_VARIABLES.filter((key) => env[key]?.startsWith('sm://'));
  if (unresolved.length > 0) {
    // Secret Manager resolution comes with the platform adapters; until then say so instead of guessing.
    throw new Error(
      `${unresolved.join(', ')}: Secret Manager references are not resolved by this build yet; give the values directly`,
    );
  }
  const config = await loadConfig(env.SHIFTGATE_CONFIG);
  const redis = createRedis(env.REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {}); // reported below, once
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`REDIS_URL: Redis does not answer (${(error as Error).message})`);
  } finally {
    await closeRedis(redis);
  }
  return { env, config };
}
