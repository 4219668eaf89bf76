import { ConfigError, EnvError, formatIssue } from '../config/index.ts';
import {
  createSecretManager,
  createSecretResolver,
  type SecretManager,
} from '../platform/secret-manager/index.ts';
import { checkStartup } from './startup.ts';

// `npm start`. The Slack surface (Bolt receivers, workers) arrives with its issue; until then the
// bot makes its start-up checks, says what it found and exits.

let secretManager: SecretManager | undefined;
try {
  const { env, config } = await checkStartup(process.env, {
    // Production: Application Default Credentials, the project of GOOGLE_CLOUD_PROJECT.
    secrets: (env) => {
      secretManager = createSecretManager({ target: { projectId: env.GOOGLE_CLOUD_PROJECT } });
      return createSecretResolver({ secretManager });
    },
  });
  const services = Object.keys(config.services).join(', ');
  console.log(
    `shiftgate: environment valid, ${env.SHIFTGATE_CONFIG} valid (services: ${services}), Redis answers. ` +
      'The Slack surface is not built yet, so there is nothing to serve: exiting.',
  );
} catch (error) {
  const lines =
    error instanceof EnvError
      ? error.lines
      : error instanceof ConfigError
        ? error.issues.map(formatIssue)
        : [(error as Error).message];
  for (const line of lines) console.error(`shiftgate: ${line}`);
  process.exitCode = 1;
} finally {
  await secretManager?.close();
}
