import { pino } from 'pino';
import { createLogger } from '../src/bot/log.ts';
import { googleEndpoint } from '../src/bot/platform.ts';
import { startReplica } from '../src/bot/replica.ts';
import { checkStartup, startupErrorLines } from '../src/bot/startup.ts';
import { createSecretManager } from '../src/platform/secret-manager/index.ts';
import { widened } from './twins/monitoring/widened.ts';

// The sandbox's bot: a shiftgate replica started exactly as `npm start` starts one (src/bot/replica.ts,
// from the same environment variables, pointed at the twins through SLACK_API_URL and GOOGLE_API_ENDPOINT),
// with what a loopback demo needs:
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
  const secretManager = createSecretManager({
    target: { projectId: env.GOOGLE_CLOUD_PROJECT, ...(endpoint ? { endpoint } : {}) },
  });
  const prefix = process.env.SANDBOX_REDIS_PREFIX || undefined;
  const replica = await startReplica({
    env,
    config,
    log,
    secretManager,
    endpoint,
    host: '127.0.0.1',
    port: 0,
    monitoring: widened,
    ...(prefix ? { prefix } : {}),
  });
  console.log(JSON.stringify({ url: `http://127.0.0.1:${replica.port}/slack/events` }));

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, 'stopping: no new work; finishing the steps under way');
    await replica.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  process.stdin.on('end', () => void stop('the sandbox ended'));
  process.stdin.resume();
} catch (error) {
  for (const line of startupErrorLines(error)) console.error(`shiftgate: ${line}`);
  process.exit(1);
}
