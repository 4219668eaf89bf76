import {
  ConfigError,
  type Env,
  EnvError,
  formatIssue,
  loadConfig,
  loadEnv,
  resolveSecrets,
  SECRET_VARIABLES,
  type ShiftgateConfig,
} from '../config/index.ts';
import { isSecretManagerRef } from '../config/secret-ref.ts';
import type { SecretResolver } from '../config/secret-resolver.ts';
import { closeRedis, createRedis } from '../store/index.ts';

// The checks every start makes before taking work: environment, its Secret Manager references, runbook
// config, Redis. Each failure is one clear line; nothing later runs on a half-valid start.

export interface Started {
  env: Env;
  config: ShiftgateConfig;
}

export interface StartupOptions {
  /** Builds the resolver for sm:// references (main.ts: Secret Manager); called only when one is used. */
  secrets?: (env: Env) => SecretResolver;
}

/** Throws EnvError or ConfigError, or an Error naming what could not be reached. */
export async function checkStartup(
  source: NodeJS.ProcessEnv = process.env,
  options: StartupOptions = {},
): Promise<Started> {
  // Secrets first: REDIS_URL itself may be one.
  const env = await resolveEnvironmentSecrets(source, options.secrets);
  const config = await loadConfig(env.SHIFTGATE_CONFIG);
  const redis = createRedis(env.REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    log: { warn: () => {} }, // reported below, once
  });
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

/**
 * Validates the environment, replaces its sm:// references by their values, and validates those values
 * as if they had been given directly. A failure is one line per variable, naming it and its reference.
 */
async function resolveEnvironmentSecrets(
  source: NodeJS.ProcessEnv,
  buildResolver: StartupOptions['secrets'],
): Promise<Env> {
  const env = loadEnv(source);
  const referenced = SECRET_VARIABLES.filter((key) => isSecretManagerRef(env[key] ?? ''));
  if (referenced.length === 0) return env;
  if (!buildResolver) {
    throw new EnvError(
      referenced.map((key) => `${key}: ${env[key]}: no Secret Manager resolver in this process`),
    );
  }
  const resolver = buildResolver(env);
  const failures = new Map<string, string>(); // reference -> why; the messages name the reference
  const resolved = await resolveSecrets(env, async (ref) => {
    try {
      return await resolver.resolve(ref);
    } catch (error) {
      failures.set(ref, (error as Error).message);
      return ref;
    }
  });
  if (failures.size > 0) {
    throw new EnvError(
      referenced.flatMap((key) => {
        const why = failures.get(env[key] as string);
        return why === undefined ? [] : [`${key}: ${why}`];
      }),
    );
  }
  const values = Object.fromEntries(referenced.map((key) => [key, resolved[key]]));
  try {
    return loadEnv({ ...source, ...values });
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    // "SLACK_BOT_TOKEN is malformed: expected ..." says what; add where the value came from.
    const from = (line: string) => referenced.find((key) => line.startsWith(`${key} `));
    throw new EnvError(
      error.lines.map((line) => {
        const key = from(line);
        return key ? `${line} (the value of ${env[key]})` : line;
      }),
    );
  }
}

/** What a failed start says, one line each: the variables, the config's located problems, or the error. */
export function startupErrorLines(error: unknown): string[] {
  if (error instanceof EnvError) return error.lines;
  if (error instanceof ConfigError) return error.issues.map(formatIssue);
  return [(error as Error).message];
}
