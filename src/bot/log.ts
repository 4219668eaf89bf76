import type { Logger as BoltLogger } from '@slack/bolt';
import { LogLevel } from '@slack/bolt';
import { type Logger, pino } from 'pino';
import type { Logger as EngineLogger } from '../runbooks/effects.ts';

// Structured JSON logs, one object a line, in the shape Cloud Logging reads from stdout: `severity` and
// `message` (https://cloud.google.com/logging/docs/structured-logging), with the request's trace under
// `logging.googleapis.com/trace`. Secrets never appear: the fields that could hold one are redacted.

const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export const REDACTED_PATHS = [
  'token',
  '*.token',
  'botToken',
  'appToken',
  'signingSecret',
  '*.signingSecret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-slack-signature"]',
  'env.SLACK_BOT_TOKEN',
  'env.SLACK_SIGNING_SECRET',
  'env.SLACK_APP_TOKEN',
  'env.REDIS_URL',
];

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    options.destination,
  );
}

/** `logging.googleapis.com/trace` from Cloud Run's X-Cloud-Trace-Context header, for one request's logs. */
export function traceField(header: string | undefined, project: string): Record<string, string> {
  const traceId = header?.split('/')[0];
  return traceId ? { 'logging.googleapis.com/trace': `projects/${project}/traces/${traceId}` } : {};
}

export function engineLogger(log: Logger): EngineLogger {
  return {
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
  };
}

/** Bolt's logger interface over pino. */
export function boltLogger(log: Logger): BoltLogger {
  const child = log.child({ component: 'bolt' });
  const text = (args: unknown[]) =>
    args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  let level = LogLevel.INFO;
  return {
    debug: (...args) => child.debug(text(args)),
    info: (...args) => child.info(text(args)),
    warn: (...args) => child.warn(text(args)),
    error: (...args) => child.error(text(args)),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
