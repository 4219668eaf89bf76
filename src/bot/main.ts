import { WebClient } from '@slack/web-api';
import { ConfigError, EnvError, formatIssue } from '../config/index.ts';
import {
  createSecretManager,
  createSecretResolver,
  type SecretManager,
} from '../platform/secret-manager/index.ts';
import { createEngine } from '../runbooks/engine.ts';
import { closeRedis, createRedis, createStore } from '../store/index.ts';
import { createBot } from './app.ts';
import { serveHealth } from './health.ts';
import { createLogger, engineLogger } from './log.ts';
import { buildPlatform, googleEndpoint } from './platform.ts';
import { checkStartup } from './startup.ts';
import { buildSlackSide, surfaceOf } from './wiring.ts';

// `npm start`: the composition root. Start-up checks (environment, secrets, config, Redis), then the
// platform adapters, the Slack side, the engine (with its timer worker) and the Bolt app. SIGTERM (Cloud
// Run's stop) stops taking work, lets the steps under way finish, and closes Redis.
// SHIFTGATE_ROLE splits a deployment in two: `slack` serves Slack without the timer worker and sweep (its
// CPU may be throttled between requests), `worker` runs timers and sweep behind /healthz alone.

let secretManager: SecretManager | undefined;
try {
  const endpoint = googleEndpoint(process.env.GOOGLE_API_ENDPOINT);
  const { env, config } = await checkStartup(process.env, {
    secrets: (env) => {
      secretManager = createSecretManager({
        target: { projectId: env.GOOGLE_CLOUD_PROJECT, ...(endpoint ? { endpoint } : {}) },
      });
      return createSecretResolver({ secretManager });
    },
  });
  const log = createLogger({ level: env.LOG_LEVEL });
  // The config's own references (route-split tokens, access tokens) may be sm:// even when the
  // environment's are not.
  secretManager ??= createSecretManager({
    target: { projectId: env.GOOGLE_CLOUD_PROJECT, ...(endpoint ? { endpoint } : {}) },
  });
  const secrets = createSecretResolver({ secretManager });
  const platform = await buildPlatform({ projectId: env.GOOGLE_CLOUD_PROJECT, config, secrets, endpoint });
  const redis = createRedis(env.REDIS_URL, { connectionName: 'shiftgate-store' });
  const store = createStore(redis);
  const client = new WebClient(
    env.SLACK_BOT_TOKEN,
    env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {},
  );
  const slack = buildSlackSide({ config, store, client, log });
  const engine = createEngine({
    store,
    redisUrl: env.REDIS_URL,
    cloudRun: platform.cloudRun,
    routeSplit: platform.routeSplit,
    gates: platform.gates,
    prometheus: platform.prometheus,
    secrets,
    config,
    notify: slack.notify,
    incidents: (incident) => slack.incidents.fromRollback(incident),
    groupsOf: slack.groupsOf,
    log: engineLogger(log),
    ...(env.SHIFTGATE_ROLE === 'slack' ? { worker: { start: false }, sweep: { intervalMs: 0 } } : {}),
  });
  const notReady = async () =>
    (await redis.ping().catch(() => 'down')) === 'PONG' ? undefined : 'Redis does not answer';
  const worker = env.SHIFTGATE_ROLE === 'worker';
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
          validation: {
            cloudRun: platform.cloudRun,
            gates: platform.gates,
            logging: platform.logging,
            routeSplit: platform.routeSplit,
            secrets,
          },
        }),
        notReady,
        log,
      });
  const healthOnly = worker ? await serveHealth(env.PORT, notReady) : undefined;
  await bot?.start(env.PORT);
  log.info(
    {
      port: env.PORT,
      role: env.SHIFTGATE_ROLE,
      mode: worker ? 'worker' : env.SLACK_APP_TOKEN ? 'socket' : 'http',
      services: Object.keys(config.services),
    },
    'shiftgate is up',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: no new work; finishing the steps under way');
    if (healthOnly) await new Promise((resolve) => healthOnly.close(resolve));
    await bot
      ?.stop()
      .catch((error: unknown) => log.warn({ error: (error as Error).message }, 'receiver stop failed'));
    await engine.close();
    await platform.close();
    await secretManager?.close();
    await closeRedis(redis);
    log.info('stopped');
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
} catch (error) {
  const lines =
    error instanceof EnvError
      ? error.lines
      : error instanceof ConfigError
        ? error.issues.map(formatIssue)
        : [(error as Error).message];
  // Plain lines on stderr: a start that fails is read by a person at a terminal or in the deploy log.
  for (const line of lines) console.error(`shiftgate: ${line}`);
  await secretManager?.close();
  process.exitCode = 1;
}
