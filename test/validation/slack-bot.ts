import { WebClient } from '@slack/web-api';
import { http, passthrough, type RequestHandler } from 'msw';
import { pino } from 'pino';
import { afterEach, beforeAll, expect, vi } from 'vitest';
import { createSlackTwin } from '../../sandbox/twins/slack/index.ts';
import type { TwinMessage } from '../../sandbox/twins/slack/state.ts';
import type { Bot } from '../../src/bot/app.ts';
import { createEngine } from '../../src/bot/engine.ts';
import { buildSlackSide, surfaceOf } from '../../src/bot/wiring.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';
import type { Engine } from '../../src/runbooks/engine.ts';
import type { ReportSink } from '../../src/runbooks/ports/report-sink.ts';
import { REDIS_URL } from '../helpers/redis.ts';
import { CHANNEL, startBolt, typeCommand } from '../helpers/slack-world.ts';
import type { useValidationWorld } from './world.ts';

// A validation world (world.ts, lanes-world.ts) plus Slack, for /validate driven through Slack alone: the
// Slack twin answering the real WebClient, one replica (engine + real Bolt receiver on a loopback port)
// over the world's store and ports, signed slash commands, and the run's card read back from the twin.

type ValidationWorld = ReturnType<typeof useValidationWorld>;

/**
 * `makeWorld` builds the world over the handlers given (Slack's, `options.handlers`, and the bot's own
 * port let through). `options.reset` runs after each test once its replica has stopped.
 */
export function useValidationSlack<W extends Pick<ValidationWorld, 'store' | 'ports'>>(
  makeWorld: (handlers: RequestHandler[]) => W,
  options: { handlers?: RequestHandler[]; reset?: () => void } = {},
) {
  const slack = createSlackTwin();
  const world = makeWorld([
    ...slack.handlers,
    ...(options.handlers ?? []),
    http.all(/^http:\/\/127\.0\.0\.1:\d+\//, () => passthrough()),
  ]);
  const log = pino({ level: 'silent' });
  let client: WebClient;
  let running: { bot: Bot; engine: Engine; url: string } | undefined;

  // The client keeps the fetch it sees when built: build it once msw listens.
  beforeAll(() => {
    client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });
  afterEach(async () => {
    if (running) {
      await running.bot.stop().catch(() => {});
      await running.engine.close({ force: true }).catch(() => {});
    }
    running = undefined;
    slack.reset();
    options.reset?.();
  });

  return {
    slack,
    world,

    /** Starts the replica; `reportSinks`: where environments keep reports beyond Redis. */
    async start(config: ShiftgateConfig, reportSinks?: (env: string) => Promise<ReportSink | undefined>) {
      const sinks = reportSinks ? { sinks: reportSinks } : {};
      const side = buildSlackSide({ config, store: world.store, client, log, ...sinks });
      const engine = createEngine({
        store: world.store,
        redisUrl: REDIS_URL,
        cloudRun: world.ports.cloudRun,
        gates: world.ports.gates,
        config,
        notify: side.notify,
        worker: { start: false },
        sweep: { intervalMs: 0 },
      });
      const surface = surfaceOf(side, {
        config,
        store: world.store,
        engine,
        log,
        validation: world.ports,
        ...(reportSinks ? { reportSinks } : {}),
      });
      const { bot, url } = await startBolt(slack, surface, log);
      running = { bot, engine, url };
      return running;
    },

    /** Types `/<command> <text>` as `userId` in #deploys: the ack's text, or the first reply's. */
    async type(userId: string, text: string, command = '/validate') {
      const answer = await typeCommand(slack, (running as { url: string }).url, { userId, command, text });
      expect(answer.status).toBe(200);
      return { ephemeral: answer.ephemeral, text: answer.text };
    },

    /** The card of run `runId` once its text says a verdict matching `verdict`. */
    verdictCard(runId: string, verdict: RegExp, timeout = 15_000): Promise<TwinMessage> {
      return vi.waitFor(
        () => {
          const card = slack
            .channel(slack.channelId(CHANNEL))
            .find((m) => JSON.stringify(m.blocks).includes(runId) && verdict.test(m.text));
          expect(card, 'the card with its verdict').toBeDefined();
          return card as TwinMessage;
        },
        { timeout, interval: 25 },
      );
    },
  };
}

/** The run id in an answer to /validate. */
export const runIdOf = (text: string) => /`(val-[^`]+)`/.exec(text)?.[1] as string;
