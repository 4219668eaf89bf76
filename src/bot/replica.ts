import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { retryPolicies } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Env } from '../config/env.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import { configWarnings } from '../config/warnings.ts';
import type { CloudMonitoring } from '../gates/ports/monitoring.ts';
import { createMetrics } from '../metrics/metrics.ts';
import type { GoogleEndpoint } from '../platform/google.ts';
import { createSecretResolver, type SecretManager } from '../platform/secret-manager/index.ts';
import { closeRedis, createRedis, createStore } from '../store/index.ts';
import { createBot } from './app.ts';
import { createEngine } from './engine.ts';
import { flagBackends } from './flags.ts';
import { serveHealth } from './health.ts';
import { engineLogger } from './log.ts';
import { buildPlatform } from './platform.ts';
import { buildSlackSide, surfaceOf } from './wiring.ts';

// One replica of shiftgate from a checked environment and config: the platform adapters, the Slack side,
// the engine (with its timer worker, per SHIFTGATE_ROLE) and the Bolt app, or the health routes alone for a
// worker. `npm start` (main.ts) and the sandbox's bot (sandbox/bot.ts) both start one; only the sandbox
// binds loopback, shares a Redis under a prefix, and widens Monitoring windows to its seconds-long stages.

export interface ReplicaOptions {
  env: Env;
  config: ShiftgateConfig;
  log: Logger;
  /** The start-up checks' client when they made one (sm:// references), else one is made here. */
  secretManager: SecretManager;
  endpoint?: GoogleEndpoint | undefined;
  /** The listen address: every interface by default (Cloud Run); the sandbox binds 127.0.0.1. */
  host?: string;
  /** Default env.PORT; 0 picks a free port. */
  port?: number;
  /** A key prefix of its own on a shared Redis. */
  prefix?: string;
  /** Wraps Cloud Monitoring for the gates (the sandbox widens windows shorter than Monitoring's minute). */
  monitoring?: (monitoring: CloudMonitoring) => CloudMonitoring;
}

export interface Replica {
  /** The port it listens on. */
  port: number;
  /** Stops taking work, lets the steps under way finish, closes every client and Redis. */
  stop(): Promise<void>;
}

export async function startReplica(options: ReplicaOptions): Promise<Replica> {
  const { env, config, log } = options;
  for (const warning of configWarnings(config)) log.warn({ config: env.SHIFTGATE_CONFIG }, warning);
  const secrets = createSecretResolver({ secretManager: options.secretManager });
  const redis = createRedis(env.REDIS_URL, {
    connectionName: 'shiftgate-store',
    log: { warn: (message, fields) => log.warn(fields ?? {}, message), info: (m, f) => log.info(f ?? {}, m) },
  });
  const store = createStore(redis, options.prefix ? { prefix: options.prefix } : {});
  const metrics = createMetrics({ store });
  const platform = await buildPlatform({
    metrics,
    projectId: env.GOOGLE_CLOUD_PROJECT,
    config,
    secrets,
    endpoint: options.endpoint,
    ...(options.monitoring ? { monitoring: options.monitoring } : {}),
  });
  // Bounded: a Slack call that hangs or keeps failing must not hold an after-ack slot (or a runbook step)
  // for the WebClient's default half hour of retries; 429s are still waited out as Slack asks.
  const client = metrics.slackClient(env.SLACK_BOT_TOKEN, {
    timeout: 10_000,
    retryConfig: retryPolicies.fiveRetriesInFiveMinutes,
    ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
  });
  const slack = buildSlackSide({ config, store, client, log, sinks: platform.reportSinks });
  const engine = createEngine({
    store,
    redisUrl: env.REDIS_URL,
    cloudRun: platform.cloudRun,
    routeSplit: platform.routeSplit,
    gates: platform.gates,
    prometheus: platform.prometheus,
    errorBudget: platform.errorBudget,
    preconditions: platform.preconditions,
    flags: flagBackends({ config, cloudRun: platform.cloudRun, secrets }),
    secrets,
    config,
    notify: slack.notify,
    incidents: (incident) => slack.incidents.fromRollback(incident),
    groupsOf: slack.groupsOf,
    log: engineLogger(log),
    // The Slack-only role leaves timers and the recovery sweep to the worker service.
    ...(env.SHIFTGATE_ROLE === 'slack' ? { worker: { start: false }, sweep: { intervalMs: 0 } } : {}),
  });
  const notReady = async () =>
    (await redis.ping().catch(() => 'down')) === 'PONG' ? undefined : 'Redis does not answer';

  const worker = env.SHIFTGATE_ROLE === 'worker';
  const port = options.port ?? env.PORT;
  const bot = worker
    ? undefined
    : createBot({
        signingSecret: env.SLACK_SIGNING_SECRET,
        botToken: env.SLACK_BOT_TOKEN,
        ...(env.SLACK_APP_TOKEN ? { appToken: env.SLACK_APP_TOKEN } : {}),
        ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
        surface: surfaceOf(slack, {
          config,
          store,
          engine,
          log,
          routeSplit: platform.routeSplit,
          reportSinks: platform.reportSinks,
          validation: {
            cloudRun: platform.cloudRun,
            gates: platform.gates,
            logging: platform.logging,
            routeSplit: platform.routeSplit,
            secrets,
            cloudBuild: platform.cloudBuild,
            checkRuns: platform.checkRuns,
            storage: platform.storage,
            sqlBackups: platform.sqlBackups,
          },
        }),
        notReady,
        scrape: metrics.scrape,
        log,
      });
  const healthOnly = worker ? await serveHealth(port, notReady, options.host, metrics.scrape) : undefined;
  const server: Server | undefined = healthOnly ?? (await bot?.start(port, options.host));
  const listening = (server?.address() as AddressInfo | null)?.port ?? port;
  log.info(
    {
      port: listening,
      role: env.SHIFTGATE_ROLE,
      mode: worker ? 'worker' : env.SLACK_APP_TOKEN ? 'socket' : 'http',
      services: Object.keys(config.services),
    },
    'shiftgate is up',
  );

  return {
    port: listening,
    async stop() {
      if (healthOnly) await new Promise((resolve) => healthOnly.close(resolve));
      await bot
        ?.stop()
        .catch((error: unknown) => log.warn({ error: (error as Error).message }, 'receiver stop failed'));
      await engine.close();
      await Promise.allSettled([platform.close(), options.secretManager.close()]);
      await closeRedis(redis);
    },
  };
}
