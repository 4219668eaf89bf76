import type { AddressInfo } from 'node:net';
import { WebClient } from '@slack/web-api';
import { pino } from 'pino';
import { createBot } from '../src/bot/app.ts';
import { createLogger, engineLogger } from '../src/bot/log.ts';
import { buildPlatform, googleEndpoint } from '../src/bot/platform.ts';
import { checkStartup } from '../src/bot/startup.ts';
import { buildSlackSide, surfaceOf } from '../src/bot/wiring.ts';
import { ConfigError, EnvError, formatIssue } from '../src/config/index.ts';
import { createGateRegistry } from '../src/gates/registry.ts';
import { createCloudLogging } from '../src/platform/logging/index.ts';
import { createCloudMonitoring } from '../src/platform/monitoring/index.ts';
import { createSecretManager, createSecretResolver } from '../src/platform/secret-manager/index.ts';
import { createEngine } from '../src/runbooks/engine.ts';
import { closeRedis, createRedis, createStore } from '../src/store/index.ts';
import { widened } from './twins/monitoring/widened.ts';

// The sandbox's bot: shiftgate's replica built as src/bot/main.ts builds it (start-up checks from the
// same environment variables, the same platform adapters, Slack side, engine and Bolt app in HTTP mode,
// all pointed at the twins through SLACK_API_URL and GOOGLE_API_ENDPOINT), with three differences a
// loopback demo needs:
//   - it listens on 127.0.0.1, on a free port, and prints {"url": ".../slack/events"} once it serves;
//   - Cloud Monitoring windows shorter than a minute are widened to the minute before they end
//     (sandbox/twins/monitoring/widened.ts): the sandbox watches for seconds, Monitoring aligns by minutes;
//   - SANDBOX_REDIS_PREFIX, when set, puts its keys and timers under a prefix of their own (a shared Redis).
// It stops like main.ts on SIGTERM/SIGINT, and also when its stdin closes (the sandbox ended). Its logs go
// to stderr: stdout carries the one line that says it serves.

const log = createLogger({ level: process.env.LOG_LEVEL ?? 'info', destination: pino.destination(2) });

try {
  const endpoint = googleEndpoint(process.env.GOOGLE_API_ENDPOINT);
  const { env, config } = await checkStartup(process.env);
  const target = { projectId: env.GOOGLE_CLOUD_PROJECT, ...(endpoint ? { endpoint } : {}) };
  const secretManager = createSecretManager({ target });
  const secrets = createSecretResolver({ secretManager });
  const platform = await buildPlatform({ projectId: env.GOOGLE_CLOUD_PROJECT, config, secrets, endpoint });
  const monitoring = createCloudMonitoring({ target });
  const logging = createCloudLogging({ target });
  const gates = createGateRegistry({
    monitoring: widened(monitoring),
    logging,
    prometheus: platform.prometheus,
  });

  const prefix = process.env.SANDBOX_REDIS_PREFIX || undefined;
  const redis = createRedis(env.REDIS_URL, { connectionName: 'shiftgate-sandbox' });
  const store = createStore(redis, prefix ? { prefix } : {});
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
    gates,
    prometheus: platform.prometheus,
    secrets,
    config,
    notify: slack.notify,
    incidents: (incident) => slack.incidents.fromRollback(incident),
    groupsOf: slack.groupsOf,
    log: engineLogger(log),
  });
  const bot = createBot({
    signingSecret: env.SLACK_SIGNING_SECRET,
    botToken: env.SLACK_BOT_TOKEN,
    ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
    surface: surfaceOf(slack, { config, store, engine, log }),
    notReady: async () =>
      (await redis.ping().catch(() => 'down')) === 'PONG' ? undefined : 'Redis does not answer',
    log,
  });
  const server = await bot.start(0, '127.0.0.1');
  if (!server) throw new Error('the bot started without an HTTP server');
  const { port } = server.address() as AddressInfo;
  log.info({ port, services: Object.keys(config.services) }, 'shiftgate is up (sandbox)');
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}/slack/events` }));

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, 'stopping: no new work; finishing the steps under way');
    await bot
      .stop()
      .catch((error: unknown) => log.warn({ error: (error as Error).message }, 'receiver stop failed'));
    await engine.close();
    await Promise.allSettled([platform.close(), monitoring.close(), logging.close(), secretManager.close()]);
    await closeRedis(redis);
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  process.stdin.on('end', () => void stop('the sandbox ended'));
  process.stdin.resume();
} catch (error) {
  const lines =
    error instanceof EnvError
      ? error.lines
      : error instanceof ConfigError
        ? error.issues.map(formatIssue)
        : [(error as Error).message];
  for (const line of lines) console.error(`shiftgate: ${line}`);
  process.exit(1);
}
