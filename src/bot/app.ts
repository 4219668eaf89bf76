import type { Server } from 'node:http';
import { App, type CustomRoute } from '@slack/bolt';
import type { Logger } from 'pino';
import { createAfterAck, createInFlight } from '../commands/after-ack.ts';
import { registerSurface } from '../commands/register.ts';
import type { Surface } from '../commands/surface.ts';
import { healthRoutes, type NotReady, type Scrape } from './health.ts';
import { boltLogger } from './log.ts';
import { guardedReceiver } from './receiver.ts';

// The Bolt app: the HTTP receiver in production (Slack verifies and retries against a URL Cloud Run
// serves), Socket Mode when an app-level token is given (local development behind no public URL).
// /healthz answers while the process lives; /readyz only when Redis answers and the config is loaded.

export interface BotOptions {
  signingSecret: string;
  botToken: string;
  /** xapp-…: Socket Mode instead of the HTTP receiver. */
  appToken?: string;
  /** The Web API's base URL; Slack's by default (the sandbox and tests point it at the twin). */
  slackApiUrl?: string;
  surface: Surface;
  /** Undefined when ready, else why not. */
  notReady: NotReady;
  /** GET /metrics (Prometheus text), when given. */
  scrape?: Scrape;
  log: Logger;
}

export interface Bot {
  app: App;
  /** Listens on `port` (HTTP mode: also the Slack endpoint /slack/events); 0 picks a free one. */
  start(port: number, host?: string): Promise<Server | undefined>;
  stop(): Promise<void>;
  /** Resolves once the work already acknowledged has finished (tests wait on it instead of sleeping). */
  idle(): Promise<void>;
}

export function createBot(options: BotOptions): Bot {
  const customRoutes: CustomRoute[] = healthRoutes(options.notReady, options.scrape);
  const logger = boltLogger(options.log);
  const app = new App({
    token: options.botToken,
    // Socket Mode has no HTTP body to guard; the HTTP receiver is wrapped (receiver.ts).
    ...(options.appToken
      ? { signingSecret: options.signingSecret, customRoutes }
      : { receiver: guardedReceiver({ signingSecret: options.signingSecret, customRoutes, logger }) }),
    logger,
    // Bolt's in-memory conversation store is per process (useless across replicas) and costs each request
    // a thrown lookup; nothing here reads it.
    convoStore: false,
    ...(options.slackApiUrl ? { clientOptions: { slackApiUrl: options.slackApiUrl } } : {}),
    ...(options.appToken ? { appToken: options.appToken, socketMode: true } : {}),
  });
  app.error(async (error) => {
    options.log.error(
      { error: error.message, code: (error as { code?: string }).code },
      'Slack request failed',
    );
  });
  // Two queues: a flood of channel messages (every message event, :memo: lookups) never delays the answer
  // to a command or a click.
  const failed = (error: unknown) =>
    options.log.error({ error: (error as Error).message }, 'work after an acknowledgement failed');
  const afterAck = {
    people: createAfterAck(undefined, failed),
    events: createAfterAck(undefined, failed),
    inFlight: createInFlight(),
  };
  registerSurface(app, options.surface, afterAck);
  // Acknowledged work, and validation runs (which go on after their command's answer).
  const drained = () =>
    Promise.all([
      afterAck.inFlight.idle(),
      afterAck.people.drained(),
      afterAck.events.drained(),
      options.surface.validation?.idle(),
    ]).then(() => undefined);

  return {
    app,
    async start(port, host) {
      const started = (await app.start(host ? { port, host } : port)) as unknown;
      return options.appToken ? undefined : (started as Server);
    },
    idle: drained,
    // Stop taking requests, then let the work already acked finish (its people are waiting for an answer).
    stop: () =>
      app
        .stop()
        .then(drained)
        .then(() => undefined),
  };
}
