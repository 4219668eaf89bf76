import {
  createSecretManager,
  createSecretResolver,
  type SecretManager,
} from '../platform/secret-manager/index.ts';
import { createLogger } from './log.ts';
import { googleEndpoint } from './platform.ts';
import { guardProcess } from './process-guard.ts';
import { startReplica } from './replica.ts';
import { checkStartup, startupErrorLines } from './startup.ts';

// `npm start`: start-up checks (environment, secrets, config, Redis), then one replica (replica.ts):
// platform adapters, Slack side, engine and Bolt app. SIGTERM (Cloud Run's stop) stops taking work, lets
// the steps under way finish, and closes Redis. SHIFTGATE_ROLE splits a deployment in two: `slack`
// serves Slack without the timer worker and sweep, `worker` runs timers and sweep behind /healthz alone.

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
  const replica = await startReplica({ env, config, log, secretManager, endpoint });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: no new work; finishing the steps under way');
    await replica.stop();
    log.info('stopped');
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  guardProcess(log, stop);
} catch (error) {
  // Plain lines on stderr: a start that fails is read by a person at a terminal or in the deploy log.
  for (const line of startupErrorLines(error)) console.error(`shiftgate: ${line}`);
  await secretManager?.close();
  process.exitCode = 1;
}
