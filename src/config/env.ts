import { z } from 'zod';
import { isSecretManagerRef } from './secret-ref.ts';

// The process environment, checked before anything starts. Messages name the variable and what it
// should hold; they never repeat the value, since most of these are secrets.

const SM_HINT = 'or a Secret Manager reference sm://projects/P/secrets/S/versions/V';

/** A secret given directly or as an sm:// reference, resolved at start-up (see resolveSecrets). */
const secret = (format: RegExp) =>
  z.string().refine((value) => isSecretManagerRef(value) || format.test(value));

const VARIABLES = {
  SLACK_BOT_TOKEN: secret(/^xoxb-\S+$/),
  SLACK_SIGNING_SECRET: secret(/^[0-9a-f]{16,}$/i),
  SLACK_APP_TOKEN: secret(/^xapp-\S+$/).optional(),
  REDIS_URL: secret(/^rediss?:\/\/\S+$/),
  GOOGLE_CLOUD_PROJECT: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/),
  SHIFTGATE_CONFIG: z.string().min(1),
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  SHIFTGATE_ROLE: z.enum(['all', 'slack', 'worker']).default('all'),
  SLACK_API_URL: z.url().optional(),
  GOOGLE_API_ENDPOINT: z.url().optional(),
};

/** Which variables hold secrets: only these may be sm:// references. */
export const SECRET_VARIABLES = [
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'REDIS_URL',
] as const;

const WHAT: Record<keyof typeof VARIABLES, string> = {
  SLACK_BOT_TOKEN: `a Slack bot token (xoxb-...) ${SM_HINT}`,
  SLACK_SIGNING_SECRET: `the Slack app's signing secret ${SM_HINT}`,
  SLACK_APP_TOKEN: `a Slack app-level token (xapp-...) ${SM_HINT}`,
  REDIS_URL: `a Redis URL like redis://10.0.0.3:6379 ${SM_HINT}`,
  GOOGLE_CLOUD_PROJECT: 'a Google Cloud project id like my-project-123',
  SHIFTGATE_CONFIG: 'the path of the runbook config (YAML)',
  PORT: 'a TCP port number from 1 to 65535',
  LOG_LEVEL: 'one of trace, debug, info, warn, error, fatal, silent',
  SHIFTGATE_ROLE:
    'all (Slack app and timer worker), slack (the Slack app only) or worker (timers and recovery sweep only)',
  SLACK_API_URL:
    "the Slack Web API's base URL ending in /api/ (the sandbox's Slack twin); unset in production",
  GOOGLE_API_ENDPOINT: "a URL that answers the Google APIs (the sandbox's twins); unset in production",
};

const envSchema = z.object(VARIABLES);
export type Env = z.infer<typeof envSchema>;

/** Thrown with one line per bad variable. */
export class EnvError extends Error {
  readonly lines: string[];
  constructor(lines: string[]) {
    super(lines.join('\n'));
    this.name = 'EnvError';
    this.lines = lines;
  }
}

/** Validates the environment; empty strings count as unset. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const input = Object.fromEntries(
    Object.keys(VARIABLES).map((key) => [key, source[key] === '' ? undefined : source[key]]),
  );
  const result = envSchema.safeParse(input);
  if (result.success) return result.data;
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const issue of result.error.issues) {
    const key = String(issue.path[0]) as keyof typeof VARIABLES;
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(
      input[key] === undefined
        ? `${key} is not set: expected ${WHAT[key]}`
        : `${key} is malformed: expected ${WHAT[key]}`,
    );
  }
  throw new EnvError(lines);
}

/** Replaces every sm:// reference among the secret variables by its value, through the given resolver. */
export async function resolveSecrets(env: Env, resolve: (ref: string) => Promise<string>): Promise<Env> {
  const resolved = { ...env };
  await Promise.all(
    SECRET_VARIABLES.map(async (key) => {
      const value = env[key];
      if (value && isSecretManagerRef(value)) resolved[key] = await resolve(value);
    }),
  );
  return resolved;
}
